"""Layers lab: what each layer type does to one real digit."""

from __future__ import annotations

import inspect
import random

import pandas as pd
import streamlit as st
import torch

from core.engine.config import MAX_SEED
from core.layers import common as layers
from core.layers import conv as layers_conv
from core.layers import dropout as layers_dropout
from core.layers import figures as figs
from core.layers import graph as layers_graph
from core.layers import pooling as layers_pooling
from core.layers import recurrent
from ui.common import code_ui, device_name, errors_ui

DRAWN_KEY = "last_drawn_digit"  # written by the canvas page
MNIST_SOURCE, DRAWN_SOURCE = "MNIST test digit", "Your drawn digit"

SEED_HELP = (
    "Every random weight and dropout mask here comes from this seed: change it for new ones."
)

st.session_state.setdefault("layers_index", 0)
st.session_state.setdefault("layers_seed", 0)

st.title("Layers: what each one does to a digit")
st.markdown(
    "A network is a stack of layers, and each layer is a function from one tensor to another. "
    "Here every layer type works on **one real input**, a 28×28 handwritten digit, so you can "
    "see what it does, what shape comes out, and how many parameters it costs. Nothing is "
    "trained: the weights are PyTorch's random start (or textbook filters), which is enough to "
    "see the *mechanics*. Pick a digit, then open a tab."
)


def fact(column, label: str, value: str, note: str = "") -> None:
    """A big number with a plain grey note under it (no up/down arrow: nothing changed)."""
    column.metric(label, value, note or None, delta_color="off", delta_arrow="off")


def shape(t: torch.Tensor) -> str:
    return str(tuple(t.shape))


def num(label: str, low: int, high: int, default: int, key: str, help: str | None = None) -> int:
    """An integer box; its key is prefixed with the page name."""
    return int(st.number_input(label, low, high, default, key=f"layers_{key}", help=help))


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
    units = num("Outputs of the Linear layer", 1, layers.MAX_FLAT_UNITS, 10, "units")
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


def conv_tab(X: torch.Tensor, seed: int) -> None:
    st.markdown(
        "A **convolution** slides a small kernel over the image; each output cell is the sum of "
        "the kernel times the patch under it. The same few weights are reused everywhere, so a "
        "3×3 kernel costs 10 parameters however large the image. Try the classic filters to "
        "see edges and blur, then change stride, padding and dilation and watch the formula."
    )
    controls, out = st.columns([1, 3])
    with controls:
        kernels = st.radio(
            "Kernels", ["random", "classic"], key="layers_conv_kernels", horizontal=True
        )
        if kernels == "classic":
            filters = st.multiselect(
                "Filters",
                list(layers_conv.CLASSIC_FILTERS),
                list(layers_conv.CLASSIC_FILTERS)[:4],
                key="layers_conv_filters",
            )
            st.caption("Classic filters are 3×3.")
            k, channels = layers_conv.CLASSIC_SIZE, len(filters)
        else:
            filters = []
            k = num("Kernel size", 1, layers_conv.MAX_KERNEL, 3, "conv_k")
            channels = num("Output channels", 1, layers_conv.MAX_OUT_CHANNELS, 4, "conv_c")
        stride = num("Stride", 0, layers_conv.MAX_STRIDE, 1, "conv_s", "0 is allowed: try it.")
        padding = num("Padding", 0, layers_conv.MAX_PADDING, 0, "conv_p")
        dilation = num("Dilation", 1, layers_conv.MAX_DILATION, 1, "conv_d")
        size = st.selectbox(
            "Input size",
            layers_conv.INPUT_SIZES,
            key="layers_conv_size",
            help="The digit averaged down, to reach the shape limits sooner.",
        )
    config = layers_conv.ConvConfig(
        k, stride, padding, dilation, int(channels), kernels, filters, int(size), seed
    )
    with out, errors_ui():
        r = layers_conv.conv_demo(X, config, device_name())
        st.latex(r.formula)
        a, b, c = st.columns(3)
        fact(a, "output", shape(r.Y))
        fact(b, "parameters", f"{r.parameters:,}", f"{len(r.names)}·1·{k}·{k} + {len(r.names)}")
        h_out, w_out = r.Y.shape[2:]
        sizes = f"{len(r.names)}·{h_out}·{w_out}·1·{k}·{k}"
        fact(c, "multiply-adds", f"{r.macs:,}", sizes)
        st.plotly_chart(
            figs.kernels_fig(r.X[0, 0], r.weight, r.names), key="layers_conv_kernels_fig"
        )
        st.caption(
            "Parameters: C_out·C_in·k·k weights + C_out biases. Multiply-adds: each of the "
            "C_out·H_out·W_out outputs reads C_in·k·k inputs. Above: the input, then each kernel "
            "(red positive, blue negative)."
        )
        st.plotly_chart(
            figs.image_grid_fig(list(r.Y[0]), r.names, signed=True), key="layers_conv_maps"
        )
        st.caption(
            "The feature maps: where the input looks like the kernel, the map is red. The empty "
            "background is the bias alone (no ink to multiply), so a map can start tinted."
        )
    code_ui(layers_conv.conv_output_size, layers_conv.conv_layer, layers_conv.conv_demo)


