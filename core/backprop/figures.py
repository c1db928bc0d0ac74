"""Figures for the loss and backprop page: the batch's losses, the computation graph, the step.

Pure functions of data: each takes numbers from core.backprop.loss / core.backprop.tinynet /
core.backprop.update and returns a plotly Figure.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from core.backprop.loss import LossReport
from core.backprop.tinynet import EDGES, LABELS, PARAMS, BackwardStep
from core.backprop.update import LrLine

GOOD, BAD, GREY, GRAD = "#2ca02c", "#d62728", "#8c8c8c", "#d62728"
REFERENCE_COLORS = {"too small": "#1f77b4", "good": "#2ca02c", "too large": "#d62728"}


def loss_figure(report: LossReport) -> go.Figure:
    """The mini-batch's images with each one's loss as a bar beneath it, and the mean cost."""
    n = len(report.losses)
    centers = [28 * i + 13.5 for i in range(n)]
    correct = [p == t for p, t in zip(report.predicted, report.y, strict=True)]
    images = go.Heatmap(
        # an array, not nested lists: Plotly checks a list value by value (28 × 1792 at B = 64)
        z=report.images.numpy(),
        colorscale="gray",
        showscale=False,
        hoverinfo="skip",
        yaxis="y2",
    )
    bars = go.Bar(
        x=centers,
        y=report.losses,
        width=24,
        marker_color=[GOOD if ok else BAD for ok in correct],
        text=[f"{v:.2g}" for v in report.losses],  # a sure model's losses are ~1e-4, not 0.00
        textposition="inside",
        customdata=list(zip(report.y, report.predicted, report.p_true, strict=True)),
        hovertemplate="true digit %{customdata[0]}, predicted %{customdata[1]}<br>"
        "p(true digit) = %{customdata[2]:.3f}<br>loss = −log p = %{y:.4f}<extra></extra>",
        showlegend=False,
    )
    mean = go.Scatter(
        x=[0, 28 * n],
        y=[report.cost_mean] * 2,
        mode="lines",
        line=dict(dash="dash", color="#262730"),
        name=f"mean of the losses = cost {report.cost_mean:.3g}",
        hoverinfo="skip",
    )
    # Two panels sharing one x axis: images on top (y2), bars below (y), each bar under its image.
    layout = go.Layout(
        xaxis=dict(
            tickvals=centers,
            ticktext=[f"y={t}<br>ŷ={p}" for t, p in zip(report.y, report.predicted, strict=True)],
            range=[-0.5, 28 * n - 0.5],
        ),
        yaxis=dict(domain=[0, 0.68], title_text="loss −log p(true digit)", rangemode="tozero"),
        yaxis2=dict(domain=[0.71, 1], autorange="reversed", visible=False),
        height=440,
        margin=dict(l=10, r=10, t=30, b=40),
        legend=dict(orientation="h", x=0, y=1.08),
    )
    return go.Figure([images, bars, mean], layout)


# Where each node of the tiny network sits: inputs left, loss right, forward flows rightwards.
POSITIONS = {
    "x1": (-0.6, 3.0), "x2": (-0.6, 1.0),
    "w11": (1.0, 4.4), "w12": (1.0, 3.6), "b1": (1.0, 2.8),
    "w21": (1.0, 1.2), "w22": (1.0, 0.4), "b2": (1.0, -0.4),
    "z1": (2.2, 3.6), "z2": (2.2, 0.4), "h1": (3.4, 3.6), "h2": (3.4, 0.4),
    "v1": (4.4, 4.4), "c": (4.4, 2.0), "v2": (4.4, -0.4),
    "y_hat": (5.4, 2.0), "y": (5.4, 0.4), "L": (6.6, 2.0),
}  # fmt: skip
LABEL_AT = 0.3  # where along an edge its local derivative is written, from the differentiated node


def _kind_color(node: str) -> str:
    if node in PARAMS:
        return "#1f77b4"
    if node == "L":
        return BAD
    return GREY if node in ("x1", "x2", "y") else "#ff7f0e"


def graph_figure(
    values: dict[str, float],
    steps: list[BackwardStep],
    shown: int,
    autograd: dict[str, float] | None = None,
) -> go.Figure:
    """The computation graph: forward value at each node, the first `shown` backward steps'
    gradients in red, and the current step's chain-rule edges labelled with local derivatives."""
    shown = max(0, min(shown, len(steps)))
    grads = {s.node: s.grad for s in steps[:shown]}
    current = steps[shown - 1] if shown else None
    highlighted = {(t.upstream, current.node) for t in current.terms} if current else set()
    # One list, set once: fig.add_annotation per edge is about ten times slower.
    annotations = []
    for src, dst in EDGES:
        hot = (dst, src) in highlighted
        (x0, y0), (x1, y1) = POSITIONS[src], POSITIONS[dst]
        annotations.append(
            dict(
                x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                showarrow=True, arrowhead=2, arrowsize=1.2, standoff=16, startstandoff=16,
                arrowwidth=3 if hot else 1, arrowcolor=GRAD if hot else "#c7c7c7", text="",
            )
        )  # fmt: skip
    for term in current.terms if current else ():
        (x0, y0), (x1, y1) = POSITIONS[current.node], POSITIONS[term.upstream]
        local = f"∂{LABELS[term.upstream]}/∂{LABELS[current.node]} = {term.local}"
        if term.local != "1":  # "= 1 = 1" says nothing
            local += f" = {term.local_value:.4g}"
        # Written nearer the node being differentiated: the middles of the edges are crowded.
        annotations.append(
            dict(
                x=x0 + LABEL_AT * (x1 - x0), y=y0 + LABEL_AT * (y1 - y0), yshift=14,
                showarrow=False, bgcolor="rgba(255,255,255,0.9)", text=local,
                font=dict(color=GRAD, size=13),
            )
        )  # fmt: skip
    nodes = list(POSITIONS)
    text, hover = [], []
    for node in nodes:
        label = f"<b>{LABELS[node]}</b> = {values[node]:.4g}"
        tip = f"{LABELS[node]} = {values[node]:.6g}"
        if node in grads:
            label += f"<br><span style='color:{GRAD}'>∂L/∂{LABELS[node]} = {grads[node]:.4g}</span>"
            tip += f"<br>∂L/∂{LABELS[node]} by hand = {grads[node]:.10g}"
            if autograd is not None and node in autograd:
                tip += f"<br>.grad from loss.backward() = {autograd[node]:.10g}"
        text.append(label)
        hover.append(tip)
    dots = go.Scatter(
        x=[POSITIONS[n][0] for n in nodes],
        y=[POSITIONS[n][1] for n in nodes],
        mode="markers+text",
        text=text,
        textposition=["top center" if POSITIONS[n][1] >= 4 else "bottom center" for n in nodes],
        hovertext=hover,
        hoverinfo="text",
        textfont=dict(size=13, color="#262730"),
        marker=dict(
            size=[30 if current and n == current.node else 20 for n in nodes],
            color=[_kind_color(n) for n in nodes],
            line=dict(
                width=[4 if n in grads else 1 for n in nodes],
                color=["#ffbf00" if current and n == current.node else GRAD for n in nodes],
            ),
        ),
        showlegend=False,
    )
    layout = go.Layout(
        annotations=annotations,
        xaxis=dict(visible=False, range=[-1.1, 7.1]),
        yaxis=dict(visible=False, range=[-1.3, 5.2]),
        height=520,
        margin=dict(l=10, r=10, t=10, b=10),
        plot_bgcolor="white",
    )
    return go.Figure([dots], layout)


