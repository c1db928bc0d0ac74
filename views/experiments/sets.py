"""The four run-set tabs: each one's knobs (returned as its core knobs dataclass) and plots."""

from __future__ import annotations

import streamlit as st

from core import links
from core.engine.learning.config import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_LR, MAX_SEED, MIN_LR
from core.engine.learning.data import DATASETS, TRAIN_SIZE
from core.engine.learning.optimizers import OPTIMIZERS
from core.engine.learning.presets import RUN_PRESETS
from core.engine.runs.record import Run
from core.experiments import figures as figs
from core.experiments import sets as E
from core.experiments.results import summarise
from ui.common import code_ui, device_name, ranged

SIZE_CHOICES = [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000]
BATCH_CHOICES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024]
X_LABELS = {"seconds": "wall time", "samples": "samples seen", "step": "updates"}
SMOOTHING = 0.9  # weight of the moving average drawn over noisy loss curves
MAX_TYPED = 20  # characters of one typed count a link may carry; parse_counts judges it


def _key(exp_id: str, name: str) -> str:
    return f"experiments_{exp_id}_{name}"


def _counts_ui(exp_id: str, label: str, choices: list[int], help: str) -> list[int | str]:
    """Whole numbers to pick or type ("1500", "2k"); parse them with E.parse_counts after the
    other knobs are drawn, so a typo shows its message without hiding them."""
    return st.multiselect(
        f"{label} (type your own too)",
        choices,
        accept_new_options=True,
        key=_key(exp_id, "sizes"),
        help=help,
        wrap=True,  # every chosen size shown, on as many rows as it takes
    )


def common_ui(exp_id: str, *, optimizer: bool = True) -> dict:
    """Dataset, model, seed, test subset (and optimizer + lr, unless the tab sets them)."""
    k = lambda name: _key(exp_id, name)  # noqa: E731 - a short local alias for the keys
    c1, c2, c3 = st.columns(3)
    out = {
        "dataset": c1.selectbox("Dataset", list(DATASETS), key=k("dataset")),
        "model": c2.selectbox(
            "Model",
            list(RUN_PRESETS),
            key=k("model"),
            help="A preset of core.engine.learning.models: 'classic' is the chapter's ConvNet, 'linear' a "
            "softmax classifier on the raw pixels.",
        ),
        "seed": int(c3.number_input("Seed", 0, MAX_SEED, key=k("seed"))),
        "device": device_name(),
    }
    c1, c2, c3 = st.columns(3)
    if optimizer:
        out["optimizer"] = c1.selectbox(
            "Optimizer",
            list(OPTIMIZERS),
            key=k("opt"),
        )
        typical = OPTIMIZERS[out["optimizer"]].default_lr
        out["lr"] = float(
            c2.number_input(
                ranged("Learning rate", MIN_LR, MAX_LR),
                min_value=MIN_LR,
                max_value=MAX_LR,
                format="%g",
                key=k("lr"),
                help=f"A rate that works for {out['optimizer']} on the ConvNet: {typical:g}.",
            )
        )
    out["test_subset"] = int(
        c3.number_input(
            ranged("Test images scored per epoch", 1, 10_000),
            1,
            10_000,
            step=500,
            key=k("test"),
            help="Fewer is faster; more gives steadier accuracies.",
        )
    )
    return out


def data_size_ui() -> E.DataSizeKnobs:
    sizes = _counts_ui(
        "data_size",
        "Training-set sizes",
        SIZE_CHOICES,
        "Each size is the first N training images. 60,000 is all of them: it takes "
        "a few minutes on a CPU (the estimate below says how long).",
    )
    c1, c2, c3 = st.columns(3)
    baseline = c1.checkbox("Linear baseline beside it", key=_key("data_size", "baseline"))
    budget = int(
        c2.number_input(
            ranged("Samples each run sees", 1, E.MAX_SAMPLES_PER_RUN),
            1,
            E.MAX_SAMPLES_PER_RUN,
            step=1_000,
            key=_key("data_size", "budget"),
            help="Small sets repeat for more epochs so every run gets the same training time.",
        )
    )
    batch = int(
        c3.number_input(
            ranged("Batch size", 1, MAX_BATCH_SIZE), 1, MAX_BATCH_SIZE, key=_key("data_size", "b")
        )
    )
    with st.expander("More settings"):
        common = common_ui("data_size")
    return E.DataSizeKnobs(
        sizes=E.parse_counts(sizes, "Training-set sizes"),
        baseline=baseline,
        samples_per_run=budget,
        batch_size=batch,
        **common,
    )


