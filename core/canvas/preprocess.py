"""From a drawing to the model's input: canvas image or upload -> MNIST-style 28×28 digit.

MNIST digits were made in a fixed way: white ink on black, cropped to the ink, scaled so the
longer side is 20 px with anti-aliasing, then placed in a 28×28 field with the centre of mass
at the centre; their strokes are 2-3 px wide in that box, whatever the pen and the size of
the writing. A model trained on MNIST has only seen digits made that way, so a drawing must
go through the same steps (its strokes redrawn at MNIST's width by core.canvas.stroke), or
the model is asked about something it never learned.
core.engine.products.predictor then loads a model and asks it about the result.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from core.canvas.stroke import (
    BLOB,
    INK_LEVEL,
    MNIST_STROKE,
    THICK_PEN,
    WORK_SCALE,
    restroke,
    shave,
    thickest,
)
from core.engine.learning.data import IMAGE_SIZE, TEST_SIZE, load_raw
from core.errors import LimitError, TorchlabError, logged_error_id

log = logging.getLogger(__name__)

CANVAS_SIZE = 280  # canvas side in screen pixels: 10× MNIST, one MNIST pixel is 10×10 on screen
STROKE_WIDTHS = (6, 40)  # the pen slider's range, in canvas pixels
DEFAULT_STROKE_WIDTH = 20  # about 2 MNIST pixels once the digit is scaled down, like MNIST pens
BOX_SIZE = 20  # MNIST scales each digit so its longer side fits 20 px
# Where MNIST puts the centre of mass, in pixel indices: measured on the test set, the mean
# is (13.99, 14.00), so MNIST centred on pixel 14, not on the geometric centre 13.5.
MNIST_CENTER = 14.0
EMPTY_INK = 0.2  # below this peak ink level there is no drawing, only noise
BOX_INK = 0.1  # ink above this counts when finding the bounding box
MAX_INK_FRACTION = 0.6  # more of the image than this is ink: a scribble, not a digit
UPLOAD_INK_FLOOR = 0.15  # ink below this in an upload is paper grain or JPEG noise
MAX_UPLOAD_BYTES = 5 * 2**20  # 5 MiB: plenty for a photo of a digit
MAX_UPLOAD_PIXELS = 25_000_000  # refuse larger images before decoding them (decompression bombs)
MIN_UPLOAD_SIDE = 8  # smaller images cannot hold a readable digit
WORK_SIDE = 560  # uploads are shrunk to at most this side first: a digit needs no more
UPLOAD_TYPES = ("png", "jpg", "jpeg")  # what the uploader accepts; checked by content too
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as PIL's convert("L")


class InputImageError(TorchlabError):
    """An uploaded file or a drawing that cannot be turned into a digit."""


@dataclass
class PreprocessOptions:
    crop: bool = True  # crop to the ink's bounding box (off: keep the whole image)
    stroke: bool = True  # redraw the strokes with MNIST's pen width (off: the pen as drawn)
    fit_box: bool = True  # longer side to 20 px, aspect kept (off: squash to 28×28)
    antialias: bool = True  # average pixels when shrinking (off: nearest pixel, jagged)
    center_of_mass: bool = True  # put the centre of mass at the centre (off: centre the box)
    normalize: bool = True  # subtract the dataset mean, divide by its std (off: raw [0, 1])


@dataclass
class Step:
    name: str  # short title for the page
    image: np.ndarray  # (H, W) float32: what this step produced
    note: str  # what happened here, with its numbers


@dataclass
class Preprocessed:
    steps: list[Step] = field(default_factory=list)  # each stage, for the page to show
    digit: np.ndarray | None = None  # (28, 28) float32 on [0, 1], white on black; None if empty
    X: torch.Tensor | None = None  # (1, 1, 28, 28) float32: exactly what the model receives
    doubt: str = ""  # why no answer about this input can be trusted ("" when nothing says so)

    @property
    def empty(self) -> bool:
        return self.digit is None


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])


def ink_image(image: np.ndarray, background: str = "black") -> np.ndarray:
    """(H, W) float32 ink on [0, 1] (1 = full ink), whatever the colours and alpha.

    `background="black"` is the canvas: light ink on black, nothing to invert. `"auto"` is an
    upload: the border tells the background, and dark ink on light paper is inverted, once.
    """
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    scale = 255.0 if img.dtype == np.uint8 else 1.0
    if img.ndim == 2:
        grey, alpha = img.astype(np.float32) / scale, None
    elif img.ndim == 3 and img.shape[2] in (3, 4):
        grey = (img[..., :3].astype(np.float32) / scale) @ LUMA  # (H, W)
        alpha = img[..., 3].astype(np.float32) / scale if img.shape[2] == 4 else None
    else:
        raise InputImageError(f"An image must be grey, RGB or RGBA, not of shape {img.shape}.")
    if min(grey.shape) < 2:
        raise InputImageError(f"The image is too small ({grey.shape[1]}×{grey.shape[0]} px).")
    if alpha is not None:
        if np.median(_border(alpha)) < 0.5:
            # A transparent background: the ink is what was painted, whatever its colour.
            return np.clip(alpha, 0.0, 1.0)
        grey = grey * alpha  # composite over black: see-through pixels are background
    bg = 0.0 if background == "black" else float(np.median(_border(grey)))
    # Light ink on a dark ground is kept; dark ink on light paper is inverted, exactly once.
    ink = (grey - bg) / max(1.0 - bg, 1e-6) if bg <= 0.5 else (bg - grey) / bg
    ink = np.clip(ink, 0.0, 1.0)
    peak = float(ink.max())
    if background != "black" and peak >= EMPTY_INK:
        # A photo's darkest stroke is rarely pure black: stretch it to full ink, as MNIST's
        # are, then drop what is left of the paper's grain and the JPEG's noise.
        ink = np.clip((ink / peak - UPLOAD_INK_FLOOR) / (1.0 - UPLOAD_INK_FLOOR), 0.0, 1.0)
    return ink.astype(np.float32)


def ink_bbox(ink: np.ndarray, level: float = BOX_INK) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), bottom/right exclusive, of the pixels above `level`."""
    rows = np.flatnonzero((ink > level).any(axis=1))
    cols = np.flatnonzero((ink > level).any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def resize(image: np.ndarray, size: tuple[int, int], antialias: bool = True) -> np.ndarray:
    """Resize (H, W) to (h, w); anti-aliasing averages the pixels each new pixel covers."""
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]  # (1,1,H,W)
    if antialias:
        y = F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
    else:
        y = F.interpolate(x, size=size, mode="nearest")
    return y[0, 0].clamp_(0.0, 1.0).numpy()


