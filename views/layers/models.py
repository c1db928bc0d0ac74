"""The Layers page's model tabs: recurrent layers, eager and deferred execution, nn and
nn.functional."""

from __future__ import annotations

import inspect

import pandas as pd
import streamlit as st
import torch

from core import links
from core.layers import common as layers
from core.layers import figures as figs
from core.layers import graph as layers_graph
from core.layers import recurrent
from ui.common import code_ui, device_name, errors_ui
from views.layers import fact

KINDS = list(recurrent.RECURRENT_KINDS)
LINK = [
    links.choice("rnn", "layers_rnn_kind", "GRU", KINDS),
    links.integer("hidden", "layers_rnn_hidden", 16, 1, recurrent.MAX_HIDDEN),
    links.integer("stack", "layers_rnn_layers", 1, 1, recurrent.MAX_RECURRENT_LAYERS),
    links.choice("model", "layers_graph_model", "SmallNet", list(layers_graph.MODELS)),
    links.choice("capture", "layers_graph_how", layers_graph.CAPTURES[0], layers_graph.CAPTURES),
]


def recurrent_tab(X: torch.Tensor, seed: int) -> None:
    st.markdown(
        "A **recurrent** layer reads a sequence one step at a time, carrying a hidden state "
        "from step to step. Here it reads the digit **row by row**: 28 steps of 28 pixels. "
        "Watch the hidden state change when the rows with ink arrive and settle on the empty "
        "rows. GRU and LSTM add gates that decide what to keep, which costs 3 or 4 times the "
        "parameters of a plain RNN."
    )
    controls, out = st.columns([1, 3])
    with controls:
        kind = st.radio("Layer", KINDS, key="layers_rnn_kind")
        hidden = st.slider("Hidden size", 1, recurrent.MAX_HIDDEN, key="layers_rnn_hidden")
        num_layers = st.slider(
            "Stacked layers", 1, recurrent.MAX_RECURRENT_LAYERS, key="layers_rnn_layers"
        )
    with out, errors_ui():
        r = recurrent.recurrent_demo(
            X, recurrent.RecurrentConfig(kind, hidden, num_layers, seed), device_name()
        )
        st.latex(r.formula)
        a, b = st.columns(2)
        by_formula = " + ".join(f"{n:,}" for n in r.per_layer) + " by the formula"
        fact(a, "parameters (torch)", f"{r.parameters:,}", by_formula)
        fact(b, "output for all 28 steps", str(r.output_shape), "(batch, time, hidden)")
        st.plotly_chart(figs.sequence_fig(r.X, r.H, r.C), key="layers_rnn_fig")
    code_ui(recurrent.recurrent_parameters, recurrent.read_rows)


def graph_tab(X: torch.Tensor, seed: int) -> None:
    st.markdown(
        "PyTorch runs **eagerly**: Python executes `forward` line by line and each operation "
        "computes at once, so `print` and a debugger work anywhere. **Deferred** execution first "
        "*captures* the model as a graph, then runs it. The graph lets a compiler see the whole "
        "program (fuse operations, plan memory, run without Python, export to phones), at the "
        "cost of capture time and of Python freedom: try `BranchyNet`, whose `if` depends on the "
        "pixel values."
    )
    a, b = st.columns(2)
    name = a.radio("Model", list(layers_graph.MODELS), key="layers_graph_model", horizontal=True)
    how = b.radio("Capture with", layers_graph.CAPTURES, key="layers_graph_how", horizontal=True)
    model = layers_graph.small_model(name, seed)
    eager = layers_graph.run_eager(model, X, device_name())
    graph = layers_graph.capture(model, X, how, device_name())
    left, right = st.columns(2)
    with left:
        st.markdown(
            "**Eager**: the operations in the order Python ran them (a forward pass takes "
            f"{eager.milliseconds:.2g} ms)."
        )
        st.dataframe(pd.DataFrame(eager.rows), hide_index=True)
    with right:
        if graph.error:
            st.warning(layers_graph.why_capture_failed(how))
            with st.expander("torch's own message"):
                st.code(graph.error, language=None)
        else:
            diff = layers.max_abs_diff(graph.y_hat, eager.y_hat)
            st.markdown(
                f"**Deferred**: the captured graph's nodes (capture took {graph.milliseconds:.0f} ms, once)."
            )
            st.dataframe(pd.DataFrame(graph.rows), hide_index=True)
            st.caption(f"Running the graph gives the eager output (largest gap {diff:.1e}).")
    if graph.code:
        with st.expander("The Python code the graph generates"):
            st.code(graph.code, language="python")
    code_ui(layers_graph.SmallNet, layers_graph.BranchyNet, layers_graph.capture)


def functional_tab(X: torch.Tensor, seed: int) -> None:
    st.markdown(
        "The same forward can be written with **`nn` modules**, which own their weights and "
        "follow `model.train()`/`model.eval()`, or with **`nn.functional`**, plain functions to "
        "which you pass the weights yourself. Given the same weights they compute the same "
        "numbers. One trap: `F.dropout` is on unless you pass `training=self.training`; "
        "`nn.Dropout` follows the model's mode by itself."
    )
    left, right = st.columns(2)
    left.code(inspect.getsource(layers_graph.nn_model), wrap_lines=True)
    right.code(inspect.getsource(layers_graph.functional_forward), wrap_lines=True)
    y_nn, y_f = layers_graph.compare_nn_functional(X, seed, device_name())
    st.dataframe(pd.DataFrame([y_nn[0].numpy(), y_f[0].numpy()], ["nn", "nn.functional"]))
    st.success(f"Largest difference between the two outputs: {layers.max_abs_diff(y_nn, y_f):.1e}.")
    code_ui(layers_graph.compare_nn_functional)
