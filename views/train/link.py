"""The Train form's link: every setting of the form in the URL, read back when it is opened.

Its defaults are the default preset's (restore_form fills the form before a link is read, so a
visit to another page still brings the form back as it was).
"""

from __future__ import annotations

from core import links
from core.engine.learning.activations.registry import MODEL_ACTIVATIONS
from core.engine.learning.config import (
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    MAX_LOG_INTERVAL,
    MAX_LR,
    MAX_SEED,
    MIN_LR,
    NORMALIZATIONS,
)
from core.engine.learning.data import DATASETS, TEST_SIZE, TRAIN_SIZE
from core.engine.learning.models import (
    MAX_CHANNELS,
    MAX_CONV_BLOCKS,
    MAX_DROPOUT,
    MAX_KERNEL,
    MAX_PADDING,
    MAX_STRIDE,
    POOLS,
    ConvSpec,
)
from core.engine.learning.optimizers import OPTIMIZERS, SCHEDULES, HyperParam
from core.engine.learning.presets import RUN_PRESETS, run_preset
from ui.links import linked_page
from views.train.form import DEFAULT_PRESET, P, restore_form

NEW_CONV = ConvSpec(32, 3, 1, 0, "none")  # a conv block added past the preset's
MAX_HIDDEN_TEXT = 200  # characters of the hidden sizes a link may carry; parse_hidden judges


def _params_link(prefix: str, registry: dict, first: str) -> list[links.Field]:
    """One field per setting name of `registry` (optimizers share momentum, eps...): the
    default that `first` uses, or the first to have it; limits wide enough for all of them
    (_param_widget says when a value does not suit the chosen one)."""
    by_name: dict[str, list[HyperParam]] = {}
    for name in (first, *registry):
        for p in registry[name].params:
            by_name.setdefault(p.name, []).append(p)
    fields = []
    for name, same in by_name.items():
        p, key = same[0], f"{P}{prefix}_{name}"
        low, high = min(q.low for q in same), max(q.high for q in same)
        if p.kind is bool:
            fields.append(links.flag(name, key, p.default))
        elif p.kind is int:
            fields.append(links.integer(name, key, p.default, int(low), int(high)))
        else:
            fields.append(links.number(name, key, float(p.default), low, high))
    return fields


def _link() -> list[links.Field]:
    """The whole form; its defaults are the default preset's."""
    c = run_preset(DEFAULT_PRESET)
    spec = c.model
    fields = [
        links.choice("preset", P + "preset", DEFAULT_PRESET, list(RUN_PRESETS)),
        links.choice("data", P + "dataset", c.dataset, list(DATASETS)),
        links.choice("norm", P + "normalization", c.normalization, list(NORMALIZATIONS)),
        links.integer("ntrain", P + "train_subset", c.train_subset or 0, 0, TRAIN_SIZE),
        links.integer("ntest", P + "test_subset", c.test_subset or 0, 0, TEST_SIZE),
        links.integer("convs", P + "n_convs", len(spec.convs), 0, MAX_CONV_BLOCKS),
    ]
    for i in range(MAX_CONV_BLOCKS):
        conv, name, key = (
            (spec.convs[i] if i < len(spec.convs) else NEW_CONV),
            f"c{i + 1}",
            f"{P}conv{i}_",
        )
        fields += [
            links.integer(name + "ch", key + "channels", conv.channels, 1, MAX_CHANNELS),
            links.integer(name + "k", key + "kernel_size", conv.kernel_size, 1, MAX_KERNEL),
            links.integer(name + "s", key + "stride", conv.stride, 1, MAX_STRIDE),
            links.integer(name + "p", key + "padding", conv.padding, 0, MAX_PADDING),
            links.choice(name + "pool", key + "pool", conv.pool, POOLS),
        ]
    fields += [
        links.number("cdrop", P + "conv_dropout", float(spec.conv_dropout), 0.0, MAX_DROPOUT),
        links.text("hidden", P + "hidden", ", ".join(map(str, spec.hidden)), MAX_HIDDEN_TEXT),
        links.number("drop", P + "dropout", float(spec.dropout), 0.0, MAX_DROPOUT),
        links.choice("act", P + "activation", spec.activation, list(MODEL_ACTIVATIONS)),
        links.choice("opt", P + "optimizer", c.optimizer, list(OPTIMIZERS)),
        links.number("lr", P + "lr", float(c.lr), MIN_LR, MAX_LR),
        *_params_link("opt", OPTIMIZERS, c.optimizer),
        links.choice("sched", P + "schedule", c.schedule, list(SCHEDULES)),
        *_params_link("sched", SCHEDULES, c.schedule),
        links.integer("batch", P + "batch_size", c.batch_size, 1, MAX_BATCH_SIZE),
        links.integer("epochs", P + "epochs", c.epochs, 1, MAX_EPOCHS),
        links.integer("seed", P + "seed", c.seed, 0, MAX_SEED),
        links.integer("log", P + "log_interval", c.log_interval, 1, MAX_LOG_INTERVAL),
    ]
    return fields


LINK = _link()


def link_form() -> None:
    """Call at the top of the page: the form as it was (or the default preset), then what a
    link opened on this page says on top of it; the URL then says the form."""
    restore_form()
    linked_page("train", LINK)
