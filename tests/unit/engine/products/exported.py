"""Runs the export tests share: the exported script and the notebook must both reproduce them."""

from __future__ import annotations

import re

from core.engine.learning.config import RunConfig
from core.engine.learning.presets import run_preset

SMALL = {"train_subset": 320, "test_subset": 100, "log_interval": 1, "device": "cpu"}
# Learning rates away from each optimizer's default (Adadelta 0.5, SGD 0.05), so a script that
# fell back to the default would print different losses from batch 2 on.
CONFIGS = {
    "classic": run_preset("classic").with_changes(epochs=1, lr=0.3, **SMALL),
    "sgd-onecycle-computed": RunConfig(
        model=run_preset("fast").model,
        normalization="computed",
        optimizer="SGD",
        lr=0.08,
        optimizer_params={"momentum": 0.9, "nesterov": True},
        schedule="OneCycle",
        batch_size=64,
        **SMALL,
    ),
}
LOSS = re.compile(r"^epoch: 1 \[\d+ / 320\] \(\d+%\)  training loss: ([0-9.]+)$", re.M)