def data_size_plots(snaps: list[Run]) -> None:
    left, right = st.columns(2)
    left.plotly_chart(figs.accuracy_vs_size_figure(snaps), key="experiments_ds_acc")
    right.plotly_chart(figs.loss_curves_figure(snaps, "samples"), key="experiments_ds_loss")
    code_ui(E.data_size_runs, figs.accuracy_vs_size_figure, label="The code: runs and plot")


def _smoothing_ui(exp_id: str) -> float:
    """The moving-average weight for the loss curves (0 when the learner wants them raw)."""
    on = st.toggle(
        "Smooth the curves",
        True,
        key=_key(exp_id, "smooth"),
        help="A moving average over the logged losses, drawn over the faint raw ones. A "
        "batch of one image gives a very noisy loss: the average shows where it is heading.",
    )
    return SMOOTHING if on else 0.0


def _subset_epochs_ui(exp_id: str) -> tuple[int, int]:
    c1, c2 = st.columns(2)
    n = int(
        c1.number_input(
            ranged("Training images", 1, TRAIN_SIZE), 1, TRAIN_SIZE, step=500,
            key=_key(exp_id, "n"),
        )
    )  # fmt: skip
    e = int(
        c2.number_input(ranged("Epochs", 1, MAX_EPOCHS), 1, MAX_EPOCHS, key=_key(exp_id, "epochs"))
    )
    return n, e


def batch_size_ui() -> E.BatchSizeKnobs:
    sizes = _counts_ui(
        "batch_size",
        "Batch sizes",
        BATCH_CHOICES,
        "Images averaged in each gradient; every run sees the same images and epochs.",
    )
    whole = st.checkbox(
        "Add the whole subset as one batch (batch gradient descent)",
        key=_key("batch_size", "whole"),
    )
    n, epochs = _subset_epochs_ui("batch_size")
    with st.expander("More settings"):
        common = common_ui("batch_size")
    return E.BatchSizeKnobs(
        batch_sizes=E.parse_counts(sizes, "Batch sizes"),
        whole_subset=whole,
        train_subset=n,
        epochs=epochs,
        **common,
    )


def batch_size_plots(snaps: list[Run]) -> None:
    c1, c2 = st.columns([3, 1])
    x = (
        c1.segmented_control(
            "Loss against",
            list(X_LABELS),
            format_func=X_LABELS.get,
            default="seconds",
            key="experiments_batch_size_x",
        )
        or "seconds"
    )
    log_y = c2.toggle("Log loss axis", True, key="experiments_batch_size_log")
    with c2:
        smoothing = _smoothing_ui("batch_size")
    left, right = st.columns([2, 1])
    left.plotly_chart(
        figs.loss_curves_figure(snaps, x, log_y, smoothing, log_x=x == "step"),
        key="experiments_bs_loss",
    )
    finding = summarise("batch_size", snaps)
    right.plotly_chart(
        figs.bar_figure(
            [r["run"] for r in finding.rows],
            [r["updates/s"] for r in finding.rows],
            "Updates per second",
            "optimizer steps / s",
        ),
        key="experiments_bs_rate",
    )
    code_ui(E.batch_size_runs, figs.loss_curves_figure, label="The code: runs and plot")


