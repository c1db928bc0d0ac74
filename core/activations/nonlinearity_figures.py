"""Figures for "why non-linearity": the collapsing linear stack and the live fit.

Pure functions of data: each takes a result from core.activations.nonlinearity and returns a
plotly Figure.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.activations.nonlinearity import Collapse, FitResult
from core.engine.looks.figures import LEGEND_BELOW, LEGEND_BELOW_MARGIN, log_y_axis

INPUT, STACK, SINGLE, BAD = "#8c8c8c", "#1f77b4", "#EE4C2C", "#d62728"
CLASS_COLORS = ("#1f77b4", "#EE4C2C")  # spiral arm 0, spiral arm 1


def _grid_traces(
    points: list[list[float]], per_line: int, color: str, name: str, **line: object
) -> go.Scatter:
    """One polyline per grid line (separated by None, so it is one trace)."""
    # Grid lines come as consecutive runs of `per_line` points.
    xs: list[float | None] = []
    ys: list[float | None] = []
    for start in range(0, len(points), per_line):
        for px, py in points[start : start + per_line]:
            xs.append(px)
            ys.append(py)
        xs.append(None)
        ys.append(None)
    return go.Scatter(
        x=xs, y=ys, mode="lines", name=name, line=dict(color=color, **line), hoverinfo="skip"
    )


def collapse_figure(c: Collapse, per_line: int) -> go.Figure:
    """The input grid, and where it lands: through the N layers vs through the one matrix."""
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.08,
        subplot_titles=(
            "input: a grid on [-1, 1]²",
            f"output: {c.num_layers} layers (blue) vs one layer Wx + b (orange)",
        ),
    )
    fig.add_trace(_grid_traces(c.X.tolist(), per_line, INPUT, "input grid"), row=1, col=1)
    fig.add_trace(
        _grid_traces(
            c.y_stack.tolist(), per_line, STACK, f"through the {c.num_layers} layers", width=4
        ),
        row=1,
        col=2,
    )
    every = max(1, per_line // 10)  # a dot every few points, so the blue lines show through
    dots = c.y_single[::every]  # (P / every, 2)
    fig.add_trace(
        go.Scatter(
            x=dots[:, 0].tolist(),
            y=dots[:, 1].tolist(),
            mode="markers",
            name="through one layer Wx + b",
            marker=dict(color=SINGLE, size=5),
            hoverinfo="skip",
        ),
        row=1,
        col=2,
    )
    for col in (1, 2):
        fig.update_yaxes(scaleanchor=f"x{col if col > 1 else ''}", row=1, col=col)
    fig.update_layout(
        height=430, margin=dict(t=40, b=20, l=20, r=20), legend=dict(orientation="h", y=-0.05)
    )
    return fig


def fit_figure(result: FitResult) -> go.Figure:
    """Wave: the data and both fitted curves. Spirals: both decision boundaries."""
    if result.config.target == "wave":
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(
                x=result.X[:, 0].tolist(),
                y=result.y.tolist(),
                mode="markers",
                name="training data",
                marker=dict(color=INPUT, size=5),
            )
        )
        for fit, color in zip(result.fits, (STACK, BAD), strict=True):
            fig.add_trace(
                go.Scatter(
                    x=result.grid[:, 0].tolist(),
                    y=fit.y_hat.tolist(),
                    name=f"model {fit.label}",
                    line=dict(color=color, width=3),
                )
            )
        fig.update_layout(
            height=380,
            xaxis_title="x",
            yaxis_title="y",
            margin=dict(t=20, b=LEGEND_BELOW_MARGIN, l=40, r=20),
            legend=LEGEND_BELOW,
        )
        return fig
    g = round(math.sqrt(result.grid.shape[0]))
    ticks_x, ticks_y = result.grid[:g, 0].tolist(), result.grid[::g, 1].tolist()
    titles = [f"{f.label}: {f.accuracy:.0%} of points right" for f in result.fits]
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.06)
    for col, fit in enumerate(result.fits, 1):
        fig.add_trace(
            go.Heatmap(
                x=ticks_x,
                y=ticks_y,
                z=fit.y_hat.reshape(g, g).tolist(),
                zmin=0,
                zmax=1,
                colorscale=[[0, CLASS_COLORS[0]], [0.5, "#ffffff"], [1, CLASS_COLORS[1]]],
                opacity=0.55,
                showscale=col == 2,
                colorbar=dict(title="P(orange)"),
                hovertemplate="P(orange) = %{z:.2f}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        for label in (0, 1):
            pts = result.X[result.y == label]
            fig.add_trace(
                go.Scatter(
                    x=pts[:, 0].tolist(),
                    y=pts[:, 1].tolist(),
                    mode="markers",
                    marker=dict(color=CLASS_COLORS[label], size=4),
                    showlegend=False,
                    hoverinfo="skip",
                ),
                row=1,
                col=col,
            )
        fig.update_yaxes(scaleanchor=f"x{col if col > 1 else ''}", row=1, col=col)
    fig.update_layout(height=430, margin=dict(t=40, b=20, l=20, r=20))
    return fig


def loss_figure(result: FitResult) -> go.Figure:
    """Training loss per step for both models (log scale)."""
    fig = go.Figure()
    for fit, color in zip(result.fits, (STACK, BAD), strict=True):
        fig.add_trace(go.Scatter(y=fit.losses, name=f"model {fit.label}", line_color=color))
    loss = "mean squared error" if result.config.target == "wave" else "cross-entropy"
    fig.update_layout(
        height=280 + LEGEND_BELOW_MARGIN - 40,
        xaxis_title="Adam step",
        yaxis_title=loss,
        margin=dict(t=20, b=LEGEND_BELOW_MARGIN, l=40, r=20),
        legend=LEGEND_BELOW,
    )
    log_y_axis(fig)
    return fig
