"""The run page in a real JupyterLab + headless chromium: a note (XSS as text), tags renamed,
removed and added with the `mlops.*` tags in a collapsed System group, stdout inline with
"show all", a table preview with its index, the recorded environment, "open the notebook at
this cell", and a duration that ticks while the run runs and stops when it ends."""

from __future__ import annotations

import re
import time

import nbformat
import pytest
from playwright.sync_api import expect

from tests.browser.browser_support import XSS, screenshot

PANEL = "#mlops-jupyter-runs"
ROWS = f"{PANEL} .jp-mlops-RunRow[data-run-id]"


def open_run(page, run_id: str, experiment: str):
    page.locator('.jp-SideBar.jp-mod-left li[data-id="mlops-jupyter-runs"]').click()
    expect(page.locator(ROWS).first).to_be_visible(timeout=20_000)
    page.locator(f'{PANEL} select[aria-label="experiment"]').select_option(experiment)
    page.locator(f'{ROWS}[data-run-id="{run_id}"] [data-column="name"]').click()
    detail = page.locator(f'.jp-mlops-RunDetail[data-run-id="{run_id}"]')
    expect(detail).to_be_visible(timeout=20_000)
    return detail


@pytest.fixture(scope="module")
def page_run(lab) -> str:
    """A run recorded from the lab's train.ipynb second cell, with tags, stdout and a table."""
    import pandas as pd

    import mlops_jupyter as mj

    notebook = lab.root / "train.ipynb"
    cell = nbformat.read(notebook, as_version=4).cells[1]
    stdout = "".join(f"epoch {i} loss {1 / (i + 1):.3f}\n" for i in range(300)) + XSS + "\n"
    with mj.start_run(
        name="page-run",
        experiment="runpage",
        store=lab.store_url,
        source_notebook=str(notebook),
        cell_id=cell.id,
        tags={"stage": "dev", "mlops.kind": "cell"},
        extra_provenance={"cell": {"source": cell.source, "execution_count": 2}},
    ) as run:
        run.log_artifact(stdout.encode(), name="stdout.txt", media_type="text/plain")
        frame = pd.DataFrame({"acc": [0.91, 0.87]}, index=pd.Index(["rf", "svm"], name="model"))
        run.log_table(frame, "by_model")
    return run.run_id


def test_note_tags_output_table_index_and_environment(page, lab, page_run):
    import mlops_jupyter as mj

    detail = open_run(page, page_run, "runpage")
    # the note: typed, saved, shown as text (the payload is not markup)
    detail.get_by_role("button", name="Add note").click()
    detail.get_by_label("note text").fill(f"lr too high?\n{XSS}")
    detail.get_by_role("button", name="Save").click()
    expect(detail.locator(".jp-mlops-Note")).to_have_text(f"lr too high?\n{XSS}")
    # tags: rename stage -> phase, add owner, remove phase; system tags collapsed
    tags = detail.locator(".jp-mlops-Tags")
    tags.get_by_role("button", name="edit tag stage").click()
    tags.get_by_label("tag key").fill("phase")
    tags.get_by_role("button", name="Save").click()
    expect(tags.locator('tr[data-tag="phase"]')).to_contain_text("dev")
    tags.get_by_role("button", name="Add tag").click()
    tags.get_by_label("tag key").fill(XSS)
    tags.get_by_label("tag value").fill("ana")
    tags.get_by_label("tag value").press("Enter")
    expect(tags.locator(".jp-mlops-UserTags th", has_text=XSS)).to_be_visible()
    tags.get_by_role("button", name="remove tag phase").click()
    expect(tags.locator('tr[data-tag="phase"]')).to_have_count(0)
    system = tags.locator("details.jp-mlops-SystemTags")
    expect(system.locator("summary")).to_have_text("System (1)")
    expect(system.locator("td", has_text="cell")).not_to_be_visible()  # collapsed
    system.locator("summary").click()
    expect(system.locator("td", has_text="cell")).to_be_visible()
    stored = mj.open_store(lab.store_url).get_run(page_run).tags
    assert stored == {"mlops.kind": "cell", "mlops.note": f"lr too high?\n{XSS}", XSS: "ana"}
    # stdout inline: 200 of 301 lines, then all of them
    output = detail.locator('.jp-mlops-Output[data-output="stdout"] .jp-mlops-OutputText')
    expect(output).to_contain_text("epoch 199 loss")
    expect(output).not_to_contain_text("epoch 200 loss")
    detail.get_by_role("button", name="Show all (301 lines)").click()
    expect(output).to_contain_text(XSS)
    # the table preview keeps its index as the first column
    table = detail.locator('.jp-mlops-Artifact[data-artifact="by_model.table.json"]')
    expect(table.locator("th.jp-mlops-IndexHeader")).to_have_text("model")
    expect(table.locator("th.jp-mlops-Index")).to_have_text(["rf", "svm"])
    # the recorded environment
    env = detail.locator(".jp-mlops-Environment")
    expect(env).to_contain_text("python")
    expect(env).to_contain_text(re.compile(r"CPython 3\.\d+"))
    detail.locator(".jp-mlops-Notes").scroll_into_view_if_needed()
    screenshot(page, "run-page")
    page.wait_for_timeout(300)  # give an injected onerror handler every chance to fire
    assert page.dialogs == [] and page.locator('img[src="x"]').count() == 0
    assert not page.errors


