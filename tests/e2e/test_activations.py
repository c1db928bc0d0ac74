"""The activations lab in a real browser: pick a function, break the x-range, overflow softmax."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_activations_flow(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Activations", exact=True).click()
    wait_for_app(page)
    expect(page.locator("h1").first).to_contain_text("Activation")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()

    # Pick another function: its formula card and its layer follow.
    page.get_by_test_id("stSelectbox").filter(has_text="Function").click()
    page.get_by_role("option", name="Leaky ReLU", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Leaky ReLU")).to_be_visible()
    expect(page.get_by_text("nn.LeakyReLU(negative_slope=0.01)")).to_be_visible()

    # A reversed x-range is a message, not a traceback; fixing it brings the plot back.
    x_from = page.get_by_label("x from")
    x_from.fill("9")
    x_from.press("Enter")
    wait_for_app(page)
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("reversed")
    x_from.fill("-2")
    x_from.press("Enter")
    wait_for_app(page)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()

    # Softmax: huge logits break the naive formula but not log_softmax.
    page.get_by_role("tab", name="Softmax").click()
    wait_for_app(page)
    page.get_by_role("button", name="Try huge logits").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text("naive formula broke")
    logits = page.get_by_label("Logits, separated by commas")
    logits.fill("1, two")
    logits.press("Enter")
    wait_for_app(page)
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("not a number")
    expect(page.get_by_test_id("stException")).to_have_count(0)
