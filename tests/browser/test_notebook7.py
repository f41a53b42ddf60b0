"""The Runs panel inside Notebook 7 (left side panel; run detail opens in a dialog)."""

from __future__ import annotations

import importlib.util

import pytest
from playwright.sync_api import expect

from tests.browser.browser_support import LabServer, make_runs, screenshot

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("notebook") is None,
    reason="Notebook 7 is not installed: pip install 'notebook>=7'",
)


@pytest.fixture(scope="module")
def nb7(tmp_path_factory):
    import nbformat

    base = tmp_path_factory.mktemp("nb7")
    root = base / "root"
    root.mkdir()
    nbformat.write(
        nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell("x = 1")],
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
        ),
        root / "train.ipynb",
    )
    store_url = str(base / "store" / "runs.db")
    make_runs(store_url)
    server = LabServer(root, store_url, app="notebook")
    yield server
    server.stop()


def _open_runs_panel(page) -> None:
    """View > Left Sidebar > Experiment runs; a submenu that closed under load is tried again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        page.locator(".lm-MenuBar-item", has_text="View").click()
        page.locator(".lm-Menu-itemLabel", has_text="Left Sidebar").first.hover()
        try:
            page.locator(".lm-Menu-itemLabel", has_text="Experiment runs").first.click(
                timeout=10_000
            )
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            page.keyboard.press("Escape")
    raise AssertionError("the View > Left Sidebar menu never offered 'Experiment runs'")


def test_panel_and_detail_in_notebook7(browser, nb7):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(nb7.url("notebooks/train.ipynb"), wait_until="domcontentloaded")
    page.locator(".jp-Notebook").first.wait_for(timeout=60_000)  # the app is up, menus complete
    _open_runs_panel(page)
    rows = page.locator("#mlops-jupyter-runs .jp-mlops-RunRow[data-run-id]")
    expect(rows).to_have_count(5, timeout=20_000)
    rows.locator('[data-column="name"]', has_text="train-svm-1").click()
    detail = page.locator(".jp-mlops-Dialog .jp-mlops-RunDetail")
    expect(detail.locator(".jp-mlops-RunDetail-name")).to_have_text("train-svm-1")
    expect(detail.locator('.jp-mlops-RunChart[data-metric="loss"] .mark-line path')).to_have_count(
        1, timeout=15_000
    )  # the Vega-Lite chart, drawn as SVG
    screenshot(page, "notebook7")
    page.close()
