"""Two-parameter loss surfaces L(β₁, β₂): the classic test functions optimizers are judged on.

Each surface is a torch function of two tensors, so the same code evaluates a whole grid for the
contour plot and a single 2-element parameter for an optimizer (autograd gives its gradient).
Each also carries its gradient worked out by hand, which the tests check against autograd.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from core.errors import ConfigError

MIN_CONDITION = 1.0
MAX_CONDITION = 1000.0  # the bowl's κ; beyond this plain SGD needs thousands of steps
GRID_SIZE = 121  # points per axis of the contour grid: smooth, and light to send to the browser
LOG_OFFSET = 1e-3  # log-spaced levels draw log10(L − L* + LOG_OFFSET), so the minimum is finite
MAX_LOSS = 1e12  # |L| beyond this ends a run: the plot would only show a wall of colour
ESCAPE_FACTOR = 10.0  # a run ends once β is this many window-widths outside the window

Fn = Callable[[Tensor, Tensor], Tensor]
GradFn = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]


@dataclass(frozen=True)
class Surface:
    name: str  # the key in SURFACES
    formula: str  # LaTeX of L(x, y)
    grad_formula: str  # LaTeX of (∂L/∂x, ∂L/∂y), the derivative a learner could work out
    f: Fn  # L(x, y), elementwise on tensors of any shape
    grad: GradFn  # the hand-derived gradient (∂L/∂x, ∂L/∂y); the runs use autograd instead
    x_range: tuple[float, float]  # the window drawn, and where a start point may be picked
    y_range: tuple[float, float]
    minima: tuple[tuple[float, float], ...]  # global minima, marked on the plot
    f_min: float | None  # L at the minima; None = unbounded below (no minimum to reach)
    start: tuple[float, float]  # a start point that shows the surface's lesson
    log_levels: bool  # contour levels spaced in log10(L − L*): the valley floor stays readable
    note: str  # what this surface teaches, in a sentence or two
    suggested_lr: dict[str, float]  # per optimizer: an α that shows this surface's lesson
    saddles: tuple[tuple[float, float], ...] = ()  # saddle points, marked on the plot


OPTIMIZER_ORDER = ("SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW")


def _lrs(*values: float) -> dict[str, float]:
    """Suggested learning rates, in OPTIMIZER_ORDER."""
    return dict(zip(OPTIMIZER_ORDER, values, strict=True))


def _bowl(condition: float) -> Surface:
    k = condition

    def f(x: Tensor, y: Tensor) -> Tensor:
        return 0.5 * (x**2 + k * y**2)

    def grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        return x, k * y

    return Surface(
        name="Quadratic bowl",
        formula=rf"L(x, y) = \tfrac12\,(x^2 + \kappa\,y^2),\quad \kappa = {k:g}",
        grad_formula=r"\nabla L = (x,\ \kappa\,y)",
        f=f,
        grad=grad,
        x_range=(-3.0, 3.0),
        y_range=(-3.0, 3.0),
        minima=((0.0, 0.0),),
        f_min=0.0,
        start=(-2.5, 2.0),
        log_levels=True,
        # SGD's best fixed α on a quadratic is about 2/(1 + κ); heavy balls need smaller ones
        suggested_lr=_lrs(1 / k, 0.3 / k, 0.3 / k, 1.0, 0.03, 1.0, 0.1, 0.1),
        note=f"Curvature is 1 along x and κ = {k:g} along y (the condition number). Plain SGD "
        f"must keep α below 2/κ = {2 / k:.3g} or it bounces out of the steep direction, and "
        "then crawls along the flat one. Momentum and Adam cope better; raise κ and watch.",
    )


def _rosenbrock(x: Tensor, y: Tensor) -> Tensor:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosenbrock_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


def _beale_terms(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    return 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3


def _beale(x: Tensor, y: Tensor) -> Tensor:
    a, b, c = _beale_terms(x, y)
    return a**2 + b**2 + c**2


def _beale_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    a, b, c = _beale_terms(x, y)
    dx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    dy = 2 * a * x + 4 * b * x * y + 6 * c * x * y**2
    return dx, dy


def _himmelblau(x: Tensor, y: Tensor) -> Tensor:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    a, b = x**2 + y - 11, x + y**2 - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def _saddle(x: Tensor, y: Tensor) -> Tensor:
    return x**2 - y**2


def _saddle_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    return 2 * x, -2 * y


def _rastrigin(x: Tensor, y: Tensor) -> Tensor:
    return 20 + x**2 - 10 * torch.cos(2 * math.pi * x) + y**2 - 10 * torch.cos(2 * math.pi * y)


def _rastrigin_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    tau = 2 * math.pi
    return 2 * x + 10 * tau * torch.sin(tau * x), 2 * y + 10 * tau * torch.sin(tau * y)


_FIXED: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            name="Rosenbrock",
            formula=r"L(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
            grad_formula=r"\nabla L = \big(-2(1-x) - 400\,x\,(y - x^2),\ 200\,(y - x^2)\big)",
            f=_rosenbrock,
            grad=_rosenbrock_grad,
            x_range=(-2.0, 2.0),
            y_range=(-1.0, 3.0),
            minima=((1.0, 1.0),),
            f_min=0.0,
            start=(-1.2, 1.0),
            log_levels=True,
            suggested_lr=_lrs(0.001, 0.001, 0.001, 0.5, 0.01, 1.0, 0.1, 0.1),
            note="A curved, narrow valley. Finding the valley is quick; following its floor to "
            "(1, 1) is slow, because the gradient points mostly across the valley, not along it.",
        ),
        Surface(
            name="Beale",
            formula=r"L = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            grad_formula=r"\nabla L = \sum_i 2\,r_i\,\big(y^i - 1,\ i\,x\,y^{i-1}\big),"
            r"\quad r_i = c_i - x + x\,y^i",
            f=_beale,
            grad=_beale_grad,
            x_range=(-4.5, 4.5),
            y_range=(-4.5, 4.5),
            minima=((3.0, 0.5),),
            f_min=0.0,
            start=(1.0, 1.5),
            log_levels=True,
            suggested_lr=_lrs(0.01, 0.001, 0.001, 1.0, 0.1, 1.0, 0.1, 0.1),
            note="Flat plateaus next to walls that rise to 10⁵. A learning rate small enough "
            "for the walls is tiny on the plateau: this is where per-coordinate scaling "
            "(Adagrad, RMSprop, Adam) earns its keep.",
        ),
        Surface(
            name="Himmelblau",
            formula=r"L(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            grad_formula=r"\nabla L = \big(4x\,(x^2 + y - 11) + 2\,(x + y^2 - 7),\ "
            r"2\,(x^2 + y - 11) + 4y\,(x + y^2 - 7)\big)",
            f=_himmelblau,
            grad=_himmelblau_grad,
            x_range=(-5.0, 5.0),
            y_range=(-5.0, 5.0),
            minima=(
                (3.0, 2.0),
                (-2.805118, 3.131312),
                (-3.779310, -3.283186),
                (3.584428, -1.848126),
            ),
            f_min=0.0,
            start=(-0.3, -0.9),
            log_levels=True,
            suggested_lr=_lrs(0.01, 0.003, 0.003, 0.3, 0.03, 1.0, 0.1, 0.1),
            note="Four equally good minima. Which one an optimizer reaches depends on where it "
            "starts and on how it moves: start optimizers together and see them split up.",
        ),
        Surface(
            name="Saddle",
            formula=r"L(x, y) = x^2 - y^2",
            grad_formula=r"\nabla L = (2x,\ -2y)",
            f=_saddle,
            grad=_saddle_grad,
            x_range=(-2.0, 2.0),
            y_range=(-2.0, 2.0),
            minima=(),
            f_min=None,
            start=(-1.8, 0.01),
            log_levels=False,
            suggested_lr=_lrs(0.01, 0.01, 0.01, 0.1, 0.01, 1.0, 0.05, 0.05),
            note="Downhill along y, uphill along x, and flat at (0, 0), the saddle point. "
            "Starting exactly on y = 0, gradient descent stops at the saddle; a tiny offset "
            "escapes, slowly for SGD, faster with momentum or Adam. There is no minimum: runs "
            "go downhill until they leave the region.",
            saddles=((0.0, 0.0),),
        ),
        Surface(
            name="Rastrigin",
            formula=r"L = 20 + x^2 - 10\cos 2\pi x + y^2 - 10\cos 2\pi y",
            grad_formula=r"\nabla L = \big(2x + 20\pi \sin 2\pi x,\ 2y + 20\pi \sin 2\pi y\big)",
            f=_rastrigin,
            grad=_rastrigin_grad,
            x_range=(-5.12, 5.12),
            y_range=(-5.12, 5.12),
            minima=((0.0, 0.0),),
            f_min=0.0,
            start=(2.2, -3.3),
            log_levels=False,
            suggested_lr=_lrs(0.003, 0.01, 0.003, 0.3, 0.03, 1.0, 0.1, 0.1),
            note="A bowl covered in bumps: a local minimum near every integer point. Gradient "
            "methods settle in the nearest dip; a large step or momentum can jump a few ridges.",
        ),
    )
}

SURFACE_NAMES = ("Quadratic bowl", *_FIXED)


def get_surface(name: str, condition: float = 10.0) -> Surface:
    """The surface called `name`; `condition` is the bowl's κ and ignored by the others."""
    if name == "Quadratic bowl":
        if not MIN_CONDITION <= condition <= MAX_CONDITION:
            raise ConfigError(
                f"The condition number κ must be {MIN_CONDITION:g} to {MAX_CONDITION:g}, "
                f"not {condition:g}."
            )
        return _bowl(float(condition))
    if name not in _FIXED:
        raise ConfigError(f"Unknown surface {name!r}. Choose one of: {', '.join(SURFACE_NAMES)}.")
    return _FIXED[name]


