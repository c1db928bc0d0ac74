"""Starting runs: one run of the form's configuration, or a fair race of several optimizers
from the very same initial weights and batch order; and the script and notebook exports."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.engine.learning.config import RunConfig
from core.engine.learning.optimizers import OPTIMIZERS
from core.engine.learning.setup import initial_state, state_hash
from core.engine.products.export import export_script
from core.engine.products.notebook import MIME as NOTEBOOK_MIME
from core.engine.products.notebook import run_notebook
from core.errors import TorchlabError
from core.train.fair_race import MAX_RACERS, start_race
from ui.runner import attach_job, get_runner, runner_problem
from views.train import KEY_PREFIX
from views.train.run_list import COMPARE_KEY, SHOW_KEY

P = KEY_PREFIX
MESSAGE_KEY = P + "start_error"  # an error from a button callback, shown on the next run


def _start(config: RunConfig, owner: str) -> None:
    try:
        job_id = get_runner().submit(config, owner=owner)
    except TorchlabError as exc:
        st.session_state[MESSAGE_KEY] = str(exc)
        return
    attach_job("training", job_id)
    st.session_state[SHOW_KEY] = job_id  # the picker follows the new run


def _start_fair(config: RunConfig, owner: str, table: pd.DataFrame) -> None:
    try:
        picks = list(zip(table["optimizer"].astype(str), table["lr"], strict=True))
        race = start_race(get_runner(), config, picks, owner)
    except (TorchlabError, ValueError, TypeError) as exc:
        st.session_state[MESSAGE_KEY] = str(exc)
        return
    attach_job("training", race.ids[0])
    st.session_state[SHOW_KEY] = race.ids[0]
    st.session_state[COMPARE_KEY] = race.ids
    st.session_state[P + "fair_hash"] = race.init_hash


def start_ui(config: RunConfig | None, owner: str) -> None:
    """Start / export buttons; Start is disabled while the form has an error, or while no
    backend can train (said once, here, with what to set)."""
    problem = runner_problem()
    if problem:
        st.error(problem, icon=":material/cloud_off:")
    c1, c2, c3 = st.columns([1, 1.2, 1.8])
    c1.button(
        "▶ Start training",
        type="primary",
        key=P + "start",
        disabled=config is None or bool(problem),
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
        c3.download_button(
            "Export as a notebook",
            run_notebook(config),
            file_name=f"train_{config.dataset.lower()}.ipynb",
            mime=NOTEBOOK_MIME,
            key=P + "export_notebook",
            help="The same code as a Jupyter notebook, cell by cell with what each one does, "
            "ending with a prediction for one test image.",
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
        max_selections=MAX_RACERS,
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
        disabled=config is None or len(names) < 2 or bool(runner_problem()),
        on_click=_start_fair,
        args=(config, owner, table),
    )
