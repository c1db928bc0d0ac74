"""What a valid RunConfig must still pass before the queue takes it, the name of a run nobody
named, and the folder a run has from the moment it is accepted. `validate_config`
(core.engine.learning.config) says whether a config makes sense anywhere; `check_trainable`
whether it can train here."""

from __future__ import annotations

import re
import time
import uuid

from core.devices import resolve_device
from core.engine.learning.config import RunConfig
from core.engine.learning.data import IMAGE_SIZE, dataset_info, load_raw, missing_files
from core.engine.learning.models import layer_table
from core.engine.runs.folder import (
    StatusRecord,
    folder_error,
    process_token,
    remove_queued,
    write_queued,
)
from core.engine.runs.record import RunStatus
from core.errors import ConfigError, TorchlabError


def default_name(config: RunConfig) -> str:
    """A readable label for a run nobody named: 'Adam lr=0.001 · batch 32 · 2,000 images'."""
    parts = [f"{config.optimizer} lr={config.lr:g}", f"batch {config.batch_size}"]
    if config.schedule != "none":
        parts.append(config.schedule)
    if config.train_subset:
        parts.append(f"{config.train_subset:,} images")
    if config.dataset != "MNIST":
        parts.append(config.dataset)
    if config.seed != 0:  # the page invites re-running with another seed: tell them apart
        parts.append(f"seed {config.seed}")
    return " · ".join(parts)


def new_run_id(config: RunConfig) -> str:
    """A run's id, also its folder's name: when, what, and 24 random bits."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{_slug(config.name) or 'run'}-{uuid.uuid4().hex[:6]}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:24]


def check_trainable(config: RunConfig) -> None:
    """Can it train here: what a valid RunConfig (`validate_config`) can still fail on before
    a job exists. The model's shapes (one dummy forward pass, too slow to run on every
    RunConfig built), the device on this machine, the dataset's files on this machine."""
    layer_table(config.model)  # names the layer where the shape breaks
    resolve_device(config.device)
    info = dataset_info(config.dataset)
    if missing_files(info.key):
        load_raw(info.key)  # raises the DataError that says where the files go
    if (config.model.in_channels, config.model.image_size) != (1, IMAGE_SIZE):
        raise ConfigError(
            f"The datasets here are 1×{IMAGE_SIZE}×{IMAGE_SIZE} images: keep 1 channel and size "
            f"{IMAGE_SIZE}."
        )
    if config.model.num_classes != len(info.classes):
        raise ConfigError(f"{info.key} has {len(info.classes)} classes; the model must too.")


def queued_record(job, process: str | None = None) -> StatusRecord:
    """The status.json of a queued run (a core.engine.runs.job.Job): held by this server's
    process (a live server's queue), or by none (`process=""`: a queue a shutdown left for
    the next server)."""
    return StatusRecord(
        RunStatus.QUEUED,
        owner=job.owner,
        group=job.group,
        process=process_token() if process is None else process,
        submitted=job.submitted,
    )


def write_queued_jobs(jobs: list) -> None:
    """Each job's folder, saying queued, before it is accepted: a server that dies now still
    leaves every accepted run on disk. None is accepted if one cannot be written."""
    done: list = []
    try:
        for job in jobs:
            done.append(job)
            write_queued(job.run_dir, job.config, queued_record(job), job.initial_state)
    except OSError as exc:
        for job in done:
            remove_queued(job.run_dir)
        raise TorchlabError(f"The run could not be queued. {folder_error(exc)}") from exc
