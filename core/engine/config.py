"""A training run's configuration: plain data, saved as config.json beside the run.

The training page, the experiments page and the headless trainer all build one of these,
so a run means the same thing wherever it was started.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from core.engine.models import ModelSpec, classic_spec
from core.engine.optimizers import optimizer_settings, schedule_settings
from core.errors import ConfigError

MAX_EPOCHS = 50
MAX_BATCH_SIZE = 60_000
MAX_LR = 100.0

OPTIMIZERS = ("SGD", "Adadelta", "Adam", "AdamW", "RMSprop", "Adagrad")
SCHEDULES = ("none", "StepLR", "OneCycle")


@dataclass
class RunConfig:
    dataset: str = "MNIST"  # a key of core.engine.data.DATASETS
    model: ModelSpec = field(default_factory=classic_spec)
    normalization: str = "classic"  # "classic" (0.1302, 0.3069), "dataset" (registry) or "computed"
    train_subset: int | None = None  # first N training images (a fixed, seeded subset); None = all
    test_subset: int | None = None  # evaluate on the first N test images; None = all 10,000
    optimizer: str = "Adadelta"  # a name in OPTIMIZERS
    lr: float = 0.5  # learning rate, the α of β ← β − α·∂L/∂β
    optimizer_params: dict[str, Any] = field(default_factory=dict)  # momentum, betas, rho...
    schedule: str = "none"  # a name in SCHEDULES
    schedule_params: dict[str, Any] = field(default_factory=dict)  # step_size, gamma, max_lr...
    batch_size: int = 32
    epochs: int = 1
    seed: int = 0  # seeds the initial weights, dropout and the batch order
    init_seed: int | None = None  # seeds only the initial weights; None = use `seed`
    device: str = "cpu"
    log_interval: int = 10  # record the training loss every N batches
    name: str = ""  # a label for the run list; empty = derived from the config

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["model"] = self.model.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"Unknown run settings: {', '.join(sorted(unknown))}.")
        values = dict(data)
        if "model" in values:
            values["model"] = ModelSpec.from_dict(values["model"])
        config = cls(**values)
        validate_config(config)
        return config

    def with_changes(self, **changes: Any) -> RunConfig:
        return replace(self, **changes)


def validate_config(config: RunConfig) -> None:
    """Check every number against its named limit, with a message the page can show."""
    if config.optimizer not in OPTIMIZERS:
        raise ConfigError(
            f"Unknown optimizer {config.optimizer!r}. Choose one of: {', '.join(OPTIMIZERS)}."
        )
    if config.schedule not in SCHEDULES:
        raise ConfigError(
            f"Unknown schedule {config.schedule!r}. Choose one of: {', '.join(SCHEDULES)}."
        )
    if not 0 < config.lr <= MAX_LR:
        raise ConfigError(f"The learning rate must be in (0, {MAX_LR}], not {config.lr}.")
    if not 1 <= config.batch_size <= MAX_BATCH_SIZE:
        raise ConfigError(
            f"The batch size must be 1 to {MAX_BATCH_SIZE:,}, not {config.batch_size}."
        )
    if not 1 <= config.epochs <= MAX_EPOCHS:
        raise ConfigError(f"Epochs must be 1 to {MAX_EPOCHS}, not {config.epochs}.")
    if config.train_subset is not None and config.train_subset < 1:
        raise ConfigError("The training subset must hold at least one image.")
    if config.test_subset is not None and config.test_subset < 1:
        raise ConfigError("The test subset must hold at least one image.")
    if config.normalization not in ("classic", "dataset", "computed"):
        raise ConfigError("Normalization must be 'classic', 'dataset' or 'computed'.")
    if config.log_interval < 1:
        raise ConfigError("The log interval must be at least 1 batch.")
    if config.init_seed is not None and not 0 <= config.init_seed < 2**63:
        raise ConfigError("The initial-weights seed must be a whole number from 0.")
    if not 0 <= config.seed < 2**63:
        raise ConfigError("The seed must be a whole number from 0.")
    # Each optimizer and schedule has its own settings, checked against core.engine.optimizers.
    optimizer_settings(config.optimizer, config.optimizer_params)
    schedule_settings(config.schedule, config.schedule_params)
