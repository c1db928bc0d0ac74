"""Figures of a trained network's insides: kernels and feature maps as mosaics, one map whose
cells can be clicked, the window a cell reads, a flat layer's units, the softmax; and the
confusion matrix with clickable cells.

Clicking: Streamlit's plotly selections select points, not heatmap cells, so a clickable map
lays one invisible square marker on each cell's centre (`_cell_markers`); the page reads the
selected marker's x (column) and y (row). The selected one is drawn as an outline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import torch

from core.engine.looks.figures import confusion_figure, fixed_margins
from core.engine.looks.theme import LIGHT

SIGNED = "RdBu_r"  # blue below 0, white at 0, red above: weights and conv outputs
UNSIGNED = "Greys_r"  # black 0 to white: images and what a ReLU lets through
MAP_SIDE = 380  # px: the clickable map's plot area
MOSAIC_TILE = 56  # px a map of a mosaic is drawn at, at least
MOSAIC_COLUMNS = 8
SELECTED = "#ff4b4b"


def _diverging(values: np.ndarray, scale: float) -> np.ndarray:
    """Blue (negative) through white (0) to red (positive), as RGB uint8."""
    t = np.clip(values / scale, -1.0, 1.0)[..., None]  # (..., 1) on [-1, 1]
    white = np.array([247.0, 247.0, 247.0])
    red, blue = np.array([178.0, 24.0, 43.0]), np.array([33.0, 102.0, 172.0])
    rgb = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    return rgb.astype(np.uint8)


def _grey(values: np.ndarray, high: float) -> np.ndarray:
    level = (np.clip(values / high, 0.0, 1.0) * 255).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=-1)


def is_signed(values: torch.Tensor) -> bool:
    return float(values.min()) < 0


def mosaic(maps: torch.Tensor, columns: int = MOSAIC_COLUMNS) -> tuple[np.ndarray, float, bool]:
    """Maps (N, h, w) side by side in rows of `columns`, on one colour scale (so maps compare):
    diverging around 0 when any value is negative, else black (0) to white (the largest).
    Each map is enlarged (nearest pixel) to at least MOSAIC_TILE px; 3-px gaps between them.
    Returns the RGB image, the scale's end (|largest value|) and whether it is signed."""
    values = maps.detach().float().cpu().numpy()
    n, h, w = values.shape
    signed = bool((values < 0).any())
    scale = float(np.abs(values).max()) or 1.0
    rgb = _diverging(values, scale) if signed else _grey(values, scale)  # (N, h, w, 3)
    zoom = max(1, -(-MOSAIC_TILE // max(h, w)))
    rgb = rgb.repeat(zoom, axis=1).repeat(zoom, axis=2)
    columns = min(columns, n)
    rows = -(-n // columns)
    gap, th, tw = 3, h * zoom, w * zoom
    # grey gaps between signed maps (white is their 0), white ones between black ones
    shade = 120 if signed else 255
    out = np.full((rows * (th + gap) - gap, columns * (tw + gap) - gap, 3), shade, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (th + gap) : r * (th + gap) + th, c * (tw + gap) : c * (tw + gap) + tw] = rgb[i]
    return out, scale, signed


def _square(fig: go.Figure, rows: int, cols: int, side: int = MAP_SIDE,
            first: tuple[int, int] = (0, 0)) -> go.Figure:  # fmt: skip
    """A map's axes: row 0 at the top, square cells, a fixed size (the markers' size too),
    the range the cells' own (markers would widen it by their size)."""
    top, left = first
    fig.update_yaxes(range=[top + rows - 0.5, top - 0.5], scaleanchor="x", constrain="domain",
                     title="row")  # fmt: skip
    fig.update_xaxes(range=[left - 0.5, left + cols - 0.5], constrain="domain", title="column")
    width = side * cols / max(rows, cols)
    height = side * rows / max(rows, cols)
    fig.update_layout(width=int(width) + 110, height=int(height) + 90, template=LIGHT)
    return fixed_margins(fig, 60, 50, 40, 50)


def _cell_markers(rows: int, cols: int, text: Sequence[str], cell_px: float,
                  selected: tuple[int, int] | None, x=None, y=None) -> go.Scatter:  # fmt: skip
    """One invisible square per cell, clickable; the selected one outlined."""
    ys, xs = np.mgrid[0:rows, 0:cols]
    xs_, ys_ = xs.ravel().tolist(), ys.ravel().tolist()
    chosen = [] if selected is None else [selected[0] * cols + selected[1]]
    return go.Scatter(
        x=[x[i] for i in xs_] if x is not None else xs_,
        y=[y[i] for i in ys_] if y is not None else ys_,
        mode="markers",
        marker={
            "symbol": "square-open",
            "size": max(6.0, cell_px - 1),
            "color": SELECTED,
            "line": {"width": 3},
            "opacity": 0,
        },
        selected={"marker": {"opacity": 1}},
        unselected={"marker": {"opacity": 0}},
        selectedpoints=chosen,
        hovertext=list(text),
        hovertemplate="%{hovertext}<extra></extra>",
        showlegend=False,
        name="cells",
    )


def clickable_map_figure(values: torch.Tensor, title: str,
                         selected: tuple[int, int] | None = None) -> go.Figure:  # fmt: skip
    """One feature map (H, W); click a cell to choose it (the selected one is outlined)."""
    z = values.detach().float().cpu()
    rows, cols = z.shape
    scale = float(z.abs().max()) or 1.0
    signed = bool((z < 0).any())
    fig = go.Figure(
        go.Heatmap(
            z=z.tolist(),
            colorscale=SIGNED if signed else UNSIGNED,
            zmin=-scale if signed else 0.0,
            zmax=scale,
            hoverinfo="skip",
            colorbar={"thickness": 12},
        )
    )
    text = [f"row {r}, column {c}: {z[r, c]:.4f}" for r in range(rows) for c in range(cols)]
    fig.add_trace(_cell_markers(rows, cols, text, MAP_SIDE / max(rows, cols), selected))
    fig.update_layout(title=title, clickmode="event+select", dragmode=False)
    return _square(fig, rows, cols)


def window_figure(plane: torch.Tensor, rows: Sequence[int], cols: Sequence[int],
                  title: str) -> go.Figure:  # fmt: skip
    """An input plane (H, W) with the kernel's window outlined; a window over the padding
    shows the padding as a ring of zeros around the input."""
    x = plane.detach().float().cpu()
    h, w = x.shape
    top, left = max(0, -min(rows)), max(0, -min(cols))
    bottom, right = max(0, max(rows) - (h - 1)), max(0, max(cols) - (w - 1))
    padded = torch.nn.functional.pad(x, (left, right, top, bottom))
    ys = list(range(-top, h + bottom))
    xs = list(range(-left, w + right))
    scale = float(padded.abs().max()) or 1.0
    signed = bool((padded < 0).any())
    fig = go.Figure(
        go.Heatmap(
            z=padded.tolist(), x=xs, y=ys,
            colorscale=SIGNED if signed else UNSIGNED,
            zmin=-scale if signed else 0.0, zmax=scale,
            hovertemplate="row %{y}, column %{x}: %{z:.4f}<extra></extra>",
            colorbar={"thickness": 12},
        )
    )  # fmt: skip
    fig.add_shape(type="rect", x0=cols[0] - 0.5, x1=cols[-1] + 0.5, y0=rows[0] - 0.5,
                  y1=rows[-1] + 0.5, line={"color": SELECTED, "width": 3})  # fmt: skip
    if top or left or bottom or right:
        fig.add_shape(type="rect", x0=-0.5, x1=w - 0.5, y0=-0.5, y1=h - 0.5,
                      line={"color": "#888888", "width": 1, "dash": "dot"})  # fmt: skip
    fig.update_layout(title=title)
    return _square(fig, len(ys), len(xs), side=300, first=(ys[0], xs[0]))


def kernel_figure(values: torch.Tensor, title: str, text_digits: int = 2) -> go.Figure:
    """A small 2-D array (a kernel, a window, their products) with each number written in."""
    z = values.detach().double().cpu()
    scale = float(z.abs().max()) or 1.0
    k_rows, k_cols = z.shape
    fig = go.Figure(
        go.Heatmap(
            z=z.tolist(), colorscale=SIGNED, zmin=-scale, zmax=scale, showscale=False,
            texttemplate=f"%{{z:.{text_digits}f}}", hovertemplate="%{z:.5f}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False)
    side = min(240, 48 * max(k_rows, k_cols))
    fig.update_layout(title=title, width=side + 20, height=side + 50, template=LIGHT)
    return fixed_margins(fig, 10, 10, 40, 10)


def units_figure(values: torch.Tensor, title: str, names: Sequence[str] | None = None) -> go.Figure:
    """A flat layer's units as bars (fc1's 128 values, fc2's 10 scores)."""
    y = values.detach().float().cpu().tolist()
    x = list(names) if names is not None else list(range(len(y)))
    colors = ["#b2182b" if v > 0 else "#2166ac" for v in y]
    fig = go.Figure(go.Bar(x=x, y=y, marker_color=colors,
                           hovertemplate="unit %{x}: %{y:.4f}<extra></extra>"))  # fmt: skip
    fig.update_layout(title=title, height=240, template=LIGHT, bargap=0.1)
    fig.update_xaxes(type="category" if names is not None else "linear", title=None)
    return fixed_margins(fig, 50, 10, 40, 30)


def softmax_figure(probs: torch.Tensor, classes: Sequence[str]) -> go.Figure:
    """The softmax: one bar per class, the answer in red."""
    p = probs.detach().float().cpu().tolist()
    top = int(np.argmax(p))
    fig = go.Figure(
        go.Bar(
            x=list(classes), y=p,
            marker_color=[SELECTED if i == top else "#8c9bb0" for i in range(len(p))],
            text=[f"{v:.0%}" for v in p], textposition="outside",
            hovertemplate="%{x}: %{y:.4f}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(title="softmax: the probabilities", height=240, template=LIGHT)
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 1.15], tickformat=".0%")
    return fixed_margins(fig, 50, 10, 40, 30)


def clickable_confusion_figure(confusion: Sequence[Sequence[int]], classes: Sequence[str],
                               selected: tuple[int, int] | None = None) -> go.Figure:  # fmt: skip
    """The confusion matrix (rows true, columns predicted) whose cells can be clicked: the
    selected one (true, predicted) is outlined."""
    fig = confusion_figure(confusion, classes)
    labels = [str(c) for c in classes]
    n = len(labels)
    fig.data[0].hoverinfo = "skip"
    fig.data[0].hovertemplate = None
    text = [
        f"true {labels[t]}, predicted {labels[p]}: {confusion[t][p]:,} images (click: see them)"
        for t in range(n)
        for p in range(n)
    ]
    cell = 340 / n  # the plot area of confusion_figure's 460 px height, per class
    fig.add_trace(_cell_markers(n, n, text, cell, selected, x=labels, y=labels))
    fig.update_layout(clickmode="event+select", dragmode=False)
    fig.update_xaxes(range=[-0.5, n - 0.5])  # the cells' own range: markers would widen it
    fig.update_yaxes(range=[n - 0.5, -0.5], autorange=False)
    return fig
