"""What probing the inside of a run costs it: the classic preset trained by the runner (worker
processes, as in the app) with probes and without, in alternating rounds (5 by default), the
rate of each run from its own metrics (images over seconds, first batch to last). Also what
probes weigh: one live update's panel (the JSON the page's chart fetches, with and without the
probe digit's pictures) and probes.json per 1,000 training steps. Whole runs are noisy next to
a cost of a few percent, so it also times, in this process, a probe step against a plain one
of the same model (alternating, medians) and prints the share of training time that makes at
the rate the runs probed. Headline (last line): the throughput lost to probes, median of the
rounds.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/probe_cost.py
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import statistics
import time

import torch
import torch.nn.functional as F

from benchmarks.bench import BATCH_SIZE, alternating_rounds, machine_line
from core.engine.learning.models import build_model
from core.engine.learning.optimizers import build_optimizer
from core.engine.learning.presets import run_preset
from core.engine.learning.probes import SATURATING, Prober
from core.engine.looks.inside import inside_payload
from core.engine.runs.folder import PROBES_FILE
from core.engine.runs.runner import Runner


def step_times(config, rounds: int = 7, steps: int = 60) -> tuple[float, float]:
    """(a plain training step's ms, a probe step's ms): the preset's model on random batches,
    one Prober kept on it as in a run, a probe forced on every other step."""
    torch.manual_seed(0)
    model = build_model(config.model)
    optimizer = build_optimizer(config.optimizer, config.lr, config.optimizer_params,
                                model.parameters())  # fmt: skip
    X, y = torch.randn(BATCH_SIZE, 1, 28, 28), torch.randint(0, 10, (BATCH_SIZE,))
    prober = Prober(model, optimizer, X[:1])

    def step(probe: bool) -> float:
        if probe:
            prober.last_step = None  # due now
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        F.nll_loss(model(X), y).backward()
        optimizer.step()
        took = time.perf_counter() - t0
        prober.take()
        return took * 1000

    for _ in range(10):
        step(True), step(False)  # warm-up: the first probe fixes the edges and the samples
    plain, probed = [], []
    for _ in range(rounds):
        plain.append(statistics.median(step(False) for _ in range(steps)))
        probed.append(statistics.median(step(True) for _ in range(steps // 6)))
    prober.close()
    return statistics.median(plain), statistics.median(probed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=1500, help="batches per run")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    config = run_preset("classic").with_changes(
        epochs=1, train_subset=args.batches * BATCH_SIZE, test_subset=1000
    )
    print(f"{machine_line()}; the classic preset, {args.batches} batches per run, cpu")
    sizes: dict[str, list[float]] = {"panel": [], "digit": [], "file": [], "probes": []}
    with tempfile.TemporaryDirectory() as root:
        runner = Runner(runs_root=Path(root), max_concurrent=1)

        def rate(probes: bool) -> float:
            snap = runner.wait(runner.submit(config, probes=probes))
            assert snap.status == "done", snap.error
            if probes:
                panel = inside_payload(snap.probes, None, SATURATING)
                digit = inside_payload(snap.probes, snap.digit, SATURATING)
                sizes["panel"].append(len(json.dumps(panel)))
                sizes["digit"].append(len(json.dumps(digit)))
                steps = snap.probes[-1]["step"]
                sizes["file"].append((snap.run_dir / PROBES_FILE).stat().st_size * 1000 / steps)
                sizes["probes"].append(len(snap.probes) * 1000 / steps)
            last = snap.train[-1]
            return last["samples"] / last["seconds"]

        try:
            rate(False)  # warm-up: the worker starts and loads the data once
            medians = alternating_rounds(
                args.rounds, {"probes off": lambda: rate(False), "probes on": lambda: rate(True)}
            )
        finally:
            runner.shutdown()

    def mean(key: str) -> float:
        return sum(sizes[key]) / len(sizes[key])

    plain, probed = step_times(config)
    share = (probed - plain) * mean("probes") / (1000 * plain)
    print(
        f"one step: {plain:.1f} ms plain, {probed:.1f} ms with a probe (this process); at "
        f"{mean('probes'):.1f} probes per 1,000 steps, probes take {share:.1%} of training's time"
    )

    print(
        f"probes per 1,000 steps: {mean('probes'):.1f}; probes.json per 1,000 steps: "
        f"{mean('file') / 1024:.1f} KiB"
    )
    print(
        f"one live update's panel: {mean('panel') / 1024:.1f} KiB, "
        f"{mean('digit') / 1024:.1f} KiB with the probe digit's pictures"
    )
    cost = 1 - medians["probes on"] / medians["probes off"]
    print(f"throughput lost to probes: {cost:.1%} (goal <= 2%)")


if __name__ == "__main__":
    main()
