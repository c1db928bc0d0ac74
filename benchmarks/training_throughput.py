"""Training throughput of the default preset against the classic PyTorch MNIST loop.

Both train the same model (the classic ConvNet, same seed) with Adadelta at lr 0.5 and batches
of 32 on the CPU:
- classic: torchvision MNIST with ToTensor + Normalize run per image, batched by a DataLoader
  (num_workers=0, as the classic example runs on a CPU), the loop of pytorch/examples mnist,
  run as a program of its own (classic_loop.py), as people run that example;
- torchlab: the background runner (core.engine.runs.runner) on the data as one normalized
  tensor, batches as index slices, with a thread polling snapshots and building the live
  figures at the Train page's rate (what the page's fragment does while a run trains), in
  this process, whose main thread does no parallel torch work, as in the Streamlit server;
- and the cost of that polling, measured on one long run by alternating windows with and
  without it.
Classic and torchlab are interleaved round by round (alternating who goes first) so a change
in the machine's load hits both alike; both rates are wall-clock, from the first batch to the
last; the figures are medians over the rounds. The headline (last line) is the ratio of
samples per second, torchlab with polling over classic.

The classic loop runs as its own program, as people run that example; the runner trains in
its worker process, as it does in the app.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/training_throughput.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
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
from core.engine.looks.figures import accuracy_figure, loss_figure
from core.engine.runs.runner import Runner
from views.train.live import POLL_S


def _draw(runner: Runner, job_id: str) -> None:
    """What the Train page's fragment does on each tick: a snapshot, the two live figures."""
    snap = runner.snapshot(job_id)
    series = [(snap.name, snap.train, snap.test)]
    loss_figure(series).to_json()
    accuracy_figure(series).to_json()


def _poll(runner: Runner, job_id: str, done: threading.Event) -> None:
    while not done.wait(POLL_S):
        _draw(runner, job_id)


def polling_cost(seconds: float, runs_root: str, window: float = 3.0) -> tuple[float, float, float]:
    """(cost, samples/s while polling, samples/s not polling) over one long run: windows with
    and without polling, in pairs next to each other in time (the order alternating), so each
    pair sees the same machine load; the cost is the median over pairs of 1 - polled / quiet."""
    runner = Runner(runs_root=runs_root, max_concurrent=1)
    job_id = runner.submit(run_preset("classic").with_changes(epochs=10, device="cpu"))
    while runner.snapshot(job_id).step == 0:
        time.sleep(0.05)

    def rate(poll: bool) -> float:
        s0, t0 = runner.snapshot(job_id).samples_seen, time.perf_counter()
        while time.perf_counter() < t0 + window:
            if poll:
                _draw(runner, job_id)
            time.sleep(max(0.0, min(POLL_S, t0 + window - time.perf_counter())))
        return (runner.snapshot(job_id).samples_seen - s0) / (time.perf_counter() - t0)

    pairs: list[tuple[float, float]] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        first = len(pairs) % 2 == 0  # polled first in every other pair
        a = rate(first)
        b = rate(not first)
        pairs.append((a, b) if first else (b, a))
    runner.stop(job_id)
    runner.shutdown()
    cost = statistics.median(1 - polled / quiet for polled, quiet in pairs)
    return (
        cost,
        statistics.median(p for p, _ in pairs),
        statistics.median(q for _, q in pairs),
    )


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
    parser.add_argument("--polling-seconds", type=float, default=60.0)
    args = parser.parse_args()

    print(
        f"{machine_line()}, device cpu; {args.batches} batches of {BATCH_SIZE} per measurement, "
        f"{args.rounds} rounds"
    )
    with tempfile.TemporaryDirectory() as runs_root:
        med = alternating_rounds(
            args.rounds,
            {
                "classic": lambda: classic_rate(args.batches, args.seed),
                "torchlab": lambda: runner_rate(args.batches, args.seed, runs_root, beside=_poll),
            },
        )
        cost, polled, quiet = polling_cost(args.polling_seconds, runs_root)
    profile_ours()
    print(
        f"polling cost: {cost:.1%} of throughput (median over pairs of windows; {polled:,.0f} "
        f"samples/s while polling every {POLL_S} s, {quiet:,.0f} without, "
        f"over {args.polling_seconds:.0f} s)"
    )
    print(
        f"throughput ratio, torchlab (with live polling) / classic DataLoader loop: "
        f"{med['torchlab'] / med['classic']:.2f}x"
    )


if __name__ == "__main__":
    main()
