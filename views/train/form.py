"""The Train page's configuration widgets: data, model, optimizer, schedule, batches.

The data and batches sections are drawn from the settings' declarations on RunConfig
(`setting_ui`); the model, the optimizer and the schedule have widgets of their own. Every
widget has a key "training_<setting>"; the last good configuration is also kept in a plain
session_state entry (Streamlit forgets the state of widgets that are not on screen, e.g. after
a visit to another page), so coming back restores the form as it was.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.engine.learning.activations.registry import MODEL_ACTIVATIONS
from core.engine.learning.config import SETTINGS, RunConfig
from core.engine.learning.models import (
    MAX_CHANNELS,
    MAX_CONV_BLOCKS,
    MAX_DROPOUT,
    MAX_HIDDEN_LAYERS,
    MAX_KERNEL,
    MAX_PADDING,
    MAX_STRIDE,
    POOLS,
    ConvSpec,
    ModelSpec,
    layer_table,
    parse_hidden,
)
from core.engine.learning.optimizers import OPTIMIZERS, SCHEDULES, HyperParam, optimizer_defaults
from core.engine.learning.presets import RUN_PRESETS, run_preset
from core.engine.learning.settings import Setting
from core.errors import ConfigError, ParseError, TorchlabError
from views.train import KEY_PREFIX

P = KEY_PREFIX
CONFIG_KEY = P + "config"  # the last valid configuration, as a dict
DEFAULT_PRESET = "classic"  # what a first visit shows


def _set(name: str, value: Any) -> None:
    st.session_state[P + name] = value


def _get(name: str) -> Any:
    return st.session_state.get(P + name)


FORM_SETTINGS = [name for name, s in SETTINGS.items() if s.form]  # drawn from their declaration


def widget_value(setting: Setting, value: Any) -> Any:
    """A RunConfig value as its widget holds it: an optional number's None is 0."""
    if value is None and setting.optional:
        return 0
    return setting.kind(value)


def config_value(setting: Setting, value: Any) -> Any:
    """A widget's value as the RunConfig takes it (0 of an optional number is None)."""
    if setting.optional and not value:
        return None
    return setting.kind(value)


def apply_config(config: RunConfig) -> None:
    """Write a configuration into the widgets' session state (presets, restore)."""
    for name in FORM_SETTINGS:
        _set(name, widget_value(SETTINGS[name], getattr(config, name)))
    spec = config.model
    _set("n_convs", len(spec.convs))
    for i, c in enumerate(spec.convs):
        for field in ("channels", "kernel_size", "stride", "padding", "pool"):
            _set(f"conv{i}_{field}", getattr(c, field))
    _set("conv_dropout", float(spec.conv_dropout))
    _set("hidden", ", ".join(map(str, spec.hidden)))
    _set("dropout", float(spec.dropout))
    _set("activation", spec.activation)
    _set("optimizer", config.optimizer)
    _set("lr", float(config.lr))
    _apply_params("opt", OPTIMIZERS[config.optimizer].params, config.optimizer_params)
    _set("schedule", config.schedule)
    _apply_params("sched", SCHEDULES[config.schedule].params, config.schedule_params)


def _apply_params(prefix: str, params: tuple[HyperParam, ...], values: dict) -> None:
    for p in params:
        # Widgets refuse a float where they expect an int (and the reverse): cast to the kind.
        _set(f"{prefix}_{p.name}", p.kind(values.get(p.name, p.default)))


def _on_preset() -> None:
    apply_config(run_preset(_get("preset")))


def _on_optimizer() -> None:
    name = _get("optimizer")
    lr, params = optimizer_defaults(name)  # the rule RunConfig.with_optimizer follows too
    _set("lr", lr)
    _apply_params("opt", OPTIMIZERS[name].params, params)


def _on_schedule() -> None:
    _apply_params("sched", SCHEDULES[_get("schedule")].params, {})


def restore_form() -> None:
    """Fill the widgets on the first visit (the classic preset) or after another page."""
    if P + "dataset" in st.session_state:
        return
    saved = st.session_state.get(CONFIG_KEY)
    try:
        config = RunConfig.from_dict(saved) if saved else run_preset(DEFAULT_PRESET)
    except TorchlabError:
        config = run_preset(DEFAULT_PRESET)
    apply_config(config)


