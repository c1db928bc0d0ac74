"""Trajectories are torch.optim itself: the same numbers as running the optimizer by hand."""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from core.errors import ConfigError, LimitError
from core.optim2d.race import (
    MAX_RUNS,
    MAX_STEPS,
    RULE_STEPS,
    VARIANTS,
    DivergedError,
    OptimizerSpec,
    Trajectory,
    inside_step,
    race,
    run_trajectory,
    sgd_rule_step,
    steps_to_tolerance,
    suggested_spec,
)
from core.optim2d.surfaces import OPTIMIZER_ORDER, SURFACE_NAMES, Surface, get_surface

NUM_STEPS = 40

# Each page optimizer, with settings away from the defaults, and the torch.optim call a learner
# would write for it. Written out here (not taken from core) so the mapping is tested too.
BY_HAND = {
    "SGD": ({"lr": 0.002}, torch.optim.SGD, {"lr": 0.002}),
    "Momentum": (
        {"lr": 0.001, "momentum": 0.8},
        torch.optim.SGD,
        {"lr": 0.001, "momentum": 0.8},
    ),
    "Nesterov": (
        {"lr": 0.001, "momentum": 0.95},
        torch.optim.SGD,
        {"lr": 0.001, "momentum": 0.95, "nesterov": True},
    ),
    "Adagrad": (
        {"lr": 0.4, "initial_accumulator_value": 0.1, "eps": 1e-9},
        torch.optim.Adagrad,
        {"lr": 0.4, "initial_accumulator_value": 0.1, "eps": 1e-9},
    ),
    "RMSprop": (
        {"lr": 0.02, "alpha": 0.9, "eps": 1e-7, "momentum": 0.5, "centered": True},
        torch.optim.RMSprop,
        {"lr": 0.02, "alpha": 0.9, "eps": 1e-7, "momentum": 0.5, "centered": True},
    ),
    "Adadelta": (
        {"lr": 2.0, "rho": 0.8, "eps": 1e-5},
        torch.optim.Adadelta,
        {"lr": 2.0, "rho": 0.8, "eps": 1e-5},
    ),
    "Adam": (
        {"lr": 0.07, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
        torch.optim.Adam,
        {"lr": 0.07, "betas": (0.8, 0.99), "eps": 1e-6},
    ),
    "AdamW": (
        {"lr": 0.07, "beta1": 0.85, "beta2": 0.995, "eps": 1e-8, "weight_decay": 0.2},
        torch.optim.AdamW,
        {"lr": 0.07, "betas": (0.85, 0.995), "eps": 1e-8, "weight_decay": 0.2},
    ),
}


def by_hand(surface: Surface, cls, kwargs, start, num_steps: int):
    """The ordinary training loop on a 2-element parameter; every point, loss and state kept."""
    beta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = cls([beta], **kwargs)
    points, losses, grads, states = [beta.detach().clone()], [], [], []
    for _ in range(num_steps):
        optimizer.zero_grad()
        loss = surface.f(beta[0], beta[1])
        loss.backward()
        losses.append(loss.detach().clone())
        grads.append(beta.grad.clone())
        optimizer.step()
        points.append(beta.detach().clone())
        states.append({k: v.clone() for k, v in optimizer.state[beta].items()})
    losses.append(surface.f(beta[0], beta[1]).detach())
    return torch.stack(points), torch.stack(losses), torch.stack(grads), states


def test_the_registry_and_the_suggestions_cover_the_same_optimizers():
    assert tuple(VARIANTS) == OPTIMIZER_ORDER == tuple(BY_HAND)
    for name in SURFACE_NAMES:
        surface = get_surface(name)
        for opt in VARIANTS:
            assert suggested_spec(surface, opt).lr == surface.suggested_lr[opt]


@pytest.mark.parametrize("name", list(BY_HAND))
@pytest.mark.parametrize("surface_name", ["Rosenbrock", "Himmelblau"])
def test_trajectory_equals_running_torch_optim_by_hand(name, surface_name):
    surface = get_surface(surface_name)
    hparams, cls, kwargs = BY_HAND[name]
    start = (-1.1, 1.3)
    traj = run_trajectory(surface, OptimizerSpec(name, hparams), start, NUM_STEPS)
    assert traj.stopped == "" and traj.steps == NUM_STEPS
    points, losses, grads, states = by_hand(surface, cls, kwargs, start, NUM_STEPS)
    dt = torch.float64
    assert_close(torch.tensor(traj.points, dtype=dt), points, rtol=0, atol=0)
    assert_close(torch.tensor(traj.losses, dtype=dt), losses, rtol=0, atol=0)
    assert_close(torch.tensor(traj.grads, dtype=dt), grads, rtol=0, atol=0)
    for ours, theirs in zip(traj.states, states, strict=True):
        assert set(ours) == set(theirs)
        for key, value in theirs.items():
            assert_close(torch.tensor(ours[key], dtype=value.dtype), value.reshape(-1))


def test_race_runs_every_optimizer_from_the_same_start():
    surface = get_surface("Quadratic bowl", 20.0)
    specs = [suggested_spec(surface, n) for n in ("SGD", "Adam", "Adam")]
    trajs = race(surface, specs, (2.0, -1.0), 15)
    assert [t.points[0] for t in trajs] == [[2.0, -1.0]] * 3
    assert trajs[1].points == trajs[2].points  # deterministic
    assert trajs[0].points != trajs[1].points


def test_a_too_large_learning_rate_stops_the_run_with_a_message_and_no_inf():
    surface = get_surface("Quadratic bowl", 10.0)  # SGD is stable only for α < 2/κ = 0.2
    traj = run_trajectory(surface, OptimizerSpec("SGD", {"lr": 0.5}), (1.0, 1.0), MAX_STEPS)
    assert 0 < traj.steps < MAX_STEPS
    assert f"stopped at step {traj.steps + 1}" in traj.stopped
    assert "SGD (α=0.5)" in traj.stopped
    numbers = [v for p in traj.points for v in p] + traj.losses
    assert all(math.isfinite(v) for v in numbers)
    assert len(traj.grads) == len(traj.states) == traj.steps
    stable = run_trajectory(surface, OptimizerSpec("SGD", {"lr": 0.19}), (1.0, 1.0), 200)
    assert stable.stopped == "" and stable.losses[-1] < 1e-6


def test_the_saddle_has_no_bottom_and_says_so():
    saddle = get_surface("Saddle")
    traj = run_trajectory(saddle, OptimizerSpec("Momentum", {"lr": 0.05}), (-1.0, 0.1), 500)
    assert "no bottom" in traj.stopped
    stuck = run_trajectory(saddle, OptimizerSpec("SGD", {"lr": 0.1}), (-1.0, 0.0), 200)
    assert stuck.stopped == "" and stuck.points[-1] == pytest.approx([0.0, 0.0], abs=1e-12)


def test_steps_to_tolerance_is_the_first_step_within_it():
    surface = get_surface("Himmelblau")
    traj = run_trajectory(surface, suggested_spec(surface, "SGD"), surface.start, 300)
    reached = steps_to_tolerance(traj, surface, 1e-3)
    assert reached is not None and reached > 0
    assert traj.losses[reached] <= 1e-3 < min(traj.losses[:reached])
    assert steps_to_tolerance(traj, surface, -1.0) is None
    saddle = get_surface("Saddle")
    assert (
        steps_to_tolerance(run_trajectory(saddle, OptimizerSpec("SGD"), (1, 1), 5), saddle, 1)
        is None
    )


def test_inside_adam_the_bias_corrected_moments_give_the_step():
    surface = get_surface("Beale")
    spec = OptimizerSpec("Adam", {"lr": 0.05, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8})
    traj = run_trajectory(surface, spec, surface.start, 12)
    for k in (1, 2, 12):
        rows = {r.quantity: (r.x, r.y) for r in inside_step(traj, spec, k).rows}
        m_hat = torch.tensor(rows["m̂ = m / (1 − β₁ᵗ)"])
        v_hat = torch.tensor(rows["v̂ = v / (1 − β₂ᵗ)"])
        delta = torch.tensor(rows["Δβ, the step taken"])
        # Adam's rule from the paper, checked against the step torch.optim.Adam really made
        assert_close(delta, -0.05 * m_hat / (v_hat.sqrt() + 1e-8))
        assert_close(torch.tensor(rows["g = ∂L/∂β"]), torch.tensor(traj.grads[k - 1]))


def test_inside_momentum_the_step_follows_the_velocity_and_sgd_follows_the_gradient():
    surface = get_surface("Rosenbrock")
    spec = OptimizerSpec("Momentum", {"lr": 0.001, "momentum": 0.9})
    traj = run_trajectory(surface, spec, surface.start, 5)
    inside = inside_step(traj, spec, 5)
    rows = {r.quantity: (r.x, r.y) for r in inside.rows}
    assert_close(
        torch.tensor(rows["Δβ, the step taken"]), -0.001 * torch.tensor(rows["velocity v"])
    )
    sgd = OptimizerSpec("SGD", {"lr": 0.001})
    inside = inside_step(run_trajectory(surface, sgd, surface.start, 5), sgd, 3)
    rows = {r.quantity: (r.x, r.y) for r in inside.rows}
    assert rows["Δβ ÷ (−g)"] == pytest.approx((0.001, 0.001))
    assert rows["(no state)"] == (None, None)
    assert inside.sgd_end == pytest.approx(inside.after)
    with pytest.raises(ConfigError, match="no step 6"):
        inside_step(traj, spec, 6)


def test_the_seed_rule_is_one_sgd_step_with_every_number_shown():
    surface = get_surface("Himmelblau")
    rule = sgd_rule_step(surface, (1.0, -2.0), 0.01)
    beta = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    surface.f(beta[0], beta[1]).backward()
    dt = torch.float64
    assert_close(torch.tensor(rule.grad, dtype=dt), beta.grad)
    assert_close(torch.tensor(rule.grad_by_hand, dtype=dt), beta.grad)
    expected = beta.detach() - 0.01 * beta.grad
    assert_close(torch.tensor(rule.beta_new, dtype=dt), expected)
    assert rule.loss_new == pytest.approx(surface.f(*expected).item())


def test_the_seed_rule_knows_where_sgd_starts_to_diverge():
    bowl = get_surface("Quadratic bowl", 50.0)
    rule = sgd_rule_step(bowl, (1.0, 1.0), 0.01)
    assert rule.curvature == pytest.approx(50.0)
    assert rule.stability_limit == pytest.approx(2 / 50)
    for lr, diverges in ((0.9 * 2 / 50, False), (1.1 * 2 / 50, True)):
        traj = run_trajectory(bowl, OptimizerSpec("SGD", {"lr": lr}), (1.0, 1.0), 300)
        assert bool(traj.stopped) is diverges
    # The page repeats the rule RULE_STEPS times: a run of that length is within the limits.
    repeated = run_trajectory(bowl, OptimizerSpec("SGD", {"lr": 0.01}), (1.0, 1.0), RULE_STEPS)
    assert repeated.steps == RULE_STEPS and len(repeated.losses) == RULE_STEPS + 1
    assert sgd_rule_step(get_surface("Saddle"), (0.5, 0.5), 0.1).stability_limit == 1.0


def test_a_step_that_overflows_is_an_error_not_a_nan():
    huge = Surface(
        name="huge",
        formula="",
        grad_formula="",
        f=lambda x, y: 1e300 * (x**2 + y**2),
        grad=lambda x, y: (2e300 * x, 2e300 * y),
        x_range=(-1.0, 1.0),
        y_range=(-1.0, 1.0),
        minima=((0.0, 0.0),),
        f_min=0.0,
        start=(0.5, 0.5),
        log_levels=True,
        note="",
        suggested_lr={},
    )
    with pytest.raises(DivergedError, match="inf or NaN"):
        sgd_rule_step(huge, (0.5, 0.5), 1.0)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (OptimizerSpec("Adamax"), "Unknown optimizer"),
        (OptimizerSpec("SGD", {"momentum": 0.9}), "no setting momentum"),
        (OptimizerSpec("SGD", {"lr": 0.0}), "learning rate"),
        (OptimizerSpec("Adam", {"lr": 100.0}), "learning rate"),
        (OptimizerSpec("Adam", {"beta2": 1.0}), "β₂"),
        (OptimizerSpec("Nesterov", {"momentum": 0.0}), "momentum"),
        (OptimizerSpec("RMSprop", {"eps": math.nan}), "ε"),
    ],
)
def test_settings_outside_their_limits_are_refused(spec, match):
    with pytest.raises(ConfigError, match=match):
        run_trajectory(get_surface("Beale"), spec, (1.0, 1.0), 3)


def test_step_and_run_limits():
    bowl = get_surface("Quadratic bowl")
    for steps in (0, MAX_STEPS + 1):
        with pytest.raises(LimitError, match="Steps"):
            run_trajectory(bowl, OptimizerSpec("SGD"), (1.0, 1.0), steps)
    with pytest.raises(LimitError, match=f"At most {MAX_RUNS}"):
        race(bowl, [OptimizerSpec("SGD")] * (MAX_RUNS + 1), (1.0, 1.0), 3)
    with pytest.raises(ConfigError, match="at least one"):
        race(bowl, [], (1.0, 1.0), 3)
    with pytest.raises(ConfigError, match="window"):
        run_trajectory(bowl, OptimizerSpec("SGD"), (10.0, 1.0), 3)


def test_a_trajectory_is_plain_data():
    traj = run_trajectory(get_surface("Rastrigin"), OptimizerSpec("RMSprop"), (1.0, 1.0), 3)
    assert isinstance(traj, Trajectory)
    assert all(type(v) is float for p in traj.points for v in p)
