"""Stroke width like MNIST's, whatever the pen and the size of the drawing.

Scaling a drawing to MNIST's 20-px box scales its pen too: a digit drawn small with a wide
pen arrives as a blob, one drawn large with a thin pen as a hairline, and a model trained on
MNIST's 2-3 px strokes reads neither well. So the ink is thinned to its skeleton (the centre
line of every stroke, one pixel wide) and redrawn with one pen, MNIST's typical width once
the digit fills the box. The estimate of the old width is the ink's area over its
skeleton's length: a stroke w wide and L long covers about w·L pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import torch
import torch.nn.functional as F

# MNIST's typical stroke, in pixels of its 20-px box: the median of stroke_width over the
# 10,000 test digits, each cropped and blown up ×WORK_SCALE as a drawing is (2.61); the
# middle half of them is 2.2-3.2 px wide, 5% are under 1.7 and 5% over 4.3.
MNIST_STROKE = 2.6
WORK_SCALE = 4  # the redrawing is done at 4 work pixels per box pixel, then scaled down
INK_LEVEL = 0.5  # ink above this is part of a stroke when thinning
# Ink wider than this share of the digit's box is thicker than MNIST's ever are (all of 2,000
# test digits stay under 8 px of 20): loops start to close, and thinning to a skeleton can
# turn merged strokes into a line that was never drawn (a small thick 6 read "1, 100% sure").
THICK_PEN = 0.4
# Ink this wide is a blob: on drawn test digits (0-9, 40-240 px, pens 6-40) every drawing under
# it was read right, shaved or thinned; above it the best method still reads some confidently
# wrong, so the page marks any answer about such a drawing as a guess.
BLOB = 0.5


@dataclass(frozen=True)
class Restroked:
    image: np.ndarray  # (H, W) float32 on [0, 1]: the skeleton redrawn, in work pixels
    before: float  # the old stroke width, in pixels of the box the digit is fitted to
    after: float  # the new one, likewise (MNIST_STROKE, unless the ink is a single dot)


def _neighbours(img: np.ndarray) -> list[np.ndarray]:
    """P2..P9 of every pixel of the padded `img` (N, NE, E, SE, S, SW, W, NW), as views."""
    h, w = img.shape[0] - 2, img.shape[1] - 2
    offsets = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
    return [img[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] for dy, dx in offsets]


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning: peel the boundary pixels whose removal keeps every stroke
    connected, until each stroke is one pixel wide. (H, W) bool -> (H, W) bool."""
    img = np.pad(mask.astype(np.uint8), 1)
    inner = img[1:-1, 1:-1]  # a view: clearing it clears img
    while True:
        removed = 0
        for first in (True, False):
            p = _neighbours(img)
            count = sum(p)  # (H, W) ink neighbours
            ring = [*p, p[0]]
            crossings = sum((a == 0) & (b == 1) for a, b in pairwise(ring))
            if first:
                side = (p[0] * p[2] * p[4] == 0) & (p[2] * p[4] * p[6] == 0)
            else:
                side = (p[0] * p[2] * p[6] == 0) & (p[0] * p[4] * p[6] == 0)
            peel = (inner == 1) & (count >= 2) & (count <= 6) & (crossings == 1) & side
            removed += int(peel.sum())
            inner[peel] = 0
        if not removed:
            return inner.astype(bool)


def stroke_width(mask: np.ndarray, skel: np.ndarray | None = None) -> float:
    """The mean width of the strokes in `mask`, in its pixels: area / skeleton length."""
    skel = skeleton(mask) if skel is None else skel
    return float(mask.sum()) / max(int(skel.sum()), 1)


def pen(skel: np.ndarray, width: float) -> np.ndarray:
    """Draw `skel` with a round pen `width` px wide: every pixel within width/2 of it."""
    r = width / 2
    k = int(np.ceil(r))
    yy, xx = np.mgrid[-k : k + 1, -k : k + 1]
    disk = torch.from_numpy((yy**2 + xx**2 <= r * r).astype(np.float32))[None, None]
    x = torch.from_numpy(skel.astype(np.float32))[None, None]  # (1, 1, H, W)
    return (F.conv2d(x, disk, padding=k)[0, 0] > 0.5).float().numpy()


