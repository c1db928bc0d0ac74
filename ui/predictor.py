"""The model picker's list, shared by the Canvas page and the test-set browser.

Listing the runs reads every run folder (config, status, metrics): fine once, too slow to
repeat on every pen stroke once a few hundred runs exist. The list is kept a few seconds, so
a run saved a moment ago still shows up without a restart.
"""

from __future__ import annotations

import streamlit as st

from core.engine.products import predictor as pr
from core.engine.runs.folder import runs_root

MODEL_LIST_TTL_S = 5.0  # how long the list of saved models is reused before reading it again


@st.cache_data(ttl=MODEL_LIST_TTL_S, show_spinner=False)
def _choices(root: str, pretrained: str, datasets: tuple[str, ...] | None) -> list:
    return pr.model_choices(root, datasets)


def model_choices(datasets: tuple[str, ...] | None = ("MNIST",)) -> list[pr.ModelChoice]:
    """The predictor's model_choices for the current runs folder, reused for a few seconds."""
    # the folders are part of the key: a test (or a changed setting) pointing elsewhere
    # never sees another folder's list
    return _choices(str(runs_root()), str(pr.PRETRAINED_DIR), datasets)
