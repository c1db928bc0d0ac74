"""Figures for the activations page: curves and slopes, gradients through depth, softmax bars.

Pure functions of data: each takes results from `curves`, `vanishing` or `softmax` of this
package and returns a plotly Figure. The non-linearity figures are in `nonlinearity_figures`.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from core.activations.curves import Curve
from core.activations.vanishing import ChainGradients
from core.engine.looks.figures import LEGEND_BELOW, LEGEND_BELOW_MARGIN, log_y_axis

PALETTE = qualitative.Plotly  # 10 colours; at most MAX_CURVES curves share a plot
GREY, ORANGE = "#8c8c8c", "#EE4C2C"


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def curves_figure(curves: list[Curve], show_saturation: bool = True) -> go.Figure:
    """f(x) on the left, f'(x) on the right; shaded where saturated; kinks marked."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("f(x)", "f′(x), by autograd"), horizontal_spacing=0.08
    )
    for i, c in enumerate(curves):
        color = _color(i)
        x = c.x.tolist()
        fig.add_trace(
            go.Scatter(
                x=x,
                y=c.y.tolist(),
                name=c.name,
                legendgroup=c.key,
                line_color=color,
                hovertemplate=f"{c.name}<br>x = %{{x:.4g}}<br>f(x) = %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        dy = [None if math.isnan(v) else v for v in c.dy.tolist()]  # a jump: leave a gap
        fig.add_trace(
            go.Scatter(
                x=x,
                y=dy,
                name=c.name,
                legendgroup=c.key,
                line_color=color,
                showlegend=False,
                hovertemplate=f"{c.name}<br>x = %{{x:.4g}}<br>f′(x) = %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=2,
        )
        if c.kinks:
            fig.add_trace(
                go.Scatter(
                    x=[k[0] for k in c.kinks],
                    y=[k[1] for k in c.kinks],
                    mode="markers",
                    marker=dict(color=color, size=10, symbol="circle-open", line_width=2),
                    name=f"{c.name}: kink",
                    legendgroup=c.key,
                    showlegend=False,
                    hovertemplate=f"{c.name} has a kink at x = %{{x:g}}<br>"
                    "torch uses f′ = %{y:g} there<extra></extra>",
                ),
                row=1,
                col=2,
            )
        if show_saturation:
            for lo, hi in c.saturated:
                for col in (1, 2):
                    fig.add_vrect(
                        x0=lo,
                        x1=hi,
                        fillcolor=color,
                        opacity=0.08,
                        line_width=0,
                        layer="below",
                        row=1,
                        col=col,
                    )
    fig.update_xaxes(title_text="x", zeroline=True)
    fig.update_layout(
        height=420,
        margin=dict(t=40, b=LEGEND_BELOW_MARGIN, l=40, r=20),
        hovermode="closest",
        legend=LEGEND_BELOW,
    )
    return fig


def chain_figure(chain: ChainGradients, names: dict[str, str]) -> go.Figure:
    """|d h_n / d h_0| against depth n, log scale, with sigmoid's ceiling (0.25·|w|)^n."""
    fig = go.Figure()
    for i, (key, grads) in enumerate(chain.gradients.items()):
        # log axes cannot show 0: a gap means the gradient is exactly 0 (a dead ReLU).
        y = [abs(v) if v != 0 else None for v in grads]
        fig.add_trace(
            go.Scatter(
                x=chain.depths,
                y=y,
                name=names[key],
                mode="lines+markers",
                line_color=_color(i),
                customdata=grads,
                hovertemplate="depth %{x}<br>dh/dx = %{customdata:.3e}<extra></extra>",
            )
        )
    bound = [v if v > 0 else None for v in chain.sigmoid_bound]
    fig.add_trace(
        go.Scatter(
            x=chain.depths,
            y=bound,
            name="(0.25·|w|)ⁿ: sigmoid's ceiling",
            line=dict(color="#262730", dash="dash"),
        )
    )
    fig.update_layout(
        height=400,
        xaxis_title="depth n (layers the gradient passes through)",
        yaxis_title="|d hₙ / d x| (log scale)",
        margin=dict(t=20, b=LEGEND_BELOW_MARGIN, l=40, r=20),
        legend=LEGEND_BELOW,
    )
    log_y_axis(fig)
    return fig


def softmax_figure(
    logits: list[float],
    p: list[float],
    p_reference: list[float],
    temperature: float,
    shift: float = 0.0,
) -> go.Figure:
    """Logits (already shifted by c) on the left; probabilities at T (and at T = 1) right."""
    labels = [f"class {i}" for i in range(len(logits))]
    left = "logits z (any real numbers)" if shift == 0 else f"logits z + c (c = {shift:g})"
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=(left, "softmax(z / T): probabilities, sum = 1"),
    )
    fig.add_trace(
        go.Bar(
            x=labels,
            y=logits,
            marker_color=GREY,
            name="logits",
            text=[f"{v:.3g}" for v in logits],
            textposition="outside",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=labels,
            y=p,
            marker_color=ORANGE,
            name=f"T = {temperature:g}",
            text=[f"{v:.3f}" for v in p],
            textposition="outside",
        ),
        row=1,
        col=2,
    )
    if temperature != 1.0:
        fig.add_trace(
            go.Bar(
                x=labels,
                y=p_reference,
                marker_color="rgba(0,0,0,0)",
                marker_line=dict(color="#262730", width=1.5),
                name="T = 1",
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(range=[0, 1.15], row=1, col=2)
    fig.update_layout(
        height=360,
        barmode="overlay",
        margin=dict(t=40, b=20, l=40, r=20),
        legend=dict(orientation="h", y=-0.15),
    )
    return fig
