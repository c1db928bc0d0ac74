"""In Chromium: launch a tiny experiment, watch it finish, refresh and find it again."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("TORCHLAB_SHOTS")  # a folder for screenshots while developing


def _number(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    wait_for_app(page)


def _choose(page, label: str, option: str) -> None:
    """Open a selectbox and pick an option; a rerun landing mid-click can close the list, so
    open it again rather than wait on a list that is gone."""
    for _ in range(3):
        page.get_by_label(label, exact=True).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=10_000)
            break
        except PlaywrightTimeout:
            wait_for_app(page)
    else:
        raise AssertionError(f"could not choose {option!r} in {label!r}")
    wait_for_app(page)


def test_a_tiny_gd_experiment_runs_plots_and_survives_a_refresh(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Experiments").click()
    wait_for_app(page)
    expect(page.locator("h1").first).to_contain_text("Experiments")
    page.get_by_role("tab", name="SGD vs batch GD").click()
    wait_for_app(page)
    _number(page, "Training images", "64")
    _number(page, "Epochs", "1")
    page.get_by_text("More settings").click()
    _number(page, "Test images scored per epoch", "100")
    _choose(page, "Model", "linear")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/experiments_knobs.png", full_page=True)
    expect(page.get_by_text("3 runs, 192 training samples in all")).to_be_visible()
    page.get_by_role("button", name="Run the experiment").click()
    expect(page.get_by_text("What the numbers show")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Run the experiment")).to_be_enabled(timeout=30_000)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/experiments_gd.png", full_page=True)
    assert "experiments_gd_variants_job=" in page.url  # the set is in the URL...
    page.reload()
    wait_for_app(page)
    page.get_by_role("tab", name="SGD vs batch GD").click()
    wait_for_app(page)
    # ...so a refresh finds the same finished set again
    expect(page.get_by_text("What the numbers show")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
