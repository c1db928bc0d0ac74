"""Plotly figures for the optimizer playground: contours, trajectories, loss curves, one step.

Pure functions of the numbers core.optim2d.surfaces and core.optim2d.race produce; nothing here
runs torch.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from core.engine.looks.figures import fixed_margins, log_y_axis
from core.optim2d.race import InsideStep, RuleStep, Trajectory
from core.optim2d.surfaces import Grid, Surface

PICK_STRIDE = 3  # every 3rd grid point is an invisible, clickable "start here" target
# A plot of the window is at most ~600 px across (fullscreen ~1,500): 1/1000 of it is under a
# pixel or two, far under the 4 px markers, so steps closer than that draw as one.
THIN_FRACTION = 1e-3
# A step's 4 px marker covers ~1/150 of a 600 px plot: markers closer than that overlap, so
# fewer are drawn (Plotly styles each marker on its own: ~1,100 of them cost 0.2 s a render).
MARKER_FRACTION = 1 / 150
# Margins of the contour plots, in px: y tick labels and title on the left, the colour bar
# and its labels on the right, x ticks and title below; the legend above, ENTRIES_PER_ROW to
# a row of a plot as narrow as the page's column gets (~600 px), rows 29 px apart as drawn.
LEFT, RIGHT, BOTTOM, ENTRIES_PER_ROW, LEGEND_ROW = 65, 100, 55, 3, 30
MIN_GAP = 1e-16  # the log-scale loss plot draws L − L* below this as this (log 0 is −∞)
COLORS = {
    "SGD": "#d62728",
    "Momentum": "#ff7f0e",
    "Nesterov": "#8c564b",
    "Adagrad": "#2ca02c",
    "RMSprop": "#17becf",
    "Adadelta": "#9467bd",
    "Adam": "#1f77b4",
    "AdamW": "#e377c2",
}


def _contour(surface: Surface, grid: Grid) -> go.Contour:
    """The surface as filled contours; log-spaced levels where L spans many decades."""
    if surface.log_levels:
        lo = math.floor(min(min(r) for r in grid.z_plot))
        hi = math.ceil(max(max(r) for r in grid.z_plot))
        colorbar = dict(
            title=dict(text="L − L*"),
            tickvals=list(range(lo, hi + 1)),
            ticktext=[f"1e{k}" for k in range(lo, hi + 1)],
        )
    else:
        colorbar = dict(title=dict(text="L"))
    # Arrays, not nested lists: Plotly validates a list number by number (~1 s a figure for
    # 121² values on a busy machine) and writes 17 digits each; an array is copied as binary.
    # float32 keeps 7 digits, plenty for colours, and halves the bytes sent again.
    return go.Contour(
        x=np.asarray(grid.xs),
        y=np.asarray(grid.ys),
        z=np.asarray(grid.z_plot, dtype=np.float32),
        colorscale="Viridis",
        ncontours=30,
        line=dict(width=0.5, color="rgba(255,255,255,0.35)"),
        colorbar=colorbar,
        hoverinfo="skip",
        name="L",
        showlegend=False,
    )


def _pick_targets(grid: Grid) -> go.Scatter:
    """Invisible targets on a coarse grid: clicking one selects it, which picks a start point.

    Empty text, not invisible markers: Plotly draws no element for an empty label, yet hovers
    and selects the point as it would a marker. 1,681 transparent markers cost the browser
    about a second per draw of the figure (it draws it several times on a first render)."""
    rows = np.arange(0, len(grid.ys), PICK_STRIDE)  # (r,)
    cols = np.arange(0, len(grid.xs), PICK_STRIDE)  # (c,)
    R, C = np.meshgrid(rows, cols, indexing="ij")  # (r, c) each, row by row like the grid
    return go.Scatter(
        x=np.asarray(grid.xs)[C.ravel()],  # (r·c,) float64: a click sends back exact numbers
        y=np.asarray(grid.ys)[R.ravel()],
        customdata=np.asarray(grid.z, dtype=np.float32)[R.ravel(), C.ravel()],  # hover only
        mode="text",
        text="",  # every point's label: nothing to draw
        hovertemplate="(%{x:.2f}, %{y:.2f})  L = %{customdata:.4g}<br>"
        "click to start here<extra></extra>",
        name="start here",
        showlegend=False,
    )


def _landmarks(surface: Surface, start: tuple[float, float]) -> list[go.Scatter]:
    traces = []
    if surface.minima:
        traces.append(
            go.Scatter(
                x=[m[0] for m in surface.minima],
                y=[m[1] for m in surface.minima],
                mode="markers",
                marker=dict(symbol="star", size=16, color="gold", line=dict(width=1)),
                name="global minimum",
                hovertemplate="minimum (%{x:.3f}, %{y:.3f})<extra></extra>",
            )
        )
    if surface.saddles:
        traces.append(
            go.Scatter(
                x=[s[0] for s in surface.saddles],
                y=[s[1] for s in surface.saddles],
                mode="markers",
                marker=dict(symbol="x", size=13, color="white", line=dict(width=1)),
                name="saddle point",
                hovertemplate="saddle (%{x:.1f}, %{y:.1f})<extra></extra>",
            )
        )
    traces.append(
        go.Scatter(
            x=[start[0]],
            y=[start[1]],
            mode="markers",
            marker=dict(symbol="circle", size=12, color="white", line=dict(width=2, color="black")),
            name="start",
            hovertemplate="start (%{x:.3f}, %{y:.3f})<extra></extra>",
        )
    )
    return traces


def visible_steps(
    points: list[list[float]], surface: Surface, fraction: float = THIN_FRACTION
) -> np.ndarray:
    """The indices of the points a plot of the surface's window can tell apart: a point
    closer than `fraction` of the window to the last one kept draws on the same pixel
    (late in a run hundreds of steps pile up on one). The first and last are always kept."""
    xy = np.asarray(points, dtype=float).reshape(-1, 2)  # (n, 2)
    if len(xy) <= 2:
        return np.arange(len(xy))
    span = max(surface.x_range[1] - surface.x_range[0], surface.y_range[1] - surface.y_range[0])
    tol, keep, last = span * fraction, [0], xy[0]
    for i in range(1, len(xy) - 1):
        if abs(xy[i, 0] - last[0]) >= tol or abs(xy[i, 1] - last[1]) >= tol:
            keep.append(i)
            last = xy[i]
    keep.append(len(xy) - 1)
    return np.asarray(keep)


def _path(traj: Trajectory, step: int, color: str, surface: Surface) -> list[go.Scatter]:
    """The whole path faintly, the part up to `step` solid with a marker at each step, and
    where β is at `step`; steps too close to tell apart on the plot are sent once, and markers
    that would overlap are drawn once (visible_steps)."""
    k = min(step, traj.steps)
    xy = np.asarray(traj.points, dtype=float).reshape(-1, 2)  # (T+1, 2)
    whole, upto = visible_steps(traj.points, surface), visible_steps(traj.points[: k + 1], surface)
    dots = visible_steps(traj.points[: k + 1], surface, MARKER_FRACTION)
    hover = traj.label + " step %{customdata}: (%{x:.4f}, %{y:.4f})<extra></extra>"
    keep = dict(selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)))
    return [
        go.Scatter(
            x=xy[whole, 0],
            y=xy[whole, 1],
            mode="lines",
            line=dict(color=color, width=1),
            opacity=0.35,
            legendgroup=traj.label,
            showlegend=False,
            hoverinfo="skip",
        ),
        go.Scatter(
            x=xy[upto, 0],
            y=xy[upto, 1],
            customdata=upto,
            mode="lines",
            line=dict(color=color, width=2),
            name=traj.label,
            legendgroup=traj.label,
            hovertemplate=hover,
            **keep,
        ),
        go.Scatter(
            x=xy[dots, 0],
            y=xy[dots, 1],
            mode="markers",
            marker=dict(size=4, color=color),
            legendgroup=traj.label,
            showlegend=False,
            hoverinfo="skip",  # the line above names the step
            **keep,
        ),
        go.Scatter(
            x=[xy[k, 0]],
            y=[xy[k, 1]],
            customdata=[k],
            mode="markers",
            marker=dict(size=12, color=color, line=dict(width=2, color="white")),
            legendgroup=traj.label,
            showlegend=False,
            hovertemplate=hover,
            **keep,
        ),
    ]


def _legend_above(fig: go.Figure, rows: int | None = None) -> int:
    """Puts the legend above the plot and returns the top margin that holds it: `rows` rows,
    or ENTRIES_PER_ROW entries a row. In a narrower column it would need more rows than the
    fixed margin holds, so it scrolls there instead of running off the figure's top."""
    if rows is None:
        entries = sum(1 for t in fig.data if t.showlegend is not False and t.name)
        rows = max(1, math.ceil(entries / ENTRIES_PER_ROW))
    top = 10 + LEGEND_ROW * rows
    fig.update_layout(
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, maxheight=top - 10)
    )
    return top


