"""Layers lab: what each layer type does to one real digit."""

from __future__ import annotations

import random

import pandas as pd
import streamlit as st
import torch

from core import links
from core.engine.learning.config import MAX_SEED
from core.engine.learning.data import TEST_SIZE
from core.layers import common as layers
from core.layers import dropout as layers_dropout
from core.layers import figures as figs
from ui.common import code_ui, departure_ui, errors_ui
from ui.links import linked_page
from ui.route import hidden, hidden_note
from views.layers import TABS, conv, fact, models, num, shape

DRAWN_KEY = "last_drawn_digit"  # written by the canvas page
MNIST_SOURCE, DRAWN_SOURCE = "MNIST test digit", "Your drawn digit"

SEED_HELP = (
    "Every random weight and dropout mask here comes from this seed: change it for new ones."
)
LINK = [
    links.choice("tab", "layers_tab", TABS[0], TABS),
    links.integer("digit", "layers_index", 0, 0, TEST_SIZE - 1),
    links.integer("seed", "layers_seed", 0, 0, MAX_SEED),
    links.integer("units", "layers_units", 10, 1, layers.MAX_FLAT_UNITS),
    *conv.LINK,
    links.number("p", "layers_drop_p", 0.5, 0.0, layers_dropout.MAX_DROPOUT),
    *models.LINK,
]
linked_page("layers", LINK)

st.title("Layers: what each one does to a digit")
st.markdown(
    "A network is a stack of layers, and each layer is a function from one tensor to another. "
    "Here every layer type works on **one real input**, a 28×28 handwritten digit, so you can "
    "see what it does, what shape comes out, and how many parameters it costs. Nothing is "
    "trained: the weights are PyTorch's random start (or textbook filters), which is enough to "
    "see the *mechanics*. Pick a digit, then open a tab."
)


def random_digit() -> None:
    st.session_state["layers_index"] = random.randrange(layers.mnist_test_count())


def input_ui() -> torch.Tensor | None:
    """The digit every tab works on, (28, 28) on [0, 1]; None when none can be loaded."""
    drawn = st.session_state.get(DRAWN_KEY)
    if drawn is not None and st.session_state.get("layers_seen_drawing") is not drawn:
        # a new drawing is what the learner most likely came to see: switch to it once
        st.session_state["layers_seen_drawing"] = drawn
        st.session_state["layers_source"] = DRAWN_SOURCE
    sources = [MNIST_SOURCE] + ([DRAWN_SOURCE] if drawn is not None else [])
    left, mid, right = st.columns([2, 2, 1])
    with left:
        if len(sources) > 1:
            source = st.radio("Input", sources, key="layers_source", horizontal=True)
        else:  # one choice is no choice: say what the input is instead of a lone radio
            source = st.session_state["layers_source"] = MNIST_SOURCE
            st.markdown(f"**Input**: {MNIST_SOURCE}  \n:gray[Draw a digit on the **Canvas** "
                        "page and it is offered here too.]")  # fmt: skip
    with mid:
        st.number_input("Random seed", 0, MAX_SEED, key="layers_seed", help=SEED_HELP)
    with errors_ui():
        if source == DRAWN_SOURCE:
            X, caption = layers.drawn_digit(drawn), "your drawing"
        else:
            with left:
                count = layers.mnist_test_count()
                index = st.number_input(
                    f"Test digit (0 to {count - 1})", 0, count - 1, key="layers_index"
                )
                st.button("Random digit", key="layers_random", on_click=random_digit)
            X, label = layers.mnist_test_digit(int(index))
            caption = f"test digit {index}: a {label}"
        with right:
            st.image(X.numpy(), caption=caption, width=112, clamp=True)
        return X
    return None