@dataclass
class Grid:
    xs: list[float]  # (nx,) column coordinates
    ys: list[float]  # (ny,) row coordinates
    z: list[list[float]]  # (ny, nx) L on the grid: row i is y = ys[i], as Plotly's contour wants
    z_plot: list[list[float]]  # (ny, nx) what the contour colours: z, or its log10 gap to L*


def surface_grid(
    surface: Surface,
    size: int = GRID_SIZE,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
) -> Grid:
    """L on a size × size grid over the surface's window (or a given one), for a contour plot."""
    xs = torch.linspace(*(x_range or surface.x_range), size, dtype=torch.float64)  # (nx,)
    ys = torch.linspace(*(y_range or surface.y_range), size, dtype=torch.float64)  # (ny,)
    Y, X = torch.meshgrid(ys, xs, indexing="ij")  # (ny, nx) each
    Z = surface.f(X, Y)  # (ny, nx)
    Z_plot = log_gap(surface, Z) if surface.log_levels else Z
    return Grid(xs.tolist(), ys.tolist(), Z.tolist(), Z_plot.tolist())


def window_around(
    points: list[list[float]], pad: float = 0.4
) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square window holding `points` with room around them, to look at one step up close."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    # A step can be 1e-14 long late in a run, next to a β of 1e-12: the window follows the
    # step (a fixed floor of 1e-9 drew a square a thousand times wider than its arrows), and
    # is never narrower than β's float resolution lets a picture be.
    half = max(max(xs) - min(xs), max(ys) - min(ys), _drawable(points)) * (0.5 + pad)
    return (cx - half, cx + half), (cy - half, cy + half)


