"""The Layers lab in a real browser: switch tabs, see the plots, get a message for stride 0."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import click, expect_no_exception, fill, go_to, open_app, page_title

pytestmark = pytest.mark.e2e
SLOW = 60_000  # ms: the first visit imports torchvision and reads MNIST, slow on a busy machine


def test_tabs_plots_and_a_bad_stride(app_url, page):
    open_app(page, app_url)
    go_to(page, "Layers", timeout=SLOW)
    expect(page_title(page)).to_contain_text("Layers", timeout=SLOW)
    expect(page.get_by_text("test digit 0: a 7")).to_be_visible(timeout=SLOW)

    click(page, page.get_by_role("tab", name="Convolution"), timeout=SLOW)  # a tab that reruns
    stride = page.get_by_role("spinbutton", name="Stride")
    expect(stride).to_be_visible(timeout=SLOW)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=SLOW)
    fill(page, stride, "0", timeout=SLOW)
    expect(page.get_by_test_id("stAlert")).to_contain_text("stride of 0", timeout=SLOW)

    click(page, page.get_by_role("tab", name="Pooling"), timeout=SLOW)
    expect(page.get_by_text("max pooled (14, 14)")).to_be_visible(timeout=SLOW)
    expect_no_exception(page)
