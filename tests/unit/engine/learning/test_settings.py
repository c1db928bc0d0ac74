"""Each Train setting is declared once, on its RunConfig field, and every consumer follows it.

The test walks every field: another valid value must show in the compare table (when runs are
compared on it), in the exported script, and through its CLI option. A field added without a
declaration, or a consumer that forgets one, fails here.
"""

from __future__ import annotations

from dataclasses import fields, replace

import pytest
import torch

from core.engine.cli import CUSTOM_OPTIONS, config_from_args, parser
from core.engine.learning.config import SETTINGS, RunConfig, compare_settings
from core.engine.learning.optimizers import OPTIMIZERS
from core.engine.learning.settings import option, undeclared
from core.engine.learning.setup import make_optimizer, make_scheduler
from core.engine.products.export import export_script
from core.errors import ConfigError
from tests.run_settings import ALTERNATES, BASE

NAMES = [f.name for f in fields(RunConfig)]


def changed(name: str) -> RunConfig:
    return BASE.with_changes(**{name: ALTERNATES[name]})


def test_every_field_is_declared_and_has_an_alternate_here():
    assert undeclared(RunConfig) == []
    assert set(ALTERNATES) == set(NAMES), (
        "give a new setting an alternate value in tests/run_settings.py"
    )


@pytest.mark.parametrize("name", NAMES)
def test_the_compare_table_tells_runs_apart_on_every_compared_setting(name):
    differing, _ = compare_settings([BASE, changed(name)])
    if SETTINGS[name].compared:
        assert differing, f"runs differing only in {name} would 'share every setting'"
    else:
        assert differing == []


@pytest.mark.parametrize("name", NAMES)
def test_the_exported_script_carries_every_setting(name):
    assert export_script(changed(name)) != export_script(BASE)


@pytest.mark.parametrize("name", [n for n in NAMES if not SETTINGS[n].custom])
def test_every_plain_setting_is_a_cli_option_that_sets_it(name):
    value = ALTERNATES[name]
    args = parser().parse_args([option(name), str(value), "--preset", "classic"])
    config = config_from_args(args)
    assert getattr(config, name) == value
    assert option(name) in parser().format_help()


def test_the_structured_settings_have_their_own_cli_options():
    custom = {n for n in NAMES if SETTINGS[n].custom}
    assert custom == set(CUSTOM_OPTIONS)
    text = parser().format_help()
    assert all(flag in text for flags in CUSTOM_OPTIONS.values() for flag in flags)


def test_log_interval_alone_is_a_difference():  # the drift the declaration fixed
    differing, flats = compare_settings([BASE, BASE.with_changes(log_interval=25)])
    assert differing == ["log every"] and flats[1]["log every"] == 25


def test_limits_come_from_the_declaration():
    for name, setting in SETTINGS.items():
        if setting.low is None or setting.high is None:
            continue
        with pytest.raises(ConfigError, match=setting.subject):
            BASE.with_changes(**{name: setting.kind(setting.high) + 1})
        assert getattr(BASE.with_changes(**{name: setting.kind(setting.high)}), name) == (
            setting.high
        )


def test_a_run_config_is_frozen():
    with pytest.raises(AttributeError):
        BASE.lr = 1.0  # type: ignore[misc]


@pytest.fixture
def with_nadam(monkeypatch):
    """One more Adam-like optimizer, registered as a new one would be: the rule must hold for
    optimizers nobody wrote a special case for."""
    adam = OPTIMIZERS["Adam"]
    nadam = replace(adam, name="NAdam", description="Adam with Nesterov momentum.")
    monkeypatch.setitem(OPTIMIZERS, "NAdam", nadam)


@pytest.mark.usefixtures("with_nadam")
@pytest.mark.parametrize("optimizer", [*OPTIMIZERS, "NAdam"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_the_export_cycles_momentum_exactly_when_the_app_does(optimizer, momentum):
    params = (
        {"momentum": momentum}
        if any(p.name == "momentum" for p in OPTIMIZERS[optimizer].params)
        else {}
    )
    config = RunConfig(
        optimizer=optimizer,
        lr=OPTIMIZERS[optimizer].default_lr,
        optimizer_params=params,
        schedule="OneCycle",
    )
    weights = [torch.nn.Parameter(torch.zeros(2))]
    app = make_scheduler(config, make_optimizer(config, weights), steps_per_epoch=10)
    assert f"cycle_momentum={app.cycle_momentum}," in export_script(config)
