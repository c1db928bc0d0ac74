"""The Layers lab in a real browser: switch tabs, see the plots, get a message for stride 0."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_tabs_plots_and_a_bad_stride(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Layers", exact=True).click()
    wait_for_app(page)
    expect(page.locator("h1").first).to_contain_text("Layers")
    expect(page.get_by_text("test digit 0: a 7")).to_be_visible()

    page.get_by_role("tab", name="Convolution").click()
    stride = page.get_by_role("spinbutton", name="Stride")
    expect(stride).to_be_visible()
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    stride.fill("0")
    stride.press("Enter")
    expect(page.get_by_test_id("stAlert")).to_contain_text("stride of 0")

    page.get_by_role("tab", name="Pooling").click()
    expect(page.get_by_text("max pooled (14, 14)")).to_be_visible()
    wait_for_app(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
