"""In Chromium: walk three stops of the chapter route, answer a question wrong then right,
copy the page's link and open it in another browser, which shows the same setting."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.engine.learning.chapter import POINTS_TEXT
from core.route.stops import STOPS
from tests.e2e.helpers import (
    browser_window,
    click,
    expect_no_exception,
    fill,
    open_app,
    wait_for_app,
)

pytestmark = pytest.mark.e2e


def test_walk_three_stops_answer_wrong_then_right_and_share_the_view(app_url, page, browser):
    open_app(page, app_url)
    click(page, page.get_by_role("button", name="Start the chapter route"))
    sidebar = page.get_by_test_id("stSidebar")
    card = page.locator(".st-key-route_card")  # inside the expander above the page
    expect(card).to_contain_text(f"stop 1 of {len(STOPS)}")
    title = f"Chapter route · stop 1 of {len(STOPS)}: {STOPS[0].title}"
    expect(page.get_by_test_id("stExpander").filter(has_text=title)).to_be_visible()

    click(page, card.get_by_role("button", name="Next"))
    expect(card).to_contain_text(f"stop 2 of {len(STOPS)}")
    expression = page.get_by_role("textbox", name="PyTorch expression on x")
    expect(expression).to_have_value("x")  # the stop's link: x, not yet x[1] (the answer)
    answer = card.get_by_role("textbox", name="Your answer")
    fill(page, answer, "3")
    click(page, card.get_by_role("button", name="Check"))
    expect(card.get_by_test_id("stAlert")).to_contain_text("Not quite")
    expect(expression).to_have_value("x")  # a wrong try reveals nothing
    fill(page, answer, "2")
    click(page, card.get_by_role("button", name="Check"))
    expect(card.get_by_test_id("stAlert")).to_contain_text("storage index 2")
    expect(card).to_contain_text("· 1 answered")  # counted at once, not on Next
    expect(expression).to_have_value("x[1]")  # answered: the page shows x[1]'s card

    click(page, card.get_by_role("button", name="Next"))
    expect(card).to_contain_text(f"stop 3 of {len(STOPS)} · 1 answered")
    expect(expression).to_have_value("x")
    fill(page, expression, "x.t()[1:]")  # the learner's own setting, to send on
    expect(page.locator(".st-key-tensors_card_2")).to_contain_text("v2 = x.t()[1:]")

    sidebar.get_by_role("button", name="Copy link").click()  # a popover: no rerun
    code = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode")
    expect(code).to_contain_text(f"{app_url}/tensors?")
    link = code.inner_text().strip()
    assert link.startswith(f"{app_url}/tensors?") and "session=" not in link
    assert "marks=" not in link
    expect_no_exception(page)

    with browser_window(browser) as elsewhere:
        elsewhere.goto(link)
        wait_for_app(elsewhere)
        expect(elsewhere.get_by_role("textbox", name="PyTorch expression on x")).to_have_value(
            "x.t()[1:]"
        )
        expect(elsewhere.get_by_text(POINTS_TEXT).first).to_be_visible()
        # the learner's progress stays home: a link never opens a stop answered
        expect(elsewhere.locator(".st-key-route_card")).to_contain_text("· 0 answered")
        expect(elsewhere.get_by_test_id("stException")).to_have_count(0)
