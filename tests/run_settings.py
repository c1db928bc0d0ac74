"""Run settings the tests share: another valid value of every RunConfig field, for the tests
that walk each setting through every consumer (the compare table, the export, the CLI, the
Train form and its link), and the tiny run the runner, backend and route tests train."""

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

# A network and a run small enough that a test trains it in a second or two on a CPU: what the
# runner, backend and route tests train when the model's size does not matter.
TINY = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16])
TINY_DROPOUT = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16], dropout=0.3)
QUICK = RunConfig(model=TINY, train_subset=320, test_subset=100, batch_size=32, log_interval=2)
# Momentum, a one-cycle schedule and dropout: every state a resume has to carry over.
SCHEDULED = RunConfig(
    model=TINY_DROPOUT,
    optimizer="SGD",
    lr=0.1,
    optimizer_params={"momentum": 0.9},
    schedule="OneCycle",
    train_subset=640,
    test_subset=100,
    epochs=3,
    log_interval=1,
)
