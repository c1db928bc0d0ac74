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
    # the inside stops, worked out here with plain torch (called when their test runs)
    "updates": lambda: _inside_run(1)[1],
    "dead": lambda: _inside_run(51, lr=10.0)[0],
    "kernel": lambda: _kernel_orientation(3),
    "predict": "Yes: the same prediction",  # eval() turns dropout off
}


def _inside_run(steps: int, lr: float = 0.5) -> tuple[str, str]:
    """The classic run on 10,000 images (seed 0), trained for `steps` batches as the worker
    does it, in plain torch: (the layer whose activation has the most units that never fire
    on the last batch, the layer whose last step is closest to 1/1,000 of its weights)."""
    from core.engine.learning.data import load_tensors
    from core.engine.learning.setup import normalization_of

    config = run_preset("classic").with_changes(train_subset=10_000, epochs=1, lr=lr)
    X, y = load_tensors("MNIST", True, normalization=normalization_of(config))
    X, y = X[:10_000], y[:10_000]
    with seeded(0):
        model = build_model(config.model)
    order = torch.randperm(10_000, generator=torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adadelta(model.parameters(), lr=lr)
    names = {
        model.features[1]: "conv1's",
        model.features[3]: "conv2's",
        model.classifier[1]: "fc1's",
    }
    dead: dict[str, float] = {}

    def count(module, args, out):  # a unit is dead: never > 0 for any image of the batch
        dead[names[module]] = float(
            (out.transpose(0, 1).reshape(out.shape[1], -1) <= 0).all(1).float().mean()
        )

    with torch.random.fork_rng():
        torch.manual_seed(0)
        for step in range(1, steps + 1):
            idx = order[(step - 1) * 32 : step * 32]
            hooks = [m.register_forward_hook(count) for m in names] if step == steps else []
            weights = [model.features[0].weight, model.features[2].weight,
                       model.classifier[0].weight, model.classifier[3].weight]  # fmt: skip
            before = [w.detach().clone() for w in weights]
            optimizer.zero_grad()
            F.nll_loss(model(X[idx]), y[idx]).backward()
            optimizer.step()
            for h in hooks:
                h.remove()
    ratios = [
        math.log10(float((w.detach() - b).std() / b.std()))
        for w, b in zip(weights, before, strict=True)
    ]
    closest = ["conv1's", "conv2's", "fc1's", "fc2's"][
        min(range(4), key=lambda i: abs(ratios[i] + 3))
    ]
    return max(dead, key=dead.get), closest


def _kernel_orientation(kernel: int) -> str:
    """Which straight edge (ink on one side, none on the other) the shipped model's conv1
    kernel answers most, by the largest rise of its output above its median."""
    from core.engine.products.predictor import PRETRAINED_DIR, load_predictor

    predictor = load_predictor(PRETRAINED_DIR)
    weight, bias = predictor.model.features[0].weight, predictor.model.features[0].bias
    mean, std = predictor.normalization
    r, c = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    sides = {"Horizontal edges": r - 13.5, "Vertical edges": c - 13.5,
             "Diagonal edges like /": r + c - 27, "Diagonal edges like \\": r - c}  # fmt: skip
    rise = {}
    with torch.no_grad():
        for name, side in sides.items():
            images = [((sign * side > 0).float() - mean)[None, None] / std for sign in (1, -1)]
            outs = [F.conv2d(x, weight, bias)[0, kernel] for x in images]
            rise[name] = max(float(o.max() - o.median()) for o in outs)
    return max(rise, key=rise.get)


def test_every_stop_has_a_checked_question_and_a_unique_key():
    assert [s.key for s in STOPS if s.question.options] == list(CHOICES)
    assert [s.key for s in STOPS if not s.question.options] == list(TYPED)
    assert len({s.key for s in STOPS}) == len(STOPS) >= 15


READ_RUNS = ("updates", "dead")  # stops answered from a run on the real data


@pytest.mark.parametrize(
    "stop",
    [pytest.param(s, marks=pytest.mark.needs_data) if s.key in READ_RUNS else s for s in STOPS],
    ids=lambda s: s.key,
)
def test_the_checker_takes_torchs_answer_and_refuses_a_wrong_one(stop):
    q = stop.question
    if q.options:
        right = CHOICES[stop.key]
        right = right() if callable(right) else right
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


@pytest.mark.needs_data
def test_the_inside_answers_are_the_very_runs_own_probes(runner):
    """The stops' runs trained by the real worker (what Start on their page does) probe the
    same numbers the route's answers were computed from: the first step's update:data, and the
    dead units at whatever step the panel's second probe came."""
    from core.route import solve

    chapter = runner.wait(runner.submit(solve.inside_config(), name="updates stop"), 600)
    first = {w["name"]: w["update"] for w in chapter.probes[0]["weights"]}
    assert chapter.probes[0]["step"] == 1
    assert first == pytest.approx(solve.first_updates(), rel=2e-3)

    high = runner.wait(runner.submit(solve.inside_config(solve.HIGH_LR), name="dead stop"), 600)
    second = high.probes[1]
    assert second["step"] > solve.MIN_GAP_STEPS
    ours = solve.probed_run(solve.HIGH_LR, second["step"])[-1]
    assert ours["step"] == second["step"]
    dead = {x["name"]: x["dead"] for x in second["layers"] if "dead" in x}
    assert dead == {x["name"]: x["dead"] for x in ours["layers"] if "dead" in x}
