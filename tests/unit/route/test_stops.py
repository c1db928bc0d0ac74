"""The chapter route: every question's checker takes the right answer, written as torch prints
it, and refuses a wrong one; the right answers are worked out again here, by torch."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from core.engine.learning.models import build_model
from core.engine.learning.presets import run_preset
from core.engine.learning.randomness import seeded
from core.optim2d.race import OptimizerSpec, run_trajectory
from core.optim2d.surfaces import get_surface
from core.route.answers import read_answer, same
from core.route.questions import check
from core.route.stops import STOPS

P = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])  # the chapter's points


def _bowl_diverges() -> bool:
    """The Optimizers page's own run: SGD at the stop's rate on its bowl, from its start."""
    surface = get_surface("Quadratic bowl", 10.0)
    traj = run_trajectory(surface, OptimizerSpec("SGD", {"lr": 0.25}), surface.start, 30)
    return bool(traj.stopped) or math.dist(traj.points[-1], (0, 0)) > math.dist(
        surface.start, (0, 0)
    )


def _chain_rule() -> torch.Tensor:
    x = torch.tensor(2.0, requires_grad=True)
    return torch.autograd.grad((3 * x + 1) ** 2, x)[0]


def _classic_params(hidden: int = 128) -> int:
    """The classic ConvNet's parameters with its hidden layer `hidden` units wide (the stop
    asks about 128), counted by torch."""
    model = replace(run_preset("classic").model, hidden=[hidden])
    with seeded(0):
        return sum(p.numel() for p in build_model(model).parameters())


# key -> (the right answer as a learner types it, a wrong one); typed ones computed by torch
TYPED = {
    "data": (f"{60_000 * 28 * 28:,}", "60000"),
    "offset": (str(P[1].storage_offset()), "1"),
    "stride": (str(P.t().stride()), str(P.stride())),
    "dtype": (str(P.double().untyped_storage().nbytes()), str(P.untyped_storage().nbytes())),
    "linear": (str(sum(p.numel() for p in nn.Linear(784, 10).parameters())), "7840"),
    "conv": (str(nn.MaxPool2d(2)(nn.Conv2d(1, 32, 3)(torch.zeros(1, 1, 28, 28))).shape),
             "torch.Size([1, 32, 26, 26])"),
    "deconv": (str(nn.ConvTranspose2d(32, 1, 3)(torch.zeros(1, 32, 26, 26)).shape),
               "(1, 1, 26, 26)"),
    "rnn": (str(nn.RNN(10, 20)(torch.zeros(5, 3, 10))[0].shape), "(3, 5, 20)"),
    "dropout": (str((nn.Dropout(0.5).eval()(torch.ones(1000)) == 0).float().mean().item()), "0.5"),
    "cost": (repr(F.cross_entropy(torch.zeros(4, 10), torch.tensor([0, 1, 2, 3]))), "0.1"),
    "chain": (repr(_chain_rule()), "tensor(21.)"),
    "eager": (repr(torch.tensor(2.0) * torch.tensor(3.0) + 1), "None"),
    "convnet": (f"{_classic_params():,}", f"{_classic_params(64):,}"),
}  # fmt: skip
CHOICES = {
    "view": "A view: the same storage"
    if P.t().untyped_storage().data_ptr() == P.untyped_storage().data_ptr()
    else "A copy: new storage",
    "nonlinear": "No: together they are one linear map",  # W₂(W₁x + b₁) + b₂ is affine
    "vanishing": "Sigmoid",  # σ' <= 1/4 per layer
    "batches": "1 (stochastic gradient descent)",  # 60,000 steps against 1,875 and 1
    "lr": "It diverges" if _bowl_diverges() else "It settles at the minimum",
    "api": "torch.optim" if hasattr(torch.optim, "Adadelta") else "?",
    "predict": "Yes: the same prediction",  # eval() turns dropout off
}


def test_every_stop_has_a_checked_question_and_a_unique_key():
    assert [s.key for s in STOPS if s.question.options] == list(CHOICES)
    assert [s.key for s in STOPS if not s.question.options] == list(TYPED)
    assert len({s.key for s in STOPS}) == len(STOPS) >= 15


@pytest.mark.parametrize("stop", STOPS, ids=lambda s: s.key)
def test_the_checker_takes_torchs_answer_and_refuses_a_wrong_one(stop):
    q = stop.question
    if q.options:
        right = CHOICES[stop.key]
        wrong = next(o for o in q.options if o != right)
    else:
        right, wrong = TYPED[stop.key]
    verdict = check(q, right)
    assert verdict.right and verdict.readable, verdict.message
    assert not check(q, wrong).right and check(q, wrong).readable
    assert q.hint in check(q, wrong).message  # a hint, not the answer
    assert right not in check(q, wrong).message


@pytest.mark.parametrize(
    "typed, value",
    [
        ("(2, 1)", (2, 1)),
        ("[2, 1]", (2, 1)),
        ("torch.Size([3, 2])", (3, 2)),
        ("Size([3, 2])", (3, 2)),
        ("2", 2),
        ("1,199,882", 1199882),
        ("60_000", 60000),
        ("tensor(42.)", 42.0),
        ("tensor(2.3026)", 2.3026),
        ("tensor([1., 2.], dtype=torch.float64)", (1.0, 2.0)),
        ("True", True),
    ],
)
def test_answers_read_as_torch_prints_them(typed, value):
    assert read_answer(typed) == value


def test_printed_floats_are_right_to_torchs_four_decimals_and_types_matter():
    assert same(torch.tensor(math.log(10)), read_answer("tensor(2.3026)"))
    assert not same(torch.tensor(math.log(10)), read_answer("2.31"))
    assert same(torch.Size([1, 32, 13, 13]), read_answer("(1, 32, 13, 13)"))
    assert not same(torch.Size([1, 32, 13, 13]), read_answer("(32, 13, 13)"))
    assert not same(True, 1) and not same((2, 1), 2)


@pytest.mark.parametrize("typed", ["", "x.t()", "__import__('os')", "(" * 500, "[1, 2"])
def test_an_unreadable_answer_is_a_message_and_never_run(typed):
    stop = next(s for s in STOPS if s.key == "stride")
    verdict = check(stop.question, typed)
    assert not verdict.right and not verdict.readable and verdict.message
