"""Walk the backward pass and mistype a number in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_step_through_backward_and_recover_from_a_typo(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Loss & backprop").click()
    wait_for_app(page)
    expect(page.locator("h1").first).to_contain_text("backprop", ignore_case=True)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()  # the batch's losses

    page.get_by_role("tab", name=re.compile("Backward, node by node")).click()
    next_step = page.get_by_role("button", name="Next backward step")
    for shown in (1, 2):
        next_step.click()
        expect(page.get_by_text(re.compile(f"Step {shown} of \\d+:"))).to_be_visible()
        wait_for_app(page)
    expect(page.get_by_text(re.compile(r"All \d+ gradients by hand agree"))).to_be_visible()

    params = page.get_by_role("textbox", name=re.compile("Parameters"))
    good = params.input_value()
    params.fill("1, 2, oops, 4, 5, 6, 7, 8, 9")
    params.press("Enter")
    expect(page.get_by_test_id("stAlertContentError").first).to_contain_text("not a number")
    params.fill(good)
    params.press("Enter")
    expect(page.get_by_text(re.compile(r"All \d+ gradients by hand agree"))).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
