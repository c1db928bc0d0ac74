"""The Layers page's image tabs: convolution, pooling and transposed convolution."""

from __future__ import annotations

import streamlit as st
import torch

from core import links
from core.layers import conv as layers_conv
from core.layers import figures as figs
from core.layers import pooling as layers_pooling
from ui.common import code_ui, departure_ui, device_name, errors_ui
from views.layers import fact, num, shape

CLASSIC = list(layers_conv.CLASSIC_FILTERS)
LINK = [
    links.choice("kernels", "layers_conv_kernels", "random", ["random", "classic"]),
    links.choices("filters", "layers_conv_filters", CLASSIC[:4], CLASSIC, most=len(CLASSIC)),
    links.integer("conv_k", "layers_conv_k", 3, 1, layers_conv.MAX_KERNEL),
    links.integer("conv_out", "layers_conv_c", 4, 1, layers_conv.MAX_OUT_CHANNELS),
    links.integer("conv_s", "layers_conv_s", 1, 0, layers_conv.MAX_STRIDE),
    links.integer("conv_pad", "layers_conv_p", 0, 0, layers_conv.MAX_PADDING),
    links.integer("conv_dil", "layers_conv_d", 1, 1, layers_conv.MAX_DILATION),
    links.choice(
        "conv_size", "layers_conv_size", layers_conv.INPUT_SIZES[0], layers_conv.INPUT_SIZES
    ),
    links.choice(
        "pool", "layers_pool_kind", layers_pooling.POOL_KINDS[0], layers_pooling.POOL_KINDS
    ),
    links.integer("pool_k", "layers_pool_k", 2, 1, layers_pooling.MAX_POOL_KERNEL),
    links.integer("pool_s", "layers_pool_s", 2, 0, layers_conv.MAX_STRIDE),
    links.integer("tr_size", "layers_tr_size", 7, 2, layers_conv.MAX_TRANSPOSED_INPUT),
    links.integer("tr_k", "layers_tr_k", 3, 1, layers_conv.MAX_KERNEL),
    links.integer("tr_s", "layers_tr_s", 2, 0, layers_conv.MAX_STRIDE),
    links.integer("tr_pad", "layers_tr_p", 0, 0, layers_conv.MAX_PADDING),
    links.integer("tr_out_pad", "layers_tr_op", 0, 0, layers_conv.MAX_STRIDE),
    links.choice("tr_kernel", "layers_tr_kernel", "ones", ["ones", "random"]),
]


def conv_tab(X: torch.Tensor, seed: int) -> None:
    st.markdown(
        "A **convolution** slides a small kernel over the image; each output cell is the sum of "
        "the kernel times the patch under it. The same few weights are reused everywhere, so a "
        "3×3 kernel costs 10 parameters however large the image. Try the classic filters to "
        "see edges and blur, then change stride, padding and dilation and watch the formula."
    )
    # The full width, above the controls: in the quarter-width column each chip was cut to
    # the column's width, and the Sobel filters read "vertical edges (So…".
    kernels = st.radio("Kernels", ["random", "classic"], key="layers_conv_kernels", horizontal=True)
    filters: list[str] = []
    if kernels == "classic":
        filters = st.multiselect(
            "Filters",
            CLASSIC,
            key="layers_conv_filters",
            wrap=True,  # at 1100 px the default four overflow one row, which hid the last
        )
        st.caption("Classic filters are 3×3.")
    controls, out = st.columns([1, 3])
    with controls:
        if kernels == "classic":
            k, channels = layers_conv.CLASSIC_SIZE, len(filters)
        else:
            k = num("Kernel size", 1, layers_conv.MAX_KERNEL, "conv_k")
            channels = num("Output channels", 1, layers_conv.MAX_OUT_CHANNELS, "conv_c")
        stride = num("Stride", 0, layers_conv.MAX_STRIDE, "conv_s", "0 is allowed: try it.")
        padding = num("Padding", 0, layers_conv.MAX_PADDING, "conv_p")
        dilation = num("Dilation", 1, layers_conv.MAX_DILATION, "conv_d")
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
        departure_ui("odd_kernel")
        departure_ui("out_channels")
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
        k = num("Window", 1, layers_pooling.MAX_POOL_KERNEL, "pool_k")
        stride = num("Stride", 0, layers_conv.MAX_STRIDE, "pool_s", "Usually the window size.")
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
        size = num("Small map size", 2, layers_conv.MAX_TRANSPOSED_INPUT, "tr_size")
        k = num("Kernel size", 1, layers_conv.MAX_KERNEL, "tr_k")
        stride = num("Stride", 0, layers_conv.MAX_STRIDE, "tr_s")
        padding = num("Padding", 0, layers_conv.MAX_PADDING, "tr_p")
        out_pad = num(
            "Output padding", 0, layers_conv.MAX_STRIDE, "tr_op", "Smaller than the stride."
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
