"""The Train form's link: every setting of the form in the URL, read back when it is opened.

Its defaults are the default preset's (restore_form fills the form before a link is read, so a
visit to another page still brings the form back as it was).
"""

from __future__ import annotations

from typing import Any

from core import links
from core.engine.learning.activations.registry import MODEL_ACTIVATIONS
from core.engine.learning.config import SETTINGS
from core.engine.learning.models import (
    MAX_CHANNELS,
    MAX_CONV_BLOCKS,
    MAX_DROPOUT,
    MAX_KERNEL,
    MAX_PADDING,
    MAX_STRIDE,
    POOLS,
    ConvSpec,
    ModelSpec,
)
from core.engine.learning.optimizers import OPTIMIZERS, SCHEDULES, HyperParam
from core.engine.learning.presets import RUN_PRESETS, run_preset
from ui.links import linked_page
from views.train import INSPECT_SECTION
from views.train.form import DEFAULT_PRESET, P, restore_form, widget_value

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


def _setting_field(name: str, default: Any) -> links.Field:
    """The link field of one declared setting, read back within its declared limits."""
    setting, key = SETTINGS[name], P + name
    value = widget_value(setting, default)
    if setting.choices is not None:
        return links.choice(setting.link, key, value, list(setting.choices()))
    low = 0 if setting.optional else setting.low
    if setting.kind is int:
        return links.integer(setting.link, key, value, int(low), int(setting.high))
    return links.number(setting.link, key, float(value), float(low), float(setting.high))


def _model_link(spec: ModelSpec) -> list[links.Field]:
    fields = [links.integer("convs", P + "n_convs", len(spec.convs), 0, MAX_CONV_BLOCKS)]
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
    return [
        *fields,
        links.number("cdrop", P + "conv_dropout", float(spec.conv_dropout), 0.0, MAX_DROPOUT),
        links.text("hidden", P + "hidden", ", ".join(map(str, spec.hidden)), MAX_HIDDEN_TEXT),
        links.number("drop", P + "dropout", float(spec.dropout), 0.0, MAX_DROPOUT),
        links.choice("act", P + "activation", spec.activation, list(MODEL_ACTIVATIONS)),
    ]


def _link() -> list[links.Field]:
    """The whole form, in the order of RunConfig's settings; the defaults are the default
    preset's. Each declared setting with a link name is one field; the structured ones
    (the model, the optimizer's and the schedule's own settings) are several."""
    config = run_preset(DEFAULT_PRESET)
    custom = {
        "model": lambda: _model_link(config.model),
        "optimizer_params": lambda: _params_link("opt", OPTIMIZERS, config.optimizer),
        "schedule_params": lambda: _params_link("sched", SCHEDULES, config.schedule),
    }
    fields = [links.choice("preset", P + "preset", DEFAULT_PRESET, list(RUN_PRESETS))]
    for name, setting in SETTINGS.items():
        if name in custom:
            fields += custom[name]()
        elif setting.link:
            fields.append(_setting_field(name, getattr(config, name)))
    return fields


LINK = _link()


def opens_its_part(url: dict[str, str]) -> dict[str, str]:
    """A link from before the page had tabs that looks inside a run (`itab=`) opens on the
    Look inside tab, where it used to scroll."""
    if "itab" in url and "section" not in url:
        return {**url, "section": INSPECT_SECTION}
    return url


def link_form(more: list[links.Field] | None = None) -> None:
    """Call at the top of the page: the form as it was (or the default preset), then what a
    link opened on this page says on top of it (the form and `more`: the open tab and the
    Look inside tab's settings); the URL then says them."""
    restore_form()
    linked_page("train", [*LINK, *(more or [])], upgrade=opens_its_part)
