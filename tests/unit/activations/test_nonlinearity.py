"""Linear collapse, the live fit with/without an activation, gradients through depth."""

from __future__ import annotations

import math

import pytest
import torch

import core.activations.nonlinearity
from core.activations.nonlinearity import (
    MAX_FIT_STEPS,
    MAX_LINEAR_LAYERS,
    FitConfig,
    collapse,
    fit,
    linear_stack,
    make_target,
)
from core.activations.vanishing import MAX_DEPTH, chain_gradients
from core.errors import ConfigError, LimitError

SMALL = dict(hidden_units=16, hidden_layers=2, steps=60, lr=0.03)  # a fit of well under a second


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These tensors are tiny: a second intra-op thread only spins, and on a shared, busy
    machine that spinning made each fit ~10x slower. Results do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("num_layers", [1, 2, 5, MAX_LINEAR_LAYERS])
def test_linear_layers_collapse_into_the_product_matrix(num_layers):
    c = collapse(num_layers, seed=3)
    W = c.weights[0]
    b = c.biases[0]
    for W_k, b_k in zip(c.weights[1:], c.biases[1:], strict=True):
        W, b = W_k @ W, W_k @ b + b_k  # compose one more layer: W_k(Wx + b) + b_k
    torch.testing.assert_close(c.W, W)
    torch.testing.assert_close(c.b, b)
    torch.testing.assert_close(c.y_stack, c.X @ W.T + b)
    torch.testing.assert_close(c.y_single, c.y_stack)
    assert c.max_error < 1e-5


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_an_activation_between_the_layers_breaks_the_collapse(activation):
    c = collapse(3, seed=0, activation=activation)
    assert c.max_error > 1e-2
    stack = linear_stack(3, 0, activation)
    torch.testing.assert_close(c.y_stack, stack(c.X).detach())


def test_collapse_limits_are_clear_messages():
    with pytest.raises(LimitError, match="1 to"):
        collapse(0)
    with pytest.raises(LimitError, match="1 to"):
        collapse(MAX_LINEAR_LAYERS + 1)
    with pytest.raises(ConfigError, match="number by number"):
        collapse(2, activation="softmax")


def _second_difference(v: torch.Tensor) -> torch.Tensor:
    return v[2:] - 2 * v[1:-1] + v[:-2]


def test_wave_fit_without_activation_is_a_straight_line_and_worse():
    result = fit(FitConfig(target="wave", activation="tanh", **SMALL))
    with_act, without = result.fits
    assert len(with_act.losses) == len(without.losses) == SMALL["steps"]
    assert with_act.losses[-1] < without.losses[-1]
    # However many Linear layers, without an activation the model is affine: a straight line.
    torch.testing.assert_close(
        _second_difference(without.y_hat), torch.zeros(len(without.y_hat) - 2), atol=1e-4, rtol=0
    )
    assert _second_difference(with_act.y_hat).abs().max() > 1e-3


def test_spirals_without_activation_have_a_straight_boundary():
    result = fit(FitConfig(target="spirals", activation="relu", **SMALL))
    with_act, without = result.fits
    assert with_act.accuracy > without.accuracy
    g = round(math.sqrt(result.grid.shape[0]))
    p = without.y_hat.double().clamp(1e-6, 1 - 1e-6).reshape(g, g)
    logit = torch.log(p / (1 - p))  # affine in (x, y) when the model is linear
    assert _second_difference(logit[0]).abs().max() < 1e-2
    assert _second_difference(logit[:, 0]).abs().max() < 1e-2


def test_fit_is_deterministic_for_a_seed():
    config = FitConfig(target="wave", activation="relu", seed=7, **SMALL)
    a, b = fit(config), fit(config)
    assert a.fits[0].losses == b.fits[0].losses
    torch.testing.assert_close(a.fits[0].y_hat, b.fits[0].y_hat)


def test_fit_trains_on_one_thread_and_restores_the_count(monkeypatch):
    # The page calls fit() from a server thread that has torch's default (several threads):
    # on a busy machine their spinning made the default fit ~20x slower than one thread.
    seen = []
    train = core.activations.nonlinearity._train

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return train(*args, **kwargs)

    monkeypatch.setattr(core.activations.nonlinearity, "_train", spy)
    torch.set_num_threads(2)  # the module fixture puts its own count back afterwards
    fit(FitConfig(target="wave", activation="tanh", **{**SMALL, "steps": 5}))
    assert seen == [1, 1]  # both models, with and without the activation
    assert torch.get_num_threads() == 2


def test_targets():
    X, y = make_target("wave", 0)
    assert X.shape == (len(y), 1)
    X, y = make_target("spirals", 0)
    assert X.shape == (len(y), 2) and y.float().mean() == 0.5


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"activation": "step"}, ConfigError, "no gradient"),
        ({"activation": "softmax"}, ConfigError, "number by number"),
        ({"activation": "nope"}, ConfigError, "Unknown activation"),
        ({"target": "moons"}, ConfigError, "Unknown target"),
        ({"steps": MAX_FIT_STEPS + 1}, LimitError, "training steps"),
        ({"hidden_units": 0}, LimitError, "hidden units"),
        ({"lr": 0.0}, ConfigError, "learning rate"),
    ],
)
def test_fit_refuses_bad_settings(changes, error, message):
    with pytest.raises(error, match=message):
        fit(FitConfig(**{**SMALL, **changes}))


@pytest.mark.parametrize(("weight", "x0"), [(1.0, 0.5), (2.5, -1.0), (-4.0, 3.0)])
def test_chain_gradient_is_the_product_of_the_layer_slopes(weight, x0):
    chain = chain_gradients(["sigmoid", "tanh", "relu", "gelu"], 15, weight, x0)
    for key, grads in chain.gradients.items():
        products = torch.tensor(chain.factors[key], dtype=torch.float64).cumprod(0)
        torch.testing.assert_close(torch.tensor(grads, dtype=torch.float64), products)
    # Sigmoid's factors, typed out: w·σ(z)(1 − σ(z)) at z = w·h_{n-1}.
    h = torch.tensor(x0, dtype=torch.float64)
    for factor in chain.factors["sigmoid"]:
        s = torch.sigmoid(weight * h)
        assert factor == pytest.approx((weight * s * (1 - s)).item(), rel=1e-12)
        h = s
    bound = torch.tensor(chain.sigmoid_bound, dtype=torch.float64)
    assert (torch.tensor(chain.gradients["sigmoid"]).abs() <= bound * (1 + 1e-12)).all()


def test_relu_passes_the_gradient_unchanged_or_kills_it():
    assert chain_gradients(["relu"], 30, 1.0, 0.5).gradients["relu"] == [1.0] * 30
    assert chain_gradients(["relu"], 30, 1.0, -0.5).gradients["relu"] == [0.0] * 30
    assert chain_gradients(["tanh"], 10, 1.0, 0.0).gradients["tanh"] == [1.0] * 10


def test_chain_limits():
    with pytest.raises(LimitError, match="depth"):
        chain_gradients(depth=MAX_DEPTH + 1)
    with pytest.raises(LimitError, match="weight"):
        chain_gradients(weight=float("inf"))
    with pytest.raises(ConfigError, match="no per-layer derivative"):
        chain_gradients(["step"])
    with pytest.raises(ConfigError, match="at least one"):
        chain_gradients([])
