"""Plotly figures for the Layers lab: images, feature-map grids, pooling sources, hidden states.

Pure functions of tensors: no torch maths here beyond reading values out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

IMAGE_SCALE = "gray"  # pixels on [0, 1]: black background, white ink, as in MNIST
SIGNED_SCALE = "RdBu_r"  # weights and feature maps: blue below zero, red above
CELL_PX = 190  # height of one panel in a grid
MAX_GRID_COLUMNS = 4  # panels per row in a grid


def _axis_suffix(i: int) -> str:
    return "" if i == 1 else str(i)


def _square_panels(fig: go.Figure, count: int) -> None:
    """Rows go down as in an image, and cells stay square."""
    for i in range(1, count + 1):
        s = _axis_suffix(i)
        fig.layout[f"yaxis{s}"].update(autorange="reversed", scaleanchor=f"x{s}", visible=False)
        fig.layout[f"xaxis{s}"].update(visible=False, constrain="domain")


def _heatmap(values: torch.Tensor, signed: bool, name: str = "") -> go.Heatmap:
    z = values.detach().cpu().to(torch.float32).numpy()
    if signed:
        return go.Heatmap(
            z=z,
            colorscale=SIGNED_SCALE,
            zmid=0.0,
            showscale=False,
            name=name,
            hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>",
        )
    return go.Heatmap(
        z=z,
        colorscale=IMAGE_SCALE,
        zmin=0.0,
        zmax=max(1.0, float(z.max()) if z.size else 1.0),
        showscale=False,
        name=name,
        hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>",
    )


def image_grid_fig(
    images: Sequence[torch.Tensor],
    titles: Sequence[str],
    *,
    signed: bool | Sequence[bool] = False,
    columns: int = MAX_GRID_COLUMNS,
) -> go.Figure:
    """A grid of 2-D maps, one per panel, each with its own colour range.

    `signed` maps (weights, feature maps) use a red/blue scale centred on 0; the others are
    pixel images in grey.
    """
    n = len(images)
    flags = [signed] * n if isinstance(signed, bool) else list(signed)
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=list(titles),
        horizontal_spacing=0.03,
        vertical_spacing=0.12 / rows,
    )
    for i, (image, flag) in enumerate(zip(images, flags, strict=True)):
        fig.add_trace(_heatmap(image, flag, titles[i]), row=i // columns + 1, col=i % columns + 1)
    _square_panels(fig, n)
    fig.update_layout(height=rows * CELL_PX + 40, margin=dict(l=10, r=10, t=40, b=10))
    fig.update_annotations(font_size=12)
    return fig


def flatten_fig(X_flat: torch.Tensor, side: int) -> go.Figure:
    """The image's rows laid end to end: the one long vector a Linear layer sees."""
    values = X_flat.reshape(1, -1)  # (1, side·side)
    n = values.shape[1]
    index = torch.arange(n)
    text = [[f"pixel {k}: row {k // side}, col {k % side}" for k in index.tolist()]]
    fig = go.Figure(
        go.Heatmap(
            z=values.numpy(),
            colorscale=IMAGE_SCALE,
            zmin=0.0,
            zmax=1.0,
            showscale=False,
            text=text,
            hovertemplate="%{text}: %{z:.2f}<extra></extra>",
        )
    )
    for start in range(side, n, side):  # thin lines where one image row ends
        fig.add_vline(x=start - 0.5, line_width=0.5, line_color="#EE4C2C")
    fig.update_layout(height=90, margin=dict(l=10, r=10, t=10, b=10))
    fig.update_yaxes(visible=False)
    return fig


def weights_fig(weight_nn: torch.Tensor, weight_manual: torch.Tensor) -> go.Figure:
    """The two layers' starting weights: PyTorch's uniform init against randn / √n."""
    fig = go.Figure()
    fig.add_histogram(x=weight_nn.flatten().numpy(), name="nn.Linear default", opacity=0.6)
    fig.add_histogram(x=weight_manual.flatten().numpy(), name="randn / √256", opacity=0.6)
    fig.update_layout(
        barmode="overlay",
        height=260,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title="weight value",
        yaxis_title="how many",
        legend=dict(orientation="h", y=1.15),
    )
    return fig


