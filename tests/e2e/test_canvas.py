"""Draw digits with the mouse on the real canvas in Chromium and read the model's answers."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import expect

from core.canvas import preprocess as inf
from tests.e2e.helpers import expect_no_exception, go_to, open_app, wait_for_app

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


def crop_caption(page):
    """The Crop step's caption: the ink's box, in canvas pixels."""
    return page.get_by_text(re.compile(r"^2\. Crop: the ink's box"))


def ink_box(page) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the ink on the canvas, read off the Crop step's caption."""
    text = crop_caption(page).inner_text()
    found = re.search(r"rows (\d+)-(\d+), columns (\d+)-(\d+)", text)
    return tuple(int(n) for n in found.groups())


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

    page.locator(".st-key-canvas_clear button").click()
    expect(page.get_by_text(HINT)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stMetricValue")).to_have_count(0)

    stroke(page, box, zero())
    expect(prediction(page)).to_have_text(re.compile(r"^0\??$"), timeout=30_000)
    crop = crop_caption(page)
    zero_box = crop.inner_text()

    stroke(page, box, [(0.5, 0.5), (0.5, 0.95)])  # a tail below the 0 changes its bounding box
    expect(crop).not_to_have_text(zero_box, timeout=30_000)
    page.locator(".st-key-canvas_undo button").click()
    expect(crop).to_have_text(zero_box, timeout=30_000)
    expect(prediction(page)).to_have_text(re.compile(r"^0\??$"))
    expect_no_exception(page)


def test_a_stroke_started_at_once_in_the_top_right_corner_arrives(app_url, page):
    """The component's toolbar used to lie unseen over the canvas's top right until hovered,
    and a stroke started there was lost: the page hides it, and has Undo and Clear."""
    open_app(page, app_url, "canvas")
    canvas = page.locator("canvas.upper-canvas")
    expect(canvas).to_be_visible()
    expect(page.get_by_role("button", name="Reset canvas & history")).to_have_count(0)
    box = canvas.bounding_box()
    # The pointer jumps to the corner and presses at once: no hover, no pause.
    stroke(page, box, [(0.97, 0.02), (0.97, 0.5), (0.97, 0.9)])
    expect(crop_caption(page)).to_be_visible(timeout=30_000)
    top, bottom, left, right = ink_box(page)
    assert top <= 5 and right >= inf.CANVAS_SIZE - 5, (top, bottom, left, right)
    assert bottom >= 0.85 * inf.CANVAS_SIZE  # the whole stroke, from where it started
    expect_no_exception(page)


def test_the_canvas_the_pen_and_the_answer_fit_a_laptop_screen(app_url, page):
    """At 1366×768, with a digit drawn, the canvas, the pen width and the prediction are all
    above the fold: nothing to scroll to draw and read the answer."""
    viewport = {"width": 1366, "height": 768}
    page.set_viewport_size(viewport)
    open_app(page, app_url, "canvas")
    canvas = page.locator("canvas.upper-canvas")
    stroke(page, canvas.bounding_box(), one())
    expect(prediction(page)).to_have_text(re.compile(r"^1\??$"), timeout=30_000)
    wait_for_app(page)
    pen = page.locator(".st-key-canvas_stroke")
    answer = page.get_by_test_id("stMetric").first
    for name, thing in (("canvas", canvas), ("pen width", pen), ("prediction", answer)):
        b = thing.bounding_box()
        inside = b["x"] >= 0 and b["y"] >= 0
        inside = inside and b["x"] + b["width"] <= viewport["width"]
        assert inside and b["y"] + b["height"] <= viewport["height"], (name, b)
    assert page.evaluate("window.scrollY") == 0