def fit_size(height: int, width: int, box: int = BOX_SIZE) -> tuple[int, int]:
    """The (h, w) that makes the longer side `box` px and keeps the aspect ratio."""
    scale = box / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, col) of the ink's centre of mass, in pixel indices."""
    total = float(image.sum())
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows = np.arange(image.shape[0], dtype=np.float64)
    cols = np.arange(image.shape[1], dtype=np.float64)
    return float(image.sum(1) @ rows) / total, float(image.sum(0) @ cols) / total


def place(box: np.ndarray, by_mass: bool = True, size: int = IMAGE_SIZE) -> np.ndarray:
    """Paste `box` into a black size×size field, centred by mass (MNIST) or by its edges."""
    h, w = box.shape
    if by_mass:
        cy, cx = center_of_mass(box)
        top, left = round(MNIST_CENTER - cy), round(MNIST_CENTER - cx)
    else:
        top, left = (size - h) // 2, (size - w) // 2
    # Never push ink off the field: a lopsided digit stays whole, as close as it can get.
    top, left = min(max(top, 0), size - h), min(max(left, 0), size - w)
    field_ = np.zeros((size, size), dtype=np.float32)
    field_[top : top + h, left : left + w] = box
    return field_


def preprocess(
    ink: np.ndarray,
    normalization: tuple[float, float],
    options: PreprocessOptions | None = None,
) -> Preprocessed:
    """Turn an ink image into the model's input, keeping every intermediate image to show."""
    opts = options or PreprocessOptions()
    ink = np.asarray(ink, dtype=np.float32)
    out = Preprocessed(steps=[Step("Ink", ink, f"white on black: {_size(ink)}")])
    peak = float(ink.max()) if ink.size else 0.0
    if peak < EMPTY_INK:
        return out
    share = float((ink > 0.5).mean())
    if share > MAX_INK_FRACTION:
        raise InputImageError(
            f"{share:.0%} of the image is ink: that is a scribble, not a digit. "
            "Clear it and draw one digit, with black space around it."
        )
    bbox = ink_bbox(ink)
    if opts.crop and bbox is not None:
        top, bottom, left, right = bbox
        crop = ink[top:bottom, left:right]
        note = f"the ink's box, rows {top}-{bottom - 1}, columns {left}-{right - 1}: " + (
            _resized(ink, crop)
        )
    else:
        crop = ink
        note = f"skipped: the whole image, empty margins included: {_size(crop)}"
    out.steps.append(Step("Crop", crop, note))
    crop, out.doubt = _stroke_step(crop, opts, out.steps)
    aa = "anti-aliased" if opts.antialias else "nearest pixel, no anti-aliasing"
    if opts.fit_box:
        box = resize(crop, fit_size(*crop.shape), opts.antialias)
        note = f"longer side {BOX_SIZE} px, {aa}: {_resized(crop, box)}"
    else:
        box = resize(crop, (IMAGE_SIZE, IMAGE_SIZE), opts.antialias)
        note = f"skipped: squashed, aspect lost, {aa}: {_resized(crop, box)}"
    out.steps.append(Step("Scale", box, note))
    digit = place(box, by_mass=opts.center_of_mass)
    cy, cx = center_of_mass(digit)
    how = "by mass" if opts.center_of_mass else "skipped: box centred by its edges"
    c = f"{MNIST_CENTER:g}"
    note = (
        f"{how}, in a {IMAGE_SIZE}×{IMAGE_SIZE} field; centre of mass at ({cy:.1f}, {cx:.1f}), "
        f"MNIST's is ({c}, {c}): {_resized(box, digit)}"
    )
    out.steps.append(Step("Centre", digit, note))
    out.X = _normalize(digit, normalization, opts.normalize, out.steps)
    out.digit = digit
    return out


