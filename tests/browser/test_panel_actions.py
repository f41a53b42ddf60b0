"""Actions close the loop, in a real JupyterLab + headless chromium: a finished re-run's job line
links the new run and a compare with the original; the Sweep form next to Re-run counts its grid,
names a bad value and runs the sweep with its points counted; saved views survive a reload."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.browser.browser_support import screenshot
from tests.browser.test_panel import PANEL, ROWS, apply_filter, keep_runs, open_panel

__all__ = ["keep_runs"]  # the fixture, used by the tests below


def open_run(page, run_id):
    open_panel(page)
    page.locator(f'{ROWS}[data-run-id="{run_id}"] [data-column="name"]').click()
    return page.locator(f'.jp-mlops-RunDetail[data-run-id="{run_id}"]')


def test_a_finished_rerun_links_the_new_run_and_a_compare(page, lab, keep_runs):
    original = lab.ids["train-rf-0"]
    detail = open_run(page, original)
    detail.locator("button", has_text="Re-run with parameters").click()
    detail.locator('.jp-mlops-RerunForm input[name="lr"]').fill("0.6")
    detail.locator(".jp-mlops-RerunForm button[type=submit]").click()
    line = detail.locator(".jp-mlops-Job")
    expect(line).to_contain_text("finished", timeout=120_000)
    opened = line.locator(".jp-mlops-Job-openRun")
    new_id_prefix = opened.inner_text().removeprefix("open run ")
    assert len(new_id_prefix) == 8 and not original.startswith(new_id_prefix)
    opened.click()
    new_detail = page.locator(f'.jp-mlops-RunDetail[data-run-id^="{new_id_prefix}"]')
    expect(new_detail).to_be_visible(timeout=20_000)
    expect(new_detail).to_contain_text("0.6")
    # back on the original's tab (its row again), the same line compares the two
    page.locator(f'{ROWS}[data-run-id="{original}"] [data-column="name"]').click()
    line.locator("button", has_text="compare with the original").click()
    compare = page.locator(".jp-mlops-CompareView").last
    expect(compare).to_be_visible(timeout=20_000)
    expect(compare).to_contain_text(original[:8])
    expect(compare).to_contain_text(new_id_prefix)


def test_sweep_form_counts_points_names_bad_values_and_runs_the_grid(page, lab, keep_runs):
    detail = open_run(page, lab.ids["train-rf-0"])
    detail.locator("button", has_text="Sweep").click()
    form = detail.locator(".jp-mlops-SweepForm")
    expect(form).to_contain_text("1 point")
    form.locator('input[name="lr"]').fill("0.2, fast")
    expect(form.locator(".jp-mlops-SweepForm-error")).to_have_text(
        'lr: "fast" is not a number (lr is a float)'
    )
    expect(form.locator("button", has_text="Start sweep")).to_be_disabled()
    form.locator('input[name="lr"]').fill("0.2, 0.4")
    expect(form).to_contain_text("2 points")
    screenshot(page, "sweep-form")
    form.locator("button", has_text="Start sweep").click()
    line = detail.locator(".jp-mlops-Job")
    seen = []  # the line's texts while the sweep runs: its points are counted
    deadline = time.monotonic() + 180
    while "finished" not in (seen[-1] if seen else "") and time.monotonic() < deadline:
        if line.count():
            seen.append(line.inner_text())
        page.wait_for_timeout(100)
    # warm kernels may run both points between two polls (1 s): then there is no running state
    # to show; whenever one was shown, it counted the points (tests/server checks every report)
    if any("sweep: running" in t for t in seen):
        assert any(" of 2 done" in t for t in seen if "sweep: running" in t), seen
    expect(line).to_contain_text("finished")
    expect(line).to_contain_text("2 points, 0 failed")
    line.locator(".jp-mlops-Job-openRun").click()
    sweep = page.locator(".jp-mlops-RunDetail").last
    expect(sweep.locator(".jp-mlops-PointsTable")).to_contain_text("0.4", timeout=20_000)


def test_saved_views_survive_a_reload(page, lab):
    open_panel(page)
    apply_filter(page, "params.lr > 0.05")
    expect(page.locator(ROWS)).to_have_count(2, timeout=15_000)
    page.locator(f"{PANEL} button", has_text="Save view").click()
    page.locator(".jp-Dialog input").fill("fast learners")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    expect(page.locator(f'{PANEL} select[aria-label="Saved views"]')).to_contain_text(
        "fast learners"
    )
    apply_filter(page, "")
    page.wait_for_timeout(1500)  # the state database is written to the workspace
    page.goto(lab.url("lab"), wait_until="domcontentloaded")  # a reload (no ?reset)
    page.wait_for_selector("#jp-left-stack", state="attached", timeout=60_000)
    if not page.locator(PANEL).is_visible():
        open_panel(page)
    expect(page.locator(ROWS).first).to_be_visible(timeout=20_000)
    views = page.locator(f'{PANEL} select[aria-label="Saved views"]')
    views.select_option("fast learners")
    expect(page.locator(f"{PANEL} .jp-mlops-FilterBox")).to_have_value("params.lr > 0.05")
    expect(page.locator(ROWS)).to_have_count(2, timeout=15_000)
    page.locator(f"{PANEL} button", has_text="Delete view").click()
    expect(views.locator("option")).to_have_count(1)  # only the placeholder is left