def _param_widget(prefix: str, p: HyperParam, owner: str) -> Any:
    key = f"{P}{prefix}_{p.name}"
    value = st.session_state.get(key)
    if p.kind is not bool and isinstance(value, int | float) and not p.low <= value <= p.high:
        # a link's value can suit another optimizer (AdamW's weight decay goes higher)
        st.warning(
            f"{p.label} = {value:g} is outside {p.low:g} to {p.high:g} for {owner}: "
            f"it is {p.default:g} instead."
        )
        st.session_state[key] = p.kind(p.default)
    if p.kind is bool:
        return st.checkbox(p.label, key=key, help=p.help)
    if p.kind is int:
        return st.number_input(
            p.label, min_value=int(p.low), max_value=int(p.high), step=1, key=key, help=p.help
        )
    small = p.low > 0 and p.low < 1e-3
    return st.number_input(
        p.label,
        min_value=float(p.low),
        max_value=float(p.high),
        step=0.01 if not small else None,
        format="%.2e" if small or p.high > 1000 else "%.4f",
        key=key,
        help=f"{p.help} ({owner}; {p.low:g} to {p.high:g})",
    )


def setting_ui(name: str, where: Any = st) -> Any:
    """The widget of one declared setting (core.engine.learning.config), in `where`."""
    setting, key = SETTINGS[name], P + name
    help_text = setting.help or None
    if setting.widget in ("select", "radio"):
        options = setting.choices()
        draw = where.selectbox if setting.widget == "select" else where.radio
        return draw(setting.label, list(options), key=key, format_func=options.get, help=help_text)
    label, low = setting.label, setting.low
    if setting.optional:
        every = f" {setting.high:,.0f}" if setting.optional == "all" else ""
        label, low = f"{label} (0 = {setting.optional}{every})", 0
    return where.number_input(
        label,
        setting.kind(low),
        setting.kind(setting.high),
        step=setting.kind(setting.step or 1),
        key=key,
        help=help_text,
    )


def section_ui(section: str, columns: int) -> None:
    """A form section's declared settings: choices one per row, numbers side by side."""
    names = [n for n in FORM_SETTINGS if SETTINGS[n].form == section]
    numbers = [n for n in names if SETTINGS[n].widget == "number"]
    for name in names:
        if name not in numbers:
            setting_ui(name)
    for start in range(0, len(numbers), columns):
        row = numbers[start : start + columns]
        for col, name in zip(st.columns(columns), row, strict=False):
            setting_ui(name, col)


def model_ui() -> ModelSpec:
    """The conv blocks, the dense head, the activation; returns the spec (not yet checked)."""
    n = st.number_input("Conv blocks", 0, MAX_CONV_BLOCKS, step=1, key=P + "n_convs")
    convs = []
    for i in range(int(n)):  # their defaults: views/train/link.py
        cols = st.columns(5)
        channels = cols[0].number_input(
            f"{i + 1}: channels", 1, MAX_CHANNELS, step=8, key=f"{P}conv{i}_channels"
        )
        kernel = cols[1].number_input("kernel", 1, MAX_KERNEL, key=f"{P}conv{i}_kernel_size")
        stride = cols[2].number_input("stride", 1, MAX_STRIDE, key=f"{P}conv{i}_stride")
        padding = cols[3].number_input("padding", 0, MAX_PADDING, key=f"{P}conv{i}_padding")
        pool = cols[4].selectbox("pooling", POOLS, key=f"{P}conv{i}_pool")
        convs.append(ConvSpec(int(channels), int(kernel), int(stride), int(padding), pool))
    c1, c2, c3 = st.columns(3)
    conv_dropout = c1.slider(
        "Dropout2d after the convs",
        0.0,
        MAX_DROPOUT,
        step=0.05,
        key=P + "conv_dropout",
        help="Zeroes whole feature maps (channels) at random while training.",
    )
    dropout = c2.slider(
        "Dropout in the dense layers",
        0.0,
        MAX_DROPOUT,
        step=0.05,
        key=P + "dropout",
        help="Plain Dropout: the input here is flat (B, features); Dropout2d on a 2-D input "
        "warns in PyTorch and will become an error.",
    )
    activation = c3.selectbox("Activation", list(MODEL_ACTIVATIONS), key=P + "activation")
    hidden_text = st.text_input(
        "Hidden units (comma separated, empty for none)",
        key=P + "hidden",
        help=f"Up to {MAX_HIDDEN_LAYERS} Linear layers between the convs and the 10 outputs.",
    )
    hidden = parse_hidden(hidden_text)
    return ModelSpec(
        convs=convs,
        conv_dropout=conv_dropout,
        hidden=hidden,
        dropout=dropout,
        activation=activation,
    )


