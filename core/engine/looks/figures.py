"""Plotly figures of training runs: pure functions of metric rows, so they draw a live run and
a saved one alike. The Train page draws them, and the Experiments page reuses the loss figure.

A "series" is (label, train_rows, test_rows) where the rows are the dicts of `Run.train/test`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.engine.looks.theme import LIGHT

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
X_AXES = {
    "step": "updates (optimizer steps)",
    "samples": "images seen",
    "seconds": "training time (s)",
}
HEIGHT = 360

Series = tuple[str, Sequence[dict[str, Any]], Sequence[dict[str, Any]]]
# A legend under a chart hangs from below its x-axis title: at y = -0.2 with its top at its
# middle it sat on the title. The bottom margin makes room for two rows of entries.
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.28}
LEGEND_BELOW_MARGIN = 100


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with bias correction (as TensorBoard draws it): the first
    points are not dragged towards zero, and weight 0 returns the raw values."""
    out, avg = [], 0.0
    for i, v in enumerate(values, 1):
        avg = weight * avg + (1 - weight) * v
        out.append(avg / (1 - weight**i) if weight > 0 else v)
    return out


def fitted_smoothing(weight: float, points: int) -> float:
    """The smoothing a curve of `points` logged losses can bear: a moving average spans about
    1 / (1 - weight) points, and one over more than a tenth of the curve drags its end far
    above the last loss (weight 0.6 over 8 points drew 0.6 where the run ended at 0.14)."""
    return max(0.0, min(weight, 1.0 - 10.0 / points)) if points else 0.0


def thinned_indices(n: int, limit: int) -> list[int]:
    """Every k-th of n points when there are more than `limit`, the last always kept."""
    if n <= limit:
        return list(range(n))
    idx = list(range(0, n, -(-n // limit)))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    return idx


def thin(xs: Sequence[float], ys: Sequence[float], limit: int = MAX_PLOT_POINTS):
    """(xs, ys) as float arrays, thinned to about `limit` points, so a long run stays cheap
    to draw. Arrays, not lists: Plotly checks a list element by element."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    idx = thinned_indices(len(xs), limit)
    return xs[idx], ys[idx]


def log_y_axis(fig: go.Figure) -> None:
    """A log y axis whose labels read: powers of ten once it spans a few of them, else 1, 2
    and 5 of each decade written out in full. Plotly's own labels 2 and 5 of every decade
    by their first digit only, so an axis read "5, 2, 0.1, 5, 2"."""
    ys = (v for t in fig.data for v in (t.y if t.y is not None else ()))
    positive = [float(v) for v in ys if v is not None and math.isfinite(v) and v > 0]
    if not positive:
        fig.update_yaxes(type="log")
        return
    lo, hi = min(positive), max(positive)
    if math.log10(hi / lo) > 2:
        fig.update_yaxes(type="log", dtick=1, exponentformat="power")
        return
    ticks = [
        m * 10.0**k
        for k in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)
        for m in (1, 2, 5)
    ]
    near = [v for v in ticks if lo / 2.5 <= v <= hi * 2.5]  # the ticks around the data
    fig.update_yaxes(type="log", tickvals=near, ticktext=[f"{v:.3g}" for v in near])


def fixed_margins(fig: go.Figure, left: int, right: int, top: int, bottom: int) -> go.Figure:
    """Margins Plotly keeps as given. By default a figure whose tick labels, legend or colour
    bar reach past its margins is drawn, measured and drawn again with wider ones: that second
    draw was a third of the Optimizers page's chart time in Chromium (a page of just its four
    charts, reached from the sidebar: 2.0 s, 1.2 s with fixed margins; median of 5 alternating
    rounds). So each figure sets margins wide enough for what it puts there."""
    fig.update_layout(margin=dict(l=left, r=right, t=top, b=bottom, autoexpand=False))
    return fig


def no_numbers_yet(fig: go.Figure) -> None:
    """Say so on a chart with no points instead of drawing empty made-up axes."""
    if any(len(t.x if t.x is not None else ()) for t in fig.data):
        return
    fig.add_annotation(
        text="No numbers yet: they appear as the runs log them.",
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
    )
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)


def chart_layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    """The look every run chart shares (the Train and the Experiments pages)."""
    no_numbers_yet(fig)
    fig.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        height=HEIGHT,
        margin={"l": 60, "r": 20, "t": 50, "b": LEGEND_BELOW_MARGIN},
        legend=LEGEND_BELOW,
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
    log_x: bool = False,
    show_raw: bool = True,
    show_test: bool = True,
    title: str = "Loss",
) -> go.Figure:
    """Training loss per logged step (faint raw line under the smoothed one) and the test loss
    per epoch (markers), one colour per run. Non-finite losses (a diverged run) are left out:
    they cannot be drawn and would turn the whole moving average into NaN."""
    if x_axis not in X_AXES:
        raise ValueError(f"x_axis must be one of {', '.join(X_AXES)}")
    fig = go.Figure()
    for i, (label, train, test) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        rows = [r for r in train if math.isfinite(float(r["loss"]))]
        xs, ys = [r[x_axis] for r in rows], [r["loss"] for r in rows]
        weight = fitted_smoothing(smoothing, len(ys))
        if show_raw and weight > 0:
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
        sx, sy = thin(xs, smooth(ys, weight))
        fig.add_scatter(
            x=sx,
            y=sy,
            mode="lines",
            line={"color": color, "width": 2},
            name=f"{label} · training loss" if show_test else label,
            legendgroup=label,
        )
        if test and show_test:
            fig.add_scatter(
                x=[r[x_axis] for r in test],
                y=[r["loss"] for r in test],
                mode="markers+lines",
                line={"color": color, "dash": "dot"},
                marker={"size": 9, "symbol": "diamond"},
                name=f"{label} · test loss",
                legendgroup=label,
            )
    if log_y:
        log_y_axis(fig)
    x_title = X_AXES[x_axis]
    if log_x:
        fig.update_xaxes(type="log")
        x_title += " (log)"
    return chart_layout(fig, title, x_title, "loss (negative log-likelihood)")


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
    fig = chart_layout(fig, "Test accuracy", X_AXES[x_axis], "accuracy (%)")
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
