"""Open the app and visit every page through the sidebar in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_app

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


def test_visit_every_page_through_the_sidebar(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Torchlab", exact=True)).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    for link, heading in PAGE_TITLES.items():
        nav.get_by_role("link", name=link, exact=True).click()
        wait_for_app(page)
        expect(page.locator("h1").first).to_contain_text(heading, ignore_case=True)
        expect(page.get_by_test_id("stException")).to_have_count(0)
