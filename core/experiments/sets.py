"""The chapter's claims as run sets: each experiment turns its knobs into ordinary RunConfigs.

Building a run set trains nothing, so it is cheap to check and to test. The shared runner
(core.engine.runs.runner) trains the runs like any other; core.experiments.results turns the
finished snapshots back into "what the numbers show".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.engine.learning.config import (
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    MAX_LOG_INTERVAL,
    MAX_LR,
    MIN_LR,
    RunConfig,
)
from core.engine.learning.data import TEST_SIZE, TRAIN_SIZE, dataset_info
from core.engine.learning.models import ModelSpec, linear_spec
from core.engine.learning.optimizers import optimizer_settings
from core.engine.learning.presets import run_preset
from core.errors import ConfigError, LimitError, ParseError

if TYPE_CHECKING:  # the runner is only passed in: building a run set never needs it
    from core.engine.runs.record import Run
    from core.engine.runs.runner import Runner

MAX_RUNS = 12  # runs one experiment may queue at once
MAX_SAMPLES_PER_RUN = 600_000  # ten full epochs: the most any one run of a set may see
BASELINE_NAME = "linear baseline"


@dataclass
class CommonKnobs:
    dataset: str = "MNIST"  # a key of core.engine.learning.data.DATASETS
    model: str = "classic"  # a core.engine.learning.models preset: the network every run trains
    optimizer: str = "SGD"  # a key of core.engine.learning.optimizers.OPTIMIZERS
    lr: float = 0.05  # learning rate shared by every run of the set
    test_subset: int = 1_000  # test images scored after each epoch (fewer = faster)
    seed: int = 0  # one seed for the whole set, so runs differ only in the knob under test
    device: str = "cpu"  # where every run trains


@dataclass
class DataSizeKnobs(CommonKnobs):
    sizes: list[int] = field(default_factory=lambda: [500, 2_000, 10_000])  # training-set sizes
    baseline: bool = True  # also train the linear softmax classifier on the same pixels
    samples_per_run: int = 10_000  # each run sees at least this many samples (small sets repeat)
    batch_size: int = 32
    optimizer: str = "Adadelta"  # the chapter's optimizer for its ConvNet
    lr: float = 0.5


@dataclass
class BatchSizeKnobs(CommonKnobs):
    batch_sizes: list[int] = field(default_factory=lambda: [1, 8, 32, 256])  # sizes to compare
    whole_subset: bool = True  # add one run whose batch is the whole subset (batch GD)
    train_subset: int = 1_000  # training images every run uses
    epochs: int = 3  # passes over the subset, the same for every batch size


@dataclass
class GDVariantsKnobs(CommonKnobs):
    mini_batch: int = 32  # the mini-batch size; SGD uses 1 and batch GD the whole subset
    train_subset: int = 1_000  # training images every run uses
    epochs: int = 3  # passes over the subset


@dataclass
class LearningRateKnobs(CommonKnobs):
    lr_min: float = 1e-4  # smallest learning rate of the sweep
    lr_max: float = 10.0  # largest learning rate of the sweep
    points: int = 6  # how many log-spaced learning rates from lr_min to lr_max
    train_subset: int = 2_000  # training images every run uses
    batch_size: int = 32
    epochs: int = 1


Knobs = DataSizeKnobs | BatchSizeKnobs | GDVariantsKnobs | LearningRateKnobs


def parse_counts(values: list[int | str], what: str) -> list[int]:
    """Whole numbers from a list of choices and typed text ("1500", "1,500", "2k")."""
    counts = []
    for value in values:
        text = str(value).strip().lower().replace(",", "").replace("_", "")
        scale = 1_000 if text.endswith("k") else 1
        digits = text.removesuffix("k")
        if not digits.isdigit() or len(digits) > 9:
            raise ParseError(f"{what}: {value!r} is not a whole number (try 500, 2000 or 2k).")
        counts.append(int(digits) * scale)
    return counts


def model_spec(name: str) -> ModelSpec:
    """A preset by name; "linear" is the traditional baseline (softmax regression)."""
    return run_preset(name).model


def is_baseline(config: RunConfig) -> bool:
    return config.model == linear_spec()


def _check_common(knobs: CommonKnobs) -> None:
    dataset_info(knobs.dataset)  # raises a DataError naming the choices
    model_spec(knobs.model)
    optimizer_settings(knobs.optimizer, {})  # names the choices when unknown
    if not 1 <= knobs.test_subset <= TEST_SIZE:
        raise LimitError(f"The test subset must be 1 to {TEST_SIZE:,} images.")
    if knobs.seed < 0:
        raise ConfigError("The seed must be 0 or more.")


def _check_subset(n: int) -> None:
    if not 1 <= n <= TRAIN_SIZE:
        raise LimitError(f"The training subset must be 1 to {TRAIN_SIZE:,} images, not {n:,}.")


def _check_count(n: int, what: str) -> None:
    if n == 0:
        raise ConfigError(f"Choose at least one {what}.")
    if n > MAX_RUNS:
        raise LimitError(f"One experiment may queue at most {MAX_RUNS} runs, not {n}.")


def _log_interval(samples: int, batch_size: int, points: int = 150) -> int:
    """Log about `points` training losses per run, whatever its number of updates (more for
    a run so long that would mean logging less often than a RunConfig allows)."""
    steps = math.ceil(samples / batch_size)
    return min(max(1, math.ceil(steps / points)), MAX_LOG_INTERVAL)


def _config(knobs: CommonKnobs, **changes) -> RunConfig:
    return RunConfig(
        dataset=knobs.dataset,
        model=model_spec(knobs.model),
        optimizer=knobs.optimizer,
        lr=knobs.lr,
        test_subset=knobs.test_subset,
        seed=knobs.seed,
        device=knobs.device,
    ).with_changes(**changes)


def data_size_runs(knobs: DataSizeKnobs) -> list[RunConfig]:
    """One ConvNet run per size (and the linear baseline beside it), each seeing the same budget.

    A size smaller than the budget is repeated for more epochs, so the runs differ in how
    many *different* images they saw, not in how long they trained.
    """
    _check_common(knobs)
    sizes = sorted(set(knobs.sizes))
    _check_count(len(sizes), "training-set size")
    if not 1 <= knobs.samples_per_run <= MAX_SAMPLES_PER_RUN:
        raise LimitError(f"Samples per run must be 1 to {MAX_SAMPLES_PER_RUN:,}.")
    families = [(f"{knobs.model} model", model_spec(knobs.model))]
    if knobs.baseline and families[0][1] != linear_spec():  # a linear model is its own baseline
        families.append((BASELINE_NAME, linear_spec()))
    _check_count(len(sizes) * len(families), "training-set size")
    configs = []
    for size in sizes:
        _check_subset(size)
        epochs = min(MAX_EPOCHS, math.ceil(knobs.samples_per_run / size))
        for label, spec in families:
            configs.append(
                _config(
                    knobs,
                    model=spec,
                    train_subset=None if size == TRAIN_SIZE else size,
                    batch_size=min(knobs.batch_size, size),
                    epochs=epochs,
                    log_interval=_log_interval(size * epochs, knobs.batch_size),
                    name=f"{label} · {size:,} images",
                )
            )
    return configs


def batch_size_runs(knobs: BatchSizeKnobs) -> list[RunConfig]:
    """The same model, data and epochs at each batch size: only the batch changes."""
    _check_common(knobs)
    _check_subset(knobs.train_subset)
    sizes = sorted(set(knobs.batch_sizes))
    for b in sizes:
        if not 1 <= b <= min(knobs.train_subset, MAX_BATCH_SIZE):
            raise LimitError(
                f"Batch size {b:,} does not fit: use 1 to {knobs.train_subset:,} "
                "(the training subset)."
            )
    if knobs.whole_subset and knobs.train_subset not in sizes:
        sizes.append(knobs.train_subset)
    _check_count(len(sizes), "batch size")
    samples = knobs.train_subset * knobs.epochs
    return [
        _config(
            knobs,
            train_subset=knobs.train_subset,
            batch_size=b,
            epochs=knobs.epochs,
            log_interval=_log_interval(samples, b),
            name=(f"whole subset ({b:,})" if b == knobs.train_subset else f"batch {b:,}"),
        )
        for b in sizes
    ]


GD_VARIANTS = ("SGD", "mini-batch", "batch GD")


def gd_variant(config: RunConfig) -> str:
    """Which of the chapter's three variants a run is, read back from its batch size."""
    if config.batch_size == 1:
        return "SGD"
    if config.train_subset is not None and config.batch_size >= config.train_subset:
        return "batch GD"
    return "mini-batch"


