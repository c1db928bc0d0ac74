"""The activations lab in a real browser: pick a function, break the x-range, overflow softmax."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    chips_not_whole,
    choose,
    click,
    expect_no_exception,
    fill,
    go_to,
    open_app,
    page_title,
)

pytestmark = pytest.mark.e2e


def test_activations_flow(app_url, page):
    open_app(page, app_url)
    go_to(page, "Activations")
    expect(page_title(page)).to_contain_text("Activation")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()

    # Pick another function: its formula card and its layer follow.
    choose(page, "Function", "Leaky ReLU")
    expect(page.get_by_role("heading", name="Leaky ReLU")).to_be_visible()
    expect(page.get_by_text("nn.LeakyReLU(negative_slope=0.01)")).to_be_visible()

    # A reversed x-range is a message, not a traceback; fixing it brings the plot back.
    x_from = page.get_by_label("x from")
    fill(page, x_from, "9")
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("reversed")
    fill(page, x_from, "-2")
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()

    # Softmax: huge logits break the naive formula but not log_softmax.
    page.get_by_role("tab", name="Softmax").click()  # these tabs switch in the browser only
    click(page, page.get_by_role("button", name="Try huge logits"))
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text("naive formula broke")
    fill(page, page.get_by_label("Logits, separated by commas"), "1, two")
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("not a number")
    expect_no_exception(page)


def test_every_compared_function_is_shown_in_the_picker(app_url, page):
    seven = "sigmoid,tanh,leaky_relu,elu,gelu,swish,mish"  # the most it takes
    open_app(page, app_url, f"activations?compare={seven}")
    chips = page.get_by_test_id("stMultiSelect").filter(has_text="Compare with")
    expect(chips.locator("[data-tag]")).to_have_count(7)
    assert chips_not_whole(page, "Compare with") == []
    expect_no_exception(page)
