"""Plotly figures for the experiments page: pure functions of run snapshots and results."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from core.engine.learning.data import TRAIN_SIZE
from core.engine.looks.figures import PALETTE, X_AXES, chart_layout, log_y_axis, loss_figure
from core.engine.runs.record import Run
from core.experiments.results import (
    DIVERGED_FACTOR,
    chance_loss,
    final_train_loss,
    peak_loss,
    score,
    verdict,
)
from core.experiments.sets import is_baseline


def _label(s: Run) -> str:
    status = s.status.value
    return s.config.name if status == "done" else f"{s.config.name} ({status})"


def accuracy_vs_size_figure(snaps: Sequence[Run]) -> go.Figure:
    """Test accuracy against training-set size on a log axis, one line per model family."""
    families: dict[str, list[tuple[int, float, str]]] = {}
    for s in snaps:
        acc = s.final_accuracy
        if acc is not None:
            family = s.config.name.split(" · ")[0]
            n = s.config.train_subset or TRAIN_SIZE
            families.setdefault(family, []).append((n, 100 * acc, s.status.value))
    fig = go.Figure()
    for i, (family, pts) in enumerate(sorted(families.items())):
        pts.sort()
        baseline = any(is_baseline(s.config) and s.config.name.startswith(family) for s in snaps)
        fig.add_scatter(
            x=[p[0] for p in pts],
            y=[p[1] for p in pts],
            mode="lines+markers",
            name=family,
            line={"color": PALETTE[i % len(PALETTE)], "dash": "dash" if baseline else "solid"},
            text=[p[2] for p in pts],
            hovertemplate="%{x:,} images: %{y:.1f}% (%{text})<extra>" + family + "</extra>",
        )
    sizes = sorted({p[0] for pts in families.values() for p in pts})
    # ticks at the sizes trained, not plotly's 2-3-4-5 between powers of ten
    fig.update_xaxes(type="log", tickvals=sizes, ticktext=[_count(n) for n in sizes])
    return chart_layout(
        fig, "Test accuracy against training-set size", "training images (log)", "test accuracy (%)"
    )


def loss_curves_figure(
    snaps: Sequence[Run],
    x: str = "samples",
    log_y: bool = False,
    smooth_weight: float = 0.0,
    log_x: bool = False,
) -> go.Figure:
    """The logged training loss of every run against training time, samples seen or updates:
    the Train page's loss figure, without the test markers.

    `smooth_weight` > 0 draws each run's moving average over a faint copy of its raw losses:
    one-image losses jump by orders of magnitude, and the trend hides behind the noise.
    `log_x` spreads runs whose update counts differ a thousandfold (SGD against batch GD).
    """
    title = f"Training loss against {X_AXES.get(x, x)}" + (" (smoothed)" if smooth_weight else "")
    return loss_figure(
        [(_label(s), s.train, ()) for s in snaps],
        x_axis=x,
        smoothing=smooth_weight,
        log_y=log_y,
        log_x=log_x,
        show_test=False,
        title=title,
    )


def _count(n: int) -> str:
    """500, 2k, 10k, 60k: short tick labels for image counts."""
    return f"{n / 1000:g}k" if n >= 1000 and n % 100 == 0 else f"{n:,}"


def _short(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def bar_figure(
    labels: Sequence[str],
    values: Sequence[float | None],
    title: str,
    y_title: str,
    log_y: bool = False,
    spread: Sequence[tuple[float, float]] | None = None,
) -> go.Figure:
    """One bar per run (or pipeline), labelled with its value; a log axis for wide ranges.

    A run with no value yet (still queued) gets no bar and no number, not a bar at zero.
    `spread` (low, high) per bar draws each measurement's range as an error bar.
    """
    vals = [None if v is None else float(v) for v in values]
    error = None
    if spread is not None:
        error = dict(
            type="data",
            symmetric=False,
            array=[hi - v for v, (_lo, hi) in zip(vals, spread, strict=True)],
            arrayminus=[v - lo for v, (lo, _hi) in zip(vals, spread, strict=True)],
        )
    fig = go.Figure(
        go.Bar(
            x=list(labels),
            y=vals,
            text=["" if v is None else _short(v) for v in vals],
            textposition="outside",
            marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(vals))],
            error_y=error,
        )
    )
    if log_y:
        log_y_axis(fig)
    else:
        fig.update_yaxes(rangemode="tozero")
    return chart_layout(fig, title, "", y_title)


def lr_figure(snaps: Sequence[Run]) -> go.Figure:
    """Final loss against learning rate (log), diverged runs drawn as red crosses at the top."""
    ordered = sorted(snaps, key=lambda s: s.config.lr)
    fig = go.Figure()
    finite = [  # the diverged runs sit on the ceiling, so they do not set it
        v
        for s in ordered
        if verdict(s) != "diverged"
        for v in (s.final_test_loss, final_train_loss(s))
        if v is not None and math.isfinite(v)
    ]
    chance = [DIVERGED_FACTOR * chance_loss(s.config) for s in ordered]
    ceiling = max(finite + chance + [1.0]) * 1.1
    for name, value, color in (
        ("test loss", "test", PALETTE[0]),
        ("training loss", "train", PALETTE[1]),
    ):
        pts = []
        for s in ordered:
            v = s.final_test_loss if value == "test" else final_train_loss(s)
            if v is not None and math.isfinite(v) and verdict(s) != "diverged":
                pts.append((s.config.lr, v))
        fig.add_scatter(
            x=[p[0] for p in pts],
            y=[p[1] for p in pts],
            mode="lines+markers",
            name=f"final {name}",
            line={"color": color},
        )
    diverged = [s.config.lr for s in ordered if verdict(s) == "diverged"]
    if diverged:
        fig.add_scatter(
            x=diverged,
            y=[ceiling] * len(diverged),
            mode="markers+text",
            name="diverged",
            marker={"symbol": "x", "size": 14, "color": "#d62728"},
            text=["diverged"] * len(diverged),
            textposition="bottom center",
        )
    blew = [s for s in ordered if verdict(s) == "blew up" and score(s) < math.inf]
    if blew:  # its verdict on the plot too: not a rate too small to move
        fig.add_scatter(
            x=[s.config.lr for s in blew],
            y=[score(s) for s in blew],
            mode="markers+text",
            name="blew up, then stuck",
            marker={"symbol": "triangle-up", "size": 14, "color": "#ff7f0e"},
            text=[f"blew up to {peak_loss(s):.3g}" for s in blew],
            textposition="top center",
        )
    if ordered:  # the yardstick of the verdicts: a model that knows nothing
        fig.add_hline(
            y=chance_loss(ordered[0].config),
            line={"dash": "dot", "color": "#7f7f7f"},
            annotation_text="uniform guess: ln(classes)",
            annotation_position="top left",
        )
    fig.update_xaxes(type="log", exponentformat="power", dtick=1)  # powers of ten, no 2s, 5s
    fig.update_yaxes(range=[0, ceiling * 1.05])
    return chart_layout(fig, "Final loss against learning rate", "learning rate (log)", "loss")


def probabilities_figure(
    probs: Sequence[float], classes: Sequence[str], label: int, predicted: int
) -> go.Figure:
    """The model's probability for each class: the true class green, a wrong guess red."""
    colors = ["#9aa5b1"] * len(classes)
    colors[predicted] = "#d62728"
    colors[label] = "#2ca02c"
    fig = go.Figure(
        go.Bar(
            x=list(classes),
            y=[100 * float(p) for p in probs],
            marker_color=colors,
            text=[f"{100 * float(p):.1f}%" for p in probs],
            textposition="outside",
        )
    )
    fig.update_yaxes(range=[0, 110])
    fig.update_xaxes(type="category")
    return chart_layout(
        fig,
        f"Probabilities (true: {classes[label]}, predicted: {classes[predicted]})",
        "class",
        "probability (%)",
    )
