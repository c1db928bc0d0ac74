"""Another valid value of every RunConfig field, for the tests that walk each setting through
every consumer (the compare table, the export, the CLI, the Train form and its link)."""

from __future__ import annotations

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ConvSpec, ModelSpec

BASE = RunConfig(schedule="StepLR")  # a schedule, so its own settings can differ too
# Another valid value of every field: what each consumer must tell apart from BASE's.
ALTERNATES = {
    "dataset": "FashionMNIST",
    "model": ModelSpec(convs=[ConvSpec(8, 5, pool="max")], hidden=[16]),
    "normalization": "dataset",
    "train_subset": 500,
    "test_subset": 200,
    "optimizer": "SGD",
    "lr": 0.125,
    "optimizer_params": {"rho": 0.8},  # Adadelta's, BASE's optimizer
    "schedule": "OneCycle",
    "schedule_params": {"gamma": 0.5},  # StepLR's
    "batch_size": 64,
    "epochs": 3,
    "seed": 7,
    "init_seed": 11,
    "device": "cuda:0",
    "log_interval": 25,
    "name": "my run",
}
