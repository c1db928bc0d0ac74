"""A test-only backend that trains in a thread of the test process.

Tests that patch the training code (core.engine.runs.worker) to hold a run inside a batch or to
make a step fail need the run in their own process; every other test uses the real backends.
It takes one run at a time: the run draws from torch's global generator, as in a worker.
"""

from __future__ import annotations

import threading

from core.engine.runs.worker import Task, train_task


class InlineBackend:
    name = "inline"
    slots = 1

    def __init__(self) -> None:
        self.stops: set[str] = set()

    def start(self, task: Task, on_event) -> None:
        self.stops.discard(task.job_id)
        threading.Thread(
            target=train_task,
            args=(task, on_event, lambda: task.job_id in self.stops),
            daemon=True,
        ).start()

    def stop(self, job_id: str) -> None:
        self.stops.add(job_id)

    def shutdown(self, timeout: float = 10.0) -> None:
        pass
