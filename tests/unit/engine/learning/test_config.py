from __future__ import annotations

import pytest

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ConvSpec, ModelSpec
from core.errors import ConfigError


def test_config_round_trips_through_a_dict():
    config = RunConfig(
        model=ModelSpec(convs=[ConvSpec(8, pool="avg")], hidden=[32]),
        optimizer="SGD",
        lr=0.1,
        optimizer_params={"momentum": 0.9, "nesterov": True},
        train_subset=500,
    )
    assert RunConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"optimizer": "LBFGS"}, "Unknown optimizer"),
        ({"lr": 0.0}, "learning rate"),
        ({"lr": 1e9}, "learning rate"),
        ({"batch_size": 0}, "batch size"),
        ({"epochs": 10_000}, "Epochs"),
        ({"train_subset": 0}, "subset"),
        ({"schedule": "cosine"}, "schedule"),
    ],
)
def test_bad_settings_are_refused_with_a_message(changes, message):
    data = RunConfig().to_dict() | changes
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(data)


def test_unknown_keys_are_refused():
    with pytest.raises(ConfigError, match="Unknown run settings: bogus"):
        RunConfig.from_dict({"bogus": 1})
