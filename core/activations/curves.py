"""f(x) and f'(x) on a grid: values by torch, derivatives by autograd.

The grid always contains the function's kinks, so the plot (and the tests) see exactly the
derivative torch uses there, e.g. ReLU'(0) = 0.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from core.engine.learning.activations.registry import get_activation
from core.engine.learning.activations.spec import ActivationSpec
from core.errors import ConfigError, LimitError

MAX_ABS_X = 1000.0  # the x-range must lie inside [-MAX_ABS_X, MAX_ABS_X]
MIN_SPAN = 1e-3  # narrower ranges show nothing but one straight segment
DEFAULT_POINTS = 801
MAX_POINTS = 20_001
MAX_CURVES = 8  # functions overlaid on one plot
SATURATION = 0.01  # |f'(x)| below this counts as saturated: almost no gradient flows back
NORMAL_GRID = 4001  # quadrature points for the mean output on x ~ N(0, 1)
ZERO_MEAN = 0.05  # |E[f(X)]| below this, for X ~ N(0, 1), counts as zero-centred


@dataclass
class Curve:
    key: str  # registry key
    name: str  # display name
    params: dict[str, float]  # the parameters it was drawn with
    x: Tensor  # (P,) inputs, kinks included
    y: Tensor  # (P,) f(x)
    dy: Tensor  # (P,) f'(x) from autograd; NaN where f has no derivative at all (a jump)
    saturated: list[tuple[float, float]]  # x-intervals where |f'(x)| < SATURATION
    kinks: list[tuple[float, float]]  # (x, the derivative torch uses there), inside the range


def check_range(x_min: Any, x_max: Any) -> tuple[float, float]:
    """Refuse an empty, reversed, non-numeric or huge x-range with a message for the page."""
    try:
        lo, hi = float(x_min), float(x_max)
    except (TypeError, ValueError):
        raise ConfigError("The x-range needs two numbers, e.g. -5 and 5.") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ConfigError("The x-range must be finite numbers.")
    if lo > hi:
        raise ConfigError(f"The x-range is reversed: 'from' ({lo:g}) is above 'to' ({hi:g}).")
    if hi - lo < MIN_SPAN:
        raise ConfigError(
            f"The x-range is empty: 'from' and 'to' must differ by at least {MIN_SPAN:g}."
        )
    if max(abs(lo), abs(hi)) > MAX_ABS_X:
        raise LimitError(f"Keep the x-range inside [-{MAX_ABS_X:g}, {MAX_ABS_X:g}].")
    return lo, hi


def make_grid(
    x_min: float,
    x_max: float,
    num_points: int = DEFAULT_POINTS,
    include: tuple[float, ...] = (),
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> Tensor:
    """Evenly spaced points over [x_min, x_max], plus the points in `include` that fall inside."""
    lo, hi = check_range(x_min, x_max)
    if not 2 <= num_points <= MAX_POINTS:
        raise LimitError(f"Use 2 to {MAX_POINTS:,} points, not {num_points:,}.")
    x = torch.linspace(lo, hi, num_points, dtype=dtype, device=device)  # (P,)
    extra = [v for v in include if lo <= v <= hi]
    if extra:
        x = torch.cat([x, torch.tensor(extra, dtype=dtype, device=device)])
        x = torch.unique(x)  # sorted, and a kink already on the grid is not doubled
    return x


def evaluate(spec: ActivationSpec, x: Tensor, params: dict[str, float]) -> tuple[Tensor, Tensor]:
    """(f(x), f'(x)): torch computes f, autograd differentiates it at every point at once."""
    x = x.detach().clone().requires_grad_(spec.has_gradient)
    y = spec(x, **params)  # (P,)
    if not spec.has_gradient:
        # Autograd has no derivative for a step; off the jump its slope is 0, at the jump none.
        dy = torch.where(x == 0, torch.nan, 0.0).to(x.dtype)
        return y.detach(), dy
    # f acts element by element, so d(sum f(x_i))/dx_i = f'(x_i): one backward pass.
    (dy,) = torch.autograd.grad(y.sum(), x)
    return y.detach(), dy


def saturated_intervals(
    x: Tensor, dy: Tensor, threshold: float = SATURATION
) -> list[tuple[float, float]]:
    """Maximal runs of grid points where |f'(x)| < threshold, as (start, end) x-intervals."""
    flat = (dy.abs() < threshold).tolist()
    xs = x.tolist()
    runs: list[tuple[float, float]] = []
    start = None
    for i, is_flat in enumerate(flat):
        if is_flat and start is None:
            start = i
        if not is_flat and start is not None:
            runs.append((xs[start], xs[i - 1]))
            start = None
    if start is not None:
        runs.append((xs[start], xs[-1]))
    return runs


def curve(
    key: str,
    params: dict[str, float] | None,
    x_min: float,
    x_max: float,
    num_points: int = DEFAULT_POINTS,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> Curve:
    """One function drawn over [x_min, x_max], on the chosen device, results back on the cpu."""
    spec = get_activation(key)
    if not spec.elementwise:
        raise ConfigError(f"{spec.name} maps a whole vector, so it has no f(x) curve.")
    values = spec.resolve(params)
    kinks = tuple(k.x for k in spec.kink_points(**values))
    x = make_grid(x_min, x_max, num_points, kinks + jump_points(spec), dtype, device)
    y, dy = evaluate(spec, x, values)
    x, y, dy = x.cpu(), y.cpu(), dy.cpu()
    lo, hi = x[0].item(), x[-1].item()
    marks = [(k.x, k.torch_derivative) for k in spec.kink_points(**values) if lo <= k.x <= hi]
    return Curve(key, spec.name, values, x, y, dy, saturated_intervals(x, dy), marks)


def curves(
    keys: list[str],
    params_by_key: dict[str, dict[str, float]],
    x_min: float,
    x_max: float,
    device: torch.device | str = "cpu",
) -> list[Curve]:
    """Several functions over the same range, for overlaying."""
    if not keys:
        raise ConfigError("Pick at least one function to draw.")
    if len(keys) > MAX_CURVES:
        raise LimitError(f"Overlay at most {MAX_CURVES} functions at once.")
    return [curve(k, params_by_key.get(k), x_min, x_max, device=device) for k in keys]


def jump_points(spec: ActivationSpec) -> tuple[float, ...]:
    """Where f jumps (the step, at 0): there it has no derivative at all, not even a kink's."""
    return () if spec.has_gradient else (0.0,)


def mean_on_standard_normal(key: str, params: dict[str, float] | None = None) -> float:
    """E[f(X)] for X ~ N(0, 1): near 0 means the next layer's inputs are zero-centred.

    Integrated piece by piece between the jumps: the trapezoid rule across a jump counts half
    a grid cell at the wrong height (the step's mean came out 0.499, not 0.5)."""
    spec = get_activation(key)
    values = spec.resolve(params)
    edges = [-12.0, *(j for j in jump_points(spec) if -12.0 < j < 12.0), 12.0]
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        x = torch.linspace(lo, hi, NORMAL_GRID, dtype=torch.float64)  # (Q,)
        # the ends of a piece are read just inside it: a jump's own value belongs to neither
        x[0], x[-1] = math.nextafter(lo, hi), math.nextafter(hi, lo)
        density = torch.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)  # (Q,) the N(0, 1) pdf
        total += torch.trapezoid(spec(x, **values) * density, x).item()
    return total


def is_zero_centred(mean: float) -> bool:
    """Outputs that average ~0 keep the next layer's inputs balanced around 0."""
    return abs(mean) < ZERO_MEAN


def facts_rows(key: str, params: dict[str, float] | None = None) -> list[tuple[str, str]]:
    """The facts table of one function, (property, value) rows in markdown: range, shape,
    mean output on N(0, 1) inputs, where its slope breaks, whether gradients can train it."""
    spec = get_activation(key)
    values = spec.resolve(params)
    mean = mean_on_standard_normal(key, values)
    kinks = ", ".join(f"$x = {k.x:g}$" for k in spec.kink_points(**values)) or "none"
    jumps = ", ".join(f"$x = {x:g}$" for x in jump_points(spec))
    if jumps:  # a jump is worse than a kink: no slope at all, not two of them
        kinks = f"{kinks}; it jumps at {jumps}: no derivative there at all"
    return [
        ("output range", f"${spec.output_range}$"),
        ("monotonic", "yes" if spec.monotonic else "no: it dips before rising"),
        (
            "zero-centred",
            f"{'yes' if is_zero_centred(mean) else 'no'} (mean output for "
            f"$x \\sim N(0, 1)$: {mean:.3f})",
        ),
        ("kinks", kinks),
        ("trainable by gradient descent", "yes" if spec.has_gradient else "no"),
    ]
