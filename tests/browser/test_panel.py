"""The Runs panel in a real JupyterLab + headless chromium: list, filter, detail, compare, XSS."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.browser_support import XSS, screenshot

PANEL = "#mlops-jupyter-runs"
ROWS = f"{PANEL} .jp-mlops-RunRow[data-run-id]"


def open_panel(page):
    page.locator('.jp-SideBar.jp-mod-left li[data-id="mlops-jupyter-runs"]').click()
    expect(page.locator(PANEL)).to_be_visible()
    expect(page.locator(ROWS).first).to_be_visible(timeout=20_000)


@pytest.fixture
def keep_runs(lab):
    """Delete the runs a test's actions add, so every test sees the fixture's five runs."""
    import mlops_jupyter as mj

    store = mj.open_store(lab.store_url)
    before = {r.run_id for r in store.search_runs()}
    yield
    for run in store.search_runs():
        if run.run_id not in before:
            store.delete_run(run.run_id)


def widen_sidebar(page, x):
    """Drag the left sidebar's splitter handle to x pixels, so every column shows."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(x, box["y"] + 200, steps=5)
    page.mouse.up()


def apply_filter(page, text):
    box = page.locator(f"{PANEL} .jp-mlops-FilterBox")
    box.fill(text)
    box.press("Enter")


def test_panel_lists_runs(page, lab):
    open_panel(page)
    expect(page.locator(ROWS)).to_have_count(5)
    expect(page.locator(f"{PANEL} .jp-mlops-count")).to_have_text("5 runs")
    names = page.locator(f"{ROWS} .jp-mlops-RunName").all_inner_texts()
    assert set(names) == {"train-rf-0", "train-svm-1", "train-rf-2", "train-svm-3", XSS}
    # chosen param + metric columns are present, and sorting by a metric works
    header = page.locator(f'{PANEL} .jp-mlops-RunsHeader [data-column="metrics.loss"]')
    expect(header).to_be_visible()
    names = page.locator(f"{ROWS} .jp-mlops-RunName")
    # (dispatched: at sidebar width the header sits under the pinned columns)
    header.dispatch_event("click")  # loss DESC, runs without loss last
    expect(names.first).to_have_text("train-svm-1")
    expect(names.last).to_have_text(XSS)
    header.dispatch_event("click")  # loss ASC
    expect(names.first).to_have_text("train-rf-0")
    widen_sidebar(page, 1060)
    page.locator(f"{PANEL} .jp-mlops-RunsTable").evaluate("el => { el.scrollLeft = 0; }")
    screenshot(page, "panel")
    assert not page.errors


def test_filter_and_bad_filter_message(page, lab):
    open_panel(page)
    apply_filter(page, "params.model == 'rf' and metrics.val_acc > 0.1")
    expect(page.locator(ROWS)).to_have_count(2)
    assert set(page.locator(f"{ROWS} .jp-mlops-RunName").all_inner_texts()) == {
        "train-rf-0",
        "train-rf-2",
    }
    apply_filter(page, "metrics.loss >>> 2")
    expect(page.locator(f"{PANEL} .jp-mlops-FilterError")).to_contain_text("bad filter")
    apply_filter(page, "")
    expect(page.locator(ROWS)).to_have_count(5)


