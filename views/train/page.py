"""Train: configure a ConvNet, train it in the background, watch the curves, compare runs and
look inside a finished one, each part a tab."""

from __future__ import annotations

import streamlit as st

from core import links
from core.engine.learning.loop import evaluate, train_one_epoch
from core.engine.learning.presets import run_preset
from ui.common import code_ui, device_name, errors_ui
from ui.runner import attached_job, dropped_job_notice, owner_id
from ui.speed import run_time_text
from views.train import SECTION_KEY, SECTIONS
from views.train.form import config_ui
from views.train.inspect import inspect_link, inspect_ui
from views.train.link import link_form
from views.train.live import live_ui
from views.train.run_list import compare_ui, earlier_runs_ui, my_runs_ui, resume_ui
from views.train.start import fair_ui, start_ui


def configure_and_train_ui(owner: str) -> None:
    """Section 1: the form with what to try beside it; Start; the live run; this tab's runs."""
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.header("Configure")
        with errors_ui():
            config = config_ui(device_name())
    with right:
        classic = run_preset("classic").with_changes(device=device_name())
        quick = classic.with_changes(train_subset=2_000)
        st.markdown(
            "**What to try**\n"
            "- Press **Start** with the classic preset: about 98.5% test accuracy after two "
            f"epochs ({run_time_text(classic)} on this machine's {classic.device}). Set *Training "
            f"images* to 2,000 for a run of {run_time_text(quick)}.\n"
            "- Add a conv block, change a kernel or a stride, and watch the **layer table**: each "
            "layer's output shape and parameter count come from pushing one dummy image through. "
            "A setting that shrinks the image below the kernel is refused, naming the layer.\n"
            "- Pick SGD with a learning rate of 5 and the LeakyReLU activation: within ten "
            "batches the loss explodes to NaN and the run stops as *failed*. With ReLU the loss "
            "may instead freeze at 2.30 = ln 10, the loss of a uniform guess: every ReLU has "
            "died and nothing learns any more.\n"
            "- Train twice with the same seed: the same curve, to the last digit. Change only the "
            "seed to see how much of a difference is luck.\n\n"
            "The dropout after the conv stack is `Dropout2d` (it zeroes whole channels); the one "
            "in the dense layers must be plain `Dropout`: `Dropout2d` on a flat (batch, features) "
            "input warns and will become an error in PyTorch."
        )
        code_ui(train_one_epoch, evaluate, label="The training loop behind this page")

    st.header("Train")
    st.caption(
        "Runs train in their own process, outside the web server: click around, switch pages or "
        "refresh, and the run goes on. One run trains at a time on a CPU; the others wait in a "
        "queue. Each finished epoch leaves a checkpoint, so a stopped run can resume later."
    )
    with errors_ui():
        start_ui(config, owner)
    with (
        st.expander("Fair comparison: several optimizers from the same initial weights"),
        errors_ui(),
    ):
        fair_ui(config, owner)

    job_id = attached_job("training")
    if notice := dropped_job_notice("training"):
        st.info(notice, icon=":material/history:")
    if job_id is not None:
        with errors_ui():
            live_ui(job_id)

    st.subheader("Your runs")
    with errors_ui():
        my_runs_ui(owner, job_id)
        earlier_runs_ui(owner)
        resume_ui(owner)


owner = owner_id()
link_form([links.choice("section", SECTION_KEY, SECTIONS[0], SECTIONS), *inspect_link(owner)])

st.title("Train a ConvNet")
st.markdown(
    "This is the chapter's training loop, live. A **batch** of images goes through the model, "
    "the loss says how wrong it was, `loss.backward()` computes every gradient and the "
    "**optimizer** nudges each weight against its gradient. One pass over the training set is "
    "an **epoch**; after each one the model is tested on images it never trained on."
)

# Three tabs, of which only the open one runs: each part was a screen or more of the one
# long page (5,555 px at 1400x1000 with one finished run), and the other two cost nothing.
configure_tab, compare_tab, inspect_tab = st.tabs(SECTIONS, key=SECTION_KEY, on_change="rerun")
if configure_tab.open:
    with configure_tab:
        configure_and_train_ui(owner)
if compare_tab.open:
    with compare_tab:
        st.markdown(
            "Overlay any runs (yours, earlier ones, headless ones from "
            "`python -m core.engine.cli`) on one chart. The table lists only the settings that "
            "differ, next to the final metrics: if two curves differ, that is where to look."
        )
        with errors_ui():
            compare_ui(owner)
if inspect_tab.open:
    with inspect_tab, errors_ui():
        inspect_ui(owner)
