"""The registry against PyTorch itself, in float64: values, autograd derivatives, kinks, facts."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from core.activations.curves import (
    MAX_ABS_X,
    MAX_CURVES,
    check_range,
    curve,
    curves,
    evaluate,
    is_zero_centred,
    mean_on_standard_normal,
)
from core.engine.learning.activations.registry import (
    ACTIVATIONS,
    ELEMENTWISE,
    MODEL_ACTIVATIONS,
    SELU_ALPHA,
    SELU_SCALE,
    get_activation,
)
from core.errors import ConfigError, LimitError

H = 1e-6  # finite-difference step
REQUIRED = {
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "swish",
    "softplus", "mish", "hardtanh", "hardswish", "relu6", "prelu", "softsign", "step", "softmax",
}  # fmt: skip


def _where(x, positive, negative):
    return torch.where(x > 0, positive, negative)


# Textbook formulas, typed independently of the registry: they check each entry's LaTeX claim.
REFERENCE = {
    "sigmoid": lambda x: 1 / (1 + torch.exp(-x)),
    "tanh": lambda x: (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x)),
    "relu": lambda x: _where(x, x, 0 * x),
    "leaky_relu": lambda x, negative_slope: _where(x, x, negative_slope * x),
    "elu": lambda x, alpha: _where(x, x, alpha * (torch.exp(x) - 1)),
    "selu": lambda x: SELU_SCALE * _where(x, x, SELU_ALPHA * (torch.exp(x) - 1)),
    "gelu": lambda x: x / 2 * (1 + torch.erf(x / math.sqrt(2))),
    "gelu_tanh": lambda x: x / 2 * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "swish": lambda x, beta: x / (1 + torch.exp(-beta * x)),
    "softplus": lambda x, beta: torch.log1p(torch.exp(beta * x)) / beta,
    "mish": lambda x: x * torch.tanh(torch.log1p(torch.exp(x))),
    "hardtanh": lambda x, min_val, max_val: torch.where(
        x < min_val, min_val, torch.where(x > max_val, max_val, x)
    ),
    "hardswish": lambda x: x * torch.where(x + 3 < 0, 0, torch.where(x + 3 > 6, 6, x + 3)) / 6,
    "relu6": lambda x: torch.where(x < 0, 0, torch.where(x > 6, 6, x)),
    "prelu": lambda x, a: _where(x, x, a * x),
    "softsign": lambda x: x / (1 + x.abs()),
    "step": lambda x: _where(x, 1.0, 0.0),
}


def param_sets(key: str) -> list[dict[str, float]]:
    """Defaults, every parameter at its low end, every parameter at its high end."""
    spec = ACTIVATIONS[key]
    sets = [spec.defaults()]
    if spec.params:
        sets.append({p.name: p.low for p in spec.params})
        sets.append({p.name: p.high for p in spec.params})
    return sets


CASES = [(k, p) for k in ELEMENTWISE for p in param_sets(k)]
IDS = [f"{k}-{'-'.join(f'{v:g}' for v in p.values()) or 'none'}" for k, p in CASES]


def grid(spec, params) -> torch.Tensor:
    """[-8, 8] in steps of 1/64, plus every kink (and the points around it)."""
    x = torch.linspace(-8, 8, 1025, dtype=torch.float64)
    kinks = [k.x for k in spec.kink_points(**params)] + [0.0, -3.0, 3.0, 6.0]
    return torch.unique(torch.cat([x, torch.tensor(kinks, dtype=torch.float64)]))


def module_derivative(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Autograd through the nn.Module: a second path, independent of the registry's function."""
    x = x.clone().requires_grad_(True)
    (dy,) = torch.autograd.grad(module(x).sum(), x)
    return dy


def test_registry_has_every_function_the_chapter_needs():
    assert set(ACTIVATIONS) >= REQUIRED
    for spec in ACTIVATIONS.values():
        assert spec.formula and spec.output_range and spec.about and spec.differentiability
        for p in spec.params:
            assert p.low < p.high and p.low <= p.default <= p.high


@pytest.mark.parametrize(("key", "params"), CASES, ids=IDS)
def test_values_match_torch_module_and_formula(key, params):
    spec = ACTIVATIONS[key]
    x = grid(spec, params)
    y = spec(x, **params)
    assert y.dtype == torch.float64
    module = spec.module(**params).double()
    torch.testing.assert_close(y, module(x))
    torch.testing.assert_close(y, REFERENCE[key](x, **params).to(torch.float64))