def pool_fig(
    X: torch.Tensor,
    Y: torch.Tensor,
    sources: torch.Tensor | None,
    decided: torch.Tensor | None,
    kind: str,
) -> go.Figure:
    """Before and after; for max/min pooling, a dot on each input cell an output took.

    Flat windows (all background) get no dot: any cell would have done.
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[f"input {tuple(X.shape)}", f"{kind} pooled {tuple(Y.shape)}"],
    )
    fig.add_trace(_heatmap(X, False), row=1, col=1)
    fig.add_trace(_heatmap(Y, False), row=1, col=2)
    if sources is not None:
        out_rows, out_cols = sources.shape[:2]
        grid = torch.cartesian_prod(torch.arange(out_rows), torch.arange(out_cols))
        keep = decided.reshape(-1) if decided is not None else torch.ones(len(grid), dtype=bool)
        grid = grid[keep]  # (n, 2) output (row, col)
        picked = sources.reshape(-1, 2)[keep]  # (n, 2) the input (row, col) each one took
        text = [
            f"output ({i}, {j}) took input ({r}, {c})"
            for (i, j), (r, c) in zip(grid.tolist(), picked.tolist(), strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=picked[:, 1].numpy(),
                y=picked[:, 0].numpy(),
                mode="markers",
                marker=dict(color="#EE4C2C", size=5),
                text=text,
                hovertemplate="%{text}<extra></extra>",
                name="chosen cell",
            ),
            row=1,
            col=1,
        )
    _square_panels(fig, 2)
    fig.update_layout(height=380, showlegend=False, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def sequence_fig(X_rows: torch.Tensor, H: torch.Tensor, C: torch.Tensor | None) -> go.Figure:
    """The rows fed in (time on x) above the hidden state after each row."""
    panels = [("input row (28 pixels)", X_rows, False), ("hidden state h_t", H, True)]
    if C is not None:
        panels.append(("LSTM cell state c_t", C, True))
    fig = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        subplot_titles=[p[0] for p in panels],
        vertical_spacing=0.08,
    )
    for i, (title, values, signed) in enumerate(panels, 1):
        trace = _heatmap(values.T, signed, title)  # (features, T): time runs left to right
        trace.hovertemplate = "step %{x}, unit %{y}: %{z:.3f}<extra></extra>"
        fig.add_trace(trace, row=i, col=1)
        label = "unit" if signed else "pixel"
        fig.update_yaxes(title_text=label, autorange="reversed", row=i, col=1)
    fig.update_xaxes(title_text="time step t = image row", row=len(panels), col=1)
    fig.update_layout(height=220 * len(panels) + 40, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def kernels_fig(X: torch.Tensor, weight: torch.Tensor, names: Sequence[str]) -> go.Figure:
    """The input beside each kernel of a one-channel conv: weight (C_out, 1, k, k)."""
    panels = [X, *weight[:, 0]]
    flags = [False] + [True] * len(names)
    return image_grid_fig(panels, ["input", *names], signed=flags, columns=8)


def transposed_fig(
    X: torch.Tensor, weight: torch.Tensor, Y: torch.Tensor, overlap: torch.Tensor
) -> go.Figure:
    """Small map, kernel, upsampled map, and how many kernel stamps landed on each cell."""
    panels = [X, weight, Y, overlap]
    titles = ["small map", "kernel", "upsampled", "stamps per cell"]
    signed = [False, True, bool((Y < 0).any()), False]  # a random kernel can give negatives
    return image_grid_fig(panels, titles, signed=signed)


def dropout_fig(
    X: torch.Tensor,
    kept: torch.Tensor,
    Y_train: torch.Tensor,
    Y_eval: torch.Tensor | None,
    Y_mean: torch.Tensor,
    draws: int,
) -> go.Figure:
    """The digit, the mask, both modes' outputs, and the average over many masks (no eval
    panel when Y_eval is None: a question about it is still open)."""
    panels = [X, kept.float(), Y_train, Y_eval, Y_mean]
    titles = ["input", "mask (white = kept)", "train mode", "eval mode", f"mean of {draws} masks"]
    shown = [i for i, panel in enumerate(panels) if panel is not None]
    return image_grid_fig(
        [panels[i] for i in shown], [titles[i] for i in shown], columns=len(shown)
    )


def channel_dropout_fig(
    maps: torch.Tensor,
    maps_dropout: torch.Tensor,
    maps_dropout2d: torch.Tensor,
    names: Sequence[str],
    kept: Sequence[bool],
) -> go.Figure:
    """Three rows over the same channels: the maps, after Dropout, after Dropout2d."""
    c = len(names)
    panels = [*maps, *maps_dropout, *maps_dropout2d]  # each (H, W)
    titles = [*names, *["Dropout"] * c, *[f"Dropout2d: {'kept' if k else 'dropped'}" for k in kept]]
    return image_grid_fig(panels, titles, signed=True, columns=c)