def test_run_detail_shows_chart_figure_table_provenance(page, lab):
    open_panel(page)
    page.locator(f'{ROWS}[data-run-id="{lab.ids["train-svm-1"]}"] [data-column="name"]').click()
    detail = page.locator(f'.jp-mlops-RunDetail[data-run-id="{lab.ids["train-svm-1"]}"]')
    expect(detail).to_be_visible(timeout=15_000)
    expect(detail.locator(".jp-mlops-RunDetail-name")).to_have_text("train-svm-1")
    chart = detail.locator('.jp-mlops-RunChart[data-metric="loss"] .mark-line path')
    expect(chart).to_have_count(1, timeout=15_000)
    assert len(chart.get_attribute("d")) > 100  # 30 points drawn (Vega-Lite, SVG)
    figure = detail.locator(
        '.jp-mlops-Artifact[data-artifact="learning_curve.png"] img.jp-mlops-Figure'
    )
    expect(figure).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 50", arg=figure.element_handle()
    )
    expect(
        detail.locator('.jp-mlops-Artifact[data-artifact="predictions.table.json"] table')
    ).to_contain_text("pred")
    expect(detail.locator(".jp-mlops-Params")).to_contain_text("0.01")
    expect(detail.locator(".jp-mlops-Provenance")).to_contain_text("packages")
    expect(detail.locator(".jp-mlops-Environment")).to_contain_text("CPython")  # python, host
    expect(detail.locator(".jp-mlops-HiddenState")).to_contain_text("edited since it ran")
    expect(detail.locator(".jp-mlops-CellSource")).to_contain_text("model.fit(X, y)")
    # action buttons exist only for the APIs this installation has (never faked)
    caps = lab.api("capabilities")["actions"]
    assert (detail.locator("button", has_text="Re-run with parameters").count() == 1) == caps[
        "rerun"
    ]
    assert (detail.locator("button", has_text="Reproduce").count() == 1) == caps["reproduce"]
    screenshot(page, "detail")
    assert not page.errors


def test_select_two_and_compare(page, lab):
    open_panel(page)
    for name in ("train-rf-0", "train-svm-3"):
        page.locator(f'{ROWS}[data-run-id="{lab.ids[name]}"] input[type="checkbox"]').check()
    expect(page.locator(f"{PANEL} .jp-mlops-count")).to_contain_text("2 selected")
    page.locator(f"{PANEL} button", has_text="Compare").click()
    view = page.locator(".jp-mlops-CompareView")
    expect(view.locator("h2")).to_have_text("Compare 2 runs", timeout=15_000)
    expect(view.locator('tr.jp-mlops-differs[data-param="lr"]')).to_be_visible()
    expect(view.locator('tr[data-param="epochs"]')).not_to_have_class(
        re.compile("jp-mlops-differs")
    )
    expect(view.locator('.jp-mlops-RunChart[data-metric="val_acc"] .mark-line path')).to_have_count(
        2
    )
    expect(view.locator(".jp-mlops-FigureCell img.jp-mlops-Figure")).to_have_count(2)
    view.locator("img.jp-mlops-Figure").last.scroll_into_view_if_needed()
    view.locator("h2").scroll_into_view_if_needed()
    screenshot(page, "compare")


def test_xss_run_is_text_and_no_script_runs(page, lab):
    open_panel(page)
    row = page.locator(f'{ROWS}[data-run-id="{lab.ids["xss"]}"]')
    expect(row.locator(".jp-mlops-RunName")).to_have_text(XSS)
    assert row.locator("img").count() == 0
    row.locator('[data-column="name"]').click()
    detail = page.locator(f'.jp-mlops-RunDetail[data-run-id="{lab.ids["xss"]}"]')
    expect(detail.locator(".jp-mlops-RunDetail-name")).to_have_text(XSS)
    expect(detail.locator(".jp-mlops-Params")).to_contain_text(XSS)
    expect(detail.locator(".jp-mlops-Metrics")).to_contain_text(XSS)  # metric key
    expect(detail.locator(".jp-mlops-RunChart-title").first).to_have_text(XSS)
    tags = detail.locator(".jp-mlops-UserTags")  # the run page's tag editor (run-tags-editor.tsx)
    expect(tags.locator(f'tr[data-tag="{XSS}"] th')).to_have_text(XSS)  # tag key
    expect(tags.locator('tr[data-tag="note"] .jp-mlops-TagText')).to_have_text(XSS)
    assert detail.locator('img[src="x"]').count() == 0
    assert page.locator('img[src="x"]').count() == 0
    # compare renders the same values in table headers and cells
    page.locator(f'{ROWS}[data-run-id="{lab.ids["xss"]}"] input[type="checkbox"]').check()
    page.locator(f'{ROWS}[data-run-id="{lab.ids["train-rf-0"]}"] input[type="checkbox"]').check()
    page.locator(f"{PANEL} button", has_text="Compare").click()
    expect(page.locator('.jp-mlops-CompareView tr[data-param="payload"]')).to_contain_text(XSS)
    time.sleep(0.5)  # give an injected onerror handler every chance to fire
    assert page.dialogs == [] and page.locator('img[src="x"]').count() == 0


