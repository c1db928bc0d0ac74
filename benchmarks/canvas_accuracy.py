"""Canvas accuracy: MNIST test digits redrawn at canvas scale, read back through the canvas path.

Each 28×28 test digit is blown up to the 280×280 canvas (white on black), thresholded and
thickened the way a pen stroke is, with soft edges like the canvas's anti-aliased strokes.
Then it goes through exactly what the page does (ink -> crop -> 20-px box -> centre of mass
-> normalize -> model). The baseline, measured in the same run, is the same model on the
original 28×28 images; the ratio says how much the canvas path costs in accuracy.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/canvas_accuracy.py [--model DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.canvas import preprocess as inf
from core.engine.learning.data import load_raw
from core.engine.products import predictor as pr
from core.engine.products.predictor import PRETRAINED_DIR

PEN_RADIUS = 3  # canvas pixels added around each stroke: a pen a little wider than MNIST's


def render_as_canvas(digits: torch.Tensor, pen_radius: int = PEN_RADIUS) -> np.ndarray:
    """uint8 (N, 280, 280, 4) RGBA canvas images of uint8 (N, 28, 28) MNIST digits."""
    x = digits.to(torch.float32).div(255).unsqueeze(1)  # (N, 1, 28, 28)
    scale = inf.CANVAS_SIZE // 28
    big = F.interpolate(
        x, scale_factor=scale, mode="bilinear", align_corners=False
    )  # (N,1,280,280)
    stroke = (big > 0.5).float()  # a pen has no grey: ink or no ink
    k = 2 * pen_radius + 1
    # Thicken like a pen: a k×k max filter, as two 1-D passes (same result, k/2 times faster).
    stroke = F.max_pool2d(stroke, (k, 1), stride=1, padding=(pen_radius, 0))
    stroke = F.max_pool2d(stroke, (1, k), stride=1, padding=(0, pen_radius))
    stroke = F.avg_pool2d(stroke, 3, stride=1, padding=1)  # soft edges, as the canvas draws
    grey = (stroke[:, 0] * 255).round().to(torch.uint8).numpy()  # (N, 280, 280)
    alpha = np.full_like(grey, 255)
    return np.stack([grey, grey, grey, alpha], axis=-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PRETRAINED_DIR, help="a model folder")
    parser.add_argument("--limit", type=int, default=10_000, help="test digits to use")
    parser.add_argument("--batch", type=int, default=500, help="digits rendered at once")
    args = parser.parse_args()
    predictor = pr.load_predictor(args.model)
    mean, std = predictor.normalization
    images, labels = load_raw("MNIST", train=False)
    images, labels = images[: args.limit], labels[: args.limit]
    print(f"machine: {os.cpu_count()} CPUs, torch {torch.__version__}, device cpu")
    print(f"model: {args.model} (normalization mean {mean:.4f}, std {std:.4f})")

    with torch.inference_mode():
        X = images.to(torch.float32).div(255).sub(mean).div(std).unsqueeze(1)  # (N, 1, 28, 28)
        direct = predictor.model(X).argmax(1)  # (N,)
    base_acc = float((direct == labels).float().mean())

    start = time.perf_counter()
    inputs, empty = [], 0
    for i in range(0, len(images), args.batch):
        for rgba in render_as_canvas(images[i : i + args.batch]):
            prep = inf.preprocess(inf.ink_image(rgba), predictor.normalization)
            if prep.empty:
                empty += 1
                prep.X = torch.zeros(1, 1, 28, 28)
            inputs.append(prep.X)
    seconds = time.perf_counter() - start
    with torch.inference_mode():
        via_canvas = predictor.model(torch.cat(inputs)).argmax(1)  # (N,)
    canvas_acc = float((via_canvas == labels).float().mean())
    agree = float((via_canvas == direct).float().mean())

    n = len(images)
    print(
        f"digits: {n}; rendered + preprocessed in {seconds:.1f} s ({seconds / n * 1e3:.2f} ms each)"
    )
    print(f"empty after rendering: {empty}")
    print(f"baseline, original 28×28 digits: {base_acc:.2%}")
    print(f"same answer as on the original: {agree:.2%}")
    print(f"ratio canvas / baseline: {canvas_acc / base_acc:.4f}")
    print(f"canvas-path accuracy: {canvas_acc:.2%} (goal ≥ 97%) on {n} MNIST test digits")


if __name__ == "__main__":
    main()