def test_open_the_notebook_at_the_run_cell(page, lab, page_run):
    detail = open_run(page, page_run, "runpage")
    detail.get_by_role("button", name="Open notebook at this cell").click()
    active = page.locator(".jp-NotebookPanel .jp-Cell.jp-mod-active")
    expect(active).to_contain_text("print(lr * 2)", timeout=30_000)
    expect(page.locator(".jp-NotebookPanel .jp-Cell").first).not_to_have_class(
        re.compile("jp-mod-active")
    )
    screenshot(page, "run-page-open-cell")
    assert not page.errors


def test_duration_ticks_while_running_and_stops_when_finished(page, lab):
    import mlops_jupyter as mj

    run = mj.start_run(name="ticking", experiment="runpage-live", store=lab.store_url)
    try:
        detail = open_run(page, run.run_id, "runpage-live")
        duration = detail.locator(".jp-mlops-Overview tr", has_text="duration").locator("td")
        expect(duration).to_have_text(re.compile(r"^\d+ s$"))
        first = duration.inner_text()
        expect(duration).not_to_have_text(first, timeout=5_000)  # it counts up on its own
    finally:
        run.end()
    expect(detail.locator(".jp-mlops-StatusBadge")).to_contain_text("finished", timeout=20_000)
    ended = duration.inner_text()
    time.sleep(2.2)
    assert duration.inner_text() == ended  # stopped: the recorded duration
    assert not page.errors


def test_run_page_text_meets_contrast_in_the_dark_theme(page, lab, page_run):
    import mlops_jupyter as mj
    from tests.browser.test_panel_daily import contrast

    mj.open_store(lab.store_url).set_tags(page_run, {"mlops.note": "compare with lr=0.01"})

    def theme(name: str) -> None:
        page.locator(".lm-MenuBar-item", has_text="Settings").click()
        page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
        page.locator(".lm-Menu-itemLabel", has_text=name).first.click()

    detail = open_run(page, page_run, "runpage")
    theme("JupyterLab Dark")
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false", timeout=15_000)
    try:
        expect(detail.locator(".jp-mlops-Note")).to_be_visible()
        system = detail.locator("details.jp-mlops-SystemTags")
        system.locator("summary").click()
        measured = {
            "note": contrast(detail.locator(".jp-mlops-Note")),
            "tag key": contrast(detail.locator(".jp-mlops-UserTags th").first),
            "tag value": contrast(detail.locator(".jp-mlops-TagText").first),
            "system group": contrast(system.locator("summary")),
            "stdout": contrast(detail.locator(".jp-mlops-OutputText").first),
            "table index": contrast(detail.locator("th.jp-mlops-Index").first),
        }
        screenshot(page, "run-page-dark")
        low = {k: round(v, 2) for k, v in measured.items() if v < 4.5}
        assert not low, f"below WCAG AA 4.5:1 in the dark theme: {low} (all: {measured})"
    finally:
        theme("JupyterLab Light")
        expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "true")