def _normalize(
    digit: np.ndarray, normalization: tuple[float, float], on: bool, steps: list[Step]
) -> torch.Tensor:
    """The model's input (1, 1, 28, 28): the digit normalized like the training data (or not,
    when the step is switched off), the step kept to show."""
    X = torch.from_numpy(digit.copy())[None, None]  # (1, 1, 28, 28)
    if on:
        mean, std = normalization
        X = (X - mean) / std
        low, high = float(X.min()), float(X.max())
        note = f"(x - {mean:.4f}) / {std:.4f}: values from {low:.2f} to {high:.2f}"
    else:
        note = "skipped: raw pixels on [0, 1], not what the model was trained on"
    steps.append(Step("Normalize", X[0, 0].numpy(), note))
    return X


def test_digit(index: int) -> tuple[np.ndarray, int]:
    """MNIST test image `index` as (28, 28) float32 ink on [0, 1], and its label."""
    if not 0 <= index < TEST_SIZE:
        raise InputImageError(f"MNIST's test images are numbered 0 to {TEST_SIZE - 1:,}.")
    images, labels = load_raw("MNIST", False)
    return images[index].numpy().astype(np.float32) / 255.0, int(labels[index])


def preprocess_test_digit(
    pixels: np.ndarray, index: int, normalization: tuple[float, float], normalize: bool = True
) -> Preprocessed:
    """A test image is already an MNIST digit: MNIST's makers cropped it, scaled it into the
    20-px box and centred it by mass, so the drawing steps are not done again (they would
    change a digit the model was scored on). Only Normalize is left, exactly as the test set
    is normalized: the model's answer is the one its confusion matrix counted."""
    digit = np.asarray(pixels, dtype=np.float32)
    note = (
        f"MNIST test image {index:,} as stored: {_size(digit)}, already cropped, scaled into "
        f"the {BOX_SIZE}-px box and centred by mass by MNIST's makers"
    )
    out = Preprocessed(steps=[Step("Test image", digit, note)])
    out.X = _normalize(digit, normalization, normalize, out.steps)
    out.digit = digit
    return out


def _size(image: np.ndarray) -> str:
    return f"{image.shape[1]}×{image.shape[0]} px"


def _resized(before: np.ndarray, after: np.ndarray) -> str:
    """'156×196 -> 65×85 px': every step's note ends with the size it got and made."""
    return f"{before.shape[1]}×{before.shape[0]} -> {_size(after)}"


