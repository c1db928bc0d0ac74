"""One training run as the server holds it: its state under a lock, fed by the run's events.

A run trains outside the web server (core.engine.runs.worker, started by a backend); what it does
comes back as typed events (core.engine.runs.events) that `Job.apply` records under the
job's lock. Pages never touch a job: they read `Run`s, copies taken under that lock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from pathlib import Path

from core.engine.runs.events import (
    Ended,
    Event,
    Logged,
    Probed,
    Progress,
    Saved,
    Started,
    Tested,
    status_after,
)
from core.engine.runs.folder import StatusRecord, write_status
from core.engine.runs.record import Run, RunStatus

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
        self.probing = True  # record the network's inside (core.engine.learning.probes)
        self.probe_image: list[list[float]] | None = None  # the digit the probes show
        self.submission = job_id  # the first job of the set it was submitted with
        self.on_disk = False  # its folder was there before it was queued (a run started again)
        self.stopped_by = ""  # "server": a server shutdown stopped it
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
        self.probes: list[dict] = []
        self.digit: dict | None = None
        self.log: deque[str] = deque(maxlen=MAX_LOG_LINES)
        self.log_total = 0
        self.error: str | None = None
        self.init_hash = ""
        self.saved = False  # weights are in the run folder
        self.process = ""  # process_token() of the process training it
        self.stop_after_batches: int | None = None  # batches run after a stop request arrived
        self.resumed_after: int | None = None  # the epoch a resumed run continued from
        self.halted = False  # a stop took effect; the run is testing and saving what it kept

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
                resumed_after=self.resumed_after,
                stop_requested=self.stop_event.is_set() and self.finished is None,
                halted=self.halted and self.finished is None,
                probes=list(self.probes),
                digit=self.digit,
                stopped_by=self.stopped_by if self.status == RunStatus.STOPPED else "",
            )

    def apply(self, event: Event) -> None:
        """Record one event of the run (core.engine.runs.events)."""
        with self.lock:
            self.status = status_after(self.status, event)
            match event:
                case Started():
                    self.started = event.started
                    self.init_hash = event.init_hash
                    self.total_steps, self.total_samples = event.total_steps, event.total_samples
                    self.train, self.test = list(event.train), list(event.test)
                    self.probes = list(event.probes)
                    self.epoch, self.step = event.epoch, event.step
                    self.samples_seen = self.samples0 = event.samples_seen
                    self.process = event.process
                    self.resumed_after = event.resumed_after
                case Progress():
                    self.epoch, self.step = event.epoch, event.step
                    self.samples_seen = event.samples_seen
                    self.train_seconds += event.busy_s
                    self.train.extend(event.rows)
                    self.halted = self.halted or event.halted
                    for line in event.lines:
                        self.add_log(line)
                case Tested():
                    self.test.append(event.row)
                    self.add_log(event.line)
                case Probed():
                    self.probes.append(event.probe)
                    self.digit = event.digit or self.digit
                case Saved():
                    self.saved = True
                case Logged():
                    self.add_log(event.line)
                case Ended():
                    self.error = event.error
                    self.finished = event.ended
                    self.stop_after_batches = event.stop_after_batches
                    if event.died:
                        self.add_log(f"failed: {self.error}")
        if isinstance(event, Ended) and event.died and self.started:
            self._write_status()  # the worker could not say it any more
        elif isinstance(event, Ended) and event.status == RunStatus.STOPPED and self.stopped_by:
            self._write_status()  # what only the server knows: who stopped it

    def _write_status(self) -> None:
        with self.lock:
            record = StatusRecord(
                self.status,
                owner=self.owner,
                group=self.group,
                started=self.started,
                finished=self.finished,
                error=self.error,
                init_hash=self.init_hash,
                process=self.process,
                resumed_after=self.resumed_after,
                submitted=self.submitted,
                stopped_by=self.stopped_by if self.status == RunStatus.STOPPED else "",
            )
        with contextlib.suppress(OSError):  # a folder gone or read-only: the page still says it
            write_status(self.run_dir, record)
