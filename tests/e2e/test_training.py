"""The Train page in Chromium: a run's live chart grows while the page reruns no script; the
chart's settings change the drawing in the browser; the run survives clicks, another page and
a refresh; Stop ends it; the page reruns once when it ends; another browser reads nothing."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from core.engine.looks.figures import fitted_smoothing, smooth
from tests.e2e.helpers import (
    SCREEN_PX,
    browser_window,
    chart_state_js,
    click,
    expect_no_exception,
    fill,
    go_to,
    main_height,
    open_app,
    page_title,
    reload,
    script_runs_finished,
    wait_for_app,
)

pytestmark = pytest.mark.e2e

WAIT_MS = 90_000  # the test machine's cores are shared: be patient, never sleep
CHART = ".st-key-training_live_chart .tl-root"


STATE_JS = chart_state_js("training_live_chart")


# What the chart counts, read off its state: logged rows, and the step of its last probe.
ROWS_JS = "s.payload.runs.reduce((k, r) => k + r.logged, 0)"
PROBE_STEP_JS = "(s.payload.runs[0].inside ? s.payload.runs[0].inside.step.at(-1) : 0)"


def wait_for_more(page, count_js: str, than: int) -> int:
    """Wait until the chart's count (`count_js` of its state `s`) passes `than`; return it."""
    reads = f"() => {{ const s = ({STATE_JS})(); return s ? {count_js} : 0; }}"
    page.wait_for_function(f"n => ({reads})() > n", arg=than, timeout=WAIT_MS)
    return page.evaluate(reads)


def wait_for_more_rows(page, than: int) -> int:
    return wait_for_more(page, ROWS_JS, than)


def wait_for_a_later_probe(page, than: int) -> int:
    return wait_for_more(page, PROBE_STEP_JS, than)


def drawn(page) -> dict:
    """What the chart drew for its run: x values, raw and smoothed losses, the weight used."""
    return page.evaluate(f"() => JSON.parse(JSON.stringify(({STATE_JS})().drawn[0]))")


def test_the_live_chart_grows_with_no_rerun_and_survives_clicks_pages_and_a_refresh(app_url, page):
    open_app(page, app_url)
    go_to(page, "Train")
    expect(page_title(page)).to_contain_text("Train")
    fill(page, page.get_by_role("spinbutton", name="Training images (0 = all 60,000)"), "20000")
    page.get_by_role("tab", name="Optimizer and batches").click()  # these tabs: browser only
    fill(page, page.get_by_role("spinbutton", name="Log every N batches"), "2")
    # long enough to be stopped below on any machine (2 epochs ended first on a quiet one)
    fill(page, page.get_by_role("spinbutton", name="Epochs"), "20")

    page.get_by_role("button", name="Start training").click()
    expect(page.locator(f"{CHART} .tl-run[data-status=running]")).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    runs_before = script_runs_finished(page)
    seen = wait_for_more_rows(page, 0)
    seen = wait_for_more_rows(page, seen)
    seen = wait_for_more_rows(page, seen)
    assert script_runs_finished(page) == runs_before, "the page reran while the run trained"
    # The inside panel grows with the run: a later probe, its strips a column longer.
    panel = page.locator(".st-key-training_live_chart .tl-inside")
    strip = panel.locator(".tl-card[data-layer='conv1.relu'] .tl-strip")
    first = wait_for_a_later_probe(page, 0)
    columns = strip.evaluate("canvas => canvas.width")  # a column a probe
    later = wait_for_a_later_probe(page, first)
    assert later > first and script_runs_finished(page) == runs_before
    expect(strip).to_be_visible()
    assert strip.evaluate("canvas => canvas.width") > columns
    expect(panel.get_by_text("units")).not_to_have_count(0)  # the dead-unit sentences

    # The chart's own settings: drawn again in the browser, no rerun.
    chart = page.locator(CHART)
    chart.get_by_label("x-axis").select_option("seconds")
    chart.get_by_label("smoothing").fill("0.9")
    picture = drawn(page)
    weight = fitted_smoothing(0.9, len(picture["raw"]))
    assert picture["weight"] == pytest.approx(weight)
    assert picture["smoothed"] == pytest.approx(smooth(picture["raw"], weight))
    assert picture["x"] == sorted(picture["x"]) and picture["x"][-1] < 1_000  # seconds now
    seen = wait_for_more_rows(page, seen)
    assert script_runs_finished(page) == runs_before

    # Other widgets rerun the page; the run and its curve go on.
    page.get_by_role("tab", name="Data").click()
    click(page, page.get_by_text("the dataset's known mean and std"))
    seen = wait_for_more_rows(page, seen)

    # Another page and back, then a refresh (a new session): the run is found again, and the
    # chart keeps its settings (they live in the browser).
    go_to(page, "Tensors")
    expect(page_title(page)).to_contain_text("Tensors")
    go_to(page, "Train")
    expect(page.locator(f"{CHART} .tl-run[data-status=running]")).to_be_visible(timeout=WAIT_MS)
    seen = wait_for_more_rows(page, 0)
    reload(page)
    expect(page.locator(f"{CHART} .tl-run[data-status=running]")).to_be_visible(timeout=WAIT_MS)
    wait_for_more_rows(page, wait_for_more_rows(page, 0))
    expect(page.locator(CHART).get_by_label("x-axis")).to_have_value("seconds")

    t0 = time.monotonic()
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(f"{CHART} .tl-run[data-status=stopped]")).to_be_visible(timeout=WAIT_MS)
    took = time.monotonic() - t0  # the stop took effect: no batch trains any more
    expect(page.locator(f"{CHART} .tl-run[data-ended=yes]")).to_be_visible(timeout=WAIT_MS)
    wait_for_app(page)
    # The end reran the page once: the Stop button is gone, the run is listed as stopped.
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    # With the run's whole live view, curves and inside panel, the page stays a few screens:
    # 3.9 here; one finished run made it 5.6 before Compare and Look inside became tabs and
    # the curves sat side by side.
    assert main_height(page) <= 4.5 * SCREEN_PX
    print(f"click to 'stopped' on the page: {took:.1f} s")  # benchmarks/live_throughput.py times it
    expect_no_exception(page)


def test_another_browser_cannot_read_the_run_it_is_not_shown(app_url, page, browser):
    open_app(page, app_url, "training?ntrain=20000&epochs=10")  # still training at the Stop
    page.get_by_role("button", name="Start training").click()
    expect(page.locator(f"{CHART} .tl-run[data-status=running]")).to_be_visible(timeout=WAIT_MS)
    data = json.loads(page.evaluate(f"() => JSON.stringify(({STATE_JS})().data)"))
    url = f"{app_url}{data['url']}?runs={data['ids'][0]}&token={data['token']}"
    assert page.request.get(url).status == 200  # this browser: its own token reads the run
    with browser_window(browser) as other:
        other.goto(app_url)
        assert other.request.get(url).status == 404  # the same URL from another browser
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(f"{CHART} .tl-run[data-status=stopped]")).to_be_visible(timeout=WAIT_MS)
