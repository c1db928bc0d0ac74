"""A training run's configuration: plain data, saved as config.json beside the run.

The training page, the experiments page and the headless trainer all build one of these,
so a run means the same thing wherever it was started.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from core.engine.data import DATASETS, TEST_SIZE, TRAIN_SIZE
from core.engine.models import ModelSpec, classic_spec, validate_spec
from core.engine.optimizers import optimizer_defaults, optimizer_settings, schedule_settings
from core.errors import ConfigError

# The limits of a run, for the Train page, the experiments, the CLI and saved runs alike.
MAX_EPOCHS = 50
MAX_BATCH_SIZE = 60_000
MIN_LR = 1e-6  # below this nothing visibly moves in the epochs a page allows
MAX_LR = 100.0
MAX_SEED = 2**31 - 1  # what a number widget in the browser holds exactly
MAX_LOG_INTERVAL = 1000
NORMALIZATIONS = {  # how the inputs are shifted and scaled, as the Train page words it
    "classic": "classic constants (0.1302, 0.3069)",
    "dataset": "the dataset's known mean and std",
    "computed": "computed from the training images",
}


@dataclass
class RunConfig:
    dataset: str = "MNIST"  # a key of core.engine.data.DATASETS
    model: ModelSpec = field(default_factory=classic_spec)
    normalization: str = "classic"  # "classic" (0.1302, 0.3069), "dataset" (registry) or "computed"
    train_subset: int | None = None  # first N training images (a fixed, seeded subset); None = all
    test_subset: int | None = None  # evaluate on the first N test images; None = all 10,000
    optimizer: str = "Adadelta"  # a key of core.engine.optimizers.OPTIMIZERS
    lr: float = 0.5  # learning rate, the α of β ← β − α·∂L/∂β
    optimizer_params: dict[str, Any] = field(default_factory=dict)  # momentum, betas, rho...
    schedule: str = "none"  # a key of core.engine.optimizers.SCHEDULES
    schedule_params: dict[str, Any] = field(default_factory=dict)  # step_size, gamma, max_lr...
    batch_size: int = 32
    epochs: int = 1
    seed: int = 0  # seeds the initial weights, dropout and the batch order
    init_seed: int | None = None  # seeds only the initial weights; None = use `seed`
    device: str = "cpu"
    log_interval: int = 10  # record the training loss every N batches
    name: str = ""  # a label for the run list; empty = derived from the config

    def __post_init__(self) -> None:
        # Validated when built, so every RunConfig in the program is one the runner accepts.
        validate_config(self)

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
        return cls(**values)

    def with_changes(self, **changes: Any) -> RunConfig:
        """A copy with `changes`, checked like a new configuration."""
        return replace(self, **changes)

    def with_optimizer(self, name: str) -> RunConfig:
        """Another optimizer starts from its own learning rate and defaults, not the old ones."""
        lr, _ = optimizer_defaults(name)
        return self.with_changes(optimizer=name, lr=lr, optimizer_params={})  # {}: the defaults

    def with_schedule(self, name: str) -> RunConfig:
        return self.with_changes(schedule=name, schedule_params={})


def validate_config(config: RunConfig) -> None:
    """Check every number against its named limit, with a message the page can show."""
    if config.dataset not in DATASETS:
        raise ConfigError(
            f"Unknown dataset {config.dataset!r}. Choose one of: {', '.join(DATASETS)}."
        )
    if not isinstance(config.model, ModelSpec):
        raise ConfigError("The model must be a model description.")
    validate_spec(config.model)
    if not MIN_LR <= config.lr <= MAX_LR:
        raise ConfigError(f"The learning rate must be {MIN_LR:g} to {MAX_LR:g}, not {config.lr}.")
    if not 1 <= config.batch_size <= MAX_BATCH_SIZE:
        raise ConfigError(
            f"The batch size must be 1 to {MAX_BATCH_SIZE:,}, not {config.batch_size}."
        )
    if not 1 <= config.epochs <= MAX_EPOCHS:
        raise ConfigError(f"Epochs must be 1 to {MAX_EPOCHS}, not {config.epochs}.")
    if config.train_subset is not None and not 1 <= config.train_subset <= TRAIN_SIZE:
        raise ConfigError(f"The training subset must be 1 to {TRAIN_SIZE:,} images.")
    if config.test_subset is not None and not 1 <= config.test_subset <= TEST_SIZE:
        raise ConfigError(f"The test subset must be 1 to {TEST_SIZE:,} images.")
    if config.normalization not in NORMALIZATIONS:
        raise ConfigError(f"Normalization must be one of: {', '.join(NORMALIZATIONS)}.")
    if not 1 <= config.log_interval <= MAX_LOG_INTERVAL:
        raise ConfigError(f"The log interval must be 1 to {MAX_LOG_INTERVAL} batches.")
    if config.init_seed is not None and not 0 <= config.init_seed <= MAX_SEED:
        raise ConfigError(f"The initial-weights seed must be a whole number 0 to {MAX_SEED:,}.")
    if not 0 <= config.seed <= MAX_SEED:
        raise ConfigError(f"The seed must be a whole number 0 to {MAX_SEED:,}.")
    # Each optimizer and schedule has its own settings, checked against core.engine.optimizers.
    optimizer_settings(config.optimizer, config.optimizer_params)
    schedule_settings(config.schedule, config.schedule_params)
