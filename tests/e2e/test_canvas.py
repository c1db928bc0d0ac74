"""Draw digits with the mouse on the real canvas in Chromium and read the model's answers."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import expect_no_exception, go_to, open_app

pytestmark = pytest.mark.e2e

HINT = "Draw a digit on the canvas and the model's answer appears here."


def stroke(page, box, points: list[tuple[float, float]]) -> None:
    """One pen stroke through `points`, given as fractions of the canvas's width and height."""
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x0 + points[0][0] * w, y0 + points[0][1] * h)
    page.mouse.down()
    for fx, fy in points[1:]:
        page.mouse.move(x0 + fx * w, y0 + fy * h, steps=2)
    page.mouse.up()


def one() -> list[tuple[float, float]]:
    return [(0.5, 0.15 + 0.7 * i / 20) for i in range(21)]


def zero() -> list[tuple[float, float]]:
    angles = [2 * math.pi * i / 36 for i in range(38)]  # a little past full, to close it
    return [(0.5 + 0.25 * math.sin(a), 0.5 - 0.35 * math.cos(a)) for a in angles]


def prediction(page):
    return page.get_by_test_id("stMetricValue").first


def test_draw_a_one_and_a_zero_and_clear(app_url, page):
    open_app(page, app_url)
    go_to(page, "Canvas")
    expect(page.get_by_text(HINT)).to_be_visible()
    canvas = page.locator("canvas.upper-canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()

    stroke(page, box, one())
    expect(prediction(page)).to_have_text(re.compile(r"^1\??$"), timeout=30_000)
    expect(page.get_by_text(HINT)).to_have_count(0)

    canvas.hover()  # the toolbar shows above the canvas while the mouse is over it
    page.get_by_role("button", name="Reset canvas & history").click()
    expect(page.get_by_text(HINT)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stMetricValue")).to_have_count(0)

    stroke(page, box, zero())
    expect(prediction(page)).to_have_text(re.compile(r"^0\??$"), timeout=30_000)
    crop = page.get_by_text(re.compile(r"^2\. Crop: the ink's box"))
    zero_box = crop.inner_text()

    stroke(page, box, [(0.5, 0.5), (0.5, 0.95)])  # a tail below the 0 changes its bounding box
    expect(crop).not_to_have_text(zero_box, timeout=30_000)
    canvas.hover()
    page.get_by_role("button", name="Undo").click()
    expect(crop).to_have_text(zero_box, timeout=30_000)
    expect(prediction(page)).to_have_text(re.compile(r"^0\??$"))
    expect_no_exception(page)
