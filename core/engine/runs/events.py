"""The contract between a training process and the server: typed events, in one module.

A run's training body (core.engine.runs.worker) reports what happens as these events:
`Started` first, then `Progress`, `Tested`, `Probed`, `Saved` and `Logged` as they happen,
`Ended` always last.
Both backends carry them unchanged (they are plain data and pickle), the runner adds `Handed`
when a backend takes a run and a died `Ended` when a training process vanishes, and the
server's Job (core.engine.runs.job) applies them. `status_after` is the one rule that turns
events into a run's status. A new backend implements the Backend protocol and passes these on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.engine.runs.record import RunStatus

Row = dict[str, Any]  # a metrics row (step, epoch, samples, seconds, loss, ...)


@dataclass(frozen=True)
class Handed:
    """A backend took the run: its process is loading the data and building the model."""


@dataclass(frozen=True)
class Started:
    """The run has its data and model and trains its first (or, resumed, its next) batch."""

    started: float  # unix time the run first started (kept across resumes)
    init_hash: str  # short hash of the initial weights
    total_steps: int  # batches over all epochs
    total_samples: int
    epoch: int  # the epoch it starts in, from 1
    step: int  # batches already done (a resumed run's earlier epochs)
    samples_seen: int
    process: str  # core.engine.runs.folder.process_token() of the training process
    train: list[Row] = field(default_factory=list)  # the curve so far (a resumed run's)
    test: list[Row] = field(default_factory=list)
    probes: list[Row] = field(default_factory=list)  # the probes so far (a resumed run's)
    resumed_after: int | None = None  # the epoch whose checkpoint a resumed run continues from


@dataclass(frozen=True)
class Progress:
    """Batches done since the last Progress, with the rows they logged."""

    epoch: int
    step: int
    samples_seen: int
    busy_s: float  # seconds spent training these batches (not evaluating, not waiting)
    rows: list[Row] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the classic log line of each row
    halted: bool = False  # a stop took effect: no batch trains any more (testing, saving next)


@dataclass(frozen=True)
class Tested:
    row: Row  # epoch (a fraction when a stop cut one short), step, samples, loss, accuracy
    line: str


@dataclass(frozen=True)
class Probed:
    """One probe of the network's inside (core.engine.learning.probes), and the probe digit
    as the network sees it now."""

    probe: Row
    digit: dict[str, Any] | None = None


@dataclass(frozen=True)
class Saved:
    """The run folder holds trained weights (after an epoch, or at a stop)."""


@dataclass(frozen=True)
class Logged:
    line: str


@dataclass(frozen=True)
class Ended:
    status: RunStatus  # done, stopped or failed
    ended: float  # unix time
    error: str | None = None  # for failed: the message for the page
    stop_after_batches: int | None = None  # batches trained after a stop request arrived
    died: bool = False  # the training process could not say it: the server writes the folder


Event = Handed | Started | Progress | Tested | Probed | Saved | Logged | Ended
OnEvent = Callable[[Event], None]


def died(error: str) -> Ended:
    """The end of a run whose training process is gone or never started."""
    return Ended(RunStatus.FAILED, time.time(), error, died=True)


def stopped_before_start() -> Ended:
    return Ended(RunStatus.STOPPED, time.time())


def status_after(status: RunStatus, event: Event) -> RunStatus:
    """A run's status after `event`: the only place events decide it."""
    if isinstance(event, Handed | Started):
        return RunStatus.RUNNING
    if isinstance(event, Ended):
        return RunStatus(event.status)
    return status
