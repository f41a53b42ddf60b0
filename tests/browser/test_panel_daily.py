"""The Runs panel for daily use, in a real JupyterLab + headless chromium: readable at the default
sidebar width, a filter box that helps, state that survives a reload, keyboard range selection."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.browser_support import screenshot

PANEL = "#mlops-jupyter-runs"
ROWS = f"{PANEL} .jp-mlops-RunRow[data-run-id]"


@pytest.fixture(scope="module")
def sgd_runs(lab) -> list[str]:
    """Three runs sharing a name, differing only in learning_rate (as a user's reruns do)."""
    import mlops_jupyter as mj

    ids = []
    for lr, acc in ((0.1, 0.958), (0.01, 0.912), (0.3, 0.874)):
        with mj.start_run(name="sgd-classifier", experiment="sgd", store=lab.store_url) as run:
            run.log_params({"learning_rate": lr, "alpha": 0.0001, "epochs": 5})
            run.log_metric("test_accuracy", acc)
            run.log_metric("test_loss", 1 - acc)
            ids.append(run.run_id)
    return ids


def open_panel(page):
    page.locator('.jp-SideBar.jp-mod-left li[data-id="mlops-jupyter-runs"]').click()
    expect(page.locator(PANEL)).to_be_visible()
    expect(page.locator(ROWS).first).to_be_visible(timeout=20_000)


def pick_experiment(page, name):
    page.locator(f'{PANEL} select[aria-label="experiment"]').select_option(name)


def test_at_sidebar_width_same_named_runs_read_differently(page, lab, sgd_runs):
    open_panel(page)
    pick_experiment(page, "sgd")
    expect(page.locator(ROWS)).to_have_count(3)
    panel_box = page.locator(PANEL).bounding_box()
    assert panel_box["width"] < 320, panel_box  # the default sidebar width, not widened
    names = page.locator(f'{ROWS} [data-column="name"]')
    texts = names.all_inner_texts()
    assert len(set(texts)) == 3, texts
    assert any("lr=0.1 · acc 0.958" in t for t in texts), texts
    # the varying param and the headline metric are inside the visible part of the panel
    summary = page.locator(f'{ROWS}[data-run-id="{sgd_runs[0]}"] .jp-mlops-RunSummary')
    box = summary.bounding_box()
    assert box["x"] + 60 < panel_box["x"] + panel_box["width"], (box, panel_box)
    x_before = names.first.bounding_box()["x"]
    screenshot(page, "panel-narrow")
    # scrolling sideways keeps status and name where they are (pinned)
    page.locator(f"{PANEL} .jp-mlops-RunsTable").evaluate("el => { el.scrollLeft = 400; }")
    page.wait_for_timeout(200)
    assert abs(names.first.bounding_box()["x"] - x_before) < 1
    expect(
        page.locator(f'{ROWS}[data-run-id="{sgd_runs[0]}"] .jp-mlops-StatusBadge')
    ).to_be_visible()
    # full header text on hover, and a visible sort indicator
    head = f"{PANEL} .jp-mlops-RunsHeader"
    header = page.locator(f'{head} [data-column="metrics.test_accuracy"]')
    assert "metric test_accuracy" in header.get_attribute("title")
    # bring the header out from under the pinned columns, as a user scrolling right does
    header.evaluate(
        "el => { const t = el.closest('.jp-mlops-RunsTable'); t.scrollLeft = el.offsetLeft - 230; }"
    )
    header.dispatch_event("click")  # (Playwright's own scrolling ignores the pinned columns)
    indicator = header.locator(".jp-mlops-SortIndicator")
    expect(indicator).to_be_visible()
    ibox, hbox = indicator.bounding_box(), header.bounding_box()
    assert ibox["x"] + ibox["width"] <= hbox["x"] + hbox["width"] + 0.5
    expect(names.first).to_contain_text("acc 0.958")
    assert not page.errors


def test_filter_typo_gets_the_suggestion_and_keeps_the_rows(page, lab, sgd_runs):
    open_panel(page)
    pick_experiment(page, "sgd")
    expect(page.locator(ROWS)).to_have_count(3)
    box = page.locator(f"{PANEL} .jp-mlops-FilterBox")
    box.fill("")
    box.type("metrics.test_a")
    options = page.locator(f"{PANEL} .jp-mlops-Suggestions [role=option]")
    expect(options.first).to_have_text("metrics.test_accuracy")
    box.press("Tab")
    expect(box).to_have_value("metrics.test_accuracy")
    box.fill("metrics.test_acuracy > 0.9")
    box.press("Escape")
    box.press("Enter")
    error = page.locator(f"{PANEL} .jp-mlops-FilterError")
    expect(error).to_contain_text("unknown metric 'test_acuracy'; did you mean 'test_accuracy'?")
    expect(error).to_contain_text("Showing the last results")
    expect(page.locator(ROWS)).to_have_count(3)
    expect(page.locator(f"{PANEL} .jp-mlops-count")).to_have_text("3 runs")
    screenshot(page, "panel-filter-typo")
    # MLflow's syntax works, and the clear button brings every run back
    box.fill("params.learning_rate = 0.1 AND name LIKE 'sgd%'")
    box.press("Escape")
    box.press("Enter")
    expect(page.locator(ROWS)).to_have_count(1)
    page.locator(f'{PANEL} button[aria-label="clear the filter"]').click()
    expect(page.locator(ROWS)).to_have_count(3)
    expect(error).to_have_count(0)


def test_chosen_columns_survive_a_reload(page, lab, sgd_runs):
    open_panel(page)
    pick_experiment(page, "sgd")
    page.locator(f"{PANEL} button", has_text="Columns").click()
    picker = page.locator(f"{PANEL} .jp-mlops-ColumnPicker")
    picker.locator('[data-column="experiment"] input').uncheck()
    picker.locator('[data-column="params.epochs"] input').check()
    picker.locator("button", has_text="Done").click()
    header = page.locator(f"{PANEL} .jp-mlops-RunsHeader")
    expect(header.locator('[data-column="experiment"]')).to_have_count(0)
    expect(header.locator('[data-column="params.epochs"]')).to_be_visible()
    page.wait_for_timeout(1500)  # the state database is written to the workspace
    page.goto(lab.url("lab"), wait_until="domcontentloaded")
    page.wait_for_selector("#jp-left-stack", state="attached", timeout=60_000)
    if not page.locator(PANEL).is_visible():
        open_panel(page)
    expect(page.locator(ROWS)).to_have_count(3, timeout=20_000)  # the experiment pick, restored
    expect(header.locator('[data-column="params.epochs"]')).to_be_visible()
    expect(header.locator('[data-column="experiment"]')).to_have_count(0)
    expect(page.locator(f'{PANEL} select[aria-label="experiment"]')).to_have_value("sgd")


def test_keyboard_range_selection(page, lab, sgd_runs):
    open_panel(page)
    pick_experiment(page, "sgd")
    expect(page.locator(ROWS)).to_have_count(3)
    rows = page.locator(ROWS)
    rows.first.locator('input[type="checkbox"]').check()
    rows.first.focus()
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")
    expect(page.locator(f"{PANEL} .jp-mlops-count")).to_have_text("3 runs · 3 selected")
    expect(rows.nth(2)).to_be_focused()
    # shift-click range select from the header's select-all state
    page.locator(f'{PANEL} input[aria-label="select all listed runs"]').uncheck()
    expect(page.locator(f"{PANEL} .jp-mlops-count")).to_have_text("3 runs")
    rows.first.locator('input[type="checkbox"]').check()
    rows.nth(2).click(modifiers=["Shift"])
    expect(page.locator(f"{PANEL} .jp-mlops-count")).to_have_text("3 runs · 3 selected")
    assert page.evaluate("() => String(window.getSelection())") == ""
    screenshot(page, "panel-selection")


def test_a_2x2_sweep_is_one_row_that_expands_to_4(page, lab, sgd_runs):
    import mlops_jupyter as mj

    store = mj.open_store(lab.store_url)
    parent = store.create_run(name="sweep-train", experiment="sweeps")
    for i, (lr, alpha) in enumerate([(0.01, 1e-4), (0.01, 1e-2), (0.1, 1e-4), (0.1, 1e-2)]):
        point = store.create_run(
            name=f"train[{i}]",
            experiment="sweeps",
            parent_run_id=parent,
            params={"learning_rate": lr, "alpha": alpha},
        )
        store.end_run(point, "finished")
    store.end_run(parent, "finished")
    open_panel(page)
    pick_experiment(page, "sweeps")
    expect(page.locator(ROWS)).to_have_count(1)
    expander = page.locator(f'{PANEL} button[aria-label="expand 4 child runs"]')
    expect(expander).to_be_visible()
    expander.click()
    expect(page.locator(ROWS)).to_have_count(5)
    expect(page.locator(f"{ROWS} .jp-mlops-RunName").nth(1)).to_have_text("train[0]")
    screenshot(page, "panel-sweep-expanded")
    # the sweep's run page lists its points, with links
    page.locator(f'{ROWS}[data-run-id="{parent}"] .jp-mlops-RunName').click()
    detail = page.locator(f'.jp-mlops-RunDetail[data-run-id="{parent}"]')
    expect(detail.locator(".jp-mlops-PointsTable tbody tr")).to_have_count(4, timeout=15_000)
    expect(detail.locator("button", has_text="Compare all points")).to_be_enabled()
    screenshot(page, "sweep-page")
    assert not page.errors


def select_and_compare(page, run_ids):
    for run_id in run_ids:
        page.locator(f'{ROWS}[data-run-id="{run_id}"] input[type="checkbox"]').check()
    page.locator(f"{PANEL} button", has_text="Compare").click()
    view = page.locator(".jp-mlops-CompareView")
    expect(view.locator("h2")).to_have_text(f"Compare {len(run_ids)} runs", timeout=15_000)
    return view


def test_compare_3_runs_parallel_coordinates_scatter_importance(page, lab, sgd_runs):
    open_panel(page)
    pick_experiment(page, "sgd")
    expect(page.locator(ROWS)).to_have_count(3)
    view = select_and_compare(page, sgd_runs)
    # metric rows mark the best value; legends name each run with its id and differing param
    best = view.locator('tr[data-metric="test_accuracy"] td.jp-mlops-best')
    expect(best).to_have_text("0.958")
    expect(view.locator('tr[data-metric="test_loss"] td.jp-mlops-best')).to_have_count(1)
    view.locator('[role="tab"]', has_text="Parallel coordinates").click()
    chart = view.locator('[aria-label="parallel coordinates"]')
    expect(chart.locator(".mark-line path")).to_have_count(3, timeout=15_000)
    expect(chart).to_contain_text("params.learning_rate")
    screenshot(page, "compare-parallel")
    view.locator('[role="tab"]', has_text="Scatter").click()
    scatter = view.locator('[aria-label^="scatter of"]')
    expect(scatter.locator(".mark-symbol path")).to_have_count(3, timeout=15_000)
    screenshot(page, "compare-scatter")
    view.locator('[role="tab"]', has_text="Importance").click()
    importance = view.locator('[aria-label^="parameter importance"]')
    expect(importance.locator(".mark-rect path").first).to_be_visible(timeout=15_000)
    assert not page.errors


def test_xss_in_legends_tooltips_and_new_views(page, lab, sgd_runs):
    import mlops_jupyter as mj

    xss = "<img src=x onerror=alert(1)>"
    ids = []
    for lr in (0.5, 0.7):
        with mj.start_run(name=xss, experiment="xss-views", store=lab.store_url) as run:
            run.log_params({"learning_rate": lr, "note": xss})
            for step in range(5):
                run.log_metric("loss", 1 / (step + 1 + lr), step=step)
            run.log_metric("test_accuracy", lr)
            run.set_tags({"mlops.note": xss})
            ids.append(run.run_id)
    open_panel(page)
    pick_experiment(page, "xss-views")
    expect(page.locator(ROWS)).to_have_count(2)
    view = select_and_compare(page, ids)
    chart = view.locator('.jp-mlops-RunChart[data-metric="loss"]')
    expect(chart.locator(".mark-line path")).to_have_count(2, timeout=15_000)
    expect(chart.locator(".role-legend")).to_contain_text(xss)  # SVG text, not markup
    chart.locator(".mark-symbol path").first.hover()
    tooltip = page.locator("#vg-tooltip-element")
    expect(tooltip).to_contain_text(xss, timeout=5_000)
    for tab in ("Parallel coordinates", "Scatter", "Importance"):
        view.locator('[role="tab"]', has_text=tab).click()
        expect(view.locator('[role="tabpanel"] .jp-mlops-VegaView-host svg')).to_be_visible()
    page.wait_for_timeout(500)  # give an injected onerror handler every chance to fire
    assert page.dialogs == [] and page.locator('img[src="x"]').count() == 0
    assert not page.errors


CONTRAST_JS = """el => {
  const parse = s => {
    let m = s.match(/rgba?\\(([^)]+)\\)/);
    if (m) {
      const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    }
    m = s.match(/color\\(srgb ([^)]+)\\)/);
    if (m) {
      const p = m[1].split(/[ \\/]+/).filter(Boolean).map(Number);
      return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
    }
    return null;
  };
  let bg = null;
  for (let node = el; node; node = node.parentElement) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c && c[3] > 0.99) { bg = c; break; }
  }
  const fg = parse(getComputedStyle(el).color);
  const shown = [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
  const lum = c => {
    const lin = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    const [r, g, b] = c.map(lin);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const a = lum(shown), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def contrast(locator) -> float:
    return locator.evaluate(CONTRAST_JS)


def test_dark_theme_contrast_of_selected_rows_and_differences(page, lab, sgd_runs):
    open_panel(page)
    page.locator(".lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Dark").first.click()
    expect(page.locator("body")).to_have_attribute("data-jp-theme-light", "false", timeout=15_000)
    try:
        pick_experiment(page, "sgd")
        expect(page.locator(ROWS)).to_have_count(3)
        view = select_and_compare(page, sgd_runs[:2])
        selected = page.locator(f"{ROWS}.jp-mod-selected").first
        measured = {
            "selected row name": contrast(selected.locator(".jp-mlops-RunName")),
            "selected row summary": contrast(selected.locator(".jp-mlops-RunSummary")),
            "run count": contrast(page.locator(f"{PANEL} .jp-mlops-count")),
            "column header": contrast(
                page.locator(f"{PANEL} .jp-mlops-RunsHeader .jp-mlops-HeaderLabel").first
            ),
        }
        differing = view.locator('tr.jp-mlops-differs[data-param="learning_rate"]')
        measured["differing param name"] = contrast(differing.locator("th"))
        measured["differing param value"] = contrast(differing.locator("td").first)
        measured["best metric"] = contrast(view.locator("td.jp-mlops-best").first)
        screenshot(page, "dark-theme-contrast")
        low = {k: round(v, 2) for k, v in measured.items() if v < 4.5}
        assert not low, f"below WCAG AA 4.5:1 in the dark theme: {low} (all: {measured})"
    finally:
        page.locator(".lm-MenuBar-item", has_text="Settings").click()
        page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
        page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Light").first.click()
