from __future__ import annotations

import pytest
import torch
from torch import nn

from core.engine.learning.activations.registry import ACTIVATIONS as REGISTRY
from core.engine.learning.activations.registry import MODEL_ACTIVATIONS as ACTIVATIONS
from core.engine.learning.models import (
    ConvSpec,
    ModelSpec,
    build_model,
    classic_spec,
    count_parameters,
    layer_table,
)
from core.errors import ConfigError


def test_classic_net_matches_the_chapter():
    model = build_model(classic_spec())
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (1, 16, (3, 3)),
        (16, 32, (3, 3)),
    ]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(4608, 64), (64, 10)]
    assert any(isinstance(m, nn.Dropout2d) for m in model.features)
    # Dropout on the flat vector is plain Dropout: Dropout2d there warns and will become an error.
    assert not any(isinstance(m, nn.Dropout2d) for m in model.classifier)
    assert count_parameters(model) == 160 + 4640 + 4608 * 64 + 64 + 650


def test_output_is_log_probabilities():
    model = build_model(classic_spec()).eval()
    out = model(torch.randn(5, 1, 28, 28))
    assert out.shape == (5, 10)
    torch.testing.assert_close(out.exp().sum(1), torch.ones(5))


def test_layer_table_shapes_and_parameter_counts_add_up():
    spec = classic_spec()
    rows = layer_table(spec)
    assert rows[0].output_shape == (1, 16, 26, 26)
    assert any(r.output_shape == (1, 32, 12, 12) for r in rows)
    assert any(r.output_shape == (1, 4608) for r in rows)
    assert rows[-1].output_shape == (1, 10)
    assert sum(r.parameters for r in rows) == count_parameters(build_model(spec))


@pytest.mark.parametrize(
    "convs, hidden",
    [
        ([ConvSpec(8, 5, 1, 2, "max"), ConvSpec(16, 5, 1, 2, "max")], [128]),
        ([ConvSpec(4, 3, 2, 1, "avg")], []),
        ([], [32, 16]),
    ],
)
def test_configurations_give_consistent_shapes(convs, hidden):
    spec = ModelSpec(convs=convs, hidden=hidden, dropout=0.1)
    model = build_model(spec).eval()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    rows = layer_table(spec)
    assert sum(r.parameters for r in rows) == count_parameters(model)


def test_a_configuration_that_does_not_fit_names_the_layer():
    spec = ModelSpec(convs=[ConvSpec(8, 7, 2, 0, "max"), ConvSpec(8, 7, 1, 0, "none")])
    with pytest.raises(ConfigError, match=r"breaks at layer 3 \(Conv2d"):
        layer_table(spec)


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec(activation="Nope"),
        ModelSpec(dropout=1.0),
        ModelSpec(convs=[ConvSpec(0)]),
        ModelSpec(convs=[ConvSpec(8, pool="median")]),
        ModelSpec(hidden=[0]),
    ],
)
def test_bad_values_are_refused(spec):
    with pytest.raises(ConfigError):
        build_model(spec)


def test_spec_round_trips_through_a_dict():
    spec = classic_spec()
    assert ModelSpec.from_dict(spec.to_dict()) == spec


def test_model_activations_come_from_the_registry_and_train():
    assert next(iter(ACTIVATIONS)) == "ReLU"
    assert {"ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Tanh", "Sigmoid"} <= set(ACTIVATIONS)
    registry_layers = {repr(entry.module()) for entry in REGISTRY.values()}
    for name in ACTIVATIONS:
        assert repr(getattr(nn, name)()) in registry_layers  # the export writes nn.<name>()
        spec = ModelSpec(convs=[ConvSpec(4, pool="max")], hidden=[8], activation=name)
        model = build_model(spec)
        loss = model(torch.randn(2, 1, 28, 28)).sum()
        loss.backward()
        assert all(p.grad is not None for p in model.parameters())


def test_layer_table_leaves_the_global_generator_alone():
    """A run training in another thread takes its dropout from it; the table must not draw."""
    torch.manual_seed(123)
    before = torch.get_rng_state()
    layer_table(classic_spec())
    assert torch.equal(torch.get_rng_state(), before)
