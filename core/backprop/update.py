"""One step of gradient descent by hand, and what the learning rate does to that step.

β ← β − α·∂L/∂β for every parameter β of the tiny network in core.backprop.tinynet, next to
torch.optim.SGD doing the same; then what each learning rate does over several steps (one
verdict per rate: too small, good, too large) and the loss along the first step's direction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from core.backprop.tinynet import (
    LABELS,
    PARAMS,
    TinyNet,
    agree,
    forward,
    hand_gradients,
    named_numbers,
    torch_forward,
)
from core.errors import LimitError

MAX_LR = 10.0  # largest learning rate the demo takes
LR_CHOICES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)  # the slider's α
NUM_STEPS = 20  # gradient-descent steps in the "several steps" curve
MAX_STEPS = 200  # most steps that curve may take
GOOD_SHARE = 0.1  # "good": within NUM_STEPS steps the loss falls under this share of L₀
VERDICT_NAMES = ("too small", "good", "too large")


@dataclass(frozen=True)
class Update:
    lr: float  # α, the learning rate
    before: dict[str, float]  # β before the step
    grads: dict[str, float]  # ∂L/∂β by hand
    by_hand: dict[str, float]  # β − α·∂L/∂β
    by_sgd: dict[str, float]  # what torch.optim.SGD(...).step() left in the tensors
    loss_before: float  # L at β
    loss_after: float  # L at the new β (inf if the step overflowed)

    @property
    def loss_change(self) -> float:
        return self.loss_after - self.loss_before

    def rows(self) -> list[dict[str, object]]:
        """One row per parameter: the update by hand next to SGD's, and whether they agree."""
        return [
            {
                "β": LABELS[k],
                "β before": self.before[k],
                "∂L/∂β": self.grads[k],
                "α·∂L/∂β": self.lr * self.grads[k],
                "β − α·∂L/∂β (by hand)": self.by_hand[k],
                "after SGD.step()": self.by_sgd[k],
                "agree": agree(self.by_hand[k], self.by_sgd[k]),
            }
            for k in PARAMS
        ]


def check_lr(lr: float) -> float:
    if not (math.isfinite(lr) and 0.0 < lr <= MAX_LR):
        raise LimitError(f"The learning rate must be in (0, {MAX_LR:g}], not {lr:g}.")
    return float(lr)


def stepped(net: TinyNet, grads: dict[str, float], lr: float) -> TinyNet:
    """The same network after β ← β − α·∂L/∂β."""
    params = {k: b - lr * grads[k] for k, b in net.params.items()}
    return TinyNet(net.x, net.y, params, net.activation, net.loss)


def safe_loss(net: TinyNet) -> float:
    """L, or inf when a huge step overflowed: a number to plot, not a crash."""
    try:
        loss = forward(net)["L"]
    except (ArithmeticError, ValueError):
        return math.inf
    return loss if math.isfinite(loss) else math.inf


def sgd_update(net: TinyNet, lr: float) -> Update:
    """One step of gradient descent by hand, next to torch.optim.SGD doing the same step."""
    lr = check_lr(lr)
    grads = hand_gradients(net)
    after = stepped(net, grads, lr)
    t, loss = torch_forward(net)
    optimizer = torch.optim.SGD([t["W1"], t["b1"], t["w2"], t["b2"]], lr=lr)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    by_sgd = named_numbers(t)  # the parameters as SGD left them
    return Update(
        lr, dict(net.params), {k: grads[k] for k in PARAMS}, after.params, by_sgd,
        forward(net)["L"], safe_loss(after),
    )  # fmt: skip


@dataclass(frozen=True)
class Rate:
    """What one learning rate does to this net: one verdict, from one criterion."""

    lr: float  # α
    verdict: str  # "too small", "good", "too large" or "no gradient"
    losses: list[float]  # L before and after each of NUM_STEPS steps (ends early at inf)
    first_step_up: bool  # the first step lands higher than it started: it overshoots
    steps_to_good: int | None  # the first step after which L ≤ GOOD_SHARE·L₀ (None: never)

    @property
    def start(self) -> float:
        return self.losses[0]

    @property
    def end(self) -> float:
        return self.losses[-1]


def judge_rate(net: TinyNet, lr: float, num_steps: int = NUM_STEPS) -> Rate:
    """The verdict on α, from `num_steps` steps of gradient descent, never from float noise:

    - "too large": the loss ends higher than it started, or overflows;
    - "good": it falls under GOOD_SHARE of where it started (1e-17 and 2e-17 are both that);
    - "too small": it went down, but not that far.
    """
    lr = check_lr(lr)
    losses = descent(net, lr, num_steps)
    start = losses[0]
    grads = hand_gradients(net)
    up = len(losses) > 1 and not losses[1] < start
    reached = next((i for i, v in enumerate(losses) if i and v <= GOOD_SHARE * start), None)
    if all(grads[k] == 0.0 for k in PARAMS):
        verdict = "no gradient"
    elif not (math.isfinite(losses[-1]) and losses[-1] < start):
        verdict = "too large"
    elif reached is not None:
        verdict = "good"
    else:
        verdict = "too small"
    return Rate(lr, verdict, losses, up, reached)


