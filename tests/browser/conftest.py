"""Browser-test fixtures: a real JupyterLab on 127.0.0.1 over a temp store of real runs, and
headless Debian chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browser_support import CHROMIUM, CHROMIUM_FLAGS, LabServer, make_runs


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    store_url = str(base / "store" / "runs.db")
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "lr = 0.1  # learning rate", metadata={"tags": ["parameters"]}
            ),
            nbformat.v4.new_code_cell("print(lr * 2)"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, root / "train.ipynb")
    ids = make_runs(store_url)
    server = LabServer(root, store_url)
    server.ids = ids  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped on purpose: Playwright's sync API keeps its event loop marked running in
    this thread while it is open, which breaks asyncio tests (jp_fetch) that an xdist worker
    runs after the browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/setup-browser (installs Debian chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, lab: LabServer) -> Iterator[Any]:
    """A fresh browser context on JupyterLab; dialogs and page errors are recorded, not accepted."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]

    def on_dialog(dialog: Any) -> None:
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.goto(lab.url("lab?reset"), wait_until="domcontentloaded")  # a fresh workspace per test
    page.wait_for_selector("#jp-left-stack", state="attached", timeout=60_000)
    yield page
    context.close()
