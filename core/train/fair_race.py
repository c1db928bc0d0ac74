"""A fair optimizer race: runs that differ in nothing but the optimizer and its rate.

Every run starts from one copy of the initial weights (the same `state_dict`) and draws its
batches in the same order (the same seed); the set is queued all or nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from core.engine.learning.config import RunConfig
from core.engine.learning.setup import initial_state, state_hash
from core.errors import ConfigError

GROUP_PREFIX = "fair-"  # the group of a race's runs starts with it
MAX_RACERS = 6


@dataclass(frozen=True)
class Race:
    ids: list[str]  # the runs, in the order of the picks
    init_hash: str  # the short hash of the weights every run starts from


def is_race(group: str) -> bool:
    return group.startswith(GROUP_PREFIX)


def race_configs(config: RunConfig, picks: list[tuple[str, float]]) -> list[RunConfig]:
    """One config per (optimizer, learning rate), the rest of `config` unchanged."""
    if not 2 <= len(picks) <= MAX_RACERS:
        raise ConfigError(f"Pick 2 to {MAX_RACERS} optimizers to compare, not {len(picks)}.")
    return [
        config.with_changes(
            optimizer=name, lr=float(lr), optimizer_params={}, name=f"{name} lr={float(lr):g}"
        )
        for name, lr in picks
    ]


def start_race(runner, config: RunConfig, picks: list[tuple[str, float]], owner: str) -> Race:
    """Check every racer, then queue them all from the same initial weights."""
    configs = race_configs(config, picks)
    state = initial_state(config)
    group = GROUP_PREFIX + uuid.uuid4().hex[:8]
    ids = runner.submit_set(configs, owner=owner, group=group, initial_state=state)
    return Race(ids, state_hash(state))
