"""The Layers page: page.py is the script (the input digit, the fully connected and dropout
tabs, the link); conv (convolution, pooling, transposed conv) and models (recurrent, eager
and deferred, nn and functional) hold the other tabs, each with the link fields of its widgets.

Every widget and session key of the page starts with "layers_".
"""

from __future__ import annotations

import streamlit as st
import torch

from ui.common import ranged

TABS = [  # the page's tabs, in order (its link's `tab` names one)
    "Fully connected",
    "Convolution",
    "Pooling",
    "Transposed conv",
    "Dropout",
    "Recurrent",
    "Eager and deferred",
    "nn and functional",
]


def fact(column, label: str, value: str, note: str = "") -> None:
    """A big number with a plain grey note under it (no up/down arrow: nothing changed)."""
    column.metric(label, value, note or None, delta_color="off", delta_arrow="off")


def shape(t: torch.Tensor) -> str:
    return str(tuple(t.shape))


def num(label: str, low: int, high: int, key: str, help: str | None = None) -> int:
    """An integer box that says its range (Streamlit refuses a number outside it with only a
    red mark); its key is prefixed with the page name, its default is in the link."""
    return int(st.number_input(ranged(label, low, high), low, high, key=f"layers_{key}", help=help))