def judge_rates(net: TinyNet, num_steps: int = NUM_STEPS) -> dict[float, Rate]:
    """Every α of the slider, judged the same way (judge_rate)."""
    return {a: judge_rate(net, a, num_steps) for a in LR_CHOICES}


def references(rates: dict[float, Rate]) -> dict[str, float]:
    """One α of the slider per verdict, the same ones both plots draw: the largest too-small
    α, the good α that gets under GOOD_SHARE in the fewest steps (the smaller on a tie) and
    the smallest too-large α. A name no α earns on this net is left out."""
    by = {name: [r for r in rates.values() if r.verdict == name] for name in VERDICT_NAMES}
    refs: dict[str, float] = {}
    if by["too small"]:
        refs["too small"] = max(r.lr for r in by["too small"])
    if by["good"]:
        refs["good"] = min(by["good"], key=lambda r: (r.steps_to_good, r.lr)).lr
    if by["too large"]:
        refs["too large"] = min(r.lr for r in by["too large"])
    return refs


@dataclass(frozen=True)
class LrLine:
    lrs: list[float]  # α along the first step's direction, from 0
    losses: list[float]  # L(β − α·∂L/∂β) at each α (inf where the step overflowed)
    lr: float  # the chosen α
    loss_at_lr: float  # where the chosen step lands
    loss_start: float  # L before any step
    references: dict[str, float]  # "too small", "good", "too large": the slider's α values
    reference_losses: dict[str, float]  # where each of those first steps lands


def lr_line(net: TinyNet, lr: float, refs: dict[str, float], num_points: int = 161) -> LrLine:
    """The loss along the direction of the first gradient step, where α's step lands, and
    where the reference rates' first steps land (the references judge_rates chose)."""
    lr = check_lr(lr)
    grads = hand_gradients(net)

    def loss_at(a: float) -> float:
        return safe_loss(stepped(net, grads, a))

    span = 1.15 * max(lr, *refs.values())
    lrs = [span * i / (num_points - 1) for i in range(num_points)]
    return LrLine(
        lrs, [loss_at(a) for a in lrs], lr, loss_at(lr), loss_at(0.0), dict(refs),
        {k: loss_at(a) for k, a in refs.items()},
    )  # fmt: skip


def descent(net: TinyNet, lr: float, num_steps: int = NUM_STEPS) -> list[float]:
    """L after each of `num_steps` gradient-descent steps with the same α (stops if it blows up)."""
    lr = check_lr(lr)
    if not 1 <= num_steps <= MAX_STEPS:
        raise LimitError(f"Take 1 to {MAX_STEPS} steps, not {num_steps}.")
    losses = [safe_loss(net)]
    for _ in range(num_steps):
        try:
            net = stepped(net, hand_gradients(net), lr)
        except (ArithmeticError, ValueError):
            losses.append(math.inf)
        else:
            losses.append(safe_loss(net))
        if not math.isfinite(losses[-1]):
            break
    return losses


def rate_sentence(rate: Rate, rates: dict[float, Rate]) -> str:
    """The verdict on α in words, from the numbers both plots show."""
    steps, start, end = len(rate.losses) - 1, rate.start, rate.end
    good = [a for a, r in rates.items() if r.verdict == "good"]
    if rate.verdict == "no gradient":
        return (
            "**No gradient.** ∂L/∂β is zero for every parameter (a perfect fit, or every "
            "hidden unit dead), so no learning rate moves anything."
        )
    if rate.verdict == "too small":
        move = " Move the slider right." if any(a > rate.lr for a in good) else ""
        return (
            f"**Too small.** After {steps} steps the loss is {end:.3g}, still more than "
            f"{GOOD_SHARE:.0%} of the {start:.3g} it started from: training would crawl.{move}"
        )
    if rate.verdict == "too large":
        move = " Move the slider left." if any(a < rate.lr for a in good) else ""
        ended = (
            "overflows"
            if not math.isfinite(end)
            else f"ends at {end:.3g}, higher than the {start:.3g} it started from"
        )
        first = (
            "The first step already lands higher than it started"
            if rate.first_step_up
            else "The first step still goes down; the later ones overshoot further and further"
        )
        return (
            f"**Too large.** Over {steps} steps the loss {ended}: the steps jump past the "
            f"valley and training would bounce or blow up. {first}.{move}"
        )
    overshoot = (
        " Its first step overshoots (the star lands above the start), and the steps after it "
        "settle anyway."
        if rate.first_step_up
        else ""
    )
    return (
        f"**Good.** The loss falls under {GOOD_SHARE:.0%} of where it started within "
        f"{rate.steps_to_good} step{'s' * (rate.steps_to_good != 1)} and ends at {end:.3g} "
        f"after {steps}.{overshoot}"
    )
