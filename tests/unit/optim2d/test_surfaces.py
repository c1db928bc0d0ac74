"""The 2-D loss surfaces: hand-derived gradients against autograd, minima, grids, the window."""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from core.errors import ConfigError
from core.optim2d.surfaces import (
    ESCAPE_FACTOR,
    LOG_OFFSET,
    MAX_CONDITION,
    MAX_LOSS,
    SURFACE_NAMES,
    divergence,
    get_surface,
    hessian_at,
    nearest_minimum_distance,
    start_from_selection,
    surface_grid,
    validate_start,
    window_around,
)

SURFACES = [get_surface(n) for n in SURFACE_NAMES] + [
    get_surface("Quadratic bowl", k) for k in (1.0, 37.5, MAX_CONDITION)
]
IDS = [f"{s.name}-{s.formula[-12:]}" for s in SURFACES]


def random_points(surface, n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    x = x0 + (x1 - x0) * torch.rand(n, generator=g, dtype=torch.float64)  # (n,)
    y = y0 + (y1 - y0) * torch.rand(n, generator=g, dtype=torch.float64)  # (n,)
    return x, y


@pytest.mark.parametrize("surface", SURFACES, ids=IDS)
def test_hand_derived_gradient_equals_autograd(surface):
    x, y = random_points(surface)
    x.requires_grad_(True)
    y.requires_grad_(True)
    # points are independent, so the gradient of the sum holds each point's own gradient
    surface.f(x, y).sum().backward()
    gx, gy = surface.grad(x.detach(), y.detach())
    assert_close(gx, x.grad)
    assert_close(gy, y.grad)


@pytest.mark.parametrize("surface", SURFACES, ids=IDS)
def test_marked_minima_are_flat_and_at_the_minimum_value(surface):
    for mx, my in surface.minima:
        x = torch.tensor(mx, dtype=torch.float64)
        y = torch.tensor(my, dtype=torch.float64)
        # Himmelblau's three irrational minima are given to 6 decimals
        assert surface.f(x, y).item() == pytest.approx(surface.f_min, abs=1e-8)
        assert all(abs(g.item()) < 1e-4 for g in surface.grad(x, y))
        assert surface.x_range[0] <= mx <= surface.x_range[1]
        assert surface.y_range[0] <= my <= surface.y_range[1]
    for sx, sy in surface.saddles:
        eig = torch.linalg.eigvalsh(hessian_at(surface, (sx, sy)))
        assert eig.min() < 0 < eig.max()  # a saddle: up one way, down the other
    if surface.f_min is not None:  # nothing on the window goes below the minimum
        assert min(min(r) for r in surface_grid(surface, 41).z) >= surface.f_min - 1e-9
    validate_start(surface, surface.start)


def test_every_surface_the_issue_names_is_there():
    assert set(SURFACE_NAMES) == {
        "Quadratic bowl",
        "Rosenbrock",
        "Beale",
        "Himmelblau",
        "Saddle",
        "Rastrigin",
    }
    assert len(get_surface("Himmelblau").minima) == 4
    assert get_surface("Saddle").f_min is None


def test_bowl_condition_number_is_the_ratio_of_its_curvatures():
    for k in (1.0, 10.0, 250.0):
        eig = torch.linalg.eigvalsh(hessian_at(get_surface("Quadratic bowl", k), (0.3, -0.7)))
        assert_close(eig.max() / eig.min(), torch.tensor(k, dtype=torch.float64))


@pytest.mark.parametrize("bad", [0.5, MAX_CONDITION * 2, math.nan])
def test_bowl_condition_outside_its_limits_is_refused(bad):
    with pytest.raises(ConfigError, match="condition number"):
        get_surface("Quadratic bowl", bad)


def test_unknown_surface_is_a_clear_error():
    with pytest.raises(ConfigError, match="Choose one of"):
        get_surface("Ackley")


def test_grid_holds_the_surface_and_its_log_gap():
    surface = get_surface("Rosenbrock")
    grid = surface_grid(surface, 9)
    assert len(grid.xs) == 9 and len(grid.ys) == 9 and len(grid.z) == 9
    i, j = 2, 7  # row i is y = ys[i], column j is x = xs[j]
    value = surface.f(torch.tensor(grid.xs[j]), torch.tensor(grid.ys[i])).item()
    assert grid.z[i][j] == pytest.approx(value)
    assert grid.z_plot[i][j] == pytest.approx(math.log10(value - surface.f_min + LOG_OFFSET))
    linear = surface_grid(get_surface("Rastrigin"), 9)
    assert linear.z_plot == linear.z


def test_a_grid_can_cover_a_small_window():
    surface = get_surface("Beale")
    grid = surface_grid(surface, 5, (2.9, 3.1), (0.4, 0.6))
    assert grid.xs[0] == pytest.approx(2.9) and grid.ys[-1] == pytest.approx(0.6)
    (x0, x1), (y0, y1) = window_around([[1.0, 2.0], [1.0, 2.0 + 1e-13]])
    assert x0 < 1.0 < x1 and y0 < 2.0 < y1 and x1 > x0


@pytest.mark.parametrize("start", [(9.0, 0.0), (0.0, -9.0), (math.nan, 0.0), (0.0, math.inf)])
def test_start_outside_the_window_is_refused(start):
    with pytest.raises(ConfigError, match="window"):
        validate_start(get_surface("Himmelblau"), start)


def test_divergence_names_the_cause():
    bowl, saddle = get_surface("Quadratic bowl"), get_surface("Saddle")
    far = ESCAPE_FACTOR * 6 + 10
    assert divergence(bowl, [0.5, 0.5], 0.3) == ""
    assert divergence(bowl, [20.0, 0.0], 200.0) == ""  # outside the plot, but may come back
    assert "inf/NaN" in divergence(bowl, [math.nan, 0.0], math.nan)
    assert "inf/NaN" in divergence(bowl, [1.0, 0.0], math.inf)
    assert "steps grew" in divergence(bowl, [1.0, 0.0], MAX_LOSS * 10)
    assert "far behind" in divergence(bowl, [far, 0.0], 0.5 * far**2)
    assert "no bottom" in divergence(saddle, [0.0, far], -(far**2))


def test_a_click_picks_the_first_selected_point_inside_the_window():
    surface = get_surface("Rosenbrock")
    assert start_from_selection([], surface) is None
    points = [
        {"x": "a", "y": 1.0},  # not a number
        {"x": 5.0, "y": 1.0},  # outside the window
        {"curve_number": 1, "x": 0.30000001, "y": -0.5},
        {"x": 1.0, "y": 1.0},
    ]
    assert start_from_selection(points, surface) == (0.3, -0.5)
    assert start_from_selection([{"point_index": 3}], surface) is None


def test_distance_to_the_nearest_of_several_minima():
    himmelblau = get_surface("Himmelblau")
    assert nearest_minimum_distance([3.0, 2.5], himmelblau) == pytest.approx(0.5)
    assert nearest_minimum_distance([0.0, 0.0], get_surface("Saddle")) is None
