"""Pieces the benchmark scripts share: the machine line they print and one timed run."""

from __future__ import annotations

import os
import time

import torch

from core.config import RunConfig
from core.runner import JobSnapshot, Runner


def machine_line() -> str:
    """torch version, cores and threads: what makes wall times comparable between machines."""
    return f"torch {torch.__version__}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads"


def timed_run(runner: Runner, config: RunConfig) -> tuple[JobSnapshot, float]:
    """Submit `config`, wait for it, and return its snapshot and wall time (data loading,
    training, evaluation and saving included); a run that does not finish is an error."""
    start = time.perf_counter()
    snap = runner.wait(runner.submit(config))
    wall = time.perf_counter() - start
    assert snap.status == "done", snap.error
    return snap, wall
