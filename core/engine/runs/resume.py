"""The resumable checkpoint a run folder keeps: everything needed to continue exactly.

Written after every finished epoch, and at a stop (Stop, a server shutdown) at the very
batch it stopped on, as `resume.pt` (temporary file, then os.replace): the model, optimizer
and schedule states, torch's global generator (dropout masks), the batch-order generator, the
place (the last finished epoch, and the batches trained into the next one), and the curve so
far. Read back with `torch.load(weights_only=True)`, so a checkpoint file can hold data but
never code.

A stop inside an epoch keeps the batch-order generator as it was *before* that epoch drew its
order: the resumed run draws the same order again and skips the batches already trained,
which leaves the generator where the uninterrupted run has it for every later epoch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from core.engine.runs.files import write_atomic
from core.errors import CheckpointError, logged_error_id

log = logging.getLogger(__name__)

RESUME_FILE = "resume.pt"
FORMAT = 1


@dataclass
class ResumePoint:
    """Where a run goes on from (a fresh run: the start, epoch 0 finished)."""

    epoch: int = 0  # the last epoch finished; training continues with the next one
    train: list[dict[str, Any]] = field(default_factory=list)
    test: list[dict[str, Any]] = field(default_factory=list)
    init_hash: str = ""
    started: float | None = None
    batch: int = 0  # batches already trained into epoch `epoch + 1` (a stop inside it)
    samples: int = 0  # the images of those batches
    probes: dict[str, Any] | None = None  # the probes so far and their histogram edges

    @property
    def seconds(self) -> float:
        """The training time its curve already holds."""
        return max((r["seconds"] for r in self.test[-1:] + self.train[-1:]), default=0.0)

    def resumed_text(self, per_epoch: int) -> str:
        """The log line of a run resumed from this point."""
        if self.batch:
            step = self.epoch * per_epoch + self.batch
            return f"resumed at step {step:,} (epoch {self.epoch + 1}), where it stopped"
        return f"resumed after epoch {self.epoch} from its checkpoint"


def has_resume_point(run_dir: Path | str) -> bool:
    return (Path(run_dir) / RESUME_FILE).is_file()


def save_resume_point(
    run_dir, epoch, model, optimizer, scheduler, generator, device, rec, *, place=None
) -> None:
    """The checkpoint after `epoch`; with `place` = (batches, samples, order_state), a stop
    that many batches into the next epoch, whose order was drawn from `order_state`."""
    device = torch.device(device)
    batch, samples, order_state = place if place is not None else (0, 0, None)
    state = {
        "format": FORMAT,
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "cpu_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "batch_rng": generator.get_state() if order_state is None else order_state,
        "batch": batch,
        "samples": samples,
        "train": rec.train,
        "test": rec.test,
        "init_hash": rec.init_hash,
        "started": rec.started,
        "probes": rec.probe_log.saved() if rec.probe_log is not None else None,
    }
    write_atomic(Path(run_dir) / RESUME_FILE, lambda tmp: torch.save(state, tmp))


def load_resume_point(run_dir, model, optimizer, scheduler, generator, device) -> ResumePoint:
    """Restore every state from the checkpoint into the fresh objects of a resumed run."""
    path = Path(run_dir) / RESUME_FILE
    if not path.is_file():
        raise CheckpointError(
            f"This run has no checkpoint to resume from ({path.name} is missing): it stopped "
            "before its first epoch ended. Start it again instead."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError("not a Torchlab checkpoint")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["cpu_rng"])
        if state["cuda_rng"] is not None and torch.device(device).type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"], torch.device(device))
        generator.set_state(state["batch_rng"])
        return ResumePoint(
            int(state["epoch"]),
            list(state["train"]),
            list(state["test"]),
            str(state["init_hash"]),
            state.get("started"),
            int(state.get("batch", 0)),
            int(state.get("samples", 0)),
            state.get("probes"),  # none in a checkpoint from before probes
        )
    except (CheckpointError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a cut file, a foreign pickle, another model's weights
        raise CheckpointError(
            f"The run's checkpoint ({RESUME_FILE}) cannot be read: it is cut short, damaged or "
            f"not this run's (error id `{logged_error_id(log, exc)}` in the server log). The "
            "run cannot be resumed: start it again instead."
        ) from exc


def resume_run(rec, model, optimizer, scheduler, generator, device, per_epoch) -> ResumePoint:
    """Restore the run folder's checkpoint into a resumed run's fresh model, optimizer,
    schedule and generators, and its recorder `rec` (curve, start, probes); the point it goes
    on from."""
    point = load_resume_point(rec.run_dir, model, optimizer, scheduler, generator, device)
    rec.train, rec.test, rec.init_hash = point.train, point.test, point.init_hash
    rec.started = point.started or rec.started
    rec.resumed_after = point.epoch
    if rec.probe_log is not None:
        rec.probe_log.resume(point.probes, point.epoch * per_epoch + point.batch)
    return point


def save_stop_point(rec, epoch, result, model, optimizer, scheduler, generator, device) -> None:
    """A stop inside `epoch` (Stop, a server shutdown): the checkpoint of this very batch
    (`result`: the cut epoch's core.engine.learning.loop.EpochResult), so a resume goes on
    from here, not from the last epoch's end. Called before the stop's test row, which an
    uninterrupted run does not have."""
    place = (result.steps, result.samples, result.order_state)
    save_resume_point(
        rec.run_dir, epoch - 1, model, optimizer, scheduler, generator, device, rec, place=place
    )
