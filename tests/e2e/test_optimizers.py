"""In a real browser: click on the loss surface to start the race from there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import click, expect_no_exception, go_to, open_app, page_title

pytestmark = pytest.mark.e2e


def test_clicking_the_contour_plot_picks_the_start_point(app_url, page):
    open_app(page, app_url)
    go_to(page, "Optimizers")
    expect(page_title(page)).to_contain_text("Optimizers")
    start_x, start_y = page.get_by_label("start x"), page.get_by_label("start y")
    expect(start_x).to_have_value("-1.200")  # Rosenbrock's classic start

    # Rosenbrock's window is x ∈ [-2, 2], y ∈ [-1, 3]: the middle of the plot area is (0, 1).
    # go_to has waited for every chart to be drawn (not a skeleton any more), so the first
    # chart is the contour plot and nothing moves it; the click's selection reruns the page.
    plot_area = page.get_by_test_id("stPlotlyChart").first.locator(".nsewdrag").first
    click(page, plot_area)
    expect(start_x).to_have_value("0.000")
    expect(start_y).to_have_value("1.000")
    # Only the open tab runs: the seed's rule starts from the point picked on the race's tab,
    # and coming back, the race is where it was left.
    click(page, page.get_by_role("tab", name="The seed's rule"))
    expect(page.get_by_text("The step went downhill.")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(1)
    expect(start_x).to_have_count(0)
    click(page, page.get_by_role("tab", name="The race"))
    expect(start_x).to_have_value("0.000")
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    expect_no_exception(page)


def test_every_raced_optimizer_is_shown_in_the_picker(app_url, page):
    every = "SGD,Momentum,Nesterov,Adagrad,RMSprop,Adadelta,Adam,AdamW"
    open_app(page, app_url, f"optimizers?opts={every}&steps=20&step=20")
    picker = page.get_by_test_id("stMultiSelect").filter(has_text="Optimizers to race")
    chips = picker.locator("[data-tag]")
    expect(chips).to_have_count(8)
    outer = picker.bounding_box()
    for chip in chips.all():  # a column kept them on one scrolling row: the last were cut off
        b = chip.bounding_box()
        assert outer["x"] <= b["x"] and b["x"] + b["width"] <= outer["x"] + outer["width"] + 0.5
    expect_no_exception(page)