def linear_tab(X: torch.Tensor, seed: int) -> None:
    st.markdown(
        "A **fully connected** (Linear) layer multiplies its input vector by a weight matrix "
        "and adds a bias: every output looks at every input. The chapter writes one by hand: "
        "`W = torch.randn(256, 4) / sqrt(256)` with `requires_grad=True` and a zero bias. "
        "`nn.Linear(256, 4)` is the same map; it stores the weight transposed, as (out, in), "
        "and starts from a different random draw. Here both read the digit averaged down to "
        "16×16 = 256 features."
    )
    r = layers.linear_demo(X, seed)
    a, b, c = st.columns(3)
    fact(a, "nn.Linear weight (out, in)", shape(r.weight_nn), f"{r.params_nn:,} parameters")
    fact(b, "manual W (in, out)", shape(r.weight_manual), f"{r.params_manual:,} parameters")
    fact(c, "output shape", shape(r.y_hat_nn), "the same for both")
    left, right = st.columns(2)
    with left:
        outputs = {"nn.Linear(256, 4)": r.y_hat_nn[0], "X @ W + b (manual)": r.y_hat_manual[0]}
        outputs["nn.Linear given W.T, b"] = r.y_hat_shared[0]
        st.dataframe(pd.DataFrame({k: v.numpy() for k, v in outputs.items()}))
        diff = layers.max_abs_diff(r.y_hat_manual, r.y_hat_shared)
        st.caption(
            "The first two columns differ only because the random weights differ. Copy the "
            f"manual `W.T` and `b` into `nn.Linear` and the outputs agree (largest gap {diff:.1e})."
        )
    with right:
        st.plotly_chart(figs.weights_fig(r.weight_nn, r.weight_manual), key="layers_w_hist")
        st.caption(
            "`nn.Linear` draws its weights uniformly from ±1/√256; the chapter's layer from a "
            "normal with standard deviation 1/√256. Both shrink with the number of inputs, so "
            "that a sum over 256 inputs stays about as large as one input."
        )
    st.subheader("A whole image into a Linear layer")
    st.markdown(
        "A Linear layer wants a vector, so an image is **flattened** first: its 28 rows are "
        "laid end to end into 784 numbers. Pixels that were neighbours above and below end up "
        "28 places apart; the layer does not know they were close. Convolutions keep that."
    )
    units = num("Outputs of the Linear layer", 1, layers.MAX_FLAT_UNITS, "units")
    with errors_ui():
        f = layers.flatten_demo(X, int(units), seed)
        st.plotly_chart(figs.flatten_fig(f.X_flat, layers.IMAGE_SIZE), key="layers_flat")
        st.caption(
            "The 784 features in order; each red line starts the next image row. Hover for the pixel."
        )
        shapes = [(step, str(shape)) for step, shape in f.shapes]
        st.dataframe(pd.DataFrame(shapes, columns=["step", "output shape"]), hide_index=True)
        st.caption(f"Parameters: 784 × {units} weights + {units} biases = {f.parameters:,}.")
    code_ui(layers.manual_linear, layers.linear_demo, layers.flatten_demo)


def dropout_tab(X: torch.Tensor, seed: int) -> None:
    eval_hidden = hidden("dropout_eval")  # the route asks what eval mode does
    st.markdown(
        "**Dropout** fights overfitting: in training mode it zeroes each value with probability "
        "p and scales the survivors by 1/(1−p), so on average the output equals the input."
        + ("" if eval_hidden else " In eval mode (`model.eval()`) it does nothing at all.")
        + " Change the seed for a new mask."
    )
    p = st.slider(
        "Drop probability p", 0.0, layers_dropout.MAX_DROPOUT, step=0.05, key="layers_drop_p"
    )
    with errors_ui():
        r = layers_dropout.dropout_demo(X, p, seed)
        a, b, c = st.columns(3)
        fact(a, "cells kept", f"{r.kept_fraction:.1%}", f"expected {1 - p:.0%}")
        fact(b, "survivors scaled by", f"{r.scale:.3g}", "1 / (1 − p)")
        if eval_hidden:
            with c:
                hidden_note()
        else:
            fact(c, "eval mode", "identity" if r.eval_is_identity else "not identity",
                 "output == input")  # fmt: skip
        fig = figs.dropout_fig(
            r.X, r.kept, r.Y_train, None if eval_hidden else r.Y_eval, r.Y_mean,
            layers_dropout.DROPOUT_DRAWS,
        )  # fmt: skip
        st.plotly_chart(fig, key="layers_drop_fig")
        st.subheader("Dropout against Dropout2d")
        st.markdown(
            "On feature maps, neighbouring cells carry nearly the same information, so dropping "
            "single cells barely hides anything. `nn.Dropout2d` drops **whole channels** "
            "instead. Below, six filters of the digit, then each layer's result with the same p."
        )
        departure_ui("dropout2d")
        fig = figs.channel_dropout_fig(
            r.maps, r.maps_dropout, r.maps_dropout2d, r.channel_names, r.channels_kept
        )
        st.plotly_chart(fig, key="layers_drop_channels")
    code_ui(layers_dropout.dropout_demo)


X = input_ui()
if X is None:
    st.stop()
seed = int(st.session_state["layers_seed"])
SECTIONS = dict(  # tab label -> the function that draws it, in TABS order
    zip(
        TABS,
        [linear_tab, conv.conv_tab, conv.pool_tab, conv.transposed_tab, dropout_tab,
         models.recurrent_tab, models.graph_tab, models.functional_tab],
        strict=True,
    )
)  # fmt: skip
tabs = st.tabs(list(SECTIONS), key="layers_tab", on_change="rerun")
for tab, section in zip(tabs, SECTIONS.values(), strict=True):
    if tab.open:  # only the tab on screen runs, so every section stays fast
        with tab:
            section(X, seed)
