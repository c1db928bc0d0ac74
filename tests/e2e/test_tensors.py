"""In Chromium: type a view and read its stride; type something refused and read why; open
the other tabs and use them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    choose,
    click,
    expect_no_exception,
    fill,
    open_app,
    page_title,
    rerun,
)

pytestmark = pytest.mark.e2e


def test_type_an_expression_see_its_stride_then_a_bad_one_and_its_message(app_url, page):
    open_app(page, app_url, "tensors")
    expect(page_title(page)).to_contain_text("Tensors")
    box = page.get_by_role("textbox", name="PyTorch expression on x")

    fill(page, box, "x.unsqueeze(0).expand(3, -1, -1)")
    card = page.locator(".st-key-tensors_card_2")  # the card of v2, the second step
    expect(card).to_contain_text("v2 = x.unsqueeze(0).expand(3, -1, -1)")
    expect(card).to_contain_text("stride (0, 4, 1)")
    expect(card).to_contain_text("view of x's storage")
    expect(page.locator(".st-key-tensors_strip")).to_be_visible()
    expect(page.locator(".st-key-tensors_grid")).to_be_visible()

    fill(page, box, "x.__class__.__bases__")
    alert = page.get_by_test_id("stAlert").filter(has_text="underscore")
    expect(alert).to_be_visible()
    expect_no_exception(page)
    expect(page.get_by_text("(the base tensor)")).to_be_visible()  # the page keeps working


def test_type_the_chapters_lines_and_read_torchs_answers(app_url, page):
    open_app(page, app_url, "tensors")
    expect(page.get_by_role("textbox", name="Lines of PyTorch (up to 20)")).to_have_count(0)
    click(page, page.get_by_role("tab", name="The chapter's lines"))  # a tab that reruns
    box = page.get_by_role("textbox", name="Lines of PyTorch (up to 20)")
    box.fill("")
    box.press_sequentially(
        "points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])\n"
        "second = points[1]\n"
        "second.storage_offset()\n"
        "points.stride()\n"
        "second[0] = 10.0\n"
        "points.storage()"
    )
    with rerun(page):
        box.press("Control+Enter")  # how a text area sends its text
    session = page.locator("[data-testid='stCode']").filter(has_text=">>> points = torch.tensor")
    expect(session).to_contain_text(">>> second.storage_offset()\n2\n")
    expect(session).to_contain_text(">>> points.stride()\n(2, 1)\n")
    expect(session).to_contain_text(" 10.0\n 1.0\n")  # the write, read back from the storage
    expect(page.get_by_text("shares the storage of points").first).to_be_visible()
    expect(page.locator(".st-key-tensors_program_strip")).to_be_visible()
    expect_no_exception(page)
    link = parse_qs(urlparse(page.url).query)
    assert link["tab"] == ["The chapter's lines"]  # the open tab is in the page's link


def test_the_dtypes_tab_sets_xs_dtype_and_shows_what_it_costs(app_url, page):
    open_app(page, app_url, "tensors")
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)  # not drawn until chosen
    click(page, page.get_by_role("tab", name="dtypes"))
    card = page.locator(".st-key-tensors_dtype_card")
    expect(card).to_contain_text("float32: 4 B/element × 12 = 48 B")
    choose(page, "dtype of x", "float64")
    expect(card).to_contain_text("float64: 8 B/element × 12 = 96 B")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    click(page, page.get_by_role("tab", name="Views over storage"))
    expect(page.locator(".st-key-tensors_card_0")).to_contain_text("float64")  # one x
    expect_no_exception(page)


def test_the_code_behind_the_views_is_one_click_away(app_url, page):
    open_app(page, app_url, "tensors")
    box = page.get_by_test_id("stExpander").filter(has_text="Show the code").first
    expect(box.get_by_test_id("stCode")).to_have_count(0)  # folded: not sent, not highlighted
    click(page, box.get_by_text("Show the code"))  # opening it reruns, and the code comes
    expect(box.get_by_test_id("stCode")).to_contain_text("x = torch.arange(12")
    fill(page, page.get_by_role("textbox", name="PyTorch expression on x"), "x[1]")
    expect(box.get_by_test_id("stCode")).to_contain_text("v1 = x[1]")  # still open, new code
    expect_no_exception(page)
