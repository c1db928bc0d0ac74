"""Runs: status, queue, stop, failures, determinism and what lands on disk.

`runner` trains in worker processes (the real default backend). Tests that patch the
training code use `inline_runner`, which trains in a thread of this process (tests/inline_backend).
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ConvSpec, ModelSpec, linear_spec
from core.engine.learning.presets import run_preset
from core.engine.learning.setup import initial_state, load_run_data, state_hash
from core.engine.runs.checkpoint import load_model
from core.engine.runs.folder import list_runs, load_run
from core.engine.runs.record import RunStatus
from core.engine.runs.runner import Runner, default_name
from core.errors import ConfigError, TorchlabError
from tests.unit.engine.runs.gate import Gate

SMALL = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16], dropout=0.2)
LEAKY = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16], activation="LeakyReLU")
QUICK = RunConfig(model=SMALL, train_subset=320, test_subset=200, batch_size=32, log_interval=2)
TIMEOUT = 120  # seconds; generous because the test machine's cores are shared


@pytest.mark.needs_data
def test_a_run_trains_logs_and_saves_everything(runner, runs_dir):
    job_id = runner.submit(QUICK.with_changes(epochs=2), owner="me", name="first run")
    snap = runner.wait(job_id, TIMEOUT)
    assert snap.status == RunStatus.DONE and snap.finished and snap.error is None
    assert snap.step == snap.total_steps == 20 and snap.samples_seen == 640
    assert [r["epoch"] for r in snap.test] == [1, 2]
    assert [r["step"] for r in snap.train] == list(range(2, 21, 2))
    assert snap.log[1] == f"epoch: 1 [ 64 / 320] (20%)  training loss: {snap.train[0]['loss']:.3f}"
    assert snap.samples_per_s > 0 and snap.config.name == "first run"

    record = load_run(snap.run_dir)
    assert record.status == "done" and record.owner == "me" and record.has_model
    assert record.init_hash == snap.init_hash
    assert [r["step"] for r in record.train] == [r["step"] for r in snap.train]
    assert record.final_accuracy == pytest.approx(snap.test[-1]["accuracy"])
    assert [r.id for r in list_runs(runs_dir)] == [job_id]

    # The saved weights are the trained ones: they reproduce the last test accuracy.
    model, spec, meta = load_model(snap.run_dir)
    assert spec == SMALL and meta["dataset"] == "MNIST"
    _, _, X_test, y_test = load_run_data(QUICK, "cpu")
    accuracy = (model(X_test).argmax(1) == y_test).float().mean().item()
    assert accuracy == pytest.approx(snap.test[-1]["accuracy"])


@pytest.mark.needs_data
def test_the_same_config_and_seed_give_the_same_metrics(runner):
    first = runner.wait(runner.submit(QUICK), TIMEOUT)
    second = runner.wait(runner.submit(QUICK), TIMEOUT)
    other = runner.wait(runner.submit(QUICK.with_changes(seed=1)), TIMEOUT)
    losses = [r["loss"] for r in first.train]
    assert losses == [r["loss"] for r in second.train]
    assert first.test[0]["loss"] == second.test[0]["loss"]
    assert losses != [r["loss"] for r in other.train]


@pytest.mark.needs_data
def test_the_queue_runs_one_job_at_a_time_with_a_cap_of_one(inline_runner, monkeypatch):
    gate = Gate(monkeypatch)
    first = inline_runner.submit(QUICK, owner="a")
    second = inline_runner.submit(QUICK, owner="b")
    third = inline_runner.submit(QUICK, owner="b")
    assert gate.entered.wait(TIMEOUT)
    assert inline_runner.snapshot(first).status == RunStatus.RUNNING
    assert inline_runner.snapshot(second).status == RunStatus.QUEUED
    assert inline_runner.queue_position(third) == 2
    inline_runner.stop(third)  # a queued job leaves the queue without ever starting
    assert inline_runner.snapshot(third).status == RunStatus.STOPPED
    assert inline_runner.snapshot(third).run_dir is None
    assert [s.id for s in inline_runner.jobs(owner="b")] == [second, third]
    gate.opened.set()
    assert inline_runner.wait(first, TIMEOUT).status == RunStatus.DONE
    assert inline_runner.wait(second, TIMEOUT).status == RunStatus.DONE


@pytest.mark.needs_data
def test_stop_takes_effect_within_one_batch_and_keeps_the_run(inline_runner, monkeypatch):
    gate = Gate(monkeypatch)
    job_id = inline_runner.submit(QUICK.with_changes(epochs=3))
    assert gate.entered.wait(TIMEOUT)  # the job is inside batch 1
    inline_runner.stop(job_id)
    gate.opened.set()
    snap = inline_runner.wait(job_id, TIMEOUT)
    assert snap.status == RunStatus.STOPPED
    assert snap.step == 1  # batch 1 finished, batch 2 never started
    assert load_run(snap.run_dir).status == "stopped"
    assert load_model(snap.run_dir)[1] == SMALL


@pytest.mark.needs_data
def test_one_tab_may_have_only_a_few_submissions_waiting(inline_runner, monkeypatch):
    from core.engine.runs.runner import MAX_WAITING_PER_OWNER
    from core.errors import LimitError

    gate = Gate(monkeypatch)
    inline_runner.submit(QUICK, owner="a")  # trains at once: it does not wait
    assert gate.entered.wait(TIMEOUT)
    waiting = [inline_runner.submit_set([QUICK, QUICK], owner="a")]  # a set is one submission
    waiting += [[inline_runner.submit(QUICK, owner="a")] for _ in range(MAX_WAITING_PER_OWNER - 1)]
    with pytest.raises(LimitError, match="Your tab already has 3 submissions waiting"):
        inline_runner.submit(QUICK, owner="a")
    others = inline_runner.submit(QUICK, owner="b")  # another learner still gets a place
    headless = inline_runner.submit(QUICK)  # the CLI has no owner and no per-owner cap
    inline_runner.stop(waiting[-1][0])  # one leaves the queue: room for one more
    waiting.append([inline_runner.submit(QUICK, owner="a")])
    for job_id in [others, headless, *(i for ids in waiting for i in ids)]:
        inline_runner.stop(job_id)
    gate.opened.set()


@pytest.mark.needs_data
def test_a_nan_loss_fails_the_run_with_a_message_and_the_queue_goes_on(runner):
    bad = runner.submit(QUICK.with_changes(model=LEAKY, optimizer="SGD", lr=100.0))
    good = runner.submit(QUICK)
    snap = runner.wait(bad, TIMEOUT)
    assert snap.status == RunStatus.FAILED
    assert "loss became NaN at step" in snap.error and "lower learning rate" in snap.error
    assert load_run(snap.run_dir).status == "failed"
    assert runner.wait(good, TIMEOUT).status == RunStatus.DONE


@pytest.mark.needs_data
def test_an_unexpected_error_in_a_job_is_a_failed_run_not_a_dead_server(
    inline_runner, monkeypatch, caplog
):
    import core.engine.runs.worker

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(core.engine.runs.worker, "evaluate", broken)
    with caplog.at_level("ERROR"):
        snap = inline_runner.wait(inline_runner.submit(QUICK), TIMEOUT)
    assert snap.status == RunStatus.FAILED and "a bug on the server (error id `" in snap.error
    # the library's own text goes to the server's log under that id, never to the page
    error_id = snap.error.split("error id `")[1][:8]
    assert "boom" not in snap.error and "RuntimeError" not in snap.error
    assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.needs_data
def test_running_out_of_gpu_memory_fails_the_run_with_advice(inline_runner, monkeypatch):
    import core.engine.runs.worker

    def out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(core.engine.runs.worker, "train_one_epoch", out_of_memory)
    snap = inline_runner.wait(inline_runner.submit(QUICK), TIMEOUT)
    assert snap.status == RunStatus.FAILED
    assert "ran out of memory" in snap.error and "smaller batch size" in snap.error


def test_bad_configs_are_refused_before_a_job_exists(runner):
    too_deep = ModelSpec(convs=[ConvSpec(8, 7, 2, 0, "max"), ConvSpec(8, 7, 1, 0, "none")])
    with pytest.raises(ConfigError, match="breaks at layer 3"):
        runner.submit(QUICK.with_changes(model=too_deep))
    with pytest.raises(TorchlabError, match="not available"):
        runner.submit(QUICK.with_changes(device="cuda:7"))
    with pytest.raises(TorchlabError, match="no run"):
        runner.snapshot("nope")
    assert runner.jobs() == []


@pytest.mark.needs_data
def test_fair_comparison_runs_start_from_the_same_weights(runner):
    state = initial_state(QUICK)
    ids = [
        runner.submit(QUICK.with_changes(optimizer=name, lr=lr), initial_state=state, group="g")
        for name, lr in (("SGD", 0.05), ("Adam", 1e-3))
    ]
    snaps = [runner.wait(i, TIMEOUT) for i in ids]
    assert {s.init_hash for s in snaps} == {state_hash(state)}
    assert [s.id for s in runner.jobs(group="g")] == ids
    assert snaps[0].train[0]["loss"] != snaps[1].train[0]["loss"]


@pytest.mark.slow
@pytest.mark.needs_data
def test_max_concurrent_two_trains_two_at_once(runs_dir):
    runner = Runner(runs_root=runs_dir, max_concurrent=2)
    long = QUICK.with_changes(epochs=50)
    try:
        ids = [runner.submit(long) for _ in range(3)]
        assert [runner.snapshot(i).status for i in ids] == ["running", "running", "queued"]
        runner.stop(ids[0])
        assert runner.wait(ids[0], TIMEOUT).status == RunStatus.STOPPED
        # the freed slot goes to the third run, while the second goes on training
        assert [runner.snapshot(i).status for i in ids[1:]] == ["running", "running"]
        for i in ids[1:]:
            runner.stop(i)
        assert all(runner.wait(i, TIMEOUT).status == RunStatus.STOPPED for i in ids)
    finally:
        runner.shutdown()


def test_runs_that_differ_only_in_their_seed_get_different_default_names():
    config = run_preset("classic").with_changes(train_subset=2000)
    assert default_name(config) == "Adadelta lr=0.5 · batch 32 · 2,000 images"
    assert default_name(config.with_changes(seed=1)) == (
        "Adadelta lr=0.5 · batch 32 · 2,000 images · seed 1"
    )


@pytest.mark.needs_data
def test_the_pages_tip_holds_sgd_at_lr_5_with_leaky_relu_fails_with_nan(runner):
    """The Train page tells learners that SGD at lr 5 with LeakyReLU stops the classic ConvNet
    as failed. With ReLU the units can die first and the run ends 'done' at 10% (the tip used
    to promise a failure for SGD at 10 with the default ReLU)."""
    classic = run_preset("classic")
    config = classic.with_changes(
        model=dataclasses.replace(classic.model, activation="LeakyReLU"),
        optimizer="SGD", lr=5.0, optimizer_params={}, train_subset=1000, test_subset=100, epochs=1,
    )  # fmt: skip
    snap = runner.wait(runner.submit(config), TIMEOUT)
    assert snap.status == RunStatus.FAILED
    assert "NaN" in snap.error and snap.step <= 10


@pytest.mark.needs_data
def test_the_last_partial_batch_counts_and_one_cycle_ends_on_it(runner):
    """300 images in batches of 32: nine full batches and one of 12 per epoch. OneCycle plans
    exactly total_steps steps, so a lost or an extra batch fails or skews the run."""
    config = RunConfig(
        model=linear_spec(),
        optimizer="Adam",
        lr=0.01,
        schedule="OneCycle",
        train_subset=300,
        test_subset=100,
        batch_size=32,
        epochs=2,
        log_interval=4,
    )
    snap = runner.wait(runner.submit(config), TIMEOUT)
    assert snap.status == RunStatus.DONE, snap.error
    assert snap.step == snap.total_steps == 20 and snap.samples_seen == 600
    assert [(r["epoch"], r["step"], r["samples"]) for r in snap.test] == [
        (1, 10, 300),
        (2, 20, 600),
    ]
    # Each epoch's last (partial) batch is logged as well as every fourth one.
    assert [r["step"] for r in snap.train] == [4, 8, 10, 14, 18, 20]
    assert snap.train[-1]["samples"] == 600
    assert load_run(snap.run_dir).status == "done"


@pytest.mark.needs_data
def test_a_killed_run_keeps_its_curve_up_to_the_last_flush(runner):
    import os
    import signal
    import time

    from core.engine.runs.worker import FLUSH_EVERY_S

    one_long_epoch = QUICK.with_changes(train_subset=60_000, batch_size=1, log_interval=50)
    job_id = runner.submit(one_long_epoch)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:  # a wait for a state, not a timed assertion
        snap = runner.snapshot(job_id)
        if snap.train and snap.train[-1]["seconds"] > 2 * FLUSH_EVERY_S:
            break
        time.sleep(0.2)
    assert snap.step < snap.total_steps  # still inside its only epoch: no epoch-end save yet
    os.kill(int(snap.process.split(":")[0]), signal.SIGKILL)
    runner.wait(job_id, TIMEOUT)
    saved = load_run(snap.run_dir).train
    assert saved and saved == snap.train[: len(saved)]
    assert saved[-1]["seconds"] >= snap.train[-1]["seconds"] - FLUSH_EVERY_S - 1