def gd_variants_runs(knobs: GDVariantsKnobs) -> list[RunConfig]:
    """Stochastic (1 sample), mini-batch and batch (all samples) gradient descent, plain SGD."""
    _check_common(knobs)
    _check_subset(knobs.train_subset)
    if knobs.train_subset < 3:
        raise LimitError("The three variants need a training subset of at least 3 images.")
    if not 1 < knobs.mini_batch < knobs.train_subset:
        raise LimitError(
            f"The mini-batch must be bigger than 1 and smaller than the subset "
            f"({knobs.train_subset:,}), not {knobs.mini_batch:,}."
        )
    samples = knobs.train_subset * knobs.epochs
    sizes = {"SGD": 1, "mini-batch": knobs.mini_batch, "batch GD": knobs.train_subset}
    return [
        _config(
            knobs,
            optimizer="SGD",  # the chapter's three variants are plain gradient descent
            train_subset=knobs.train_subset,
            batch_size=b,
            epochs=knobs.epochs,
            log_interval=_log_interval(samples, b),
            name=f"{variant} (batch {b:,})",
        )
        for variant, b in sizes.items()
    ]


def lr_sweep(lr_min: float, lr_max: float, points: int) -> list[float]:
    """`points` learning rates spaced evenly on a log scale, rounded to 3 significant digits."""
    if not MIN_LR <= lr_min <= MAX_LR or not MIN_LR <= lr_max <= MAX_LR:
        raise LimitError(f"Learning rates must be between {MIN_LR:g} and {MAX_LR:g}.")
    if lr_min >= lr_max:
        raise ConfigError("The smallest learning rate must be below the largest.")
    if not 2 <= points <= MAX_RUNS:
        raise LimitError(f"A sweep needs 2 to {MAX_RUNS} learning rates, not {points}.")
    lo, hi = math.log10(lr_min), math.log10(lr_max)
    rates = [10 ** (lo + (hi - lo) * i / (points - 1)) for i in range(points)]
    return sorted({float(f"{r:.3g}") for r in rates})


