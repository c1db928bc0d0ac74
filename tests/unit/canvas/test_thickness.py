"""The Stroke step: a digit comes out with MNIST's pen whatever the pen and the drawing's size.

The drawings are made as the canvas makes them: a polyline with a round pen, anti-aliased,
white on an opaque black 280×280 canvas, then read by the shipped digit model.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from core.canvas import preprocess as inf
from core.canvas import stroke as sk
from core.engine.learning.data import load_raw
from core.engine.products import predictor as pr

PENS = (6, 10, 20, 30, 40)  # the pen slider's range, in canvas pixels
LARGE = (240, (20, 20))  # side of the digit's square and its top-left corner, canvas px
SMALL = (100, (6, 6))  # a small digit in the top-left corner
TINY = (70, (4, 4))  # the case: tiny, in a corner, with the default pen
SUPERSAMPLE = 4  # drawn 4× larger, then averaged down: the canvas's anti-aliased edges
# Each digit as strokes of points on [0, 1]², (x, y) from the top left.
DIGITS = {
    7: [[(0.1, 0.05), (0.9, 0.05), (0.4, 0.95)]],
    4: [[(0.6, 0.02), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 0.98)]],
    2: [[(0.1, 0.25), (0.3, 0.05), (0.7, 0.05), (0.85, 0.3), (0.1, 0.95), (0.95, 0.95)]],
    0: [[(0.5 + 0.45 * np.sin(a), 0.5 - 0.48 * np.cos(a)) for a in np.linspace(0, 2 * np.pi, 40)]],
}
# Measured on these digits, large and small at every pen: with the Stroke step the widths
# are 2.4-3.3 px and each digit's ink (the sum of its 28×28 image) is 0.69-1.13× the median
# of its ten drawings; without it the widths run from 0.5 to 14.2 px and the ink 0.24-2.68×.
WIDTH_TOLERANCE = 0.9  # px around MNIST_STROKE, in the 20-px box
INK_RATIO = 1.6  # the most any variant's ink may differ from the median, either way


def draw(strokes, pen: int, side: int, corner: tuple[int, int]) -> np.ndarray:
    """An (H, W, 4) uint8 canvas image: `strokes` fitted in a side×side square at `corner`,
    drawn with a round pen `pen` px wide whose edge touches the square's edges."""
    s = SUPERSAMPLE
    img = Image.new("L", (inf.CANVAS_SIZE * s, inf.CANVAS_SIZE * s), 0)
    ink = ImageDraw.Draw(img)
    for line in strokes:
        points = [
            (
                (corner[0] + pen / 2 + x * (side - pen)) * s,
                (corner[1] + pen / 2 + y * (side - pen)) * s,
            )
            for x, y in line
        ]
        ink.line(points, fill=255, width=pen * s, joint="curve")
        r = pen * s / 2
        for x, y in (points[0], points[-1]):  # round caps, as the canvas's pen has
            ink.ellipse([x - r, y - r, x + r, y + r], fill=255)
    grey = np.asarray(img.resize((inf.CANVAS_SIZE, inf.CANVAS_SIZE), Image.BOX))
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def width_of(digit: np.ndarray) -> float:
    """The stroke width of a 28×28 digit in pixels, measured as MNIST_STROKE was measured."""
    top, bottom, left, right = inf.ink_bbox(digit)
    crop = digit[top:bottom, left:right]
    work = inf.resize(crop, inf.fit_size(*crop.shape, max(crop.shape) * sk.WORK_SCALE))
    return sk.stroke_width(work > sk.INK_LEVEL) / sk.WORK_SCALE


@pytest.fixture(scope="module")
def shipped() -> pr.Predictor:
    if not pr.pretrained_present():
        pytest.skip(f"the shipped digit model is not in {pr.PRETRAINED_DIR}")
    return pr.load_predictor(pr.PRETRAINED_DIR)


def read(predictor: pr.Predictor, rgba: np.ndarray) -> tuple[inf.Preprocessed, int]:
    prep = inf.preprocess(inf.ink_image(rgba), predictor.normalization)
    return prep, int(predictor.classes[pr.predict(predictor.model, prep.X).top])


