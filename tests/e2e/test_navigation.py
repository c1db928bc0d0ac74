"""Open the app and visit every page through the sidebar in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import expect_no_exception, go_to, open_app, page_title

pytestmark = pytest.mark.e2e

PAGE_TITLES = {
    "Tensors": "Tensors",
    "Activations": "Activation",
    "Layers": "Layers",
    "Loss & backprop": "backprop",
    "Train": "Train",
    "Optimizers": "Optimizers",
    "Experiments": "Experiments",
    "Canvas": "canvas",
}


def test_a_deep_link_as_first_visit_gets_the_app_frame(app_url, page):
    """The server's very first visit is a deep link: it must still run app.py's frame.

    Streamlit treats a `pages/` folder beside the main script as old-style pages until
    st.navigation first runs, so our pages live in views/ instead.
    """
    open_app(page, app_url, "tensors")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Basics", exact=True)).to_be_visible()
    expect(sidebar.get_by_test_id("stSelectbox")).to_contain_text("Device")
    expect(page_title(page)).to_contain_text("Tensors")


def test_visit_every_page_through_the_sidebar(app_url, page):
    open_app(page, app_url)
    expect(page.get_by_role("heading", name="Torchlab", exact=True)).to_be_visible()
    for link, heading in PAGE_TITLES.items():
        go_to(page, link)
        expect(page_title(page)).to_contain_text(heading, ignore_case=True)
        expect_no_exception(page)
