"""The Layers lab in a real browser: switch tabs, see the plots, get a message for stride 0."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e
SLOW = 60_000  # ms: the first visit imports torchvision and reads MNIST, slow on a busy machine


def test_tabs_plots_and_a_bad_stride(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Layers", exact=True).click()
    wait_for_app(page)
    expect(page.locator("h1").first).to_contain_text("Layers", timeout=SLOW)
    expect(page.get_by_text("test digit 0: a 7")).to_be_visible(timeout=SLOW)

    page.get_by_role("tab", name="Convolution").click()
    stride = page.get_by_role("spinbutton", name="Stride")
    expect(stride).to_be_visible(timeout=SLOW)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=SLOW)
    stride.fill("0")
    stride.press("Enter")
    expect(page.get_by_test_id("stAlert")).to_contain_text("stride of 0", timeout=SLOW)

    page.get_by_role("tab", name="Pooling").click()
    expect(page.get_by_text("max pooled (14, 14)")).to_be_visible(timeout=SLOW)
    wait_for_app(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