def _finite(values: list[float]) -> list[float | None]:
    # Plotly leaves a gap at None: an overflowed loss is drawn as "off the chart".
    return [v if math.isfinite(v) else None for v in values]


def lr_figure(line: LrLine) -> go.Figure:
    """The loss along one gradient step's direction, where the chosen α lands, and references."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=line.lrs, y=_finite(line.losses), mode="lines", name="L(β − α·∂L/∂β)")
    )
    fig.add_hline(y=line.loss_start, line_dash="dot", annotation_text="L before the step")
    for name, a in line.references.items():
        landed = line.reference_losses[name]
        if math.isfinite(landed):
            fig.add_trace(
                go.Scatter(
                    x=[a],
                    y=[landed],
                    mode="markers",
                    name=f"{name}: α = {a:.3g}",
                    marker=dict(size=10, color=REFERENCE_COLORS[name], symbol="circle-open"),
                )
            )
    if math.isfinite(line.loss_at_lr):
        fig.add_trace(
            go.Scatter(
                x=[line.lr],
                y=[line.loss_at_lr],
                mode="markers",
                name=f"your α = {line.lr:g}",
                marker=dict(size=16, color="#ffbf00", symbol="star", line=dict(width=1)),
            )
        )
    finite = [v for v in line.losses if math.isfinite(v)]
    marked = [line.loss_at_lr, *line.reference_losses.values()]
    top = min(max(finite), max(2.5 * line.loss_start, *(1.1 * v for v in marked)))
    if not math.isfinite(top):
        top = 2.5 * line.loss_start
    # powers of ten, not Plotly's SI prefixes: a loss of 2e-12 read as "2p"
    fig.update_yaxes(title_text="loss after the step", range=[0, max(top, 1e-12) * 1.05],
                     exponentformat="power")  # fmt: skip
    fig.update_xaxes(title_text="learning rate α", rangemode="tozero", exponentformat="power")
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), legend=dict(x=1.01, y=1))
    return fig


def descent_figure(curves: dict[str, list[float]]) -> go.Figure:
    """The loss over several gradient-descent steps, one line per learning rate (log scale)."""
    fig = go.Figure()
    for name, losses in curves.items():
        color = REFERENCE_COLORS.get(name.split(":")[0], "#ffbf00")
        fig.add_trace(
            go.Scatter(
                x=list(range(len(losses))),
                y=[v if math.isfinite(v) and v > 0 else None for v in losses],
                mode="lines+markers",
                name=name,
                line=dict(color=color, width=4 if color == "#ffbf00" else 2),
            )
        )
    fig.update_yaxes(title_text="loss (log scale)", type="log", exponentformat="power")
    fig.update_xaxes(title_text="step")
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10))
    return fig