def test_live_update_shows_new_running_run(page, lab, keep_runs):
    import mlops_jupyter as mj

    open_panel(page)
    expect(page.locator(ROWS)).to_have_count(5)
    run = mj.start_run(name="live-run", experiment="iris", store=lab.store_url)
    try:
        row = page.locator(f'{ROWS}[data-run-id="{run.run_id}"]')
        expect(row).to_be_visible(timeout=10_000)  # polling interval is 2.5 s
        expect(row.locator(".jp-mlops-StatusBadge")).to_have_text("running")
    finally:
        run.end()
    expect(row.locator(".jp-mlops-StatusBadge")).to_have_text("finished", timeout=10_000)


def test_server_half_missing_explains_how_to_enable(page, lab):
    page.route(
        "**/mlops-jupyter/capabilities*", lambda route: route.fulfill(status=404, body="Not Found")
    )
    page.reload(wait_until="domcontentloaded")
    page.locator('.jp-SideBar.jp-mod-left li[data-id="mlops-jupyter-runs"]').click()
    missing = page.locator(f"{PANEL} .jp-mlops-ServerMissing")
    expect(missing).to_contain_text("jupyter server extension enable mlops_jupyter", timeout=20_000)


def test_export_notebook_as_script_from_toolbar(page, lab):
    page.goto(lab.url("lab/tree/train.ipynb?reset"), wait_until="domcontentloaded")
    button = page.locator(".jp-mlops-ExportScriptButton").first
    expect(button).to_be_visible(timeout=30_000)
    button.click()
    expect(
        page.locator(".jp-Notification-Toast-success, .Toastify__toast--success")
    ).to_contain_text("train.py", timeout=30_000)
    assert (lab.root / "train.py").exists()


def test_rerun_with_changed_parameter(page, lab, keep_runs):
    open_panel(page)
    page.locator(f'{ROWS}[data-run-id="{lab.ids["train-rf-0"]}"] [data-column="name"]').click()
    detail = page.locator(f'.jp-mlops-RunDetail[data-run-id="{lab.ids["train-rf-0"]}"]')
    detail.locator("button", has_text="Re-run with parameters").click()
    detail.locator('.jp-mlops-RerunForm input[name="lr"]').fill("0.7")
    detail.locator(".jp-mlops-RerunForm button[type=submit]").click()
    expect(detail.locator(".jp-mlops-Job")).to_contain_text("finished", timeout=120_000)
    apply_filter(page, "params.lr == 0.7")
    expect(page.locator(ROWS)).to_have_count(1, timeout=15_000)


def test_dark_theme_uses_jupyterlab_variables(page, lab):
    open_panel(page)
    row = page.locator(f'{ROWS} [data-column="name"]').first
    light = row.evaluate("el => getComputedStyle(el).color")
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Dark").first.click()
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false", timeout=15_000)
    try:
        expect(row).not_to_have_css("color", light)
        background = page.locator(f"{PANEL}").evaluate("el => getComputedStyle(el).backgroundColor")
        assert (
            sum(int(x) for x in background[background.index("(") + 1 : -1].split(",")[:3]) < 200
        ), background
        expect(page.locator("#jupyterlab-splash")).to_have_count(0, timeout=15_000)
        screenshot(page, "panel-dark")
    finally:  # the theme is a user setting of this server: put it back for the other tests
        page.locator(".lm-MenuBar-item", has_text="Settings").click()
        page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
        page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Light").first.click()
        expect(page.locator("body")).to_have_attribute(
            "data-jp-theme-light", "true", timeout=15_000
        )


