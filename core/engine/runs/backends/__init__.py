"""Where runs train. The Runner hands a backend one `Task` at a time and gets events back.

- `local` (the default): worker processes of this machine (core.engine.runs.backends.local);
- `ray`: actors on a Ray cluster, for a class sharing machines
  (core.engine.runs.backends.ray_cluster), chosen with TORCHLAB_BACKEND=ray and
  TORCHLAB_RAY_ADDRESS (default "auto").

Pages never learn which backend runs a job.
"""

from __future__ import annotations

import os
from typing import Protocol

from core.engine.runs.events import OnEvent
from core.engine.runs.worker import Task
from core.errors import ConfigError

BACKEND_ENV = "TORCHLAB_BACKEND"
BACKENDS = ("local", "ray")
MAX_JOBS_ENV = "TORCHLAB_MAX_JOBS"
# A training process's environment, beside the server's. libgomp's threads spin while they
# wait for work by default: when the Train page and its browser share the cores, the spinning
# thread holds a core the page needs and the page's work lands on a core the next op waits for
# (measured on 2 cores, a busy loop taking 30% of one core cost the run about 19% of its
# speed with spinning threads and 5% with passive ones).
WORKER_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


def default_max_concurrent() -> int:
    """`TORCHLAB_MAX_JOBS`, else one run per GPU, and one on a CPU-only machine (two runs
    would only share the cores and both crawl): the local backend's rule."""
    return _max_jobs_env() or max(1, _cuda_devices())


def _max_jobs_env() -> int | None:
    text = os.environ.get(MAX_JOBS_ENV, "")
    return int(text) if text.strip().isdigit() and int(text) > 0 else None


def _cuda_devices() -> int:
    import torch

    return torch.cuda.device_count()


class Backend(Protocol):
    """What a backend offers the Runner. Optionally also `watch_capacity(callback)`: a
    backend whose `slots` change (a Ray cluster's nodes come and go) calls `callback()` when
    they do, so queued runs start on a node that joined."""

    name: str
    slots: int  # runs it trains at once (it may change: the Runner reads it each time)

    def start(self, task: Task, on_event: OnEvent) -> None:
        """Begin training `task`; its events (core.engine.runs.events) arrive on another
        thread, `Ended` last, also when its process dies (`died`)."""

    def stop(self, job_id: str) -> None:
        """Ask a started run to stop before its next batch."""

    def shutdown(self, timeout: float = 10.0) -> None:
        """Give back every worker (runs still training are stopped first by the Runner)."""


class Unreachable:
    """Where runs would train when the backend cannot be had (no Ray cluster answers, Ray is
    not installed): nothing trains, and `problem` says what to set."""

    name = "unreachable"
    slots = 0

    def __init__(self, problem: str):
        self.problem = problem

    def start(self, task: Task, on_event: OnEvent) -> None:
        raise ConfigError(self.problem)

    def stop(self, job_id: str) -> None:
        pass

    def shutdown(self, timeout: float = 10.0) -> None:
        pass


def make_backend(slots: int | None = None, name: str | None = None) -> Backend:
    """The backend TORCHLAB_BACKEND names (default local), with `slots` runs at once; without
    `slots` (or TORCHLAB_MAX_JOBS), the local backend's rule (`default_max_concurrent`), and
    for Ray as many as the cluster's resources hold, following its nodes."""
    name = (name or os.environ.get(BACKEND_ENV) or "local").strip().lower()
    if name == "local":
        from core.engine.runs.backends.local import LocalBackend

        return LocalBackend(slots or default_max_concurrent())
    if name == "ray":
        from core.engine.runs.backends.ray_cluster import RayBackend

        return RayBackend(slots or _max_jobs_env())
    raise ConfigError(
        f"{BACKEND_ENV}={name!r} is not a backend; use one of: {', '.join(BACKENDS)}."
    )