def _window(fig: go.Figure, surface: Surface, height: int = 620) -> go.Figure:
    fig.update_xaxes(range=list(surface.x_range), title="x  (β₁)", constrain="domain")
    fig.update_yaxes(
        range=list(surface.y_range), title="y  (β₂)", scaleanchor="x", constrain="domain"
    )
    fig.update_layout(
        height=height,
        uirevision=surface.name,  # keep the learner's zoom while the runs change
    )
    return fixed_margins(fig, LEFT, RIGHT, _legend_above(fig), BOTTOM)


def trajectories_figure(
    surface: Surface,
    grid: Grid,
    trajs: list[Trajectory],
    step: int,
    start: tuple[float, float],
) -> go.Figure:
    """Every run over the contours, drawn up to `step`, with minima and the start marked."""
    fig = go.Figure([_contour(surface, grid), _pick_targets(grid)])
    for trace in _landmarks(surface, start):
        fig.add_trace(trace)
    for traj in trajs:
        for trace in _path(traj, step, COLORS.get(traj.name, "white"), surface):
            fig.add_trace(trace)
    return _window(fig, surface)


def loss_figure(surface: Surface, trajs: list[Trajectory], step: int, tol: float) -> go.Figure:
    """L − L* against step on a log axis (L itself where there is no minimum)."""
    fig = go.Figure()
    gap = surface.f_min is not None
    for traj in trajs:
        ys = np.asarray(traj.losses, dtype=float)  # (T+1,) arrays: Plotly checks no element
        if gap:
            ys = np.maximum(ys - surface.f_min, MIN_GAP)
        fig.add_trace(
            go.Scatter(
                x=np.arange(len(ys)),
                y=ys,
                mode="lines",
                name=traj.label,
                line=dict(color=COLORS.get(traj.name, "black")),
                hovertemplate=traj.label + " step %{x}: %{y:.4g}<extra></extra>",
            )
        )
    fig.add_vline(x=step, line=dict(color="grey", dash="dot"))
    if gap:
        fig.add_hline(y=tol, line=dict(color="grey", dash="dash"))
        # An annotation's y on a log axis is log10 of the value (add_hline's own label would
        # sit at 10**tol, near 1, far from its line), so place the label by hand.
        fig.add_annotation(
            x=1, xref="paper", xanchor="right", y=math.log10(tol), yref="y",
            yanchor="bottom", text=f"tolerance {tol:g}", showarrow=False,
        )  # fmt: skip
        log_y_axis(fig)  # labels that read as their values, as on the Activations page
        fig.update_yaxes(title="L − L*")
    else:
        fig.update_yaxes(title="L")
    fig.update_xaxes(title="step")
    fig.update_layout(height=360, hovermode="x")
    # the legend on the right holds labels like "Adadelta (α=0.001)"
    return fixed_margins(fig, LEFT + 10, 180, 30, BOTTOM)