def test_reproduce_run_from_detail(page, lab, keep_runs):
    from mlops_jupyter.execution import run_notebook

    record = run_notebook(
        lab.root / "train.ipynb",
        {"lr": 0.25},
        store=lab.store_url,
        cwd=lab.root,
        name="to-reproduce",
    )
    open_panel(page)
    page.locator(f'{ROWS}[data-run-id="{record.run_id}"] [data-column="name"]').click()
    detail = page.locator(f'.jp-mlops-RunDetail[data-run-id="{record.run_id}"]')
    detail.locator("button", has_text="Reproduce").click()
    expect(detail.locator(".jp-mlops-Job")).to_contain_text("finished", timeout=120_000)
    expect(detail.locator(".jp-mlops-Job")).to_contain_text("reproduced")
    # the executed notebook stored with the run opens as a notebook tab
    executed = detail.locator('.jp-mlops-Artifact[data-artifact="executed.ipynb"]')
    executed.locator("button", has_text="Open notebook").click()
    expect(page.locator(".jp-NotebookPanel .jp-Cell").first).to_be_visible(timeout=30_000)
    assert list((lab.root / "mlops-runs").glob("executed-*.ipynb"))


def test_convert_notebook_to_pipeline_from_toolbar(page, lab):
    page.goto(lab.url("lab/tree/train.ipynb?reset"), wait_until="domcontentloaded")
    button = page.locator(".jp-mlops-ConvertButton").first
    expect(button).to_be_visible(timeout=30_000)
    button.click()
    # a background job: its line in the Runs panel ends with a link to the folder written
    line = page.locator(f"{PANEL} .jp-mlops-BoardJobs .jp-mlops-Job")
    expect(line).to_contain_text("convert: finished", timeout=120_000)
    expect(line).to_contain_text("converted into train_pipeline")
    line.locator("button", has_text="open train_pipeline").click()
    expect(page.locator(".jp-FileBrowser-crumbs")).to_contain_text("train_pipeline")
    assert (lab.root / "train_pipeline").is_dir()


def test_columns_tag_and_delete_from_the_list(page, lab, keep_runs):
    import mlops_jupyter as mj

    with mj.start_run(name="doomed", experiment="iris", store=lab.store_url) as run:
        run.log_params({"extra_param": 42})
    open_panel(page)
    row = page.locator(f'{ROWS}[data-run-id="{run.run_id}"]')
    expect(row).to_be_visible(timeout=10_000)
    # choose a column
    page.locator(f"{PANEL} button", has_text="Columns").click()
    page.locator(f"{PANEL} .jp-mlops-ColumnPicker-item", has_text="extra_param").locator(
        "input"
    ).check()
    expect(row.locator('[data-column="params.extra_param"]')).to_have_text("42")
    page.locator(f"{PANEL} .jp-mlops-ColumnPicker button", has_text="Done").click()
    # tag the selection
    row.locator('input[type="checkbox"]').check()
    page.locator(f"{PANEL} button", has_text="Tag").click()
    page.locator(".jp-Dialog input").fill("stage=candidate")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    store = mj.open_store(lab.store_url)
    deadline = time.monotonic() + 10
    while (
        store.get_run(run.run_id).tags.get("stage") != "candidate" and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert store.get_run(run.run_id).tags["stage"] == "candidate"
    # delete it after confirming
    page.locator(PANEL).get_by_role("button", name="Delete", exact=True).click()
    page.locator(".jp-Dialog .jp-mod-warn").click()
    expect(row).to_have_count(0, timeout=10_000)
    assert run.run_id not in {r.run_id for r in store.search_runs()}


def test_differences_tab_lists_what_differs_between_two_runs(page, lab):
    open_panel(page)
    for name in ("train-rf-0", "train-svm-3"):
        page.locator(f'{ROWS}[data-run-id="{lab.ids[name]}"] input[type="checkbox"]').check()
    page.locator(f"{PANEL} button", has_text="Compare").click()
    view = page.locator(".jp-mlops-CompareView")
    view.locator('button[role="tab"]', has_text="Differences").click()
    table = view.locator(".jp-mlops-DifferencesView")
    expect(table.locator('tr[data-kind="param"][data-key="lr"]')).to_be_visible(timeout=15_000)
    expect(table.locator('tr[data-kind="metric"]').first).to_contain_text("Δ")
    screenshot(page, "differences")
    view.locator('button[role="tab"]', has_text="Side by side").click()
    expect(view.locator('tr.jp-mlops-differs[data-param="lr"]')).to_be_visible()
