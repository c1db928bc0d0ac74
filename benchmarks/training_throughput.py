"""Training throughput of the default preset against the classic PyTorch MNIST loop, on a quiet
machine and with one core busy.

Both train the same model (the classic ConvNet, same seed) with Adadelta at lr 0.5 and batches
of 32 on the CPU:
- classic: torchvision MNIST with ToTensor + Normalize run per image, batched by a DataLoader
  (num_workers=0, as the classic example runs on a CPU), the loop of pytorch/examples mnist,
  run as a program of its own (classic_loop.py), as people run that example;
- torchlab: the runner (core.engine.runs.runner) training in its worker process, as in the
  app, on the data as one normalized tensor, batches as index slices.
Each twice: on the machine as it is ("quiet", say the load it had), and beside a second
process spinning on one core (what a browser redrawing, or another program, does to a
learner's laptop). Classic and torchlab are interleaved round by round, alternating who goes
first, so a change in the machine's load hits both alike; rates are wall-clock, first batch
to last; figures are medians over the rounds. Headline (last line): torchlab over classic,
quiet and with one core busy.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/training_throughput.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
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
from core.engine.learning.models import build_model
from core.engine.learning.presets import run_preset


@contextmanager
def one_core_busy():
    """A second process spinning on one core for as long as the block runs."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def profile_ours(batches: int = 60) -> None:
    """Where the time goes in the runner's loop: the top operators by their own CPU time."""
    from torch.profiler import ProfilerActivity, profile

    from core.engine.learning.loop import train_one_epoch
    from core.engine.learning.setup import load_run_data, make_optimizer

    config = run_preset("classic").with_changes(train_subset=batches * BATCH_SIZE)
    X, y, _, _ = load_run_data(config, "cpu")
    torch.manual_seed(0)
    model = build_model(config.model)
    optimizer = make_optimizer(config, model.parameters())
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train_one_epoch(
            model, X, y, optimizer, batch_size=BATCH_SIZE, generator=torch.Generator(),
            device="cpu",
        )  # fmt: skip
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    print("where the runner's time goes (self CPU time, top operators):")
    for e in events[:6]:
        print(f"  {e.key:<40} {e.self_cpu_time_total / total:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=600, help="batches per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        f"{machine_line()}, device cpu; {args.batches} batches of {BATCH_SIZE} per measurement, "
        f"{args.rounds} rounds; load average before: {os.getloadavg()[0]:.2f}"
    )
    ratios = {}
    with tempfile.TemporaryDirectory() as runs_root:
        sides = {
            "classic": lambda: classic_rate(args.batches, args.seed),
            "torchlab": lambda: runner_rate(args.batches, args.seed, runs_root),
        }
        print("-- quiet --")
        quiet = alternating_rounds(args.rounds, sides)
        ratios["quiet"] = quiet["torchlab"] / quiet["classic"]
        print("-- one core busy (a second process spinning) --")
        with one_core_busy():
            busy = alternating_rounds(args.rounds, sides)
        ratios["one core busy"] = busy["torchlab"] / busy["classic"]
    profile_ours()
    print(
        "throughput ratio, torchlab runner / classic DataLoader loop: "
        + ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items())
    )


if __name__ == "__main__":
    main()