def pool_tab(X: torch.Tensor, seed: int) -> None:
    st.markdown(
        "**Pooling** shrinks a map by summarising each window with one number, with no "
        "weights to learn. Max-pooling keeps the strongest response (strokes get thicker), "
        "average-pooling blurs, and min-pooling, written `−max_pool2d(−x)` because PyTorch has "
        "none, keeps the weakest (strokes get thinner or vanish). For max and min, the dots "
        "show which input cell each output took; hover one. Windows of plain background get no "
        "dot: every cell there is equal, and PyTorch simply takes the first."
    )
    controls, out = st.columns([1, 3])
    with controls:
        kind = st.radio("Pooling", layers_pooling.POOL_KINDS, key="layers_pool_kind")
        k = num("Window", 1, layers_pooling.MAX_POOL_KERNEL, 2, "pool_k")
        stride = num("Stride", 0, layers_conv.MAX_STRIDE, 2, "pool_s", "Usually the window size.")
    with out, errors_ui():
        r = layers_pooling.pool_demo(X, kind, int(k), int(stride), device_name())
        st.latex(r.formula)
        st.plotly_chart(
            figs.pool_fig(r.X[0, 0], r.Y[0, 0], r.sources, r.decided, kind), key="layers_pool_fig"
        )
    code_ui(layers_pooling.min_pool2d, layers_pooling.pool_demo)


def transposed_tab(X: torch.Tensor, seed: int) -> None:
    st.markdown(
        "A **transposed convolution** goes the other way: each input cell *stamps* a copy of "
        "the kernel, scaled by its value, onto a larger output, and overlapping stamps add up. "
        "Decoders and segmentation networks use it to upsample. With stride 2 and kernel 3 the "
        "stamps overlap on every other row and column, so some cells get 1, 2 or 4 stamps: the "
        "**checkerboard** in the right-hand panel, which a network must learn to hide."
    )
    controls, out = st.columns([1, 3])
    with controls:
        size = num("Small map size", 2, layers_conv.MAX_TRANSPOSED_INPUT, 7, "tr_size")
        k = num("Kernel size", 1, layers_conv.MAX_KERNEL, 3, "tr_k")
        stride = num("Stride", 0, layers_conv.MAX_STRIDE, 2, "tr_s")
        padding = num("Padding", 0, layers_conv.MAX_PADDING, 0, "tr_p")
        out_pad = num(
            "Output padding", 0, layers_conv.MAX_STRIDE, 0, "tr_op", "Smaller than the stride."
        )
        kernel = st.radio("Kernel", ["ones", "random"], key="layers_tr_kernel", horizontal=True)
    config = layers_conv.TransposedConfig(size, k, stride, padding, out_pad, kernel, seed)
    with out, errors_ui():
        r = layers_conv.transposed_demo(X, config, device_name())
        st.latex(r.formula)
        a, b = st.columns(2)
        fact(a, "output", shape(r.Y))
        fact(b, "parameters", f"{r.parameters:,}", f"{r.macs:,} multiply-adds")
        fig = figs.transposed_fig(r.X[0, 0], r.weight[0, 0], r.Y[0, 0], r.overlap[0, 0])
        st.plotly_chart(fig, key="layers_tr_fig")
    code_ui(layers_conv.transposed_output_size, layers_conv.transposed_demo)


def dropout_tab(X: torch.Tensor, seed: int) -> None:
    st.markdown(
        "**Dropout** fights overfitting: in training mode it zeroes each value with probability "
        "p and scales the survivors by 1/(1−p), so on average the output equals the input. In "
        "eval mode (`model.eval()`) it does nothing at all. Change the seed for a new mask."
    )
    p = st.slider(
        "Drop probability p", 0.0, layers_dropout.MAX_DROPOUT, 0.5, 0.05, key="layers_drop_p"
    )
    with errors_ui():
        r = layers_dropout.dropout_demo(X, p, seed)
        a, b, c = st.columns(3)
        fact(a, "cells kept", f"{r.kept_fraction:.1%}", f"expected {1 - p:.0%}")
        fact(b, "survivors scaled by", f"{r.scale:.3g}", "1 / (1 − p)")
        fact(
            c, "eval mode", "identity" if r.eval_is_identity else "not identity", "output == input"
        )
        fig = figs.dropout_fig(
            r.X, r.kept, r.Y_train, r.Y_eval, r.Y_mean, layers_dropout.DROPOUT_DRAWS
        )
        st.plotly_chart(fig, key="layers_drop_fig")
        st.subheader("Dropout against Dropout2d")
        st.markdown(
            "On feature maps, neighbouring cells carry nearly the same information, so dropping "
            "single cells barely hides anything. `nn.Dropout2d` drops **whole channels** "
            "instead. Below, six filters of the digit, then each layer's result with the same p."
        )
        fig = figs.channel_dropout_fig(
            r.maps, r.maps_dropout, r.maps_dropout2d, r.channel_names, r.channels_kept
        )
        st.plotly_chart(fig, key="layers_drop_channels")
    code_ui(layers_dropout.dropout_demo)


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
        kind = st.radio("Layer", list(recurrent.RECURRENT_KINDS), index=1, key="layers_rnn_kind")
        hidden = st.slider("Hidden size", 1, recurrent.MAX_HIDDEN, 16, key="layers_rnn_hidden")
        num_layers = st.slider(
            "Stacked layers", 1, recurrent.MAX_RECURRENT_LAYERS, 1, key="layers_rnn_layers"
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


X = input_ui()
if X is None:
    st.stop()
seed = int(st.session_state["layers_seed"])
SECTIONS = {  # tab label -> the function that draws it
    "Fully connected": linear_tab,
    "Convolution": conv_tab,
    "Pooling": pool_tab,
    "Transposed conv": transposed_tab,
    "Dropout": dropout_tab,
    "Recurrent": recurrent_tab,
    "Eager and deferred": graph_tab,
    "nn and functional": functional_tab,
}
tabs = st.tabs(list(SECTIONS), key="layers_tab", on_change="rerun")
for tab, section in zip(tabs, SECTIONS.values(), strict=True):
    if tab.open:  # only the tab on screen runs, so every section stays fast
        with tab:
            section(X, seed)
