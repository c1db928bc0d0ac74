"""How long each experiment's default run set takes, against the estimate the page shows
before it starts and against one plain run measured alongside.

The page's promise is its estimate: each set's wall time is printed against it (estimate /
actual, 1 is exact). Wall time depends on the machine and its load, so the baseline is one
ordinary run (the classic ConvNet, one epoch over 10,000 images, scored on 1,000) timed in the
same process just before; each set is also reported as a multiple of that run. Headline: the
worst estimate / actual of all sets.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/experiment_defaults.py
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from benchmarks.bench import timed_run
from core.engine.learning.config import RunConfig
from core.engine.learning.presets import run_preset
from core.engine.products.estimate import estimate_seconds, measure_step_cost, run_seconds
from core.engine.runs.runner import Runner
from core.experiments import sets as E


def main() -> None:
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    runner = Runner(runs_root=Path(tempfile.mkdtemp(prefix="torchlab-bench-")), max_concurrent=1)
    baseline = RunConfig(train_subset=10_000, test_subset=1_000, name="baseline")
    runner.wait(runner.submit(baseline.with_changes(train_subset=500)))  # load the data once
    start = time.perf_counter()
    snap = runner.wait(runner.submit(baseline))
    base_s = time.perf_counter() - start
    print(f"baseline: classic ConvNet, 1 epoch of 10,000 images: {base_s:.1f} s ({snap.status})")

    costs: dict[str, object] = {}

    def cost(spec):
        key = repr(spec)
        if key not in costs:
            costs[key] = measure_step_cost(spec)
        return costs[key]

    slowest, worst = 0.0, 1.0
    for exp_id, exp in E.EXPERIMENTS.items():
        configs = E.build_runs(exp_id)
        estimate = estimate_seconds(configs, cost)
        start = time.perf_counter()
        ids = E.launch(runner, exp_id, configs)
        statuses = [runner.wait(i).status.value for i in ids]
        took = time.perf_counter() - start
        slowest = max(slowest, took)
        worst = max(worst, estimate / took, took / estimate)  # off by this factor, >= 1
        print(
            f"{exp.title}: {len(configs)} runs in {took:.1f} s = {took / base_s:.2f}× the "
            f"baseline; estimate {estimate:.0f} s, estimate/actual {estimate / took:.2f} "
            f"({', '.join(sorted(set(statuses)))})"
        )
    # The Train page's "What to try": the classic preset on 2,000 images, estimated then run,
    # and estimated again (a later visit times the steps again: it must not swing).
    quick = run_preset("classic").with_changes(train_subset=2_000)
    first = run_seconds(quick, measure_step_cost(quick.model))
    _, took = timed_run(runner, quick)
    second = run_seconds(quick, measure_step_cost(quick.model))
    worst = max(worst, first / took, took / first)
    print(
        f"Train page, the classic preset on 2,000 images: estimate {first:.0f} s, then "
        f"{second:.0f} s on a second visit; real {took:.1f} s (estimate/actual {first / took:.2f})"
    )
    runner.shutdown()
    print(f"slowest default set: {slowest:.1f} s = {slowest / base_s:.2f}× the baseline run")
    print(f"estimates against the real times: off by up to {worst:.2f}× (1 is exact)")


if __name__ == "__main__":
    main()
