"""One step of gradient descent by hand, and what the learning rate does to that step.

β ← β − α·∂L/∂β for every parameter β of the tiny network in core.backprop.tinynet, next to
torch.optim.SGD doing the same; then the loss along the step's direction, which shows a
step that is too small, about right, or so large that it overshoots the valley.
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
SMALL_FRACTION = 0.05  # the "too small" reference step is this fraction of the best one
OVERSHOOT = 1.5  # the "too large" reference is this many times the first uphill step
GOOD_FRACTION = 0.5  # a step is "good" if it gets at least half the best drop along its line
_SEARCH = [10 ** (e / 40) for e in range(-200, 121)]  # α from 1e-5 to 1e3, 40 per decade


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
class LrLine:
    lrs: list[float]  # α along the step's direction, from 0
    losses: list[float]  # L(β − α·∂L/∂β) at each α (inf where the step overflowed)
    lr: float  # the chosen α
    loss_at_lr: float  # where the chosen step lands
    loss_start: float  # L before any step
    best_lr: float  # the α that lowers L most along this line (searched on a grid)
    references: dict[str, float]  # "too small", "good", "too large": α values to compare
    reference_losses: dict[str, float]  # where each of those steps lands
    verdict: str  # "too small", "good", "too large" or "no gradient"


def lr_line(net: TinyNet, lr: float, num_points: int = 161) -> LrLine:
    """The loss along the direction of one gradient step, and a verdict on the chosen α."""
    lr = check_lr(lr)
    grads = hand_gradients(net)

    def loss_at(a: float) -> float:
        return safe_loss(stepped(net, grads, a))

    start = loss_at(0.0)
    searched = [(loss_at(a), a) for a in _SEARCH]
    best_loss, best = min(searched)
    flat = all(grads[k] == 0.0 for k in PARAMS) or best_loss >= start
    # "Too large": well beyond the first α whose step lands higher than it started.
    uphill = next((a for l_a, a in searched if a > best and l_a >= start), 3 * best)
    too_large = min(OVERSHOOT * uphill, MAX_LR)

    def judge(a: float, landed: float) -> str:
        if flat:
            return "no gradient"
        if landed >= start:
            return "too large"
        if (start - landed) >= GOOD_FRACTION * (start - best_loss):
            return "good"
        return "too small" if a < best else "too large"

    candidates = {
        "too small": min(SMALL_FRACTION * best, MAX_LR),
        "good": min(best, MAX_LR),
        "too large": too_large,
    }
    # Only references whose own step earns their name: with a loss whose best step lies
    # beyond MAX_LR (cross-entropy on this net) all three were capped to α = 10.
    references = {k: a for k, a in candidates.items() if judge(a, loss_at(a)) == k}
    landed = loss_at(lr)
    verdict = judge(lr, landed)
    span = 1.15 * max(lr, too_large)
    lrs = [span * i / (num_points - 1) for i in range(num_points)]
    return LrLine(
        lrs, [loss_at(a) for a in lrs], lr, landed, start, best, references,
        {k: loss_at(a) for k, a in references.items()}, verdict,
    )  # fmt: skip


def descent_references(net: TinyNet, num_steps: int = NUM_STEPS) -> dict[str, float]:
    """α values from the slider that earn their names over `num_steps` steps of descent:
    "good" ends lowest; "too small" is the largest α below it that gets less than a quarter
    of its drop; "too large" the smallest α above it that ends higher than it started (or
    blows up).
    A name no α earns on this net is left out."""
    runs = {a: descent(net, a, num_steps) for a in LR_CHOICES}
    finite = {a: r for a, r in runs.items() if all(math.isfinite(v) for v in r)}
    if not finite:
        return {}
    good = min(finite, key=lambda a: finite[a][-1])
    start, best_drop = runs[good][0], runs[good][0] - runs[good][-1]
    if best_drop <= 0:
        return {}
    refs = {"good": good}
    small = [a for a in finite if a < good and start - finite[a][-1] < 0.25 * best_drop]
    if small:
        refs["too small"] = max(small)
    large = [a for a, r in runs.items() if a > good and not r[-1] < r[0]]  # nan counts too
    if large:
        refs["too large"] = min(large)
    return {k: refs[k] for k in ("too small", "good", "too large") if k in refs}


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
