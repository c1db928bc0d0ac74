"""Real `torch.optim` optimizers walking over a 2-D loss surface, step by step.

The parameter is one 2-element tensor β = (x, y). Each run is the training loop of any model
(zero_grad -> loss -> backward -> step), so what the page draws is exactly what torch.optim does;
we only record where β goes, the gradient it saw, and the optimizer's state after each step.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from core.engine.learning.optimizers import OPTIMIZERS as ENGINE_OPTIMIZERS
from core.engine.learning.optimizers import (
    HyperParam,
    OptimizerInfo,
    optimizer_settings,
    torch_kwargs,
)
from core.errors import ConfigError, LimitError, TorchlabError
from core.optim2d.surfaces import Surface, divergence, hessian_at, validate_start

MAX_STEPS = 2000  # steps per run; at ~0.3 ms a step on a CPU core, 8 such runs take seconds
MAX_RUNS = 8  # optimizers raced at once
MIN_LR = 1e-6
MAX_LR = 10.0
RULE_STEPS = 50  # how many times the page repeats the seed's rule to show where it leads


class DivergedError(TorchlabError):
    """A single gradient step left the surface (inf, NaN or far away); see `sgd_rule_step`."""


@dataclass(frozen=True)
class Variant:
    """One racer: an optimizer of the engine's registry, as the playground offers it."""

    name: str  # what the page calls it
    optimizer: str  # the key of core.engine.learning.optimizers.VARIANTS it runs
    lr: float  # the learning rate it starts from (each surface suggests its own)
    shown: tuple[str, ...]  # the registry's settings the page offers (besides lr), in order
    defaults: dict[str, float] = field(default_factory=dict)  # where it starts off torch's
    fixed: dict[str, Any] = field(default_factory=dict)  # settings that make the variant
    note: str = ""  # the idea behind it; empty = the registry's update rule

    @property
    def info(self) -> OptimizerInfo:
        return ENGINE_OPTIMIZERS[self.optimizer]

    @property
    def hparams(self) -> tuple[HyperParam, ...]:
        """The learning rate first, then the shown settings with this variant's defaults."""
        params = {p.name: p for p in self.info.params}
        shown = (
            replace(params[n], default=self.defaults.get(n, params[n].default)) for n in self.shown
        )
        return (replace(LR, default=self.lr), *shown)

    @property
    def rule(self) -> str:
        return self.note or self.info.rule


LR = HyperParam("lr", "learning rate α", 0.01, MIN_LR, MAX_LR, "The step size.")  # on a surface
_MOMENTUM_RULE = (
    "v ← μ·v + g, β ← β − α·v: a heavy ball that keeps rolling in a consistent direction."
)

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("SGD", "SGD", 0.01, ()),
        Variant("Momentum", "SGD", 0.01, ("momentum",), {"momentum": 0.9}, note=_MOMENTUM_RULE),
        Variant(
            "Nesterov",
            "SGD",
            0.01,
            ("momentum",),
            {"momentum": 0.9},
            {"nesterov": True},
            "Momentum that steps with g + μ·v, a look at where the velocity is taking it.",
        ),
        Variant("Adagrad", "Adagrad", 0.5, ("initial_accumulator_value", "eps")),
        Variant("RMSprop", "RMSprop", 0.01, ("alpha", "eps", "momentum", "centered")),
        Variant("Adadelta", "Adadelta", 1.0, ("rho", "eps")),
        Variant("Adam", "Adam", 0.05, ("beta1", "beta2", "eps")),
        Variant("AdamW", "AdamW", 0.05, ("beta1", "beta2", "eps", "weight_decay")),
    )
}


@dataclass
class OptimizerSpec:
    name: str  # a key of VARIANTS
    hparams: dict[str, float | bool] = field(default_factory=dict)  # overrides of the defaults

    @property
    def lr(self) -> float:
        variant = VARIANTS.get(self.name)
        return float(self.hparams.get("lr", variant.lr if variant else math.nan))

    @property
    def label(self) -> str:
        return f"{self.name} (α={self.lr:g})"


