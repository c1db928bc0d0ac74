"""The exported script runs on its own (no Torchlab) and reproduces the run it came from."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import torch

from core.engine.learning.config import RunConfig
from core.engine.learning.data import data_root
from core.engine.learning.optimizers import OPTIMIZERS, optimizer_defaults
from core.engine.learning.presets import run_preset
from core.engine.products.export import export_script
from tests.unit.engine.products.exported import CONFIGS, LOSS, SMALL

STEP_LR = RunConfig(
    optimizer="SGD",
    lr=0.05,
    optimizer_params={"momentum": 0.9, "nesterov": True},
    schedule="StepLR",
    schedule_params={"step_size": 1, "gamma": 0.5},
    **SMALL,
)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.needs_data
def test_the_exported_script_reproduces_the_first_batches(name, tmp_path, runner):
    config = CONFIGS[name]
    assert config.lr != optimizer_defaults(config.optimizer)[0]
    script = tmp_path / "train_mnist.py"
    script.write_text(export_script(config), encoding="utf-8")
    assert "core" not in re.findall(r"^(?:from|import) (\w+)", script.read_text(), re.M)

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, str(script), "--data", str(data_root()), "--max-batches", "3"],
        cwd=tmp_path,  # Torchlab is not importable from here
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    exported = [float(x) for x in LOSS.findall(result.stdout)]
    assert len(exported) == 3  # --max-batches cut the epoch short
    assert "test set: average loss" in result.stdout

    snap = runner.wait(runner.submit(config), 300)
    ours = [round(r["loss"], 6) for r in snap.train[:3]]
    assert exported == pytest.approx(ours, abs=2e-6)


def test_the_script_states_the_settings_a_learner_would_change():
    text = export_script(STEP_LR)
    assert "BATCH_SIZE = 32" in text and "LR = 0.05" in text
    assert "momentum=0.9" in text and "nesterov=True" in text
    assert "optim.lr_scheduler.StepLR" in text
    compile(text, "train_mnist.py", "exec")  # valid Python for every option
    for spec in ("linear", "fast"):
        compile(export_script(run_preset(spec)), "x.py", "exec")


class OptimizerSpy:
    """Stands in for `torch.optim` inside an exported script and keeps what it builds."""

    def __init__(self):
        self.built: list = []

    def __getattr__(self, name):
        real = getattr(torch.optim, name)
        if not (isinstance(real, type) and issubclass(real, torch.optim.Optimizer)):
            return real  # lr_scheduler and the rest are the real thing

        def build(*args, **kwargs):
            self.built.append(real(*args, **kwargs))
            return self.built[-1]

        return build


def run_exported_main(config: RunConfig, monkeypatch) -> OptimizerSpy:
    """Run the script's main() for one batch on random images, with torch.optim spied on."""
    namespace: dict = {"__name__": "train_mnist"}  # not __main__: nothing runs on exec
    exec(compile(export_script(config), "train_mnist.py", "exec"), namespace)  # our own output
    spy = OptimizerSpy()
    g = torch.Generator().manual_seed(0)
    images = (torch.randn(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,), generator=g))
    namespace["optim"] = spy
    namespace["load"] = lambda root, train, device, download: images
    monkeypatch.setattr(sys, "argv", ["train_mnist.py", "--max-batches", "1", "--epochs", "1"])
    namespace["main"]()
    return spy


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("schedule", ["none", "StepLR", "OneCycle"])
def test_the_script_trains_at_the_configured_learning_rate(optimizer, schedule, monkeypatch):
    lr = optimizer_defaults(optimizer)[0] * 0.37  # not the optimizer's default, nor torch's
    config = RunConfig(model=run_preset("linear").model, optimizer=optimizer, lr=lr,
                       schedule=schedule, batch_size=64, log_interval=1)  # fmt: skip
    assert f"LR = {lr!r}" in export_script(config)
    (built,) = run_exported_main(config, monkeypatch).built
    assert type(built) is getattr(torch.optim, optimizer)
    group = built.param_groups[0]
    if schedule == "OneCycle":
        assert group["max_lr"] == lr  # the peak of the cycle is the configured rate
    else:
        assert group["initial_lr" if schedule == "StepLR" else "lr"] == lr
