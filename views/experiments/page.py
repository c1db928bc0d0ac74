"""Experiments: the chapter's claims as sets of ordinary runs you can launch and compare."""

from __future__ import annotations

import streamlit as st

from core import links
from core.experiments.sets import EXPERIMENTS, build_runs
from ui.common import errors_ui
from ui.links import linked_page
from ui.route import hidden
from views.experiments.launch import launch_ui, live_ui
from views.experiments.sets import LINK, TABS
from views.experiments.tools import pipelines_ui, testset_ui

TAB_KEY = "experiments_tab"
PIPELINE_TAB, BROWSER_TAB = "Data pipeline", "Test-set browser"
TAB_NAMES = {e.title: e.id for e in EXPERIMENTS.values()} | {PIPELINE_TAB: "", BROWSER_TAB: ""}

# What each tab asks the learner to look at and try, beside its claim.
TRY = {
    "data_size": "Read the two lines from left to right. Where does the linear classifier stop "
    "gaining? Add 60,000 (all of MNIST) if you have a few minutes, or switch to "
    "FashionMNIST, where the gap is wider.",
    "batch_size": "Switch the x-axis between wall time, samples seen and updates. Against "
    "samples seen, which batch size learns most from the same images? Against wall time, "
    "which would you rather wait for? The sentences under the plots say what this set shows.",
    "gd_variants": "Against updates (log axis), batch GD descends smoothly but makes only one "
    "update per epoch; SGD makes one per image but zig-zags (switch smoothing off to see how "
    "much). Against time, see which one you would rather wait for.",
    "learning_rate": "Find the valley of the curve. Red crosses mark runs that diverged; a rate "
    "just too large often blows up and then sits on the dotted uniform-guess line instead: "
    "look for its spike on the right. Try Adam instead of SGD: its useful range sits at "
    "smaller rates.",
}
# The same, while the route asks which of them updates most often (ui.route.hidden).
TRY_WITHOUT_COUNTS = {
    "gd_variants": "Against updates (log axis), compare how smoothly each one descends and "
    "how many updates it makes (switch smoothing off to see the zig-zags). Against time, see "
    "which one you would rather wait for.",
}

linked_page("experiments", [links.choice("tab", TAB_KEY, next(iter(TAB_NAMES)), TAB_NAMES), *LINK])

st.title("Experiments: the chapter's claims, run")
st.markdown(
    "Each tab turns one claim of the chapter into a **set of ordinary training runs** that "
    "differ in one knob only (the same seed, model and data otherwise). The runs queue in the "
    "same runner as the Train page, are saved like any run, and draw on one plot while they "
    "train. Every set says how long it will take on this machine before it starts, from a "
    "few training steps timed here."
)

tabs = st.tabs(list(TAB_NAMES), key=TAB_KEY, on_change="rerun")
for (title, exp_id), tab in zip(TAB_NAMES.items(), tabs, strict=True):
    if not tab.open:  # only the chosen tab runs: the others would time steps for nothing
        continue
    with tab:
        if title == PIPELINE_TAB:
            st.markdown(
                "**Claim:** how data reach the model matters as much as the model on a fast "
                "device. The chapter batches by hand, then hands the job to a `DataLoader`; "
                "the runner here keeps the whole normalized set as one tensor on the device. "
                "Measure all three on the device chosen in the sidebar."
            )
            pipelines_ui()
        elif title == BROWSER_TAB:
            st.markdown(
                "Page through the test images with the model's guess and how sure it was. "
                "Filter to the wrong ones, or to low confidence: the mistakes are often "
                "digits a person would hesitate over too."
            )
            testset_ui()
        else:
            exp = EXPERIMENTS[exp_id]
            ui, plots = TABS[exp_id]
            st.markdown(f"**Claim:** {exp.claim}")
            counts_hidden = hidden("gd_counts") and exp_id in TRY_WITHOUT_COUNTS
            st.caption((TRY_WITHOUT_COUNTS if counts_hidden else TRY)[exp_id])
            configs = None
            with errors_ui():
                configs = build_runs(exp_id, ui())
            if configs:
                launch_ui(exp_id, configs)
            live_ui(exp_id, plots)
