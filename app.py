"""Torchlab: the frame. Page config, navigation over pages/, the shared sidebar."""

from __future__ import annotations

import streamlit as st

from ui.common import sidebar_ui

st.set_page_config(page_title="Torchlab", page_icon="🔥", layout="wide")

PAGES = {
    "Start": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    ],
    "Basics": [
        st.Page("pages/tensors.py", title="Tensors", icon=":material/grid_on:"),
        st.Page("pages/activations.py", title="Activations", icon=":material/show_chart:"),
        st.Page("pages/layers.py", title="Layers", icon=":material/layers:"),
    ],
    "Training": [
        st.Page("pages/backprop.py", title="Loss & backprop", icon=":material/account_tree:"),
        st.Page("pages/training.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/optimizers.py", title="Optimizers", icon=":material/landscape:"),
        st.Page("pages/experiments.py", title="Experiments", icon=":material/science:"),
    ],
    "Inference": [
        st.Page("pages/canvas.py", title="Canvas", icon=":material/draw:"),
    ],
}

page = st.navigation(PAGES)
sidebar_ui()
page.run()
