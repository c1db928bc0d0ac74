"""Canvas latency: preprocessing + forward for one drawing on the CPU (or --device), p50, p95.

200 drawings (MNIST test digits redrawn at canvas scale, see canvas_accuracy.py) each go
through what the page runs per stroke: canvas RGBA -> ink -> crop -> 20-px box -> centre of
mass -> normalize -> forward pass. The baseline, measured in the same run on the same inputs,
is the bare forward pass: the ratio says how much the preprocessing adds.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/canvas_latency.py [--model DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.canvas_accuracy import render_as_canvas
from core.canvas import preprocess as inf
from core.devices import synchronize
from core.engine.learning.data import load_raw
from core.engine.products import predictor as pr
from core.engine.products.predictor import PRETRAINED_DIR

DRAWINGS = 200  # the brief's sample size
WARMUP = 20  # untimed runs first: allocator and kernel caches warm, as on a live page


def percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PRETRAINED_DIR, help="a model folder")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: its default)")
    parser.add_argument("--device", default="cpu", help="cpu (the goal's), cuda or mps")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device
    predictor = pr.load_predictor(args.model, device)
    images, _ = load_raw("MNIST", train=False)
    drawings = render_as_canvas(images[:DRAWINGS])  # (200, 280, 280, 4) uint8
    threads = torch.get_num_threads()
    print(
        f"machine: {os.cpu_count()} CPUs, torch {torch.__version__} ({threads} threads), {device}"
    )
    print(f"model: {args.model}; {DRAWINGS} drawings of {inf.CANVAS_SIZE}×{inf.CANVAS_SIZE} px")

    def whole_path(rgba: np.ndarray) -> tuple[float, torch.Tensor]:
        start = time.perf_counter()
        prep = inf.preprocess(inf.ink_image(rgba), predictor.normalization)
        pr.predict(predictor.model, prep.X, device)
        return (time.perf_counter() - start) * 1e3, prep.X

    def bare_forward(X: torch.Tensor) -> float:
        X = X.to(device)
        synchronize(device)
        start = time.perf_counter()
        with torch.inference_mode():
            predictor.model(X)
        synchronize(device)
        return (time.perf_counter() - start) * 1e3

    for rgba in drawings[:WARMUP]:
        bare_forward(whole_path(rgba)[1])
    # Interleaved, so both see the same machine load at the same moments.
    path_ms, forward_ms = [], []
    for rgba in drawings:
        ms, X = whole_path(rgba)
        path_ms.append(ms)
        forward_ms.append(bare_forward(X))
    p50, p95 = percentiles(path_ms)
    f50, f95 = percentiles(forward_ms)
    print(f"baseline, bare forward pass: p50 {f50:.2f} ms, p95 {f95:.2f} ms")
    print(f"preprocessing + forward:     p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    print(f"ratio whole path / bare forward (p50): {p50 / f50:.2f}")
    print(f"canvas latency p50 {p50:.2f} ms, p95 {p95:.2f} ms on {device} (goal < 20 ms p50)")


if __name__ == "__main__":
    main()
