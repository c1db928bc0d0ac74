"""Pieces the benchmark scripts share: the machine line they print, one timed run, and the two
throughput measurements (the classic loop in its own process, the runner in this one)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch

from core.engine.learning.config import RunConfig
from core.engine.learning.presets import run_preset
from core.engine.runs.record import Run
from core.engine.runs.runner import Runner

BATCH_SIZE = 32  # the classic preset's, and the classic example's
CLASSIC_LOOP = Path(__file__).with_name("classic_loop.py")


def machine_line() -> str:
    """torch version, cores and threads: what makes wall times comparable between machines."""
    return f"torch {torch.__version__}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads"


def timed_run(runner: Runner, config: RunConfig) -> tuple[Run, float]:
    """Submit `config`, wait for it, and return its snapshot and wall time (data loading,
    training, evaluation and saving included); a run that does not finish is an error."""
    start = time.perf_counter()
    snap = runner.wait(runner.submit(config))
    wall = time.perf_counter() - start
    assert snap.status == "done", snap.error
    return snap, wall


def classic_rate(batches: int, seed: int, device: str = "cpu") -> float:
    """Samples per second of the classic loop, run as its own program (classic_loop.py)."""
    out = subprocess.run(
        [
            sys.executable,
            str(CLASSIC_LOOP),
            f"--batches={batches}",
            f"--seed={seed}",
            f"--device={device}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[-1])


def runner_rate(
    batches: int,
    seed: int,
    runs_root: str,
    device: str = "cpu",
    beside: Callable[[Runner, str, threading.Event], None] | None = None,
) -> float:
    """Samples per second of the runner training the classic preset on `batches` batches, by
    wall time from its first to its last batch; `beside(runner, job_id, done)` runs in a
    thread meanwhile (the Train page's polling) until `done` is set."""
    runner = Runner(runs_root=runs_root, max_concurrent=1)
    config = run_preset("classic").with_changes(
        epochs=1, train_subset=batches * BATCH_SIZE, test_subset=1000, seed=seed, device=device
    )
    job_id = runner.submit(config)
    done = threading.Event()
    if beside is not None:
        threading.Thread(target=beside, args=(runner, job_id, done), daemon=True).start()
    snap = runner.wait(job_id)
    done.set()
    runner.shutdown()
    assert snap.status == "done", snap.error
    last = snap.train[-1]  # logged at the last batch; seconds count from the first batch
    return last["samples"] / last["seconds"]


def alternating_rounds(rounds: int, sides: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Measure every side once per round, a different side leading each round so a drift in
    the machine's load favours none; print each round and the medians, and return those."""
    names = list(sides)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            rates[name].append(sides[name]())
        print(
            f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:,.0f} samples/s" for k, v in rates.items())
        )
    medians = {name: statistics.median(v) for name, v in rates.items()}
    for name, value in medians.items():
        print(f"{name:>10}: {value:,.0f} samples/s (median of {rounds})")
    return medians


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process `pid` has used so far, from /proc (0 once it is gone);
    its children's time is not included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def descendants(pid: int, comm: str | None = None) -> list[int]:
    """Every live process under `pid` (named `comm`, if given), from /proc."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text.split(" (", 1)[1].rsplit(")", 1)
        parents[int(text.split()[0])] = int(rest.split()[1])
        names[int(text.split()[0])] = name
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found += children
        frontier += children
    return [p for p in found if comm is None or names[p] == comm]
