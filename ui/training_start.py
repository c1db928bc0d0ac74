"""Starting runs: one run of the form's configuration, or a fair race of several optimizers
from the very same initial weights and batch order; and the script export."""

from __future__ import annotations

import uuid

import pandas as pd
import streamlit as st

from core.engine.config import RunConfig
from core.engine.export import export_script
from core.engine.loop import initial_state, state_hash
from core.engine.optimizers import OPTIMIZERS
from core.errors import TorchlabError
from ui.runner import attach_job, get_runner
from ui.training_runs import COMPARE_KEY, FAIR, SHOW_KEY

P = "training_"
MESSAGE_KEY = P + "start_error"  # an error from a button callback, shown on the next run
MAX_FAIR_RUNS = 6


def _start(config: RunConfig, owner: str) -> None:
    try:
        job_id = get_runner().submit(config, owner=owner)
    except TorchlabError as exc:
        st.session_state[MESSAGE_KEY] = str(exc)
        return
    attach_job("training", job_id)
    st.session_state[SHOW_KEY] = job_id  # the picker follows the new run


def _start_fair(config: RunConfig, owner: str, table: pd.DataFrame) -> None:
    names = [str(n) for n in table["optimizer"]]
    if not 2 <= len(names) <= MAX_FAIR_RUNS:
        st.session_state[MESSAGE_KEY] = f"Pick 2 to {MAX_FAIR_RUNS} optimizers to compare."
        return
    try:
        state = initial_state(config)
        group = FAIR + uuid.uuid4().hex[:8]
        configs = [
            config.with_changes(
                optimizer=name, lr=float(lr), optimizer_params={}, name=f"{name} lr={lr:g}"
            )
            for name, lr in zip(names, table["lr"], strict=True)
        ]
        for c in configs:
            RunConfig.from_dict(c.to_dict())  # refuse a bad learning rate before any starts
        runner = get_runner()
        ids = [runner.submit(c, owner=owner, group=group, initial_state=state) for c in configs]
    except (TorchlabError, ValueError, TypeError) as exc:
        st.session_state[MESSAGE_KEY] = str(exc)
        return
    attach_job("training", ids[0])
    st.session_state[SHOW_KEY] = ids[0]
    st.session_state[COMPARE_KEY] = ids
    st.session_state[P + "fair_hash"] = state_hash(state)


def start_ui(config: RunConfig | None, owner: str) -> None:
    """Start / export buttons; disabled while the form has an error."""
    c1, c2 = st.columns([1, 3])
    c1.button(
        "▶ Start training",
        type="primary",
        key=P + "start",
        disabled=config is None,
        on_click=_start,
        args=(config, owner),
    )
    if config is not None:
        c2.download_button(
            "Export as a PyTorch script",
            export_script(config),
            file_name=f"train_{config.dataset.lower()}.py",
            mime="text/x-python",
            key=P + "export",
            help="A standalone script (torch + torchvision only) that trains exactly this run.",
        )
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        st.error(message)


def fair_ui(config: RunConfig | None, owner: str) -> None:
    """Several optimizers, same initial weights (shown by their hash), same batch order."""
    st.markdown(
        "A race is only fair when nothing but the optimizer differs. These runs start from "
        "**one** copy of the initial weights (the same `state_dict`, shown by its short hash) "
        "and draw the batches in the same order (same seed). Everything else comes from the "
        "form above."
    )
    st.session_state.setdefault(P + "fair_optimizers", ["SGD", "Adadelta", "Adam"])
    names = st.multiselect(
        "Optimizers",
        list(OPTIMIZERS),
        key=P + "fair_optimizers",
        max_selections=MAX_FAIR_RUNS,
    )
    table = st.data_editor(
        pd.DataFrame({"optimizer": names, "lr": [OPTIMIZERS[n].default_lr for n in names]}),
        disabled=["optimizer"],
        hide_index=True,
        key=P + "fair_table_" + "-".join(names),
        column_config={"lr": st.column_config.NumberColumn("learning rate", format="%.4g")},
    )
    if config is not None:
        st.caption(f"Initial weights for seed {config.seed}: `{state_hash(initial_state(config))}`")
    st.button(
        "▶ Start the fair comparison",
        key=P + "fair_start",
        disabled=config is None or len(names) < 2,
        on_click=_start_fair,
        args=(config, owner, table),
    )