@pytest.mark.parametrize(("key", "params"), CASES, ids=IDS)
def test_derivatives_match_autograd_and_finite_differences(key, params):
    spec = ACTIVATIONS[key]
    x = grid(spec, params)
    y, dy = evaluate(spec, x, params)
    torch.testing.assert_close(y, spec(x, **params))
    if not spec.has_gradient:
        with pytest.raises(RuntimeError, match="not implemented"):
            module_derivative(spec.module(), x)
        torch.testing.assert_close(dy[x != 0], torch.zeros_like(x[x != 0]))
        assert torch.isnan(dy[x == 0]).all()
        return
    # Everywhere, kinks included, the same value autograd gives through the nn.Module.
    torch.testing.assert_close(dy, module_derivative(spec.module(**params).double(), x))
    # Away from kinks (and from softplus's switch to x at βx = 20), the true slope.
    avoid = [k.x for k in spec.kink_points(**params)]
    if key == "softplus":
        avoid.append(20 / params["beta"])
    far = torch.ones_like(x, dtype=torch.bool)
    for a in avoid:
        far &= (x - a).abs() > 10 * H
    central = (spec(x + H, **params) - spec(x - H, **params)) / (2 * H)
    torch.testing.assert_close(dy[far], central[far], atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize(("key", "params"), CASES, ids=IDS)
def test_each_declared_kink_is_real_and_torch_uses_the_declared_slope(key, params):
    spec = ACTIVATIONS[key]
    for kink in spec.kink_points(**params):
        x0 = torch.tensor([kink.x], dtype=torch.float64)
        _, dy = evaluate(spec, x0, params)
        assert dy.item() == pytest.approx(kink.torch_derivative, abs=1e-12)
        f0 = spec(x0, **params)
        left = ((f0 - spec(x0 - H, **params)) / H).item()
        right = ((spec(x0 + H, **params) - f0) / H).item()
        assert abs(left - right) > 1e-3, "declared a kink where the slopes agree"
        chosen = left if kink.side == "left" else right
        assert chosen == pytest.approx(kink.torch_derivative, abs=1e-4)


def test_relu_derivative_at_zero_is_zero():
    _, dy = evaluate(ACTIVATIONS["relu"], torch.zeros(1, dtype=torch.float64), {})
    assert dy.item() == 0.0


@pytest.mark.parametrize(("key", "params"), CASES, ids=IDS)
def test_values_stay_in_the_declared_output_range(key, params):
    spec = ACTIVATIONS[key]
    x = torch.linspace(-50, 50, 20001, dtype=torch.float64)
    y = spec(x, **params)
    lo, hi = spec.value_bounds(**params)
    assert y.min().item() >= lo - 1e-9 and y.max().item() <= hi + 1e-9
    if spec.output_range.startswith("[") and math.isfinite(lo):
        # A closed lower end "[" is the real minimum, reached, not just any bound.
        assert y.min().item() == pytest.approx(lo, abs=1e-3)


@pytest.mark.parametrize(("key", "params"), CASES, ids=IDS)
def test_monotonic_flag_matches_the_curve(key, params):
    spec = ACTIVATIONS[key]
    y = spec(torch.linspace(-8, 8, 4001, dtype=torch.float64), **params)
    steps = y.diff()
    if spec.monotonic:
        assert steps.min().item() >= -1e-12
    elif params == spec.defaults():
        assert steps.min().item() < 0


@pytest.mark.parametrize("key", ELEMENTWISE)
def test_zero_centred_flag_matches_the_mean_output_on_standard_normal_input(key):
    mean = mean_on_standard_normal(key)
    assert ACTIVATIONS[key].zero_centred == is_zero_centred(mean), mean


def test_mean_outputs_on_standard_normal_input_are_right_to_three_decimals_as_shown():
    """Exact values: E[step(X)] = P(X > 0) = ½ (the page printed 0.499: the trapezoid rule
    across the jump), E[ReLU(X)] = 1/√(2π), E[sigmoid(X)] = ½ by symmetry; and a Monte-Carlo
    estimate of torch's own functions on a million draws for the rest."""
    exact = {"step": 0.5, "relu": 1 / math.sqrt(2 * math.pi), "sigmoid": 0.5, "tanh": 0.0}
    for key, value in exact.items():
        assert f"{mean_on_standard_normal(key):.3f}" == f"{value:.3f}", key
        assert abs(mean_on_standard_normal(key) - value) < 1e-5, key
    x = torch.randn(1_000_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for key in ELEMENTWISE:
        sampled = ACTIVATIONS[key](x).mean().item()  # within 5 standard errors (≲ 0.005)
        assert abs(mean_on_standard_normal(key) - sampled) < 5e-3, key


def test_softmax_is_a_vector_function_whose_jacobian_autograd_gives():
    spec = ACTIVATIONS["softmax"]
    z = torch.tensor([2.0, 1.0, 0.1, -3.0], dtype=torch.float64)
    p = spec(z)
    torch.testing.assert_close(p, torch.exp(z) / torch.exp(z).sum())
    torch.testing.assert_close(p.sum(), torch.tensor(1.0, dtype=torch.float64))
    jacobian = torch.autograd.functional.jacobian(spec, z)
    torch.testing.assert_close(jacobian, torch.diag(p) - torch.outer(p, p))
    torch.testing.assert_close(spec.module()(z), p)
    assert not spec.elementwise


def test_modules_are_the_torch_layers_models_py_uses():
    for name, spec in MODEL_ACTIVATIONS.items():
        assert type(spec.module()) is getattr(nn, name)  # what models.py builds and exports
    prelu = ACTIVATIONS["prelu"].module(a=0.5)
    assert isinstance(prelu, nn.PReLU) and prelu.weight.item() == 0.5
    assert type(ACTIVATIONS["swish"].module(beta=2.0)).__name__ == "Swish"


def test_parameters_are_checked():
    spec = get_activation("leaky_relu")
    with pytest.raises(ConfigError, match="between 0 and 1"):
        spec.resolve({"negative_slope": 1.5})
    with pytest.raises(ConfigError, match="no parameter"):
        spec.resolve({"alpha": 0.1})
    with pytest.raises(ConfigError, match="must be a number"):
        spec.resolve({"negative_slope": "steep"})
    with pytest.raises(ConfigError, match="Unknown activation"):
        get_activation("swishy")


def test_the_grid_contains_the_kinks_and_marks_them():
    c = curve("hardtanh", {"min_val": -0.5, "max_val": 2.0}, -3, 3, dtype=torch.float64)
    assert {-0.5, 2.0} <= set(c.x.tolist())
    assert c.kinks == [(-0.5, 0.0), (2.0, 0.0)]
    assert c.dy[c.x == -0.5].item() == 0.0 and c.dy[c.x == 2.0].item() == 0.0
    outside = curve("relu6", None, -3, 3)  # the kink at 6 is off the range: not marked
    assert outside.kinks == [(0.0, 0.0)]


def test_saturated_intervals():
    relu = curve("relu", None, -2, 2, dtype=torch.float64)
    assert relu.saturated == [(-2.0, 0.0)]  # ReLU'(0) = 0, so 0 belongs to the flat part
    sigmoid = curve("sigmoid", None, -10, 10, num_points=2001, dtype=torch.float64)
    s = (1 - math.sqrt(1 - 4 * 0.01)) / 2  # σ(x) where σ'(x) = σ(1 - σ) = 0.01
    edge = math.log(s / (1 - s))  # ≈ -4.595
    (lo1, hi1), (lo2, hi2) = sigmoid.saturated
    assert (lo1, hi2) == (-10.0, 10.0)
    assert hi1 == pytest.approx(edge, abs=0.01) and lo2 == pytest.approx(-edge, abs=0.01)


def test_step_curve_has_no_slope_at_the_jump():
    c = curve("step", None, -1, 1)
    assert math.isnan(c.dy[c.x == 0].item())
    assert (c.dy[c.x != 0] == 0).all()


@pytest.mark.parametrize(
    ("x_min", "x_max", "error", "message"),
    [
        (3, -3, ConfigError, "reversed"),
        (1, 1, ConfigError, "empty"),
        ("a", 1, ConfigError, "two numbers"),
        (float("nan"), 1, ConfigError, "finite"),
        (-1, MAX_ABS_X * 2, LimitError, "inside"),
    ],
)
def test_bad_ranges_are_refused(x_min, x_max, error, message):
    with pytest.raises(error, match=message):
        check_range(x_min, x_max)


def test_curves_limits():
    with pytest.raises(ConfigError, match="at least one"):
        curves([], {}, -1, 1)
    with pytest.raises(LimitError, match="at most"):
        curves(list(ELEMENTWISE)[: MAX_CURVES + 1], {}, -1, 1)
    with pytest.raises(ConfigError, match="whole vector"):
        curves(["softmax"], {}, -1, 1)
    with pytest.raises(LimitError, match="points"):
        curve("relu", None, -1, 1, num_points=10**7)
