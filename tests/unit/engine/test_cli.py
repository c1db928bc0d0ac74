"""The headless trainer: `python -m core.engine.cli ...` trains, logs, saves, refuses bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.engine.cli import config_from_args, main, parser
from core.engine.learning.models import ConvSpec
from core.engine.runs.checkpoint import load_model
from core.engine.runs.folder import load_run
from core.errors import ParseError

ROOT = Path(__file__).resolve().parents[3]
QUICK = ["--train-subset", "256", "--test-subset", "200", "--epochs", "1", "--device", "cpu"]


@pytest.mark.slow
@pytest.mark.needs_data
def test_the_command_line_trains_prints_the_log_and_saves_the_run(tmp_path):
    out = tmp_path / "cli-run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core.engine.cli",
            "--preset",
            "fast",
            *QUICK,
            "--log-interval",
            "1",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "epoch: 1 [128 / 256] (50%)  training loss:" in result.stdout
    assert lines[-1].startswith("wall time") and "final test accuracy:" in lines[-1]
    record = load_run(out)
    accuracy = f"{record.final_accuracy:.2%}"
    assert accuracy in lines[-1]
    assert record.status == "done" and record.config.batch_size == 128
    _model, spec, meta = load_model(out)
    assert spec == record.config.model and meta["accuracy"] == record.final_accuracy


def test_options_override_the_preset():
    args = parser().parse_args(
        [
            "--preset",
            "classic",
            "--optimizer",
            "SGD",
            "--opt",
            "momentum=0.9",
            "--opt",
            "nesterov=true",
            "--schedule",
            "StepLR",
            "--sched",
            "gamma=0.5",
            "--conv",
            "8,5,1,2,max",
            "--hidden",
            "32",
            "--batch-size",
            "64",
            "--seed",
            "3",
        ]
    )
    config = config_from_args(args)
    assert config.optimizer == "SGD" and config.lr == 0.05  # SGD's own default rate
    assert config.optimizer_params == {"momentum": 0.9, "nesterov": True}
    assert config.schedule_params == {"gamma": 0.5}
    assert config.model.convs == [ConvSpec(8, 5, 1, 2, "max")]
    assert config.model.hidden == [32] and config.batch_size == 64 and config.seed == 3


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--opt", "momentum=0.9"], "Adadelta has no setting momentum"),
        (["--conv", "8,0,1,0,max"], "kernel size"),
        (["--conv", "8,9,2,0,max", "--conv", "8,9,1,0,max"], "breaks at layer"),
        (["--lr", "-1"], "learning rate"),
        (["--epochs", "1000"], "Epochs must be"),
        (["--stop-after-steps", "0"], "must be at least 1"),
    ],
)
def test_bad_options_are_a_message_and_exit_status_1(argv, message, capsys):
    assert main([*argv, "--device", "cpu"]) == 1
    assert message in capsys.readouterr().err


def test_unreadable_settings_are_refused():
    with pytest.raises(ParseError, match="NAME=VALUE"):
        config_from_args(parser().parse_args(["--opt", "momentum"]))


@pytest.mark.slow
@pytest.mark.needs_data
def test_a_run_stopped_after_n_steps_resumes_from_the_command_line(runs_dir, capsys):
    from core.engine.learning.config import RunConfig
    from core.engine.learning.models import ModelSpec
    from core.engine.runs.runner import Runner

    config = RunConfig(
        model=ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16], dropout=0.3),
        train_subset=2000, test_subset=100, epochs=3, log_interval=5,
    )  # fmt: skip
    runner = Runner(runs_root=runs_dir, max_concurrent=1)
    try:
        straight = runner.wait(runner.submit(config), 300)
    finally:
        runner.shutdown()
    run_dir = runs_dir / "part-way"
    inside_epoch_2 = straight.total_steps // 3 + 5
    config_file = str(straight.run_dir / "config.json")
    argv = ["--config", config_file, "--out", str(run_dir), "--stop-after-steps"]
    assert main([*argv, str(inside_epoch_2)]) == 0  # a planned stop, not an interruption
    out = capsys.readouterr().out
    assert f"(stopped at step {inside_epoch_2} of {straight.total_steps})" in out
    job_id = run_dir.name
    assert load_run(run_dir).status == "stopped"
    assert main(["--resume", job_id]) == 0  # an id under the runs root works as well as a path
    out = capsys.readouterr().out
    assert f"resumed at step {inside_epoch_2}" in out and "final test accuracy" in out
    resumed = load_run(run_dir)
    assert resumed.status == "done"
    assert [r["loss"] for r in resumed.train] == [r["loss"] for r in straight.train]
    assert main(["--resume", "no-such-run"]) == 1
    assert "neither a run folder nor the id" in capsys.readouterr().err
