"""The tiny network by hand against PyTorch: forward, gradients, the SGD step, autograd flags."""

from __future__ import annotations

import math
import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from core.backprop.bookkeeping import bookkeeping, grad_fn_chain, tiny_net_chain
from core.backprop.tinynet import (
    DEFAULT_PARAMS,
    HAND_RULES,
    LOSSES,
    MAX_ABS_VALUE,
    MAX_TEXT_CHARS,
    PARAMS,
    TinyNet,
    activation_layer,
    autograd_gradients,
    backward,
    forward,
    gradient_rows,
    hand_gradients,
    make_net,
    parse_numbers,
    random_params,
    torch_forward,
)
from core.backprop.update import (
    GOOD_SHARE,
    LR_CHOICES,
    MAX_LR,
    check_lr,
    descent,
    judge_rate,
    judge_rates,
    lr_line,
    rate_sentence,
    references,
    sgd_update,
)
from core.engine.learning.activations.registry import MODEL_ACTIVATIONS
from core.errors import ConfigError, LimitError, ParseError


def random_net(seed: int, activation: str, loss: str, scale: float = 2.0) -> TinyNet:
    rng = random.Random(seed)
    y = rng.random() if loss == "cross-entropy" else rng.uniform(-scale, scale)
    params = {k: rng.uniform(-scale, scale) for k in PARAMS}
    return TinyNet(
        (rng.uniform(-scale, scale), rng.uniform(-scale, scale)), y, params, activation, loss
    )


