"""What a valid RunConfig must still pass before the queue takes it, and the name of a run
nobody named. `validate_config` (core.engine.learning.config) says whether a config makes
sense anywhere; `check_trainable` whether it can train here."""

from __future__ import annotations

import re
import time
import uuid

from core.devices import resolve_device
from core.engine.learning.config import RunConfig
from core.engine.learning.data import IMAGE_SIZE, dataset_info, load_raw, missing_files
from core.engine.learning.models import layer_table
from core.errors import ConfigError


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
