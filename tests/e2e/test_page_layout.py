"""Layout in Chromium that costs attention when it goes wrong (issue 27): no page opens as a
long scroll, and the Train page's layer table shows every layer whole in a narrow window."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    SCREEN_PX,
    browser_window,
    expect_no_exception,
    main_height,
    open_app,
)

pytestmark = pytest.mark.e2e

FIRST_VIEW_SCREENS = 3  # Tensors opened at 5.2 screens, before its parts became tabs


def test_no_page_opens_longer_than_three_screens(app_url, page):
    open_app(page, app_url)
    nav = page.get_by_test_id("stSidebarNav").get_by_role("link")
    paths = [href.rsplit("/", 1)[-1] for href in nav.evaluate_all("ls => ls.map(l => l.href)")]
    assert len(paths) == 9, paths  # every page of the sidebar, Home included
    heights = {}
    for path in paths:
        open_app(page, app_url, path)
        expect_no_exception(page)
        heights[path or "home"] = main_height(page)
    too_tall = {p: h for p, h in heights.items() if h > FIRST_VIEW_SCREENS * SCREEN_PX}
    assert not too_tall, heights


@pytest.mark.parametrize("tab", ["Layer by layer", "One cell, by hand"])
def test_a_finished_runs_insides_are_a_few_screens_not_one_long_scroll(app_url, page, tab):
    # One tab of 5.6 screens before: the kernels, every step one above the other, one cell.
    look = urlencode({"section": "Look inside a finished run", "itab": tab})
    open_app(page, app_url, f"training?{look}")
    expect(page.get_by_role("tab", name=tab, exact=True)).to_have_attribute("aria-selected", "true")
    expect_no_exception(page)
    assert main_height(page) <= 3.5 * SCREEN_PX


def test_the_layer_table_shows_every_layer_whole_in_a_narrow_window(app_url, browser):
    with browser_window(browser, 1100, 900) as page:
        open_app(page, app_url, "training")
        page.get_by_role("tab", name="Model").click()  # the form's tabs switch in the browser
        table = page.get_by_test_id("stTable").filter(has_text="output shape")
        expect(table).to_be_visible()
        # Each of the classic model's 12 rows, to log_softmax, and no cell cut or scrolled away.
        expect(table.locator("tbody tr")).to_have_count(12)
        expect(table).to_contain_text("log_softmax(dim=1)")
        # A cell whose text is cut, or that lies outside the table's visible frame (scrolled
        # away sideways or below), is one a person does not read.
        unread = table.evaluate("""frame => {
            const box = frame.getBoundingClientRect();
            return [...frame.querySelectorAll("th, td")].filter(c => {
                const r = c.getBoundingClientRect();
                return c.scrollWidth > c.clientWidth + 1 || r.left < box.left - 1
                    || r.right > box.right + 1 || r.bottom > box.bottom + 1;
            }).map(c => c.innerText);
        }""")
        assert unread == []