def as_tensor(d: dict[str, float], keys) -> torch.Tensor:
    return torch.tensor([d[k] for k in keys], dtype=torch.float64)


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", list(HAND_RULES))
def test_hand_gradients_equal_autograd_on_random_networks(activation, loss):
    for seed in range(6):
        net = random_net(seed, activation, loss)
        hand, auto = hand_gradients(net), autograd_gradients(net)
        assert set(hand) == set(auto)
        keys = sorted(hand)
        assert_close(as_tensor(hand, keys), as_tensor(auto, keys), rtol=1e-10, atol=1e-12)
        _, torch_loss = torch_forward(net)
        assert_close(forward(net)["L"], torch_loss.item(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", ["ReLU", "LeakyReLU", "ELU"])
def test_kinks_follow_torch_convention(activation):
    # z1 = 1·1 + 0·0 − 1 = 0 exactly: the derivative at the kink must be the one torch uses.
    params = dict(zip(PARAMS, [1.0, 0.0, 0.5, 0.5, -1.0, 0.0, 1.5, -0.5, 0.3], strict=True))
    net = TinyNet((1.0, 0.0), 1.0, params, activation, "squared error")
    assert forward(net)["z1"] == 0.0
    hand, auto = hand_gradients(net), autograd_gradients(net)
    keys = sorted(hand)
    assert_close(as_tensor(hand, keys), as_tensor(auto, keys), rtol=1e-10, atol=1e-12)


def test_the_hand_rules_are_the_registry_s_model_activations():
    assert set(HAND_RULES) - {"Identity"} <= set(MODEL_ACTIVATIONS)
    assert type(activation_layer("LeakyReLU")) is nn.LeakyReLU


@pytest.mark.parametrize("name", list(HAND_RULES))
def test_activation_formulas_match_torch(name):
    act = HAND_RULES[name]
    z = torch.tensor([-90.0, -20.0, -3.0, -0.7, 0.0, 0.4, 2.5, 20.0, 90.0], dtype=torch.float64)
    z.requires_grad_(True)
    out = activation_layer(name)(z)
    (grad,) = torch.autograd.grad(out.sum(), z)
    assert_close(torch.tensor([act.f(v) for v in z.tolist()], dtype=torch.float64), out.detach())
    assert_close(torch.tensor([act.df(v) for v in z.tolist()], dtype=torch.float64), grad)


def test_extreme_allowed_values_still_agree_with_autograd():
    big = MAX_ABS_VALUE
    for activation in HAND_RULES:
        params = {k: (big if i % 2 else -big) for i, k in enumerate(PARAMS)}
        net = TinyNet((big, -big), big, params, activation, "squared error")
        hand, auto = hand_gradients(net), autograd_gradients(net)
        assert all(math.isfinite(v) for v in hand.values())
        keys = sorted(hand)
        assert_close(as_tensor(hand, keys), as_tensor(auto, keys), rtol=1e-9, atol=1e-9)


def test_every_step_is_the_sum_of_its_chain_rule_products():
    steps = backward(random_net(3, "Tanh", "squared error"))
    assert steps[0].node == "L" and steps[0].grad == 1.0
    assert {s.node for s in steps} >= set(PARAMS) | {"x1", "x2", "z1", "h1", "y_hat"}
    known = {"L"}
    for step in steps[1:]:
        assert all(t.upstream in known for t in step.terms)  # only gradients already found
        assert step.grad == pytest.approx(sum(t.upstream_grad * t.local_value for t in step.terms))
        known.add(step.node)
    x1 = next(s for s in steps if s.node == "x1")
    assert [t.upstream for t in x1.terms] == ["z1", "z2"]  # x1 feeds two nodes: two products
    assert "∂L/∂z₁ · w₁₁ + ∂L/∂z₂ · w₂₁" in x1.chain()


def test_gradient_rows_flag_a_disagreement():
    net = random_net(1, "Sigmoid", "cross-entropy")
    steps, auto = backward(net), autograd_gradients(net)
    assert all(r["agree"] for r in gradient_rows(steps, auto))
    wrong = dict(auto, w12=auto["w12"] + 1e-3)
    rows = gradient_rows(steps, wrong)
    assert [r["node"] for r in rows if not r["agree"]] == ["w₁₂"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1, 2", [1.0, 2.0]),
        (" -0.5 3e-2 ", [-0.5, 0.03]),
        ("1;2", [1.0, 2.0]),
        ("+7,  -1.", [7.0, -1.0]),
    ],
)
def test_parse_numbers_reads_plain_numbers(text, expected):
    assert parse_numbers(text, 2, "x") == expected


@pytest.mark.parametrize(
    "text, error",
    [
        ("1", ParseError),
        ("1, 2, 3", ParseError),
        ("", ParseError),
        ("one, two", ParseError),
        ("2*3, 1", ParseError),
        ("__import__('os'), 1", ParseError),
        ("nan, 1", ParseError),
        ("inf, 1", ParseError),
        ("1e5, 1", LimitError),
        ("1, " + "1" * MAX_TEXT_CHARS, LimitError),
    ],
)
def test_parse_numbers_refuses_with_a_message(text, error):
    with pytest.raises(error, match="x"):
        parse_numbers(text, 2, "x")


def test_make_net_reads_the_page_boxes_and_refuses_nonsense():
    net = make_net("1, 2", "0.5", DEFAULT_PARAMS, "GELU", "cross-entropy")
    assert net.x == (1.0, 2.0) and net.params["c"] == 0.2
    with pytest.raises(ConfigError, match="probability"):
        make_net("1, 2", "3", DEFAULT_PARAMS, "GELU", "cross-entropy")
    with pytest.raises(ConfigError, match="activation"):
        make_net("1, 2", "1", DEFAULT_PARAMS, "Swish9", "squared error")
    with pytest.raises(ParseError, match="Parameters"):
        make_net("1, 2", "1", "1, 2, 3", "ReLU", "squared error")


def test_random_params_are_repeatable_and_parse():
    assert random_params(4) == random_params(4) != random_params(5)
    assert len(parse_numbers(random_params(4), len(PARAMS), "p")) == len(PARAMS)


@pytest.mark.parametrize("activation", ["Sigmoid", "ReLU", "GELU"])
@pytest.mark.parametrize("lr", [0.001, 0.1, 3.0])
def test_update_by_hand_equals_sgd_step(activation, lr):
    net = random_net(7, activation, "squared error")
    update = sgd_update(net, lr)
    assert_close(as_tensor(update.by_hand, PARAMS), as_tensor(update.by_sgd, PARAMS))
    before, grads = as_tensor(update.before, PARAMS), as_tensor(update.grads, PARAMS)
    assert_close(as_tensor(update.by_hand, PARAMS), before - lr * grads)
    assert all(row["agree"] for row in update.rows())
    assert update.loss_before == pytest.approx(forward(net)["L"])


@pytest.mark.parametrize("lr", [0.0, -0.1, MAX_LR * 2, math.nan, math.inf])
def test_learning_rate_limits(lr):
    with pytest.raises(LimitError, match="learning rate"):
        check_lr(lr)


def default_net(activation: str = "Sigmoid", loss: str = "squared error") -> TinyNet:
    return make_net("1.0, 2.0", "1.0", DEFAULT_PARAMS, activation, loss)


def test_one_verdict_per_rate_and_the_same_references_in_both_plots():
    """Issue 27: at α = 0.5 one plot said "too large" while the other drew it as "good", with
    different reference rates in each. Now both read judge_rates."""
    for loss in LOSSES:
        for activation in HAND_RULES:
            net = default_net(activation, loss)
            rates = judge_rates(net)
            refs = references(rates)
            assert set(refs.values()) <= set(LR_CHOICES)  # slider values, both plots
            assert all(rates[a].verdict == name for name, a in refs.items())
            for lr in (0.001, 0.5, 10.0):
                line = lr_line(net, lr, refs)
                assert line.references == refs and line.lr == lr
                assert judge_rate(net, lr) == rates[lr]


def test_good_is_not_chosen_from_float_noise():
    """The default net at α = 0.3 and 0.5 ends at 1.9e-17 and 1.4e-17: both are good, and the
    good reference is the one that gets there in fewer steps, not the one with less dust."""
    rates = judge_rates(default_net())
    assert rates[0.3].verdict == rates[0.5].verdict == "good"
    assert rates[0.5].first_step_up  # it overshoots once, then settles
    good = references(rates)["good"]
    assert all(rates[good].steps_to_good <= r.steps_to_good for r in rates.values()
               if r.verdict == "good")  # fmt: skip
    sentence = rate_sentence(rates[0.5], rates)
    assert sentence.startswith("**Good.**") and "overshoots" in sentence
    assert "slider left" not in sentence


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_each_verdict_is_what_torch_sgd_does_over_the_steps(seed, loss):
    """The losses behind a verdict are torch.optim.SGD's, step for step (float64)."""
    net = random_net(seed, "Tanh", loss, scale=1.0)
    for lr, rate in judge_rates(net).items():
        stepped, by_torch = net, [torch_forward(net)[1].item()]
        for _ in range(len(rate.losses) - 1):  # torch.optim.SGD's own step, again and again
            params = sgd_update(stepped, lr).by_sgd
            stepped = TinyNet(net.x, net.y, params, net.activation, net.loss)
            by_torch.append(torch_forward(stepped)[1].item())
            if not math.isfinite(by_torch[-1]):
                break
        finite = [v for v in by_torch if math.isfinite(v)]
        assert rate.losses[: len(finite)] == pytest.approx(finite, rel=1e-6, abs=1e-12)
        start, end = rate.losses[0], rate.losses[-1]
        if rate.verdict == "too large":
            assert not (math.isfinite(end) and end < start)
        elif rate.verdict == "good":
            assert min(rate.losses[1:]) <= GOOD_SHARE * start and end < start
        else:
            assert GOOD_SHARE * start < end < start


def test_no_gradient_when_every_unit_is_dead():
    # Both ReLU units get z < 0 and the output bias already equals the target: ∂L/∂β = 0.
    params = dict(zip(PARAMS, [-1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1.0, 1.0, 0.5], strict=True))
    net = TinyNet((1.0, 1.0), 0.5, params, "ReLU", "squared error")
    assert judge_rate(net, 0.1).verdict == "no gradient"


def test_descent_settles_with_a_good_step_and_blows_up_with_a_huge_one():
    net = random_net(2, "Identity", "squared error", scale=1.0)
    good = descent(net, references(judge_rates(net))["good"], 20)
    assert len(good) == 21 and good[-1] < GOOD_SHARE * good[0]
    huge = descent(net, MAX_LR, 50)
    assert huge[-1] > 1e6 * huge[0] or not math.isfinite(huge[-1])
    with pytest.raises(LimitError, match="steps"):
        descent(net, 0.1, 10_000)


def test_bookkeeping_records_accumulation_and_zero_grad():
    bk = bookkeeping("0.5, 0.1, 2, 1")
    w = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    dw, db = torch.autograd.grad((w * 2.0 + b - 1.0) ** 2, (w, b))
    assert_close(bk.dL_dw, dw.item())
    assert_close(bk.dL_db, db.item())
    grads = [(e.w_grad, e.b_grad) for e in bk.events]
    assert grads[0] == (None, None)
    assert_close(grads[1], (dw.item(), db.item()))
    assert_close(grads[2], (2 * dw.item(), 2 * db.item()))  # the second backward adds
    assert grads[3] == (None, None)  # zero_grad sets .grad to None
    assert_close(grads[4], (dw.item(), db.item()))
    assert all(e.x_grad is None for e in bk.events)
    flags = {r.name: (r.requires_grad, r.is_leaf, r.grad_fn) for r in bk.rows}
    assert flags["w"] == (True, True, "None") and flags["x"] == (False, True, "None")
    assert flags["y_hat"] == (True, False, "AddBackward0")
    assert flags["y_hat_eval"][0] is False  # computed under no_grad
    assert bk.chain[0] == "PowBackward0"
    assert any("adds into w.grad" in line for line in bk.chain)
    with pytest.raises(ParseError):
        bookkeeping("1, 2, three, 4")


def test_grad_fn_chains_name_the_leaves_and_stop_at_the_limit():
    net = random_net(0, "SiLU", "cross-entropy")
    chain = tiny_net_chain(net)
    _, loss = torch_forward(net)
    assert chain[0] == type(loss.grad_fn).__name__
    for leaf in ("X", "W1", "b1", "w2", "b2"):
        assert any(f"adds into {leaf}.grad" in line for line in chain)
    x = torch.tensor(1.0, requires_grad=True)
    deep = x
    for _ in range(30):
        deep = deep * 1.5
    cut = grad_fn_chain(F.relu(deep), {"x": x}, max_lines=10)
    assert len(cut) == 11 and cut[-1].startswith("…")


def test_graph_figure_shows_the_gradients_found_so_far_and_the_current_products():
    from core.backprop.figures import GRAD, graph_figure

    net = random_net(5, "ELU", "squared error")
    values, steps = forward(net), backward(net)
    x1_step = next(i for i, s in enumerate(steps, 1) if s.node == "x1")
    fig = graph_figure(values, steps, x1_step, autograd_gradients(net))
    hot = [a for a in fig.layout.annotations if a.showarrow and a.arrowcolor == GRAD]
    assert len(hot) == 2  # x1 feeds z1 and z2: both products are drawn
    labels = "".join(fig.data[0].text)
    assert f"{steps[x1_step - 1].grad:.4g}" in labels
    assert "∂L/∂x₂" not in labels  # the step after x1 is not shown yet
    forward_only = graph_figure(values, steps, 0)
    assert "∂L/∂" not in "".join(forward_only.data[0].text)
