"""Canvas preprocessing step by step, on synthetic drawings, real MNIST digits and uploads."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from core.canvas import preprocess as inf
from core.engine.learning.data import load_raw
from core.errors import LimitError

NORM = (0.1307, 0.3081)


def canvas_rgba(grey: np.ndarray) -> np.ndarray:
    """What the canvas sends: opaque RGBA, white ink on black."""
    g = (np.clip(grey, 0, 1) * 255).round().astype(np.uint8)
    return np.dstack([g, g, g, np.full_like(g, 255)])


def blank(size: int = inf.CANVAS_SIZE) -> np.ndarray:
    return np.zeros((size, size), dtype=np.float32)


def torch_com(img: np.ndarray) -> tuple[float, float]:
    """Centre of mass computed independently, with torch in float64."""
    x = torch.as_tensor(img, dtype=torch.float64)
    r = torch.arange(x.shape[0], dtype=torch.float64)
    c = torch.arange(x.shape[1], dtype=torch.float64)
    return float((x.sum(1) * r).sum() / x.sum()), float((x.sum(0) * c).sum() / x.sum())


def png_bytes(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt)
    return buf.getvalue()


def test_small_thin_off_centre_digit_ends_up_in_a_20px_box_centred_by_mass():
    grey = blank()
    grey[20:80, 30:36] = 1.0  # a short, thin "1" near the top-left corner
    grey[20:26, 24:36] = 1.0  # with a flag, so it is not symmetric
    # the pen as drawn: redrawing it with MNIST's pen would change the box's aspect
    options = inf.PreprocessOptions(stroke=False)
    prep = inf.preprocess(inf.ink_image(canvas_rgba(grey)), NORM, options)
    names = ["Ink", "Crop", "Stroke", "Scale", "Centre", "Normalize"]
    assert [s.name for s in prep.steps] == names
    assert prep.steps[1].image.shape == (60, 12)  # cropped to the ink exactly
    assert prep.steps[2].note.startswith("skipped: the pen as drawn")
    assert prep.steps[3].image.shape == (20, 4)  # longer side 20, aspect 60:12 kept
    top, bottom, left, right = inf.ink_bbox(prep.digit, 0.0)
    assert (bottom - top, right - left) == (20, 4)
    cy, cx = torch_com(prep.digit)
    assert abs(cy - inf.MNIST_CENTER) <= 0.5 and abs(cx - inf.MNIST_CENTER) <= 0.5
    assert prep.digit.shape == (28, 28) and prep.digit.dtype == np.float32
    assert prep.X.shape == (1, 1, 28, 28)


def test_centring_by_mass_differs_from_centring_the_box_for_a_lopsided_digit():
    grey = blank()
    grey[40:70, 100:240] = 1.0  # a "7": a wide top arm
    grey[40:240, 210:230] = 1.0  # and a stem on the right: the mass sits high and right
    by_mass = inf.preprocess(inf.ink_image(canvas_rgba(grey)), NORM)
    by_box = inf.preprocess(
        inf.ink_image(canvas_rgba(grey)), NORM, inf.PreprocessOptions(center_of_mass=False)
    )
    cy, cx = torch_com(by_mass.digit)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    top, bottom, left, right = inf.ink_bbox(by_box.digit, 0.0)
    assert (top + bottom) / 2 == pytest.approx(14, abs=0.5)
    assert (left + right) / 2 == pytest.approx(14, abs=0.5)
    assert abs(torch_com(by_box.digit)[0] - 14) > 1.0  # the box centre is not the mass centre


def test_a_digit_too_lopsided_to_centre_by_mass_stays_whole_in_the_field():
    grey = blank()
    grey[40:240, 100:120] = 1.0  # a bar
    grey[40:80, 120:240] = 1.0  # with a heavy arm: centring by mass would push it off the top
    # (the pen as drawn: redrawn at MNIST's width, the arm would be no heavier than the bar)
    pen_as_drawn = inf.PreprocessOptions(stroke=False)
    prep = inf.preprocess(inf.ink_image(canvas_rgba(grey)), NORM, pen_as_drawn)
    box = next(s.image for s in prep.steps if s.name == "Scale")
    assert prep.digit.sum() == pytest.approx(box.sum(), rel=1e-6)  # no ink lost
    assert inf.ink_bbox(prep.digit, 0.0)[1] == 28  # pushed down as far as it goes


def test_antialiasing_keeps_the_ink_a_nearest_pixel_resize_loses():
    grey = blank(200)
    grey[:, ::10] = 1.0  # thin 1-px lines, 10 px apart: the worst case for sampling
    smooth = inf.resize(grey, (20, 20), antialias=True)
    jagged = inf.resize(grey, (20, 20), antialias=False)
    assert smooth.mean() == pytest.approx(grey.mean(), abs=0.01)  # area (ink) preserved
    assert abs(jagged.mean() - grey.mean()) > 0.05
    assert set(np.unique(jagged)) <= {0.0, 1.0}


def test_normalization_uses_the_given_statistics_and_can_be_skipped():
    grey = blank()
    grey[60:220, 120:160] = 1.0
    ink = inf.ink_image(canvas_rgba(grey))
    on = inf.preprocess(ink, (0.2, 0.5))
    off = inf.preprocess(ink, (0.2, 0.5), inf.PreprocessOptions(normalize=False))
    digit = torch.as_tensor(on.digit, dtype=torch.float64)[None, None]
    torch.testing.assert_close(on.X.double(), (digit - 0.2) / 0.5)
    torch.testing.assert_close(off.X.double(), digit)


def test_skipping_crop_and_fit_gives_the_naive_whole_canvas_resize():
    grey = blank()
    grey[100:180, 130:150] = 1.0
    ink = inf.ink_image(canvas_rgba(grey))
    opts = inf.PreprocessOptions(crop=False, stroke=False, fit_box=False)
    prep = inf.preprocess(ink, NORM, opts)
    expected = torch.nn.functional.interpolate(
        torch.as_tensor(ink)[None, None], size=(28, 28), mode="bilinear", antialias=True
    )[0, 0]
    torch.testing.assert_close(torch.as_tensor(prep.digit), expected.clamp(0, 1))
    assert all("skipped" in prep.steps[i].note for i in (1, 2, 3))  # crop, stroke, scale


def test_an_empty_canvas_has_no_digit_and_no_input():
    prep = inf.preprocess(inf.ink_image(canvas_rgba(blank())), NORM)
    assert prep.empty and prep.digit is None and prep.X is None
    assert len(prep.steps) == 1
    faint = blank()
    faint[100:120, 100:120] = 0.1  # below EMPTY_INK: noise, not a stroke
    assert inf.preprocess(faint, NORM).empty


def test_a_fully_inked_canvas_is_refused_with_a_message():
    full = np.ones((inf.CANVAS_SIZE, inf.CANVAS_SIZE), dtype=np.float32)
    with pytest.raises(inf.InputImageError, match="scribble"):
        inf.preprocess(inf.ink_image(canvas_rgba(full)), NORM)


def test_rgba_with_a_transparent_background_reads_the_painted_pixels_whatever_their_colour():
    mask = np.zeros((100, 100), dtype=bool)
    mask[20:80, 45:55] = True
    for colour in (255, 0):  # white ink and black ink on a see-through background
        rgba = np.zeros((100, 100, 4), dtype=np.uint8)
        rgba[mask] = (colour, colour, colour, 255)
        ink = inf.ink_image(rgba, background="auto")
        np.testing.assert_array_equal(ink > 0.5, mask)


def test_polarity_is_inverted_exactly_once():
    grey = blank(100)
    grey[20:80, 40:60] = 1.0
    canvas = inf.ink_image(canvas_rgba(grey), background="black")
    paper = inf.ink_image((255 - grey * 255).astype(np.uint8), background="auto")
    already_white_on_black = inf.ink_image((grey * 255).astype(np.uint8), background="auto")
    np.testing.assert_allclose(paper, canvas, atol=1e-6)
    np.testing.assert_allclose(already_white_on_black, canvas, atol=1e-6)


def test_dark_ink_on_grey_paper_becomes_full_ink_on_black():
    photo = np.full((120, 120), 200, dtype=np.uint8)  # grey paper
    photo[20:100, 50:70] = 60  # pencil, not pure black
    ink = inf.ink_image(photo, background="auto")
    assert ink[60, 60] == pytest.approx(1.0) and ink[5, 5] == 0.0


@pytest.mark.needs_data
def test_a_real_mnist_digit_blown_up_to_canvas_size_comes_back_as_itself():
    images, _ = load_raw("MNIST", train=False)
    # The pen as drawn: redrawing an MNIST digit's strokes at MNIST's typical width changes
    # the thick and thin ones (tests/unit/test_canvas_thickness.py); the rest gives it back.
    pen_as_drawn = inf.PreprocessOptions(stroke=False)
    for digit in images[:20].numpy():
        big = np.kron(digit, np.ones((10, 10), dtype=np.uint8))  # (280, 280), white on black
        prep = inf.preprocess(inf.ink_image(big), NORM, pen_as_drawn)
        original = digit.astype(np.float32) / 255
        corr = np.corrcoef(prep.digit.ravel(), original.ravel())[0, 1]
        assert corr > 0.85
        cy, cx = torch_com(prep.digit)
        assert abs(cy - torch_com(original)[0]) < 1.0 and abs(cx - torch_com(original)[1]) < 1.0


def test_uploads_that_are_not_images_get_a_message():
    with pytest.raises(inf.InputImageError, match="empty"):
        inf.decode_upload(b"", "x.png")
    with pytest.raises(inf.InputImageError, match="not a PNG or JPEG"):
        inf.decode_upload(b"hello, I am a text file", "notes.png")
    with pytest.raises(inf.InputImageError, match="not a PNG or JPEG"):
        inf.decode_upload(png_bytes(np.zeros((20, 20), np.uint8), "GIF"), "anim.gif")
    truncated = png_bytes(np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8))[:200]
    with pytest.raises(inf.InputImageError, match="could not be decoded"):
        inf.decode_upload(truncated, "cut.png")
    with pytest.raises(inf.InputImageError, match="at least"):
        inf.decode_upload(png_bytes(np.zeros((4, 4), np.uint8)), "tiny.png")


def test_uploads_over_the_limits_are_refused_before_decoding():
    with pytest.raises(LimitError, match="MiB"):
        inf.decode_upload(b"\x89PNG\r\n\x1a\n" + bytes(inf.MAX_UPLOAD_BYTES), "huge.png")
    buf = io.BytesIO()
    Image.new("1", (6000, 5000)).save(buf, format="PNG")  # 30 megapixels, a few KiB
    with pytest.raises(LimitError, match="megapixels"):
        inf.decode_upload(buf.getvalue(), "wide.png")


def test_a_jpeg_photo_of_a_dark_digit_decodes_and_preprocesses():
    photo = np.full((400, 300, 3), 235, dtype=np.uint8)
    photo[80:330, 140:175] = (30, 30, 40)  # a dark "1" on white paper
    image = inf.decode_upload(png_bytes(photo, "JPEG"), "one.jpg")
    assert image.ndim == 2 and max(image.shape) <= inf.WORK_SIDE
    prep = inf.preprocess(inf.ink_image(image, background="auto"), NORM)
    assert not prep.empty
    cy, cx = torch_com(prep.digit)
    assert abs(cy - 14) <= 0.6 and abs(cx - 14) <= 0.6


def test_a_transparent_png_upload_keeps_its_alpha():
    rgba = np.zeros((64, 64, 4), dtype=np.uint8)
    rgba[10:54, 28:36] = (0, 0, 0, 255)
    image = inf.decode_upload(png_bytes(rgba), "digit.png")
    assert image.shape == (64, 64, 4)
    assert inf.ink_image(image, background="auto")[30, 30] == pytest.approx(1.0)


def test_a_16_bit_greyscale_png_is_scaled_to_8_bits_not_clipped_to_white():
    paper = np.full((200, 160), 50_000, dtype=np.uint16)  # light paper in 16 bits
    paper[40:160, 70:90] = 5_000  # a dark "1"
    image = inf.decode_upload(png_bytes(paper), "scan16.png")
    assert image.dtype == np.uint8
    assert image[100, 80] == round(5_000 / 50_000 * 255) and image[10, 10] == 255
    prep = inf.preprocess(inf.ink_image(image, background="auto"), NORM)
    assert not prep.empty  # the digit is still there (clipping made the whole page white)


@pytest.mark.parametrize("top", [255, 4_095, 65_535])
@pytest.mark.parametrize("polarity", ["dark on light", "light on dark"])
def test_a_16_bit_png_using_part_of_its_range_reads_as_its_digit(top, polarity):
    """Issue 27: a 16-bit PNG whose values run 0-255 or 0-4095 was divided by 65,535, came out
    black, and the page said "Draw a digit" as if nothing had been uploaded."""
    from core.engine.products import predictor as pr

    if not pr.pretrained_present():
        pytest.skip(f"the shipped digit model is not in {pr.PRETRAINED_DIR}")
    shipped = pr.load_predictor(pr.PRETRAINED_DIR)
    images, labels = load_raw("MNIST", train=False)
    digit = np.kron(images[0].numpy().astype(np.float64) / 255, np.ones((8, 8)))  # a 7
    ink = digit if polarity == "light on dark" else 1 - digit
    scan = (ink * top).round().astype(np.uint16)  # (224, 224) 16-bit, 0..top
    image = inf.decode_upload(png_bytes(scan), "scan16.png")
    prep = inf.preprocess(inf.ink_image(image, background="auto"), shipped.normalization)
    assert not prep.empty
    assert pr.predict(shipped.model, prep.X).top == int(labels[0])


def test_a_fully_transparent_upload_says_there_is_nothing_to_see():
    with pytest.raises(inf.InputImageError, match="fully transparent"):
        inf.decode_upload(png_bytes(np.zeros((64, 64, 4), dtype=np.uint8)), "empty.png")


def test_an_image_pillow_calls_a_decompression_bomb_gets_the_apps_message(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)  # a 64x64 image is over twice that
    with pytest.raises(LimitError, match="megapixels, the limit") as caught:
        inf.decode_upload(png_bytes(np.zeros((64, 64), np.uint8)), "bomb.png")
    assert "DOS attack" not in str(caught.value)  # Pillow's own words stay out