def _drawable(points: list[list[float]]) -> float:
    """The narrowest window a picture of these points can have: a few thousand float steps."""
    return 4096 * sys.float_info.epsilon * max(1e-300, *(abs(v) for p in points for v in p))


def step_is_drawable(points: list[list[float]]) -> bool:
    """Whether a step between these points is long enough to see up close: longer than the
    narrowest window, so its arrows are more than a speck in it."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return max(max(xs) - min(xs), max(ys) - min(ys)) > _drawable(points) / 16


def log_gap(surface: Surface, Z: Tensor) -> Tensor:
    """log10(L − L* + offset): equal steps on this scale are equal factors of the gap to L*."""
    f_min = surface.f_min or 0.0
    return torch.log10((Z - f_min).clamp_min(0) + LOG_OFFSET)


def hessian_at(surface: Surface, point: tuple[float, float]) -> Tensor:
    """The 2 × 2 matrix of second derivatives at `point`: how sharply the surface curves there."""
    beta = torch.tensor(point, dtype=torch.float64)  # (2,)
    return torch.autograd.functional.hessian(lambda b: surface.f(b[0], b[1]), beta)  # (2, 2)


def validate_start(surface: Surface, start: tuple[float, float]) -> None:
    """A start point must be a finite point inside the surface's window."""
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    x, y = start
    if not (math.isfinite(x) and math.isfinite(y) and x0 <= x <= x1 and y0 <= y <= y1):
        raise ConfigError(
            f"The start point must lie in the window x ∈ [{x0:g}, {x1:g}], "
            f"y ∈ [{y0:g}, {y1:g}]; ({x:g}, {y:g}) does not."
        )


def divergence(surface: Surface, point: list[float], loss: float) -> str:
    """Why this point ends a run ("" if it does not): inf/NaN, a huge loss, or far away."""
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    margin = ESCAPE_FACTOR * max(x1 - x0, y1 - y0)
    if not all(math.isfinite(v) for v in (*point, loss)):
        return "β or L became inf/NaN: the steps grew instead of shrinking"
    if loss > MAX_LOSS:
        return f"L passed {MAX_LOSS:.0e}: the steps grew instead of shrinking"
    far = not (x0 - margin <= point[0] <= x1 + margin and y0 - margin <= point[1] <= y1 + margin)
    if loss < -MAX_LOSS or (far and surface.f_min is None):
        return "L kept falling with no bottom: this surface has no minimum in that direction"
    if far:
        return "β left the plotted region far behind: the steps grew instead of shrinking"
    return ""


def nearest_minimum_distance(point: list[float], surface: Surface) -> float | None:
    """How far β is from the closest global minimum (None on a surface without one)."""
    if not surface.minima:
        return None
    return min(math.dist(point, m) for m in surface.minima)


def start_from_selection(
    points: list[dict[str, Any]], surface: Surface
) -> tuple[float, float] | None:
    """The start point a click on the plot picked: the first selected point inside the window."""
    for p in points:
        x, y = p.get("x"), p.get("y")
        if not isinstance(x, int | float) or not isinstance(y, int | float):
            continue
        start = (round(float(x), 3), round(float(y), 3))
        try:
            validate_start(surface, start)
        except ConfigError:
            continue
        return start
    return None