def _arrow(fig: go.Figure, start: list[float], end: list[float], color: str, name: str) -> None:
    """An arrow from start to end, with a legend entry saying what it is."""
    fig.add_annotation(
        x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x", ayref="y",
        showarrow=True, arrowhead=3, arrowwidth=2.5, arrowcolor=color, text="",
    )  # fmt: skip
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=color), name=name))


def step_figure(surface: Surface, local: Grid, inside: InsideStep) -> go.Figure:
    """One step up close: the step taken against the step plain SGD would take from there."""
    fig = go.Figure([_contour(surface, local)])
    fig.update_traces(showscale=False)
    _arrow(fig, inside.before, inside.sgd_end, "#d62728", "−α·g, plain SGD's step")
    _arrow(fig, inside.before, inside.after, "black", "Δβ, the step taken")
    # plain powers of ten: Plotly's default SI prefixes read 1.2e-12 as "1.2p" (pico)
    fig.update_xaxes(range=[local.xs[0], local.xs[-1]], title="x", constrain="domain",
                     exponentformat="power")  # fmt: skip
    fig.update_yaxes(range=[local.ys[0], local.ys[-1]], title="y", scaleanchor="x",
                     exponentformat="power")  # fmt: skip
    fig.update_layout(height=420)
    # no colour bar; the two long legend labels take a row each in the page's narrow column
    return fixed_margins(fig, LEFT, 10, _legend_above(fig, rows=2), BOTTOM)


def rule_figure(surface: Surface, grid: Grid, rule: RuleStep, repeated: Trajectory) -> go.Figure:
    """The seed's rule: one step as an arrow, and where repeating it leads."""
    fig = go.Figure([_contour(surface, grid)])
    for trace in _landmarks(surface, (rule.beta[0], rule.beta[1])):
        fig.add_trace(trace)
    for trace in _path(repeated, repeated.steps, COLORS["SGD"], surface):
        fig.add_trace(trace)
    _arrow(fig, rule.beta, rule.beta_new, "black", "one step β − α·∂L/∂β")
    return _window(fig, surface, height=480)
