"""The Train page in Chromium: a run keeps training (and its curve keeps growing) while the
learner clicks other widgets, visits another page and refreshes; then it stops on request."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    click,
    expect_no_exception,
    fill,
    go_to,
    open_app,
    page_title,
    reload,
)

pytestmark = pytest.mark.e2e

WAIT_MS = 90_000  # the test machine's cores are shared: be patient, never sleep
# Points on the first trace of the first Plotly chart (the training loss); the page sends
# NumPy arrays, which plotly.js keeps decoded beside the binary spec it was given.
POINTS_JS = """() => {
    const plot = document.querySelector('.js-plotly-plot');
    if (!plot || !plot.data || !plot.data.length) return 0;
    const x = plot.data[0].x;
    return (x && (x.length !== undefined ? x.length : (x._inputArray || []).length)) || 0;
}"""


def points(page) -> int:
    return page.evaluate(POINTS_JS)


def wait_for_more_points(page, than: int) -> int:
    page.wait_for_function(f"() => ({POINTS_JS})() > {than}", timeout=WAIT_MS)
    return points(page)


def test_a_run_survives_clicks_page_switches_and_a_refresh_then_stops(app_url, page):
    open_app(page, app_url)
    go_to(page, "Train")
    expect(page_title(page)).to_contain_text("Train")

    fill(page, page.get_by_role("spinbutton", name="Training images (0 = all 60,000)"), "20000")
    page.get_by_role("tab", name="Optimizer and batches").click()  # these tabs: browser only
    fill(page, page.get_by_role("spinbutton", name="Log every N batches"), "2")

    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("running · seed 0")).to_be_visible(timeout=WAIT_MS)
    seen = wait_for_more_points(page, 1)

    # Other widgets rerun the page; the run and its curve go on.
    page.get_by_role("tab", name="Model").click()
    click(page, page.get_by_text("log scale").first)
    seen = wait_for_more_points(page, seen)
    page.get_by_role("tab", name="Data").click()
    click(page, page.get_by_text("the dataset's known mean and std"))
    seen = wait_for_more_points(page, seen)

    # Another page and back: the Train page re-attaches to the same run.
    go_to(page, "Tensors")
    expect(page_title(page)).to_contain_text("Tensors")
    go_to(page, "Train")
    expect(page.get_by_text("running · seed 0")).to_be_visible(timeout=WAIT_MS)
    seen = wait_for_more_points(page, seen)

    # A refresh is a new session: the URL carries the run, so the page finds it again.
    reload(page)
    expect(page.get_by_text("running · seed 0")).to_be_visible(timeout=WAIT_MS)
    wait_for_more_points(page, 1)

    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("stopped · seed 0")).to_be_visible(timeout=WAIT_MS)

    # A second Start shows the new run and keeps showing it: the "Show this run above"
    # picker in the browser used to keep the first run and re-attach it on the next poll.
    page.get_by_role("tab", name="Optimizer and batches").click()
    fill(page, page.get_by_role("spinbutton", name="Seed"), "1")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("running · seed 1")).to_be_visible(timeout=WAIT_MS)
    wait_for_more_points(page, 1)  # several polls later, still the new run
    expect(page.get_by_text("running · seed 1")).to_be_visible()
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_text("stopped · seed 1")).to_be_visible(timeout=WAIT_MS)
    expect_no_exception(page)