def depth(mask: np.ndarray) -> np.ndarray:
    """(H, W) float32: how many 3×3 erosions each ink pixel survives, its distance in pixels
    to the nearest background pixel (0 off the ink). The border counts as background."""
    x = torch.from_numpy(np.pad(mask, 1).astype(np.float32))[None, None]  # (1, 1, H+2, W+2)
    out = torch.zeros_like(x)
    while x.any():
        out += x
        x = -F.max_pool2d(-x, 3, stride=1, padding=1)  # erode: a pixel stays if all 9 are ink
    return out[0, 0, 1:-1, 1:-1].numpy()


def thickest(mask: np.ndarray) -> float:
    """The widest the ink gets, in `mask`'s pixels: the diameter of the largest disc that
    fits inside it. A stroke w wide gives about w; strokes merged into a blob give the blob's
    width. MNIST's digits, at the scale of the box: 2.75 px of 20 typically, 5.75 at the 99th
    percentile (2,000 test digits blown up as a drawing is)."""
    return max(2.0 * float(depth(mask).max()) - 1.0, 0.0)


def shave(work: np.ndarray, width: float, target: float) -> np.ndarray:
    """(H, W) float32: the ink of `work` with `(width − target) / 2` pixels taken off every
    edge, cropped to what is left. Thinner strokes, but no stroke turns into a line that was
    not drawn: merged strokes and closed loops stay what they are, only smaller."""
    mask = work > INK_LEVEL
    r = (width - target) / 2
    if r < 0.5:
        return mask.astype(np.float32)
    k = int(np.ceil(r))
    yy, xx = np.mgrid[-k : k + 1, -k : k + 1]
    disk = torch.from_numpy((yy**2 + xx**2 <= r * r).astype(np.float32))[None, None]
    x = torch.from_numpy(np.pad(mask, k).astype(np.float32))[None, None]
    kept = (F.conv2d(x, disk)[0, 0] >= float(disk.sum()) - 0.5).numpy()  # every disk pixel ink
    if not kept.any():
        return mask.astype(np.float32)
    rows, cols = np.flatnonzero(kept.any(1)), np.flatnonzero(kept.any(0))
    return kept[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)


def restroke(work: np.ndarray, box: int, crop: bool = True) -> Restroked:
    """Redraw the strokes of `work` (ink at WORK_SCALE pixels per box pixel: its longer
    side is box·WORK_SCALE) with MNIST's pen, as they will be once fitted to the box.

    Thinning a wide stroke shortens the digit by the old pen's width, and the box scale
    follows the digit: the new pen is sized for the box the redrawn digit will be fitted to.
    `crop=False` keeps the whole frame (and its scale) instead.
    """
    mask = work > INK_LEVEL
    skel = skeleton(mask)
    before = stroke_width(mask, skel) / WORK_SCALE
    if not skel.any():
        return Restroked(work.astype(np.float32), before, before)
    if crop:
        rows, cols = np.flatnonzero(skel.any(1)), np.flatnonzero(skel.any(0))
        skel = skel[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        extent = max(skel.shape) - 1  # work px between the skeleton's farthest pixels
        if extent == 0:  # a dot has no length to redraw: it stays as drawn
            return Restroked(work.astype(np.float32), before, before)
        # the fitted side is extent + width, of which width must be MNIST_STROKE / box
        width = MNIST_STROKE * extent / (box - MNIST_STROKE)
    else:
        width = MNIST_STROKE * max(work.shape) / box
    width = max(width, 1.0)
    k = int(np.ceil(width / 2))
    image = pen(np.pad(skel, k), width)
    return Restroked(image, before, MNIST_STROKE if crop else width * box / max(work.shape))
