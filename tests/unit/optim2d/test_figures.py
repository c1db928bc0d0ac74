"""The playground's figures draw what the runs did, up to the chosen step, and never inf/NaN."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from plotly.utils import PlotlyJSONEncoder

from core.optim2d.figures import (
    MARKER_FRACTION,
    PICK_STRIDE,
    THIN_FRACTION,
    loss_figure,
    rule_figure,
    step_figure,
    trajectories_figure,
)
from core.optim2d.race import OptimizerSpec, inside_step, race, run_trajectory, sgd_rule_step
from core.optim2d.surfaces import get_surface, surface_grid, window_around

GRID = 31


@pytest.fixture(scope="module")
def bowl_runs():
    surface = get_surface("Quadratic bowl", 10.0)
    specs = [OptimizerSpec("SGD", {"lr": 0.5}), OptimizerSpec("Adam", {"lr": 0.1})]
    return surface, surface_grid(surface, GRID), race(surface, specs, (-2.0, 1.5), 60)


def numbers(fig) -> list[float]:
    """Every number the browser would receive, as JSON does it (NaN and inf survive as such)."""
    out: list[float] = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, float):
            out.append(value)

    walk(json.loads(fig.to_json()))
    return out


def by_name(fig, name: str):
    return [t for t in fig.data if t.name == name]


def test_paths_are_drawn_up_to_the_chosen_step(bowl_runs):
    surface, grid, (sgd, adam) = bowl_runs
    assert sgd.stopped and adam.steps == 60  # SGD diverged: α = 0.5 > 2/κ
    fig = trajectories_figure(surface, grid, [sgd, adam], 7, (-2.0, 1.5))
    (adam_path,) = by_name(fig, adam.label)
    assert list(adam_path.x) == [p[0] for p in adam.points[:8]]
    assert list(adam_path.y) == [p[1] for p in adam.points[:8]]
    *_, dots, current = [t for t in fig.data if t.legendgroup == adam.label]
    assert (current.x[0], current.y[0]) == tuple(adam.points[7])
    assert (dots.x[-1], dots.y[-1]) == tuple(adam.points[7])  # a step's marker, up to step 7
    late = trajectories_figure(surface, grid, [sgd, adam], 60, (-2.0, 1.5))
    (sgd_path,) = by_name(late, sgd.label)
    assert len(sgd_path.x) == sgd.steps + 1  # a stopped run ends where it stopped
    assert all(math.isfinite(v) for v in numbers(late) if v is not None)


def test_minima_start_and_click_targets_are_on_the_plot(bowl_runs):
    surface, grid, runs = bowl_runs
    fig = trajectories_figure(surface, grid, runs, 0, (-2.0, 1.5))
    (minimum,) = by_name(fig, "global minimum")
    assert list(zip(minimum.x, minimum.y, strict=True)) == list(surface.minima)
    (start,) = by_name(fig, "start")
    assert (start.x[0], start.y[0]) == (-2.0, 1.5)
    (targets,) = by_name(fig, "start here")
    per_axis = len(range(0, GRID, PICK_STRIDE))
    assert len(targets.x) == per_axis**2
    # invisible and cheap: empty labels, which the browser draws nothing for (no markers)
    assert targets.mode == "text" and targets.text == ""
    assert fig.layout.xaxis.range == surface.x_range
    saddle = get_surface("Saddle")
    fig = trajectories_figure(saddle, surface_grid(saddle, GRID), [], 0, saddle.start)
    assert by_name(fig, "saddle point") and not by_name(fig, "global minimum")


def test_steps_that_draw_on_the_same_pixel_are_sent_once(bowl_runs):
    # Late in a run hundreds of steps pile up on one pixel; sending each cost the browser time.
    surface, grid, (_, adam) = bowl_runs
    far = [[-2.0, 1.5], [-1.0, 1.0], *[[0.0, 1e-6 * i] for i in range(200)], [0.5, 0.5]]
    run = replace(adam, points=far, losses=[0.0] * len(far))
    fig = trajectories_figure(surface, grid, [run], len(far) - 1, (-2.0, 1.5))
    faint, solid, _dots, current = [t for t in fig.data if t.legendgroup == run.label]
    assert len(solid.x) == len(faint.x) == 4  # the pile of 200 is one point
    assert list(solid.customdata) == [0, 1, 2, len(far) - 1]  # hover names the true steps
    assert (current.x[0], current.y[0]) == (0.5, 0.5)
    # a step the plot can tell apart is never dropped
    tol = 6.0 * THIN_FRACTION  # the bowl's window is 6 wide
    apart = [[0.0, 0.0], *[[1.01 * tol * i, 0.0] for i in range(1, 50)]]
    run = replace(adam, points=apart, losses=[0.0] * len(apart))
    fig = trajectories_figure(surface, grid, [run], len(apart) - 1, (0.0, 0.0))
    (solid,) = by_name(fig, run.label)
    assert list(solid.x) == [p[0] for p in apart]


def test_step_markers_that_would_overlap_are_drawn_once(bowl_runs):
    # Plotly styles each marker on its own: ~1,100 of them cost the browser 0.2 s a render.
    surface, grid, (_, adam) = bowl_runs
    tol = 6.0 * MARKER_FRACTION  # the bowl's window is 6 wide
    close = [[0.2 * tol * i, 0.0] for i in range(101)]  # 5 steps to a marker's width
    run = replace(adam, points=close, losses=[0.0] * len(close))
    fig = trajectories_figure(surface, grid, [run], len(close) - 1, (0.0, 0.0))
    _faint, solid, dots, _current = [t for t in fig.data if t.legendgroup == run.label]
    assert len(solid.x) == len(close)  # the line still passes through every step
    assert 20 <= len(dots.x) <= 22 and dots.x[-1] == close[-1][0]
    gaps = np.diff(np.asarray(dots.x))
    assert gaps[:-1].min() >= tol * (1 - 1e-9)  # no two markers overlap


def test_margins_are_fixed_so_plotly_draws_each_figure_once(bowl_runs):
    # Plotly's auto-margin draws a figure a second time (~1 s of the Optimizers page); fixed
    # margins must still leave room for the legend rows above the plot.
    surface, grid, runs = bowl_runs
    few = trajectories_figure(surface, grid, runs[:1], 5, (-2.0, 1.5))
    many = trajectories_figure(surface, grid, runs * 4, 5, (-2.0, 1.5))
    for fig in (few, many, loss_figure(surface, runs, 5, 1e-6)):
        assert fig.layout.margin.autoexpand is False
    assert many.layout.margin.t > few.layout.margin.t  # more legend entries, more rows
    for fig in (few, many):  # in a narrower column the legend scrolls inside the top margin
        assert 0 < fig.layout.legend.maxheight < fig.layout.margin.t


def test_contour_values_travel_as_compact_arrays_that_match_the_grid(bowl_runs):
    # Nested lists cost ~1 s of Plotly validation per rerun and 17 digits a value on the wire.
    surface, grid, runs = bowl_runs
    fig = trajectories_figure(surface, grid, runs, 0, (-2.0, 1.5))
    contour = fig.data[0]
    assert isinstance(contour.z, np.ndarray) and contour.z.dtype == np.float32
    np.testing.assert_allclose(contour.z, np.array(grid.z_plot), rtol=1e-6)
    assert "bdata" in json.dumps(fig.to_plotly_json()["data"][0]["z"], cls=PlotlyJSONEncoder)
    (targets,) = by_name(fig, "start here")
    assert targets.x.dtype == np.float64  # a click sends back the grid's exact coordinates
    picked = set(zip(targets.x.tolist(), targets.y.tolist(), strict=True))
    assert (grid.xs[PICK_STRIDE], grid.ys[2 * PICK_STRIDE]) in picked


def test_loss_plot_uses_the_gap_on_a_log_axis_and_marks_the_tolerance(bowl_runs):
    surface, _, runs = bowl_runs
    fig = loss_figure(surface, runs, 10, 1e-4)
    assert fig.layout.yaxis.type == "log"
    (adam,) = by_name(fig, runs[1].label)
    assert len(adam.y) == runs[1].steps + 1 and min(adam.y) > 0
    assert any(s.y0 == 1e-4 for s in fig.layout.shapes)
    # the label sits on its line: annotations on a log axis take log10 of the value
    (label,) = [a for a in fig.layout.annotations if a.text.startswith("tolerance")]
    assert label.yref == "y" and 10**label.y == pytest.approx(1e-4)
    saddle = get_surface("Saddle")
    traj = run_trajectory(saddle, OptimizerSpec("SGD", {"lr": 0.1}), (-1.0, 0.5), 20)
    fig = loss_figure(saddle, [traj], 5, 1e-4)
    assert fig.layout.yaxis.type != "log" and list(fig.data[0].y) == traj.losses


def test_loss_axis_labels_read_as_their_values():
    # Plotly's own log labels read "5, 2, 0.1, 5, 2": 2 and 5 of each decade by one digit.
    bowl = get_surface("Quadratic bowl", 10.0)
    short = run_trajectory(bowl, OptimizerSpec("SGD", {"lr": 0.01}), (-2.5, 2.0), 5)
    axis = loss_figure(bowl, [short], 5, 1e-3).layout.yaxis  # L − L* from 22 to 18
    assert axis.type == "log" and len(axis.tickvals) >= 2
    assert [float(t) for t in axis.ticktext] == pytest.approx(list(axis.tickvals))
    assert min(axis.tickvals) <= min(short.losses) and max(axis.tickvals) >= max(short.losses)
    long = run_trajectory(bowl, OptimizerSpec("SGD", {"lr": 0.1}), (-2.5, 2.0), 300)
    axis = loss_figure(bowl, [long], 5, 1e-3).layout.yaxis  # down to 1e-16: powers of ten
    assert (axis.type, axis.dtick, axis.exponentformat) == ("log", 1, "power")


def test_one_step_up_close_and_the_seed_rule(bowl_runs):
    surface, grid, (_, adam) = bowl_runs
    spec = OptimizerSpec("Adam", {"lr": 0.1})
    inside = inside_step(adam, spec, 3)
    x_range, y_range = window_around([inside.before, inside.after, inside.sgd_end])
    fig = step_figure(surface, surface_grid(surface, 11, x_range, y_range), inside)
    heads = {(a.x, a.y) for a in fig.layout.annotations}
    assert heads == {tuple(inside.after), tuple(inside.sgd_end)}
    rule = sgd_rule_step(surface, (1.0, 1.0), 0.05)
    repeated = run_trajectory(surface, OptimizerSpec("SGD", {"lr": 0.05}), (1.0, 1.0), 10)
    fig = rule_figure(surface, grid, rule, repeated)
    (arrow,) = fig.layout.annotations
    assert (arrow.ax, arrow.ay, arrow.x, arrow.y) == (1.0, 1.0, *rule.beta_new)