@pytest.mark.parametrize("label", list(DIGITS))
def test_every_pen_large_or_small_gives_the_same_mnist_pen_and_the_same_answer(shipped, label):
    widths, inks, answers = {}, {}, {}
    for side, corner in (LARGE, SMALL):
        for pen in PENS:
            prep, answer = read(shipped, draw(DIGITS[label], pen, side, corner))
            key = f"side {side}, pen {pen}"
            widths[key], inks[key], answers[key] = width_of(prep.digit), prep.digit.sum(), answer
    assert all(abs(w - sk.MNIST_STROKE) <= WIDTH_TOLERANCE for w in widths.values()), widths
    median = float(np.median(list(inks.values())))
    assert all(1 / INK_RATIO <= i / median <= INK_RATIO for i in inks.values()), inks
    assert set(answers.values()) == {label}, answers


def test_a_tiny_digit_in_a_corner_with_the_default_pen_is_read_like_a_large_one(shipped):
    side, corner = TINY
    for label, strokes in DIGITS.items():
        prep, answer = read(shipped, draw(strokes, inf.DEFAULT_STROKE_WIDTH, side, corner))
        assert answer == label
        assert abs(width_of(prep.digit) - sk.MNIST_STROKE) <= WIDTH_TOLERANCE
        pred = pr.predict(shipped.model, prep.X)
        assert not pred.unsure  # not "Not sure": the blob the issue saw is gone


def test_the_stroke_step_is_shown_says_what_it_did_and_can_be_switched_off():
    rgba = draw(DIGITS[7], 40, *SMALL)
    on = inf.preprocess(inf.ink_image(rgba), (0.13, 0.31))
    off = inf.preprocess(inf.ink_image(rgba), (0.13, 0.31), inf.PreprocessOptions(stroke=False))
    names = ["Ink", "Crop", "Stroke", "Scale", "Centre", "Normalize"]
    assert [s.name for s in on.steps] == [s.name for s in off.steps] == names
    stroke = on.steps[2]
    before = float(stroke.note.split(" px pen")[0].removeprefix("a "))
    assert before > 8  # a 40-px pen on a 100-px digit: over 8 px once in the 20-px box
    assert f"redrawn {sk.MNIST_STROKE:.1f} px wide" in stroke.note
    assert off.steps[2].note.startswith("skipped: the pen as drawn")
    assert width_of(off.digit) > 3 * width_of(on.digit)  # the blob the issue saw


def test_the_skeleton_of_a_thick_bar_is_its_one_pixel_centre_line():
    mask = np.zeros((60, 40), dtype=bool)
    mask[10:50, 12:24] = True  # a bar 12 px wide, 40 long
    skel = sk.skeleton(mask)
    assert skel.sum() > 20 and (skel.sum(1) <= 1).all()  # one pixel per row
    assert set(np.flatnonzero(skel.any(0))) <= {17, 18}  # in the middle of columns 12-23
    assert sk.stroke_width(mask, skel) == pytest.approx(12 * 40 / skel.sum())
    assert 11 <= sk.stroke_width(mask) <= 18  # about 12: the skeleton is shorter than the bar


def test_a_dot_stays_a_dot():
    work = np.zeros((80, 80), dtype=np.float32)
    work[38:42, 38:42] = 1.0
    new = sk.restroke(work, inf.BOX_SIZE)
    np.testing.assert_array_equal(new.image, work)


@pytest.mark.needs_data
def test_real_mnist_digits_keep_their_answers_with_their_strokes_redrawn(shipped):
    """MNIST's own digits, thick and thin, blown up to canvas size: redrawn with MNIST's
    typical pen, the shipped model still reads them as it reads the originals."""
    images, _ = load_raw("MNIST", train=False)
    originals = images[:100].numpy()
    mean, std = shipped.normalization
    X = (torch.from_numpy(originals).float()[:, None] / 255 - mean) / std  # (100, 1, 28, 28)
    redrawn = torch.cat(
        [
            inf.preprocess(np.kron(d, np.ones((10, 10), np.float32)) / 255, (mean, std)).X
            for d in originals
        ]
    )
    with torch.no_grad():
        direct, via_canvas = shipped.model(X).argmax(1), shipped.model(redrawn).argmax(1)
    assert (direct == via_canvas).float().mean() >= 0.97
