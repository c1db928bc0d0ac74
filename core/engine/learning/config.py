"""A training run's configuration: plain data, saved as config.json beside the run.

The training page, the experiments page and the headless trainer all build one of these,
so a run means the same thing wherever it was started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from core.engine.learning.data import DATASETS, TEST_SIZE, TRAIN_SIZE
from core.engine.learning.models import ModelSpec, classic_spec, validate_spec
from core.engine.learning.optimizers import (
    OPTIMIZERS,
    SCHEDULES,
    optimizer_defaults,
    optimizer_settings,
    schedule_settings,
)
from core.engine.learning.settings import declared, setting, shown
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


def _datasets() -> dict[str, str]:
    return {key: info.title for key, info in DATASETS.items()}


def _normalizations() -> dict[str, str]:
    return NORMALIZATIONS


def _optimizers() -> dict[str, str]:
    return {name: name for name in OPTIMIZERS}


def _schedules() -> dict[str, str]:
    return {name: name for name in SCHEDULES}


@dataclass(frozen=True)
class RunConfig:
    """Every setting of a run. Valid when built (`validate_config`): each value within its
    declared limits, so it means the same on any machine; whether it can train *here* (the
    model's shapes, the device, the data files) is `core.engine.runs.runner.check_trainable`."""

    dataset: str = setting(
        "MNIST", label="Dataset", choices=_datasets, link="data", form="data", widget="select"
    )
    normalization: str = setting(
        "classic",
        label="Normalization",
        help="Inputs are shifted and scaled to mean 0, std 1: (x − mean) / std.",
        choices=_normalizations,
        link="norm",
        form="data",
        widget="radio",
    )
    train_subset: int | None = setting(
        None,
        label="Training images",
        help="Train on the first N images only: a quick run to try an idea.",
        kind=int,
        low=1,
        high=TRAIN_SIZE,
        optional="all",
        what="The training subset",
        column="train images",
        link="ntrain",
        form="data",
        step=500,
    )
    test_subset: int | None = setting(
        None,
        label="Test images",
        help="Evaluated after every epoch.",
        kind=int,
        low=1,
        high=TEST_SIZE,
        optional="all",
        what="The test subset",
        column="test images",
        link="ntest",
        form="data",
        step=500,
    )
    model: ModelSpec = setting(default_factory=classic_spec, label="Model", custom=True)
    optimizer: str = setting("Adadelta", label="Optimizer", choices=_optimizers, link="opt")
    lr: float = setting(
        0.5,
        label="Learning rate",
        help="The α in β ← β − α·∂L/∂β. With OneCycle this is the peak rate.",
        kind=float,
        low=MIN_LR,
        high=MAX_LR,
        column="lr",
        link="lr",
    )
    optimizer_params: dict[str, Any] = setting(
        default_factory=dict, label="Optimizer settings", custom=True
    )  # momentum, betas, rho...: core.engine.learning.optimizers declares them
    schedule: str = setting(
        "none", label="Learning-rate schedule", choices=_schedules, column="schedule", link="sched"
    )
    schedule_params: dict[str, Any] = setting(
        default_factory=dict, label="Schedule settings", custom=True
    )  # step_size, gamma, pct_start...
    batch_size: int = setting(
        32, label="Batch size", kind=int, low=1, high=MAX_BATCH_SIZE, link="batch",
        form="batches",
    )  # fmt: skip
    epochs: int = setting(
        1, label="Epochs", kind=int, low=1, high=MAX_EPOCHS, what="Epochs", link="epochs",
        form="batches",
    )  # fmt: skip
    seed: int = setting(
        0,
        label="Seed",
        help="Seeds the initial weights, the dropout masks and the batch order: the same seed "
        "and settings give the same curve (on the CPU and on CUDA GPUs).",
        kind=int,
        low=0,
        high=MAX_SEED,
        link="seed",
        form="batches",
    )
    init_seed: int | None = setting(
        None,
        label="Initial-weights seed",
        help="Seeds only the initial weights.",
        kind=int,
        low=0,
        high=MAX_SEED,
        optional="the seed",
        column="init seed",
    )
    device: str = setting(
        "cpu", label="Device", help="cpu, cuda:0, mps (default: the best one here)"
    )
    log_interval: int = setting(
        10,
        label="Log every N batches",
        help="How often the training loss is recorded and logged.",
        kind=int,
        low=1,
        high=MAX_LOG_INTERVAL,
        what="The log interval",
        column="log every",
        link="log",
        form="batches",
    )
    name: str = setting(
        "", label="Name", help="A label for the run list (default: made from the settings).",
        compared=False,
    )  # fmt: skip

    def __post_init__(self) -> None:
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


SETTINGS = declared(RunConfig)


def validate_config(config: RunConfig) -> None:
    """Is it valid: every setting within its declared limits, the model's numbers, each
    optimizer's and schedule's own settings. A message the page can show if not."""
    for name, declared_setting in SETTINGS.items():
        declared_setting.check(getattr(config, name))
    if not isinstance(config.model, ModelSpec):
        raise ConfigError("The model must be a model description.")
    validate_spec(config.model)
    optimizer_settings(config.optimizer, config.optimizer_params)
    schedule_settings(config.schedule, config.schedule_params)


def _model_columns(spec: ModelSpec) -> dict[str, Any]:
    return {
        "conv blocks": " → ".join(
            f"{c.channels}@{c.kernel_size}×{c.kernel_size}/s{c.stride}/p{c.padding}"
            + ("" if c.pool == "none" else f"+{c.pool}pool{c.pool_size}")
            for c in spec.convs
        )
        or "none",
        "conv dropout": spec.conv_dropout,
        "hidden units": ", ".join(map(str, spec.hidden)) or "none",
        "dropout": spec.dropout,
        "activation": spec.activation,
    }


# The compare table's columns of the structured settings (the others are one column each).
_COLUMNS = {
    "model": lambda c: _model_columns(c.model),
    "optimizer_params": lambda c: {
        f"{c.optimizer} {k}": v
        for k, v in optimizer_settings(c.optimizer, c.optimizer_params).items()
    },
    "schedule_params": lambda c: {
        f"{c.schedule} {k}": v for k, v in schedule_settings(c.schedule, c.schedule_params).items()
    },
    "init_seed": lambda c: {"init seed": c.seed if c.init_seed is None else c.init_seed},
}


def flat_settings(config: RunConfig) -> dict[str, Any]:
    """A run's configuration as one flat, readable dict (optimizer defaults filled in), so
    two runs can be compared setting by setting: every compared setting, in declared order."""
    out: dict[str, Any] = {}
    for name, declared_setting in SETTINGS.items():
        if not declared_setting.compared:
            continue
        if name in _COLUMNS:
            out |= _COLUMNS[name](config)
        else:
            out[declared_setting.heading] = shown(declared_setting, getattr(config, name))
    return out


def compare_settings(configs: Sequence[RunConfig]) -> tuple[list[str], list[dict[str, Any]]]:
    """(the settings that differ between the runs, each run's flat settings). A setting one
    run lacks (another optimizer's momentum, say) counts as different."""
    flats = [flat_settings(c) for c in configs]
    keys: list[str] = []
    for flat in flats:
        keys += [k for k in flat if k not in keys]
    differing = [k for k in keys if len({repr(f.get(k, "—")) for f in flats}) > 1]
    return differing, flats
