"""The Layers lab in a real browser: switch tabs, see the plots, get a message for stride 0,
read every classic filter's chip whole."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    browser_window,
    chips_not_whole,
    click,
    expect_no_exception,
    fill,
    go_to,
    open_app,
    page_title,
)

pytestmark = pytest.mark.e2e
SLOW = 60_000  # ms: the first visit imports torchvision and reads MNIST, slow on a busy machine


def test_tabs_plots_and_a_bad_stride(app_url, page):
    open_app(page, app_url)
    go_to(page, "Layers", timeout=SLOW)
    expect(page_title(page)).to_contain_text("Layers", timeout=SLOW)
    expect(page.get_by_text("test digit 0: a 7")).to_be_visible(timeout=SLOW)

    click(page, page.get_by_role("tab", name="Convolution"), timeout=SLOW)  # a tab that reruns
    stride = page.get_by_role("spinbutton", name="Stride")
    expect(stride).to_be_visible(timeout=SLOW)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=SLOW)
    fill(page, stride, "0", timeout=SLOW)
    expect(page.get_by_test_id("stAlert")).to_contain_text("stride of 0", timeout=SLOW)

    click(page, page.get_by_role("tab", name="Pooling"), timeout=SLOW)
    expect(page.get_by_text("max pooled (14, 14)")).to_be_visible(timeout=SLOW)
    expect_no_exception(page)


def show_classic_chips(page: Page, url: str) -> None:
    """Open the Convolution tab and pick the classic kernels, as a learner does: the default
    four filters' chips appear."""
    open_app(page, url, timeout=SLOW)
    go_to(page, "Layers", timeout=SLOW)
    click(page, page.get_by_role("tab", name="Convolution"), timeout=SLOW)
    kernels = page.get_by_test_id("stRadio").filter(has_text="Kernels")
    click(page, kernels.get_by_text("classic", exact=True), timeout=SLOW)
    chips = page.get_by_test_id("stMultiSelect").filter(has_text="Filters").locator("[data-tag]")
    expect(chips).to_have_count(4)


def test_every_classic_filter_chip_shows_its_whole_label(app_url, page, browser):
    # In the quarter-width controls column each chip was cut to the column's width: the Sobel
    # filters read "vertical edges (So…" at 1400 px, and every chip was cut at 1100 px, where
    # even the full width is too narrow for the four chips on one row (the last was hidden).
    show_classic_chips(page, app_url)
    assert chips_not_whole(page, "Filters") == []
    expect_no_exception(page)

    with browser_window(browser, 1100, 900) as laptop:
        show_classic_chips(laptop, app_url)
        assert chips_not_whole(laptop, "Filters") == []
        expect_no_exception(laptop)
