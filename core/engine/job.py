"""One training run as the server holds it: its state under a lock, fed by the run's events.

A run trains outside the web server (core.engine.worker, started by a backend); what it does
comes back as events (start, progress, test, saved, log, end) that `Job.apply` records under
the job's lock. Pages never touch a job: they read `Run`s, copies taken under that lock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from core.engine import runs
from core.engine.runs import Run, RunStatus

MAX_LOG_LINES = 500  # the newest log lines a job keeps


class Job:
    """The mutable state of one job; its fields change only under `lock`."""

    def __init__(
        self, job_id, config, owner, group, initial_state, run_dir, resume=False, stop_after=None
    ):
        self.id = job_id
        self.config = config
        self.owner = owner
        self.group = group
        self.initial_state = initial_state
        self.resume = resume  # continue from the run folder's checkpoint
        self.stop_after = stop_after  # batches, then stop as Stop would (the CLI's budget)
        self.submission = job_id  # the first job of the set it was submitted with
        self.run_dir: Path = run_dir
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.done_event = threading.Event()
        self.status = RunStatus.QUEUED
        self.epoch = 0
        self.step = 0
        self.total_steps = 0
        self.samples_seen = 0
        self.samples0 = 0  # samples_seen when this session of the run started
        self.total_samples = 0
        self.train_seconds = 0.0
        self.started: float | None = None
        self.finished: float | None = None
        self.submitted = time.time()
        self.train: list[dict] = []
        self.test: list[dict] = []
        self.log: deque[str] = deque(maxlen=MAX_LOG_LINES)
        self.log_total = 0
        self.error: str | None = None
        self.init_hash = ""
        self.saved = False  # weights are in the run folder
        self.process = ""  # runs.process_token() of the process training it
        self.stop_after_batches: int | None = None  # batches run after a stop request arrived

    def add_log(self, line: str) -> None:
        """Append a log line; call with `lock` held."""
        self.log.append(line)
        self.log_total += 1

    def snapshot(self) -> Run:
        with self.lock:
            now = time.time()
            elapsed = (self.finished or now) - self.started if self.started else 0.0
            done_here = self.samples_seen - self.samples0  # a resumed run's earlier epochs aside
            rate = done_here / self.train_seconds if self.train_seconds > 0 else 0.0
            eta = None
            if rate > 0 and self.status == RunStatus.RUNNING:
                eta = (self.total_samples - self.samples_seen) / rate
            return Run(
                id=self.id,
                owner=self.owner,
                group=self.group,
                config=self.config,
                status=self.status,
                epoch=self.epoch,
                step=self.step,
                total_steps=self.total_steps,
                samples_seen=self.samples_seen,
                samples_per_s=rate,
                eta_s=eta,
                elapsed_s=elapsed,
                train=list(self.train),
                test=list(self.test),
                log=list(self.log),
                error=self.error,
                run_dir=self.run_dir if self.started else None,
                init_hash=self.init_hash,
                submitted=self.submitted,
                started_at=self.started,
                ended_at=self.finished,
                log_total=self.log_total,
                has_model=self.saved,
                stop_after_batches=self.stop_after_batches,
                process=self.process,
            )

    def apply(self, kind: str, data: dict[str, Any]) -> None:
        """Record one event of the run (see core.engine.worker)."""
        with self.lock:
            if kind == "start":
                self.status = RunStatus.RUNNING
                self.started = data["started"]
                self.init_hash = data["init_hash"]
                self.total_steps, self.total_samples = data["total_steps"], data["total_samples"]
                self.train, self.test = list(data["train"]), list(data["test"])
                self.epoch, self.step = data["epoch"], data["step"]
                self.samples_seen = self.samples0 = data["samples_seen"]
                self.process = data["process"]
            elif kind == "progress":
                self.epoch, self.step = data["epoch"], data["step"]
                self.samples_seen = data["samples_seen"]
                self.train_seconds += data["busy_s"]
                self.train.extend(data["rows"])
                for line in data["lines"]:
                    self.add_log(line)
            elif kind == "test":
                self.test.append(data["row"])
                self.add_log(data["line"])
            elif kind == "saved":
                self.saved = True
            elif kind == "log":
                self.add_log(data["line"])
            elif kind == "end":
                self.status = RunStatus(data["status"])
                self.error = data.get("error")
                self.finished = data["ended"]
                self.stop_after_batches = data.get("stop_after_batches")
                if data.get("died"):
                    self.add_log(f"failed: {self.error}")
        if kind == "end" and data.get("died"):
            self._write_status()  # the worker could not say it any more

    def _write_status(self) -> None:
        with self.lock:
            record = self.status_record()
        with contextlib.suppress(OSError):  # a folder gone or read-only: the page still says it
            runs.write_status(self.run_dir, record)

    def status_record(self) -> dict:
        return {
            "status": self.status.value,
            "owner": self.owner,
            "group": self.group,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "init_hash": self.init_hash,
            "process": self.process,
        }
