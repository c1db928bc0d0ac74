"""A run as every page reads it, live from the runner or back from its folder: one type.

`Run` is a frozen snapshot; `RunStatus` its status. Where a run's status comes from: the
events of its training (core.engine.runs.events) while the server holds it, status.json
(core.engine.runs.folder) after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.engine.learning.config import RunConfig
from core.engine.learning.data import TRAIN_SIZE
from core.engine.learning.loop import steps_per_epoch


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # read from disk: the process that trained it is gone


FINISHED = frozenset({RunStatus.DONE, RunStatus.STOPPED, RunStatus.FAILED, RunStatus.INTERRUPTED})


@dataclass(frozen=True)
class Run:
    """One run as a page reads it, live from the runner or back from its folder: one type."""

    id: str  # the job id, also the run folder's name
    config: RunConfig
    status: RunStatus
    owner: str = ""  # the browser session that started it ("" for headless)
    group: str = ""  # e.g. an experiment id; "" for a plain run
    epoch: int = 0  # the epoch in progress (or the last one), from 1
    step: int = 0  # batches done over all epochs
    total_steps: int = 0
    samples_seen: int = 0
    samples_per_s: float = 0.0  # training images per second, evaluation excluded
    eta_s: float | None = None  # seconds left, None until there is a rate to go by
    elapsed_s: float = 0.0  # wall time since the run started
    train: list[dict[str, Any]] = field(default_factory=list)  # per logged step
    test: list[dict[str, Any]] = field(default_factory=list)  # per epoch
    log: list[str] = field(default_factory=list)  # "epoch: 1 [320 / 60000] (1%)  training ..."
    log_total: int = 0  # lines ever logged (`log` keeps the newest ones)
    error: str | None = None  # for FAILED: the message for the page
    run_dir: Path | None = None  # where the run is saved (None until it starts)
    init_hash: str = ""  # short hash of the initial weights (equal = identical start)
    submitted: float = 0.0  # unix times
    started_at: float | None = None
    ended_at: float | None = None
    has_model: bool = False  # the folder holds trained weights the Canvas page can load
    stop_after_batches: int | None = None  # batches trained after a stop request arrived
    process: str = ""  # process_token() of the process that trains it
    resumed_after: int | None = None  # a resumed run: the epoch whose checkpoint it continued from
    stop_requested: bool = False  # Stop was asked for and the run has not ended yet
    halted: bool = False  # the stop took effect (no batch trains); testing and saving remain
    probes: list[dict[str, Any]] = field(default_factory=list)  # the network's inside, by step
    digit: dict[str, Any] | None = None  # the probe digit's feature maps and softmax, latest
    problems: tuple[str, ...] = ()  # what could not be read back from its folder, in words
    stopped_by: str = ""  # "server": a server shutdown stopped it (not its tab)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def name(self) -> str:
        return self.config.name or self.id

    @property
    def progress(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0

    @property
    def metrics(self) -> list[dict[str, Any]]:
        """All rows of metrics.csv: the training rows then the test rows."""
        return [{"kind": "train", **r} for r in self.train] + [
            {"kind": "test", **r} for r in self.test
        ]

    @property
    def final_accuracy(self) -> float | None:
        return self.test[-1]["accuracy"] if self.test else None

    @property
    def tested_mid_epoch(self) -> bool:
        """The last test row scored the model a stop cut short (its epoch is a fraction)."""
        return bool(self.test) and not float(self.test[-1]["epoch"]).is_integer()

    @property
    def tested_when(self) -> str:
        """When the last test accuracy was measured: "after epoch 2", or, for a run stopped
        mid-epoch (its kept model is tested at the stop), "when stopped, 1.43 epochs in"."""
        if not self.test:
            return "not tested yet"
        epoch = float(self.test[-1]["epoch"])
        return (
            f"when stopped, {epoch:g} epochs in"
            if self.tested_mid_epoch
            else f"after epoch {epoch:g}"
        )

    @property
    def final_test_loss(self) -> float | None:
        return self.test[-1]["loss"] if self.test else None

    @property
    def never_started(self) -> bool:
        """Accepted, but it never trained a batch (it waited in the queue)."""
        return self.started_at is None and not self.train

    def what_happened(self) -> str:
        """What became of the run, in one phrase: "interrupted by a server restart at epoch 2,
        step 1,388", "waiting in the queue when the server stopped"."""
        where = (
            f"at epoch {self.epoch}, step {self.step:,}" if self.step else "before its first batch"
        )
        if self.status == RunStatus.INTERRUPTED and self.never_started:
            return "waiting in the queue when the server stopped"
        if self.status == RunStatus.INTERRUPTED:
            return f"interrupted by a server restart {where}"
        if self.status == RunStatus.STOPPED and self.stopped_by == "server":
            return f"stopped by a server shutdown {where}"
        if self.status == RunStatus.STOPPED:
            return f"stopped {where}"
        if self.status == RunStatus.FAILED:
            return f"failed {where}: {self.error or 'no reason was recorded'}"
        if self.status == RunStatus.DONE:
            return f"done: {self.epoch} epoch{'s' * (self.epoch != 1)}, {self.tested_when}"
        if self.status == RunStatus.RUNNING:
            return f"training, {where}" if self.step else "starting"
        return "waiting in the queue"


def planned_steps(config: RunConfig) -> int:
    """Batches over all epochs; the last batch of an epoch may be smaller (drop_last=False)."""
    return steps_per_epoch(config.train_subset or TRAIN_SIZE, config.batch_size) * config.epochs