def suggested_spec(surface: Surface, name: str) -> OptimizerSpec:
    """The optimizer with its defaults and a learning rate that suits this surface."""
    defaults = {h.name: h.default for h in VARIANTS[name].hparams}
    return OptimizerSpec(name, {**defaults, "lr": surface.suggested_lr[name]})


def optimizer_kwargs(spec: OptimizerSpec) -> dict[str, Any]:
    """Check every hyper-parameter against the registry's limits; torch.optim keywords."""
    variant = VARIANTS.get(spec.name)
    if variant is None:
        raise ConfigError(f"Unknown optimizer {spec.name!r}. Choose one of: {', '.join(VARIANTS)}.")
    hparams = {h.name: h for h in variant.hparams}
    unknown = set(spec.hparams) - set(hparams)
    if unknown:
        raise ConfigError(f"{spec.name} has no setting {', '.join(sorted(unknown))}.")
    values = {n: spec.hparams.get(n, h.default) for n, h in hparams.items()}
    lr = values.pop("lr")
    if not (isinstance(lr, int | float) and math.isfinite(lr) and MIN_LR <= lr <= MAX_LR):
        raise ConfigError(f"{spec.name}: {LR.label} must be between {MIN_LR:g} and {MAX_LR:g}.")
    settings = optimizer_settings(variant.optimizer, values | variant.fixed)
    # Only what the page shows goes to torch, so the code behind the page reads as written.
    chosen = {n: settings[n] for n in (*values, *variant.fixed)}
    return {"lr": float(lr), **torch_kwargs(variant.optimizer, chosen)}


