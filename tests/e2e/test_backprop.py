"""Walk the backward pass and mistype a number in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import click, expect_no_exception, fill, go_to, open_app, page_title

pytestmark = pytest.mark.e2e


def test_step_through_backward_and_recover_from_a_typo(app_url, page):
    open_app(page, app_url)
    go_to(page, "Loss & backprop")
    expect(page_title(page)).to_contain_text("backprop", ignore_case=True)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()  # the batch's losses

    page.get_by_role("tab", name=re.compile("Backward, node by node")).click()  # browser only
    next_step = page.get_by_role("button", name="Next backward step")
    for shown in (1, 2):
        click(page, next_step)
        expect(page.get_by_text(re.compile(f"Step {shown} of \\d+:"))).to_be_visible()
    expect(page.get_by_text("The 2 gradients so far agree")).to_be_visible()  # no more shown

    params = page.get_by_role("textbox", name=re.compile("Parameters"))
    good = params.input_value()
    fill(page, params, "1, 2, oops, 4, 5, 6, 7, 8, 9")
    expect(page.get_by_test_id("stAlertContentError").first).to_contain_text("not a number")
    fill(page, params, good)  # the walk starts again from step 0
    expect(page.get_by_text("joins a table here when the backward pass reaches it")).to_be_visible()
    expect_no_exception(page)
