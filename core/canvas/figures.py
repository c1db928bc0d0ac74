"""Figures for the digit canvas: probabilities, the model's input, the saliency map.

Pure functions of numbers: they never run a model, so the page decides what to compute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly import colors as px_colors

TOP_COLOR = "#ff4b4b"  # the answer
RUNNER_UP_COLOR = "#ffa421"  # the other candidate when the model is not sure
OTHER_COLOR = "#8c9bb0"
# Inferno from black, but Streamlit's frontend reads "#000001"-"#000009" as placeholders for
# its theme colours, and Inferno starts at "#000004": start at pure black instead.
SALIENCY_SCALE = ["#000000", *px_colors.sequential.Inferno[1:]]
THUMBNAIL_SIDE = 140  # px: the size step images are shown at
FRAME_GREY = 70  # the frame around a thumbnail: not black, so the image's edges show
DIGITS = tuple(str(d) for d in range(10))  # the classes of a handwriting collection


def _percent_bars(
    x: Sequence[str],
    y: Sequence[float | None],
    text: Sequence[str],
    colors: Sequence[str] | str,
    title: str,
    hover: Sequence[str],
    height: int,
) -> go.Figure:
    """Bars on a 0-100% axis, one per class, each labelled above and explained on hover."""
    fig = go.Figure(
        go.Bar(
            x=list(x),
            y=list(y),
            marker_color=colors,
            text=list(text),
            textposition="outside",
            hovertext=list(hover),
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        title=title,
        xaxis=dict(type="category", title=None),
        yaxis=dict(range=[0, 1.15], tickformat=".0%", title=None),
    )
    return fig


def probability_figure(
    probs: Sequence[float], classes: Sequence[str], top: int, runner_up: int | None = None
) -> go.Figure:
    """One bar per class; the answer in red and, when there is doubt, the runner-up in orange."""
    colors = [OTHER_COLOR] * len(classes)
    if runner_up is not None:
        colors[runner_up] = RUNNER_UP_COLOR
    colors[top] = TOP_COLOR
    return _percent_bars(
        classes,
        [float(p) for p in probs],
        [f"{float(p):.0%}" for p in probs],
        colors,
        "Probability of each class (softmax of the model's output)",
        [f"class {c}: {float(p):.2%}" for c, p in zip(classes, probs, strict=True)],
        300,
    )


def _square_axes(fig: go.Figure, size: int) -> None:
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(
        showticklabels=False,
        showgrid=False,
        zeroline=False,
        autorange="reversed",  # row 0 at the top, as in an image
        scaleanchor="x",
        constrain="domain",
    )
    fig.update_layout(height=size, margin=dict(l=10, r=10, t=40, b=10))


def input_figure(X: np.ndarray, title: str = "What the model sees") -> go.Figure:
    """The 28×28 input as numbers: hover any pixel to read the value the model receives."""
    X = np.asarray(X, dtype=np.float32)
    fig = go.Figure(
        go.Heatmap(
            z=X,
            colorscale="gray",
            colorbar=dict(thickness=10),
            hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(title=title)
    _square_axes(fig, 340)
    return fig


def saliency_figure(digit: np.ndarray, saliency: np.ndarray, label: str) -> go.Figure:
    """Where a small change to the input would move the answer most, with the digit's outline."""
    fig = go.Figure(
        go.Heatmap(
            z=np.asarray(saliency, dtype=np.float32),
            colorscale=SALIENCY_SCALE,
            zmin=0.0,
            zmax=1.0,
            colorbar=dict(thickness=10),
            hovertemplate="row %{y}, col %{x}: saliency %{z:.2f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Contour(
            z=np.asarray(digit, dtype=np.float32),
            contours=dict(start=0.5, end=0.5, coloring="none"),
            line=dict(color="#00d4ff", width=2),
            showscale=False,
            hoverinfo="skip",
        )
    )
    fig.update_layout(title=f"Why {label}: |∂ score / ∂ pixel|, digit outlined")
    _square_axes(fig, 340)
    return fig


def per_class_figure(
    per_class: Mapping[str, tuple[int, int]], classes: Sequence[str] = DIGITS
) -> go.Figure:
    """Accuracy per true label on your handwriting, with how many sketches each bar rests on.

    Every class keeps its place on the axis, so a digit with no sketches shows as "none yet"
    instead of the other bars stretching to fill the plot.
    """
    counts = [per_class.get(c, (0, 0)) for c in classes]
    return _percent_bars(
        classes,
        [c / n if n else 0.0 for c, n in counts],
        [f"{c}/{n}" if n else "none yet" for c, n in counts],
        OTHER_COLOR,
        "Right answers per digit on your handwriting",
        [
            f"digit {d}: {c / n:.0%} right ({c} of {n})" if n else f"digit {d}: no sketches yet"
            for d, (c, n) in zip(classes, counts, strict=True)
        ],
        280,
    )


def display_pixels(image: np.ndarray, side: int = THUMBNAIL_SIDE) -> np.ndarray:
    """uint8 side×side picture of `image`: scaled by nearest pixel, framed in dark grey.

    Nearest keeps each model pixel a crisp square (a browser's smooth scaling would blur a
    28×28 image into something the model never sees); the grey frame shows the image's
    own edges, so a thin crop stays thin instead of being stretched to fill the space.
    """
    img = np.asarray(image, dtype=np.float32)
    low, high = float(img.min()), float(img.max())
    if low < 0.0 or high > 1.0:  # normalized values: stretch their range over black..white
        img = (img - low) / (high - low) if high > low else np.zeros_like(img)
    h, w = img.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL wants (w, h)
    pil = Image.fromarray((np.clip(img, 0.0, 1.0) * 255).round().astype(np.uint8))
    scaled = np.asarray(pil.resize(size, Image.Resampling.NEAREST))
    out = np.full((side, side), FRAME_GREY, dtype=np.uint8)
    top, left = (side - size[1]) // 2, (side - size[0]) // 2
    out[top : top + size[1], left : left + size[0]] = scaled
    return out
