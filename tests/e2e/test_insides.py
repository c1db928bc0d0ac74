"""The trained network's insides in Chromium: a click on a feature-map cell writes out that
cell's multiply-add, equal to torch's own value; a click on a confusion-matrix cell lists its
images, and one of them opens on the Canvas page with this model's answer."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from core.engine.learning.config import RunConfig
from core.engine.learning.setup import load_run_data
from core.engine.products.predictor import PRETRAINED_DIR, load_predictor
from core.train.analysis import analyze_run
from core.train.insides import cell_images, stage, trace
from tests.e2e.helpers import click, expect_no_exception, open_app, rerun

pytestmark = [pytest.mark.e2e, pytest.mark.needs_data]

P = "training_"


def cell_point(page, key: str, row: int, col: int) -> tuple[float, float]:
    """Where cell (row, col) of the plotly chart keyed `key` is on the screen, from the
    chart's own axes (category axes count their categories 0, 1, ...)."""
    return page.evaluate(
        """([key, row, col]) => {
            const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(col), box.top + ya._offset + ya.l2p(row)];
        }""",
        [key, row, col],
    )


def click_cell(page, key: str, row: int, col: int) -> None:
    chart = page.locator(f".st-key-{key} .js-plotly-plot .nsewdrag").first
    expect(chart).to_be_visible()
    chart.scroll_into_view_if_needed()
    x, y = cell_point(page, key, row, col)
    with rerun(page):
        page.mouse.click(x, y)


def test_a_click_on_a_feature_map_cell_writes_out_its_multiply_add(app_url, page):
    query = urlencode({"section": "Look inside a finished run", "run": "digit_model",
                       "itab": "One cell, by hand", "image": "3", "layer": "conv1",
                       "kernel": "3"})  # fmt: skip
    open_app(page, app_url, f"training?{query}")
    expect_no_exception(page)
    key = f"{P}insides_map_conv1_3"
    click_cell(page, key, 10, 12)
    expect_no_exception(page)
    expect(page.get_by_label("Row (0 to 23)")).to_have_value("10")
    expect(page.get_by_label("Column (0 to 23)")).to_have_value("12")
    X = load_run_data(RunConfig(), "cpu")[2][3:4]  # the shipped model's normalization
    value = stage(trace(load_predictor(PRETRAINED_DIR).model, X), "conv1").output[3, 10, 12]
    verdict = page.get_by_text("torch's conv1 output at channel 3, row 10, column 12")
    expect(verdict).to_contain_text(f"is {float(value):.6f}; the sum above is")
    expect(verdict).to_contain_text("the same")
    # the products written out: 25 of them for a 5×5 kernel on one input channel
    line = page.get_by_text(", and the bias ")
    expect(line).to_be_visible()
    assert line.inner_text().count("×") == 25


def test_a_click_on_a_confusion_cell_shows_its_images_and_one_opens_on_the_canvas(app_url, page):
    result = analyze_run(PRETRAINED_DIR)
    mixups = sorted(
        ((result.confusion[t][p], t, p) for t in range(10) for p in range(10) if t != p),
        reverse=True,
    )
    _, true, predicted = mixups[1]  # not the commonest mix-up: the page starts on that one
    expected = cell_images(result.probabilities, result.labels, true, predicted)
    open_app(page, app_url, "training")
    click(page, page.get_by_role("tab", name="Look inside a finished run"))
    click_cell(page, f"{P}confusion", true, predicted)
    expect_no_exception(page)
    expect(page.get_by_text(f"True {true}, predicted {predicted}:")).to_be_visible()
    first = page.get_by_text(f"#{expected[0]:,} ·", exact=False).first
    expect(first).to_be_visible()
    click(page, page.locator(f".st-key-{P}cell_canvas_{expected[0]} button"))
    expect(page.locator("h1").first).to_contain_text("Digit canvas")
    expect_no_exception(page)
    expect(page.get_by_text("1. Test image").first).to_be_visible()
    expect(page.get_by_text(f"whose label is {true}")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text(str(predicted))