def learning_rate_runs(knobs: LearningRateKnobs) -> list[RunConfig]:
    """The same run at each learning rate of a log-spaced sweep, for the chosen optimizer."""
    _check_common(knobs)
    _check_subset(knobs.train_subset)
    if not 1 <= knobs.batch_size <= knobs.train_subset:
        raise LimitError(f"The batch size must be 1 to {knobs.train_subset:,} (the subset).")
    samples = knobs.train_subset * knobs.epochs
    return [
        _config(
            knobs,
            lr=lr,
            train_subset=knobs.train_subset,
            batch_size=knobs.batch_size,
            epochs=knobs.epochs,
            log_interval=_log_interval(samples, knobs.batch_size),
            name=f"{knobs.optimizer} lr={lr:g}",
        )
        for lr in lr_sweep(knobs.lr_min, knobs.lr_max, knobs.points)
    ]


@dataclass(frozen=True)
class Experiment:
    id: str  # the runner group of its runs, and the page's key prefix
    title: str  # tab name
    claim: str  # the one sentence it tests
    knobs: type  # its knobs dataclass; `knobs()` gives the defaults
    build: Callable[..., list[RunConfig]]  # knobs -> the run set


EXPERIMENTS: dict[str, Experiment] = {
    e.id: e
    for e in (
        Experiment(
            "data_size",
            "Data size",
            "A deep network keeps improving with more data, where a traditional linear "
            "classifier levels off early.",
            DataSizeKnobs,
            data_size_runs,
        ),
        Experiment(
            "batch_size",
            "Batch size",
            "Small batches make many noisy updates, large batches few precise ones: the "
            "batch size trades update speed against gradient accuracy.",
            BatchSizeKnobs,
            batch_size_runs,
        ),
        Experiment(
            "gd_variants",
            "SGD vs batch GD",
            "Stochastic, mini-batch and batch gradient descent differ only in how many "
            "samples each gradient averages over, and mini-batch gets the best of both.",
            GDVariantsKnobs,
            gd_variants_runs,
        ),
        Experiment(
            "learning_rate",
            "Learning rate",
            "Too small a learning rate barely moves, too large a one diverges: the useful "
            "range spans only a few powers of ten.",
            LearningRateKnobs,
            learning_rate_runs,
        ),
    )
}


def experiment(experiment_id: str) -> Experiment:
    try:
        return EXPERIMENTS[experiment_id]
    except KeyError:
        raise ConfigError(
            f"Unknown experiment {experiment_id!r}. Choose one of: {', '.join(EXPERIMENTS)}."
        ) from None


def build_runs(experiment_id: str, knobs: Knobs | None = None) -> list[RunConfig]:
    """The run set of an experiment for these knobs (its defaults when None)."""
    exp = experiment(experiment_id)
    knobs = knobs if knobs is not None else exp.knobs()
    if not isinstance(knobs, exp.knobs):
        raise ConfigError(f"The {exp.title} experiment takes {exp.knobs.__name__}.")
    return exp.build(knobs)


def launch(
    runner: Runner, experiment_id: str, configs: list[RunConfig], owner: str = ""
) -> list[str]:
    """Queue every run of a set in the shared runner, grouped under the experiment's id, all
    or nothing (Runner.submit_set): a half set never trains."""
    experiment(experiment_id)
    return runner.submit_set(configs, owner=owner, group=experiment_id)


def launched_set(snaps: list[Run], first_id: str) -> list[Run]:
    """The runs of the launch that began with `first_id`: it and everything queued after it."""
    first = next((s for s in snaps if s.id == first_id), None)
    if first is None:
        return []
    return [s for s in snaps if s.submitted >= first.submitted]


def stop_set(runner: Runner, snaps: list[Run]) -> int:
    """Stop every unfinished run of a set (queued ones leave the queue); how many were stopped."""
    stopped = 0
    for s in snaps:
        if not s.finished:
            runner.stop(s.id)
            stopped += 1
    return stopped