def make_optimizer(spec: OptimizerSpec, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    """The real torch.optim optimizer the spec describes, over `params`."""
    kwargs = optimizer_kwargs(spec)  # first: it explains an unknown name
    return VARIANTS[spec.name].info.cls(params, **kwargs)


@dataclass
class Trajectory:
    label: str  # e.g. "Adam (α=0.05)"
    name: str  # the optimizer, a key of VARIANTS
    points: list[list[float]]  # (T+1, 2) β after each step; points[0] is the start
    losses: list[float]  # (T+1,) L at each point
    grads: list[list[float]]  # (T, 2) ∂L/∂β at points[t]: the gradient that step t+1 used
    states: list[dict[str, list[float]]]  # (T,) the optimizer's state for β after each step
    stopped: str = ""  # why the run ended before its last step ("" = it ran them all)

    @property
    def steps(self) -> int:
        return len(self.points) - 1


def snapshot_state(state: dict[str, Any]) -> dict[str, list[float]]:
    """The optimizer's per-parameter state as plain numbers (vectors stay (2,), scalars (1,))."""
    return {
        key: value.detach().reshape(-1).tolist()
        for key, value in state.items()
        if isinstance(value, torch.Tensor)
    }


def run_trajectory(
    surface: Surface,
    spec: OptimizerSpec,
    start: tuple[float, float],
    num_steps: int,
    device: str = "cpu",
) -> Trajectory:
    """Run `num_steps` steps of the real optimizer from `start`, stopping early if it diverges."""
    if not 1 <= num_steps <= MAX_STEPS:
        raise LimitError(f"Steps must be 1 to {MAX_STEPS:,}, not {num_steps}.")
    validate_start(surface, start)
    # float64 keeps the runs comparable with the hand-derived maths; Apple's mps has no float64
    dtype = torch.float32 if torch.device(device).type == "mps" else torch.float64
    beta = torch.tensor(start, dtype=dtype, device=device, requires_grad=True)  # (2,)
    optimizer = make_optimizer(spec, [beta])
    loss = surface.f(beta[0], beta[1])  # ()
    traj = Trajectory(spec.label, spec.name, [beta.tolist()], [loss.item()], [], [])
    for t in range(1, num_steps + 1):
        optimizer.zero_grad()
        loss.backward()
        grad = beta.grad.tolist()
        optimizer.step()
        loss = surface.f(beta[0], beta[1])  # () also the loss the next step differentiates
        point, value = beta.tolist(), loss.item()
        reason = divergence(surface, point, value)
        if reason:
            traj.stopped = f"{spec.label} stopped at step {t}: {reason}."
            break
        traj.points.append(point)
        traj.losses.append(value)
        traj.grads.append(grad)
        traj.states.append(snapshot_state(optimizer.state[beta]))
    return traj


def race(
    surface: Surface,
    specs: list[OptimizerSpec],
    start: tuple[float, float],
    num_steps: int,
    device: str = "cpu",
) -> list[Trajectory]:
    """Every optimizer from the same start, for the same number of steps."""
    if not specs:
        raise ConfigError("Pick at least one optimizer to run.")
    if len(specs) > MAX_RUNS:
        raise LimitError(f"At most {MAX_RUNS} optimizers race at once, not {len(specs)}.")
    return [run_trajectory(surface, spec, start, num_steps, device) for spec in specs]


def steps_to_tolerance(traj: Trajectory, surface: Surface, tol: float) -> int | None:
    """The first step at which L − L* ≤ tol (None if never, or if there is no minimum)."""
    if surface.f_min is None:
        return None
    return next((t for t, v in enumerate(traj.losses) if v - surface.f_min <= tol), None)


# What each entry of torch.optim's per-parameter state holds, for the "inside" table.
STATE_NOTES: dict[str, tuple[str, str]] = {
    "momentum_buffer": ("velocity v", "v ← μ·v + g: past gradients keep pushing; β follows v"),
    "sum": ("Σ g² (Adagrad)", "all squared gradients so far: steps divide by its root"),
    "square_avg": ("E[g²]", "running average of g²: steps divide by its root"),
    "acc_delta": ("E[Δβ²]", "running average of squared steps: Adadelta's own α"),
    "grad_avg": ("E[g]", "centered RMSprop divides by the variance E[g²] − E[g]²"),
    "exp_avg": ("m", "running average of g (Adam's momentum), biased toward 0 at first"),
    "exp_avg_sq": ("v", "running average of g² (Adam's scale), biased toward 0 at first"),
}


@dataclass
class StateRow:
    quantity: str  # what the number is
    x: float | None  # its x component (None where it is undefined, e.g. 0/0)
    y: float | None  # its y component
    meaning: str  # why it matters for the step


@dataclass
class InsideStep:
    k: int  # which step (1-based)
    before: list[float]  # (2,) β where the step starts
    after: list[float]  # (2,) β where it ends
    sgd_end: list[float]  # (2,) where plain SGD, β − α·g, would have gone instead
    rows: list[StateRow]  # the numbers, for a table


def resolution(*values: float) -> float:
    """The smallest change a float of these values' size can hold, a little generously:
    two roundings of the larger one (4.4e-16 near 1, 4e-28 near 1e-12)."""
    return 2 * sys.float_info.epsilon * max(abs(v) for v in values)


def undust(value: float, resolution: float) -> float:
    """0 where `value` is below `resolution` (rounding, not a number to read), else value."""
    return 0.0 if abs(value) <= resolution else value


def inside_step(traj: Trajectory, spec: OptimizerSpec, k: int) -> InsideStep:
    """Step k of a run (1-based) taken apart: gradient, optimizer state, and the step it made."""
    if not 1 <= k <= traj.steps:
        raise ConfigError(f"{traj.label} made {traj.steps} steps; there is no step {k}.")
    before, after = traj.points[k - 1], traj.points[k]
    g, state = traj.grads[k - 1], traj.states[k - 1]
    rows = [
        StateRow("β before the step", *before, "where step k starts"),
        StateRow("g = ∂L/∂β", *g, "the gradient autograd computed there"),
    ]
    for key, value in state.items():
        if len(value) == 2:
            name, meaning = STATE_NOTES.get(key, (key, ""))
            rows.append(StateRow(name, *value, meaning))
    if "exp_avg" in state:
        b1, b2 = optimizer_kwargs(spec)["betas"]
        t = state["step"][0]
        m_hat = [m / (1 - b1**t) for m in state["exp_avg"]]
        v_hat = [v / (1 - b2**t) for v in state["exp_avg_sq"]]
        rows.append(StateRow("m̂ = m / (1 − β₁ᵗ)", *m_hat, "bias-corrected average of g"))
        rows.append(StateRow("v̂ = v / (1 − β₂ᵗ)", *v_hat, "bias-corrected average of g²"))
    if not state:
        rows.append(StateRow("(no state)", None, None, "plain SGD remembers nothing"))
    # Float dust is judged per coordinate against β's own resolution there, never against a
    # fixed 1e-12: near β = 2 a step of 4e-16 is one rounding of β (dust), near β = 1e-12 a
    # step of 2e-14 is a real one. A gradient is dust when its SGD step would be.
    res = [resolution(b, a) for b, a in zip(before, after, strict=True)]
    delta = [undust(a - b, r) for a, b, r in zip(after, before, res, strict=True)]
    g = [undust(gi, r / spec.lr) for gi, r in zip(g, res, strict=True)]
    rows[1] = StateRow("g = ∂L/∂β", *g, "the gradient autograd computed there")
    sgd_step = [0.0 - spec.lr * gi for gi in g]  # 0.0 - 0.0 is 0, where -0.0 would print
    per_grad = [d / -gi if gi != 0 and d != 0 else None for d, gi in zip(delta, g, strict=True)]
    rows += [
        StateRow("Δβ, the step taken", *delta, "what the optimizer actually did"),
        StateRow("−α·g, plain SGD's step", *sgd_step, "the seed's rule with the same α"),
        StateRow(
            "Δβ ÷ (−g)",
            *per_grad,
            "step per unit of gradient: α for SGD, adapted per coordinate by the others",
        ),
    ]
    sgd_end = [b + s for b, s in zip(before, sgd_step, strict=True)]
    return InsideStep(k, before, after, sgd_end, rows)


@dataclass
class RuleStep:
    lr: float  # α
    beta: list[float]  # (2,) β before the step
    grad: list[float]  # (2,) ∂L/∂β from autograd
    grad_by_hand: list[float]  # (2,) the surface's hand-derived gradient, for comparison
    step: list[float]  # (2,) α·∂L/∂β, what the rule subtracts
    beta_new: list[float]  # (2,) β − α·∂L/∂β, as torch.optim.SGD computed it
    loss: float  # L(β)
    loss_new: float  # L(β_new)
    curvature: float  # λ_max, the largest eigenvalue of the Hessian at β
    stability_limit: float | None  # 2/λ_max: a larger α overshoots here (None if λ_max ≤ 0)


def sgd_rule_step(surface: Surface, point: tuple[float, float], lr: float) -> RuleStep:
    """One step of β ← β − α·∂L/∂β at `point`, made by torch.optim.SGD, with every number."""
    validate_start(surface, point)
    kwargs = optimizer_kwargs(OptimizerSpec("SGD", {"lr": lr}))
    beta = torch.tensor(point, dtype=torch.float64, requires_grad=True)  # (2,)
    optimizer = torch.optim.SGD([beta], **kwargs)
    loss = surface.f(beta[0], beta[1])  # ()
    loss.backward()
    grad = beta.grad.tolist()
    optimizer.step()
    beta_new = beta.tolist()
    with torch.no_grad():
        loss_new = surface.f(beta[0], beta[1]).item()
    if not all(math.isfinite(v) for v in (*beta_new, loss_new)):
        raise DivergedError(f"With α = {lr:g} a single step already reaches inf or NaN.")
    curvature = torch.linalg.eigvalsh(hessian_at(surface, point)).max().item()
    by_hand = [v.item() for v in surface.grad(*torch.tensor(point, dtype=torch.float64))]
    return RuleStep(
        lr=lr,
        beta=list(point),
        grad=grad,
        grad_by_hand=by_hand,
        step=[lr * gi for gi in grad],
        beta_new=beta_new,
        loss=loss.item(),
        loss_new=loss_new,
        curvature=curvature,
        stability_limit=2.0 / curvature if curvature > 0 else None,
    )
