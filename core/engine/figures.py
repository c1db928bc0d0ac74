"""Plotly figures for the Train page: pure functions of metric rows, so they draw a live job's
snapshot and a saved run alike.

A "series" is (label, train_rows, test_rows) where the rows are the dicts of
`Run.train/test` or `Run.train/test`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.engine.theme import LIGHT

MAX_PLOT_POINTS = 1500  # points per curve sent to the browser; longer curves are thinned
PALETTE = (
    "#EE4C2C",
    "#1f77b4",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
)
X_AXES = {"step": "updates (optimizer steps)", "samples": "images seen", "seconds": "seconds"}
HEIGHT = 360

Series = tuple[str, Sequence[dict[str, Any]], Sequence[dict[str, Any]]]


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with bias correction (as TensorBoard draws it): the first
    points are not dragged towards zero, and weight 0 returns the raw values."""
    out, avg = [], 0.0
    for i, v in enumerate(values, 1):
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight**i) if weight > 0 else v)
    return out


def thin(xs: Sequence[float], ys: Sequence[float], limit: int = MAX_PLOT_POINTS):
    """(xs, ys) as float arrays, every k-th point when there are more than `limit` (the last
    always kept), so a long run stays cheap to draw. Arrays, not lists: Plotly checks a list
    element by element, which cost the live chart more than everything else it does."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    n = len(xs)
    if n <= limit:
        return xs, ys
    idx = np.arange(0, n, -(-n // limit))
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    return xs[idx], ys[idx]


def _layout(fig: go.Figure, title: str, x_axis: str, y_title: str, log_y: bool) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=X_AXES[x_axis],
        yaxis_title=y_title,
        yaxis_type="log" if log_y else "linear",
        height=HEIGHT,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        template=LIGHT,
        uirevision=title,  # keep the user's zoom while new points arrive
    )
    return fig


def loss_figure(
    series: Sequence[Series],
    *,
    x_axis: str = "step",
    smoothing: float = 0.6,
    log_y: bool = False,
    show_raw: bool = True,
) -> go.Figure:
    """Training loss per logged step (faint raw line, solid smoothed line) and the test loss
    per epoch (markers), one colour per run."""
    fig = go.Figure()
    for i, (label, train, test) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        xs = [r[x_axis] for r in train]
        ys = [r["loss"] for r in train]
        if show_raw and smoothing > 0:
            rx, ry = thin(xs, ys)
            fig.add_scatter(
                x=rx,
                y=ry,
                mode="lines",
                line={"color": color, "width": 1},
                opacity=0.3,
                name=f"{label} · raw",
                legendgroup=label,
                showlegend=False,
                hoverinfo="skip",
            )
        sx, sy = thin(xs, smooth(ys, smoothing))
        fig.add_scatter(
            x=sx,
            y=sy,
            mode="lines",
            line={"color": color, "width": 2},
            name=f"{label} · training loss",
            legendgroup=label,
        )
        if test:
            fig.add_scatter(
                x=[r[x_axis] for r in test],
                y=[r["loss"] for r in test],
                mode="markers+lines",
                line={"color": color, "dash": "dot"},
                marker={"size": 9, "symbol": "diamond"},
                name=f"{label} · test loss",
                legendgroup=label,
            )
    return _layout(fig, "Loss", x_axis, "negative log-likelihood", log_y)


def accuracy_figure(series: Sequence[Series], *, x_axis: str = "step") -> go.Figure:
    """Test accuracy after each epoch, one line per run."""
    fig = go.Figure()
    for i, (label, _, test) in enumerate(series):
        fig.add_scatter(
            x=[r[x_axis] for r in test],
            y=[100 * r["accuracy"] for r in test],
            mode="markers+lines",
            line={"color": PALETTE[i % len(PALETTE)]},
            marker={"size": 9},
            name=label,
            hovertemplate="%{y:.2f}%<extra>" + label + "</extra>",
        )
    fig = _layout(fig, "Test accuracy", x_axis, "accuracy (%)", False)
    fig.update_yaxes(ticksuffix="%")
    return fig


def confusion_figure(confusion: Sequence[Sequence[int]], classes: Sequence[str]) -> go.Figure:
    """Rows: the true class; columns: the predicted one. The diagonal holds the hits."""
    labels = [str(c) for c in classes]
    fig = go.Figure(
        go.Heatmap(
            z=confusion,
            x=labels,
            y=labels,
            colorscale="Blues",
            texttemplate="%{z}",
            hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_layout(
        title="Confusion matrix (test set)",
        xaxis_title="predicted",
        yaxis_title="true",
        yaxis_autorange="reversed",
        height=460,
        margin={"l": 80, "r": 20, "t": 50, "b": 60},
        template=LIGHT,
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return fig


def per_class_figure(accuracy: Sequence[float], classes: Sequence[str]) -> go.Figure:
    """Accuracy of each true class: which ones the model finds hard."""
    fig = go.Figure(
        go.Bar(
            x=[str(c) for c in classes],
            y=[100 * a for a in accuracy],
            marker_color=PALETTE[1],
            texttemplate="%{y:.1f}%",
            textposition="outside",
            cliponaxis=False,  # a 100% bar's label sits above the axis and was cut off
        )
    )
    low = min((100 * a for a in accuracy), default=0.0)
    fig.update_layout(
        title="Accuracy per class",
        yaxis_title="accuracy (%)",
        yaxis_range=[max(0.0, low - 5), 101],
        height=360,
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
        template=LIGHT,
    )
    fig.update_xaxes(type="category")
    return fig