def gd_variants_ui() -> E.GDVariantsKnobs:
    c1, c2 = st.columns(2)
    mini = int(
        c1.number_input(
            ranged("Mini-batch size", 2, MAX_BATCH_SIZE), 2, MAX_BATCH_SIZE, key=_key("gd", "mb")
        )
    )
    lr = float(
        c2.number_input(
            ranged("Learning rate (plain SGD)", MIN_LR, MAX_LR),
            MIN_LR,
            MAX_LR,
            format="%g",
            key=_key("gd", "lr"),
        )
    )
    n, epochs = _subset_epochs_ui("gd_variants")
    with st.expander("More settings"):
        common = common_ui("gd_variants", optimizer=False)
    return E.GDVariantsKnobs(mini_batch=mini, lr=lr, train_subset=n, epochs=epochs, **common)


def gd_variants_plots(snaps: list[Run]) -> None:
    smoothing = _smoothing_ui("gd_variants")
    left, right = st.columns(2)
    # log axes: one-image losses jump by orders of magnitude, and SGD makes a thousand times
    # the updates of batch GD
    left.plotly_chart(
        figs.loss_curves_figure(snaps, "step", True, smoothing, log_x=True),
        key="experiments_gd_steps",
    )
    right.plotly_chart(
        figs.loss_curves_figure(snaps, "seconds", True, smoothing), key="experiments_gd_time"
    )
    code_ui(E.gd_variants_runs, figs.loss_curves_figure, label="The code: runs and plot")


def learning_rate_ui() -> E.LearningRateKnobs:
    c0, c1, c2, c3 = st.columns(4)
    k = lambda name: _key("learning_rate", name)  # noqa: E731 - a short local alias for keys
    optimizer = c0.selectbox("Optimizer", list(OPTIMIZERS), key=k("opt"))
    lr_min = c1.number_input(
        ranged("Smallest lr", MIN_LR, MAX_LR), MIN_LR, MAX_LR, format="%g", key=k("lo")
    )
    lr_max = c2.number_input(
        ranged("Largest lr", MIN_LR, MAX_LR), MIN_LR, MAX_LR, format="%g", key=k("hi")
    )
    points = c3.slider("Learning rates", 2, E.MAX_RUNS, key=k("points"))
    n, epochs = _subset_epochs_ui("learning_rate")
    with st.expander("More settings"):
        common = common_ui("learning_rate", optimizer=False)  # the sweep sets the rates
        batch = int(
            st.number_input(ranged("Batch size", 1, MAX_BATCH_SIZE), 1, MAX_BATCH_SIZE,
                            key=k("batch"))
        )  # fmt: skip
    return E.LearningRateKnobs(
        lr_min=float(lr_min),
        lr_max=float(lr_max),
        points=int(points),
        train_subset=n,
        epochs=epochs,
        batch_size=batch,
        optimizer=optimizer,
        **common,
    )


def learning_rate_plots(snaps: list[Run]) -> None:
    left, right = st.columns(2)
    left.plotly_chart(figs.lr_figure(snaps), key="experiments_lr_final")
    right.plotly_chart(figs.loss_curves_figure(snaps, "step", True), key="experiments_lr_curves")
    code_ui(
        E.learning_rate_runs, E.lr_sweep, figs.lr_figure, label="The code: the sweep and its plot"
    )


TABS = {
    "data_size": (data_size_ui, data_size_plots),
    "batch_size": (batch_size_ui, batch_size_plots),
    "gd_variants": (gd_variants_ui, gd_variants_plots),
    "learning_rate": (learning_rate_ui, learning_rate_plots),
}


def _counts(param: str, key: str, default: list[int], options: list[int]) -> links.Field:
    """A counts multiselect: its choices, or typed text (parse_counts judges that, as typed)."""
    by_text = {str(o): o for o in options}

    def read(text: str) -> list[int | str]:
        picked = [t.strip() for t in text.split(",")] if text.strip() else []
        if len(picked) > E.MAX_RUNS:
            raise ValueError(f"more than {E.MAX_RUNS} counts")
        if len(set(picked)) != len(picked):
            raise ValueError("a count is repeated")
        if any(len(t) > MAX_TYPED for t in picked):
            raise ValueError(f"a count longer than {MAX_TYPED} characters")
        return [by_text.get(t, t) for t in picked]

    def show(value: list[int | str]) -> str:  # parse_counts reads "1,500" as 1500 too
        return ",".join(str(v).replace(",", "") for v in value)

    return links.Field(param, key, list(default), read, show)