def _stroke_step(
    crop: np.ndarray, opts: PreprocessOptions, steps: list[Step]
) -> tuple[np.ndarray, str]:
    """The pen made MNIST's: strokes thinned to their centre lines and redrawn MNIST_STROKE
    wide, as they will be once the digit fits the box (worked on at WORK_SCALE× its size).

    Ink wider than THICK_PEN of the digit's box has merged strokes and closing loops:
    thinning that to centre lines turned a small thick 4, 6 or 8 into a line ("1, 100%
    sure"), so such strokes are only shaved thinner. Ink as wide as BLOB of the box is a blob
    no method reads reliably: the doubt (the second value) says why, for the page to show."""
    box = BOX_SIZE if opts.fit_box else IMAGE_SIZE
    work = resize(crop, fit_size(*crop.shape, box * WORK_SCALE))
    pen = thickest(work > INK_LEVEL) / WORK_SCALE  # the widest ink, in pixels of the box
    scale = f"{WORK_SCALE} px per box pixel"
    share, doubt = pen / box, ""
    if share >= BLOB:
        doubt = (
            f"The ink is up to {pen:.1f} px wide in the digit's {box}-px box, {share:.0%} of "
            f"it (MNIST's strokes are about {MNIST_STROKE:g}): a pen this thick for a digit "
            "this small merges strokes and closes the loops and gaps that tell digits apart, "
            "so no answer about this drawing can be trusted. Draw the digit larger, or pick "
            "a thinner pen."
        )
    if not opts.stroke:
        note = f"skipped: the pen as drawn, ink up to {pen:.1f} px wide in the box: {_size(crop)}"
        steps.append(Step("Stroke", crop, note))
        return crop, doubt
    if share > THICK_PEN:
        image = shave(work, pen * WORK_SCALE, MNIST_STROKE * WORK_SCALE)
        note = (
            f"ink up to {pen:.1f} px wide in the {box}-px box, {share:.0%} of the digit: too "
            "thick to thin to centre lines (merged strokes would become lines that were never "
            f"drawn), so only shaved towards {MNIST_STROKE:g} px ({scale}): "
            f"{_resized(crop, image)}"
        )
        steps.append(Step("Stroke", image, note))
        return image, doubt
    new = restroke(work, box, crop=opts.crop)
    note = (
        f"a {new.before:.1f} px pen once in the {box}-px box, redrawn {new.after:.1f} px wide "
        f"(MNIST's typical pen is {MNIST_STROKE:g}), {scale}: {_resized(crop, new.image)}"
    )
    steps.append(Step("Stroke", new.image, note))
    return new.image, doubt


def decode_upload(
    data: bytes, name: str = "the file", max_bytes: int = MAX_UPLOAD_BYTES
) -> np.ndarray:
    """Check an uploaded file and decode it to a uint8 (H, W) or (H, W, 4) array.

    The content decides, not the name: a PNG or JPEG within the size limits that decodes
    completely. Anything else is an `InputImageError` that says what was wrong.
    """
    if not data:
        raise InputImageError(f"{name} is empty.")
    if len(data) > max_bytes:
        raise LimitError(
            f"{name} is {len(data) / 2**20:.1f} MiB; the limit is {max_bytes / 2**20:g} MiB."
        )
    is_jpeg = data.startswith(b"\xff\xd8\xff")
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or is_jpeg):
        raise InputImageError(f"{name} is not a PNG or JPEG image (its content says otherwise).")
    try:
        with Image.open(io.BytesIO(data)) as img:
            w, h = img.size
            if w * h > MAX_UPLOAD_PIXELS:
                raise LimitError(
                    f"{name} is {w}×{h} px; the limit is {MAX_UPLOAD_PIXELS / 1e6:.0f} megapixels."
                )
            if min(w, h) < MIN_UPLOAD_SIDE:
                raise InputImageError(
                    f"{name} is only {w}×{h} px: at least {MIN_UPLOAD_SIDE} px a side is needed."
                )
            if is_jpeg:
                img.draft("L", (WORK_SIDE, WORK_SIDE))  # decode JPEGs at a reduced size: faster
            img = ImageOps.exif_transpose(img)  # phones store the rotation in EXIF
            img = _eight_bit(img)
            img.thumbnail((WORK_SIDE, WORK_SIDE))
            has_alpha = "A" in img.getbands() or "transparency" in img.info
            pixels = np.asarray(img.convert("RGBA" if has_alpha else "L"))
    except TorchlabError:
        raise
    except Image.DecompressionBombError:
        raise LimitError(
            f"{name} is far larger than {MAX_UPLOAD_PIXELS / 1e6:.0f} megapixels, the limit."
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:  # the decoder's own words go to the log
        raise InputImageError(
            f"{name} could not be decoded as an image: it is cut short or damaged (error id "
            f"`{logged_error_id(log, exc)}` in the server log)."
        ) from exc
    if pixels.ndim == 3 and not pixels[..., 3].any():
        raise InputImageError(
            f"{name} is fully transparent: there is nothing to see in it. Save the digit "
            "with an opaque background, or draw it on the canvas."
        )
    return pixels


def _eight_bit(img: Image.Image) -> Image.Image:
    """16-bit (and 32-bit integer) greyscale scaled to 8 bits by its own brightest value, not
    clipped and not by 65,535: Pillow's convert to "L" clips every value over 255 to white
    (a 16-bit digit vanished), and a 16-bit file that uses only 0-255 or 0-4095 (12-bit
    scanners) divided by 65,535 is all black."""
    if img.mode not in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        return img
    values = np.asarray(img, dtype=np.float64)
    top = max(float(values.max()), 1.0)
    return Image.fromarray(np.clip(values / top * 255.0, 0, 255).round().astype(np.uint8), "L")
