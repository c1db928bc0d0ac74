"""The resumable checkpoint a run folder keeps: everything needed to continue exactly.

Written after every finished epoch as `resume.pt` (temporary file, then os.replace): the
model, optimizer and schedule states, torch's global generator (dropout masks) and the
batch-order generator, the epoch it ends, and the curve so far. Read back with
`torch.load(weights_only=True)`, so a checkpoint file can hold data but never code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from core.engine.runs.files import write_atomic
from core.errors import CheckpointError

RESUME_FILE = "resume.pt"
FORMAT = 1


@dataclass
class ResumePoint:
    epoch: int  # the last epoch finished; training continues with the next one
    train: list[dict[str, Any]]
    test: list[dict[str, Any]]
    init_hash: str
    started: float | None
    probes: dict[str, Any] | None = None  # the probes so far and their histogram edges


def has_resume_point(run_dir: Path | str) -> bool:
    return (Path(run_dir) / RESUME_FILE).is_file()


def save_resume_point(run_dir, epoch, model, optimizer, scheduler, generator, device, rec) -> None:
    device = torch.device(device)
    state = {
        "format": FORMAT,
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "cpu_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "batch_rng": generator.get_state(),
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
            state.get("probes"),  # none in a checkpoint from before probes
        )
    except (CheckpointError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a cut file, a foreign pickle, another model's weights
        raise CheckpointError(
            f"The checkpoint {path} cannot be read ({type(exc).__name__}: {exc}); the run "
            "cannot be resumed. Start it again instead."
        ) from exc
