"""In Chromium: launch a tiny experiment, watch it finish, refresh and find it again."""

from __future__ import annotations

import os
import re

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
SHOTS = os.environ.get("TORCHLAB_SHOTS")  # a folder for screenshots while developing


def _number(page, label: str, value: str) -> None:
    fill(page, page.get_by_label(label, exact=True), value)


def test_a_tiny_gd_experiment_runs_plots_and_survives_a_refresh(app_url, page):
    open_app(page, app_url)
    go_to(page, "Experiments")
    expect(page_title(page)).to_contain_text("Experiments")
    gd_tab = page.get_by_role("tab", name="SGD vs batch GD")
    click(page, gd_tab)  # only the chosen tab runs, so choosing one reruns the page
    _number(page, "Training images (1 to 60,000)", "64")  # every bounded box says its range
    _number(page, "Epochs (1 to 50)", "1")
    page.get_by_text("More settings").click()  # an expander: it opens in the browser only
    _number(page, "Test images scored per epoch (1 to 10,000)", "100")
    # The chapter's ConvNet (the default model) on 64 images is a second's work a run.
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/experiments_knobs.png", full_page=True)
    expect(page.get_by_text("3 runs, 192 training samples in all")).to_be_visible()
    page.get_by_role("button", name="Run the experiment").click()
    expect(page.get_by_text("What the numbers show")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Run the experiment")).to_be_enabled(timeout=30_000)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/experiments_gd.png", full_page=True)
    expect(page).to_have_url(re.compile("experiments_gd_variants_job="))  # the set is in the URL...
    reload(page)
    expect(gd_tab).to_have_attribute("aria-selected", "true")  # the open tab is in the link too
    # ...so a refresh finds the same finished set again
    expect(page.get_by_text("What the numbers show")).to_be_visible()
    expect_no_exception(page)