def _common_link(exp_id: str, tag: str, d: E.CommonKnobs, *, optimizer: bool = True) -> list:
    k = lambda name: _key(exp_id, name)  # noqa: E731 - a short local alias for the keys
    fields = [
        links.choice(tag + "data", k("dataset"), d.dataset, list(DATASETS)),
        links.choice(tag + "model", k("model"), d.model, list(RUN_PRESETS)),
        links.integer(tag + "seed", k("seed"), d.seed, 0, MAX_SEED),
        links.integer(tag + "test", k("test"), d.test_subset, 1, 10_000),
    ]
    if optimizer:
        fields += [
            links.choice(tag + "opt", k("opt"), d.optimizer, list(OPTIMIZERS)),
            links.number(tag + "lr", k("lr"), d.lr, MIN_LR, MAX_LR),
        ]
    return fields


def _subset_epochs_link(exp_id: str, tag: str, subset: int, epochs: int) -> list:
    return [
        links.integer(tag + "n", _key(exp_id, "n"), subset, 1, TRAIN_SIZE),
        links.integer(tag + "epochs", _key(exp_id, "epochs"), epochs, 1, MAX_EPOCHS),
    ]


def _link() -> list[links.Field]:
    """Every experiment's knobs (a tab's stay while another is open); each URL name starts
    with its experiment's tag. The defaults are the core knobs dataclasses'."""
    ds, bs = E.DataSizeKnobs(), E.BatchSizeKnobs()
    gd, lr = E.GDVariantsKnobs(), E.LearningRateKnobs()
    k = _key
    return [
        _counts("ds.sizes", k("data_size", "sizes"), ds.sizes, SIZE_CHOICES),
        links.flag("ds.baseline", k("data_size", "baseline"), ds.baseline),
        links.integer(
            "ds.budget", k("data_size", "budget"), ds.samples_per_run, 1, E.MAX_SAMPLES_PER_RUN
        ),
        links.integer("ds.batch", k("data_size", "b"), ds.batch_size, 1, MAX_BATCH_SIZE),
        *_common_link("data_size", "ds.", ds),
        _counts("bs.sizes", k("batch_size", "sizes"), bs.batch_sizes, BATCH_CHOICES),
        links.flag("bs.whole", k("batch_size", "whole"), bs.whole_subset),
        *_subset_epochs_link("batch_size", "bs.", bs.train_subset, bs.epochs),
        *_common_link("batch_size", "bs.", bs),
        links.integer("gd.mb", k("gd", "mb"), gd.mini_batch, 2, MAX_BATCH_SIZE),
        links.number("gd.lr", k("gd", "lr"), gd.lr, MIN_LR, MAX_LR),
        *_subset_epochs_link("gd_variants", "gd.", gd.train_subset, gd.epochs),
        *_common_link("gd_variants", "gd.", gd, optimizer=False),
        links.choice("lr.opt", k("learning_rate", "opt"), lr.optimizer, list(OPTIMIZERS)),
        links.number("lr.lo", k("learning_rate", "lo"), lr.lr_min, MIN_LR, MAX_LR),
        links.number("lr.hi", k("learning_rate", "hi"), lr.lr_max, MIN_LR, MAX_LR),
        links.integer("lr.points", k("learning_rate", "points"), lr.points, 2, E.MAX_RUNS),
        *_subset_epochs_link("learning_rate", "lr.", lr.train_subset, lr.epochs),
        links.integer("lr.batch", k("learning_rate", "batch"), lr.batch_size, 1, MAX_BATCH_SIZE),
        *_common_link("learning_rate", "lr.", lr, optimizer=False),
    ]


LINK = _link()
