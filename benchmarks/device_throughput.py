"""Training throughput on an accelerator: the runner against the classic loop, both on it.

The same two sides as training_throughput.py (the classic preset, batches of 32, Adadelta at
lr 0.5, the same seed), on a GPU or mps: the classic loop turns every image into a tensor on
the CPU and copies each batch to the device; the runner keeps the whole normalized dataset on
the device and takes each batch by indexing it there. No live polling here (the CPU benchmark
measures that). Rounds alternate who goes first; figures are medians; the headline (last line)
is the ratio of samples per second, runner over classic.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/device_throughput.py --device cuda
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from benchmarks.bench import (
    BATCH_SIZE,
    alternating_rounds,
    classic_rate,
    machine_line,
    runner_rate,
)
from core.devices import resolve_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batches", type=int, default=1875, help="batches per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    device = str(resolve_device(args.device))
    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else device
    print(
        f"{machine_line()}, device {device} ({name}); {args.batches} batches of {BATCH_SIZE} "
        f"per measurement, {args.rounds} rounds"
    )
    with tempfile.TemporaryDirectory() as runs_root:
        med = alternating_rounds(
            args.rounds,
            {
                "classic": lambda: classic_rate(args.batches, args.seed, device),
                "runner": lambda: runner_rate(args.batches, args.seed, runs_root, device),
            },
        )
    ratio = med["runner"] / med["classic"]
    print(f"throughput ratio on {device}, runner / classic DataLoader loop: {ratio:.2f}x")


if __name__ == "__main__":
    main()