def layer_table_ui(spec: ModelSpec) -> int:
    """The layers with their output shapes and parameter counts; returns the total."""
    rows = layer_table(spec)
    frame = pd.DataFrame(
        {
            "layer": [r.name for r in rows],
            "output shape": [" × ".join(map(str, r.output_shape)) for r in rows],
            "parameters": [r.parameters for r in rows],
        }
    )
    # A static table: it wraps a long layer name in the narrow form column and shows every
    # row, where a dataframe cut the names and hid the last rows and columns behind scrolling.
    st.table(frame, hide_index=True)
    total = int(frame["parameters"].sum())
    st.caption(
        f"**{total:,} parameters**, from one dummy image pushed through the model: batch "
        "dimension first, then channels × height × width."
    )
    return total


def optimizer_ui() -> tuple[str, float, dict, str, dict]:
    c1, c2 = st.columns(2)
    name = c1.selectbox("Optimizer", list(OPTIMIZERS), key=P + "optimizer", on_change=_on_optimizer)
    declared = SETTINGS["lr"]
    lr = c2.number_input(
        declared.label,
        min_value=declared.low,
        max_value=declared.high,
        format="%.4g",
        key=P + "lr",
        help=declared.help,
    )
    info = OPTIMIZERS[name]
    st.caption(info.description)
    cols = st.columns(max(1, len(info.params)))
    params = {}
    for col, p in zip(cols, info.params, strict=False):
        with col:
            params[p.name] = _param_widget("opt", p, name)
    schedule = st.selectbox(
        "Learning-rate schedule", list(SCHEDULES), key=P + "schedule", on_change=_on_schedule
    )
    sched = SCHEDULES[schedule]
    st.caption(sched.description)
    sched_params = {}
    if sched.params:
        cols = st.columns(len(sched.params))
        for col, p in zip(cols, sched.params, strict=True):
            with col:
                sched_params[p.name] = _param_widget("sched", p, schedule)
    return name, float(lr), params, schedule, sched_params


def config_ui(device: str) -> RunConfig | None:
    """The whole form; returns a checked RunConfig, or None after showing what is wrong."""
    restore_form()
    st.selectbox(
        "Start from a preset",
        list(RUN_PRESETS),
        key=P + "preset",
        on_change=_on_preset,
        help="classic: the chapter's ConvNet with Adadelta. fast: a smaller net with Adam and "
        "a one-cycle schedule, 99% in two epochs. linear: softmax regression, no hidden layer.",
    )
    data_tab, model_tab, optim_tab = st.tabs(["Data", "Model", "Optimizer and batches"])
    with data_tab:
        section_ui("data", 2)
    with model_tab:
        spec = None
        try:
            spec = model_ui()
            layer_table_ui(spec)
        except (ConfigError, ParseError) as exc:
            st.error(str(exc))
            spec = None
    with optim_tab:
        optimizer, lr, params, schedule, sched_params = optimizer_ui()
        section_ui("batches", 4)
    if spec is None:
        return None
    values = {name: config_value(SETTINGS[name], _get(name)) for name in FORM_SETTINGS} | {
        "model": spec.to_dict(),
        "optimizer": optimizer,
        "lr": lr,
        "optimizer_params": params,
        "schedule": schedule,
        "schedule_params": sched_params,
        "device": device,
    }
    try:
        config = RunConfig.from_dict(values)
    except TorchlabError as exc:
        st.error(str(exc))
        return None
    st.session_state[CONFIG_KEY] = config.to_dict()
    return config
