"""The fair optimizer race: same initial weights, same batches, queued all or nothing."""

from __future__ import annotations

import pytest

from core.engine.learning.config import RunConfig
from core.engine.learning.models import linear_spec
from core.engine.learning.setup import initial_state, state_hash
from core.errors import ConfigError, LimitError
from core.train.fair_race import MAX_RACERS, is_race, race_configs, start_race

BASE = RunConfig(model=linear_spec(), train_subset=64, test_subset=32, batch_size=16)
PICKS = [("SGD", 0.1), ("Adam", 0.01), ("Adadelta", 0.5)]


def test_racers_differ_in_the_optimizer_alone():
    configs = race_configs(BASE, PICKS)
    assert [(c.optimizer, c.lr) for c in configs] == PICKS
    for c in configs:
        assert c.with_changes(optimizer=BASE.optimizer, lr=BASE.lr, name="") == BASE


@pytest.mark.needs_data
def test_every_racer_starts_from_the_same_weights(runner):
    race = start_race(runner, BASE, PICKS, owner="me")
    runs = [runner.wait(i, timeout=60) for i in race.ids]
    assert [r.status for r in runs] == ["done"] * 3
    assert race.init_hash == state_hash(initial_state(BASE))
    assert {r.init_hash for r in runs} == {race.init_hash}
    assert len({r.group for r in runs}) == 1 and is_race(runs[0].group)


@pytest.mark.parametrize("picks", [PICKS[:1], PICKS * 3])
def test_the_number_of_racers_is_checked(picks):
    with pytest.raises(ConfigError, match=f"Pick 2 to {MAX_RACERS} optimizers"):
        race_configs(BASE, picks)


@pytest.mark.needs_data
def test_a_refused_racer_starts_none_of_them(runner, monkeypatch):
    with pytest.raises(ConfigError, match="learning rate"):
        start_race(runner, BASE, [("SGD", 0.1), ("Adam", -1.0)], owner="me")
    monkeypatch.setattr("core.engine.runs.runner.MAX_QUEUED", 2)
    with pytest.raises(LimitError, match="room for 2 more runs, not 4"):
        start_race(runner, BASE, [*PICKS, ("RMSprop", 0.001)], owner="me")
    assert runner.jobs(owner="me") == []
