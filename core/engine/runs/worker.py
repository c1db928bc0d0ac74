"""What trains a run: the training body, run outside the web server by a backend.

`train_task` trains one `Task`, writes the run folder (config, status, metrics every few
seconds, weights and a resumable checkpoint after every epoch) and reports what happens as
typed events (core.engine.runs.events) through `emit`; the server applies them to its `Job`.
It never raises: every failure ends as an `Ended` event with status failed and a message.

The process running it trains one run at a time, so torch's global generator is the run's
own: it is seeded like a plain script (`torch.manual_seed(seed)`) and nothing else draws
from it. A resumed run restores that generator, the batch-order generator, the optimizer and
the schedule from the checkpoint of its last finished epoch, so it continues exactly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from core.devices import resolve_device
from core.engine.learning.config import RunConfig
from core.engine.learning.data import dataset_info
from core.engine.learning.loop import (
    NonFiniteLossError,
    evaluate,
    loop_settings,
    steps_per_epoch,
    train_one_epoch,
)
from core.engine.learning.setup import (
    init_model,
    load_run_data,
    make_optimizer,
    make_scheduler,
    normalization_of,
    state_hash,
)
from core.engine.runs.checkpoint import save_model
from core.engine.runs.events import Ended, Logged, OnEvent, Progress, Saved, Started, Tested
from core.engine.runs.folder import (
    StatusRecord,
    folder_error,
    hold_training_lock,
    process_token,
    write_config,
    write_metrics,
    write_probes,
    write_status,
)
from core.engine.runs.probe_log import ProbeLog, probe_digit
from core.engine.runs.record import RunStatus
from core.engine.runs.resume import (
    ResumePoint,
    resume_run,
    save_resume_point,
    save_stop_point,
)
from core.errors import TorchlabError, logged_error_id

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.2  # how often batch progress is reported between logged rows
FLUSH_EVERY_S = 5.0  # how often the curve is written to metrics.csv during an epoch


@dataclass
class Task:
    """Everything a worker needs to train one run; plain data, so it pickles to any backend."""

    job_id: str
    config: dict[str, Any]  # RunConfig.to_dict()
    run_dir: str
    owner: str = ""
    group: str = ""
    initial_state: dict[str, torch.Tensor] | None = None  # start from these weights
    resume: bool = False  # continue from the run folder's checkpoint
    stop_after: int | None = None  # stop as Stop would once this many batches have run
    probes: bool = True  # record the network's inside on probe steps (it changes no number)
    probe_image: list[list[float]] | None = None  # the learner's drawing (28×28 in [0, 1])


class StopSwitch:
    """A run's stop request as its training loop sees it: `request` comes from another thread
    (the pipe's reader, a Ray call), the loop calls the switch before each batch, and the
    "end" event says how many batches ran after the request arrived."""

    def __init__(self) -> None:
        self.batches = 0  # batches started so far
        self.stop_at: int | None = None  # `batches` when the request came

    def request(self) -> None:
        if self.stop_at is None:
            self.stop_at = self.batches

    def __call__(self) -> bool:
        if self.stop_at is not None:
            return True
        self.batches += 1
        return False

    def ended(self, event: Ended) -> Ended:
        """The run's `Ended`, saying how many batches ran after the stop request."""
        if self.stop_at is None:
            return event
        return replace(event, stop_after_batches=self.batches - self.stop_at)


class _Recorder:
    """The worker's copy of the run's history, written to the folder and reported."""

    def __init__(self, task: Task, config: RunConfig, emit: OnEvent):
        self.task, self.config, self.emit = task, config, emit
        self.run_dir = Path(task.run_dir)
        self.train: list[dict] = []
        self.test: list[dict] = []
        self.started = time.time()
        self.init_hash = ""
        self.resumed_after: int | None = None
        self.probe_log: ProbeLog | None = None
        self.last_flush = time.monotonic()

    def status(self, status: RunStatus, error: str | None = None, ended: float | None = None):
        return StatusRecord(
            status,
            owner=self.task.owner,
            group=self.task.group,
            started=self.started,
            finished=ended,
            error=error,
            init_hash=self.init_hash,
            process=process_token(),
            resumed_after=self.resumed_after,
        )

    def flush(self) -> None:
        write_metrics(self.run_dir, self.train, self.test)
        if self.probe_log is not None:
            write_probes(self.run_dir, self.probe_log.probes, self.probe_log.digit)
        self.last_flush = time.monotonic()

    def log(self, line: str) -> None:
        self.emit(Logged(line))


def _stopping_after(batches: int, should_stop: Callable[[], bool]) -> Callable[[], bool]:
    """`should_stop`, and also true from the batch after the first `batches`."""
    asked = 0

    def stop() -> bool:
        nonlocal asked
        asked += 1
        return asked > batches or should_stop()

    return stop


def train_task(task: Task, emit: OnEvent, should_stop: Callable[[], bool]) -> None:
    """Train `task` to its end; the last event is always `Ended`."""
    # cuDNN otherwise picks backward kernels that add in no fixed order, and the same seed
    # drifts in the last digits on a GPU (it does nothing without CUDA).
    torch.backends.cudnn.deterministic = True
    config = RunConfig.from_dict(task.config)
    rec = _Recorder(task, config, emit)
    if task.stop_after is not None:
        should_stop = _stopping_after(task.stop_after, should_stop)
    status, error = RunStatus.FAILED, None
    lock = None
    try:
        rec.run_dir.mkdir(parents=True, exist_ok=True)
        write_config(rec.run_dir, config)
        lock = hold_training_lock(rec.run_dir)
        write_status(rec.run_dir, rec.status(RunStatus.RUNNING))
        completed = _train(task, config, rec, should_stop)
        status = RunStatus.DONE if completed else RunStatus.STOPPED
    except NonFiniteLossError as exc:
        error = str(exc)
    except torch.OutOfMemoryError:
        error = f"{config.device} ran out of memory; try a smaller batch size or model."
        if torch.cuda.is_available():
            torch.cuda.empty_cache()  # give the memory back to the runs that come next
    except TorchlabError as exc:
        error = str(exc)
    except OSError as exc:
        error = folder_error(exc)
    except Exception as exc:  # an unexpected bug still ends as a message, its text in the log
        error_id = logged_error_id(log, exc, f"training run {task.job_id} failed:")
        error = (
            f"The run failed because of a bug on the server (error id `{error_id}`): whoever "
            "runs this Torchlab finds the details in its log under that id."
        )
    ended = time.time()
    status, error = _write_end(rec, status, error, ended)
    if rec.probe_log is not None:
        rec.probe_log.close()
    if lock is not None:
        lock.close()  # from now on a reader of the folder sees the run is not training
    if error:
        rec.log(f"failed: {error}")
    emit(Ended(status, ended, error))


def _write_end(rec: _Recorder, status: RunStatus, error: str | None, ended: float):
    """The curve and the final status to the folder; a run whose end cannot be written
    failed (a folder that turned read-only, a full disk): (status, error) as they end."""
    for what in ("curve", "status"):
        try:
            if what == "curve" and (rec.train or rec.test or not rec.task.resume):
                rec.flush()  # (a resume that could not load its checkpoint keeps its curve)
            else:
                write_status(rec.run_dir, rec.status(status, error, ended))
        except OSError as exc:
            log.warning("could not save the %s of run %s: %s", what, rec.task.job_id, exc)
            if status != RunStatus.FAILED:
                status, error = RunStatus.FAILED, folder_error(exc)
    return status, error


def _train(task: Task, config: RunConfig, rec: _Recorder, should_stop) -> bool:
    """Train every epoch left; False when a stop request ended it early."""
    device = resolve_device(config.device)
    X, y, X_test, y_test = load_run_data(config, device)
    n = X.shape[0]
    per_epoch = steps_per_epoch(n, config.batch_size)
    model = init_model(config, task.initial_state).to(device)
    rec.init_hash = state_hash(model.state_dict())
    torch.manual_seed(config.seed)  # dropout masks: the stream a plain script would draw
    generator = torch.Generator().manual_seed(config.seed)  # batch order
    optimizer = make_optimizer(config, model.parameters())
    scheduler = make_scheduler(config, optimizer, per_epoch)
    if task.probes:
        digit = probe_digit(X_test, task.probe_image, normalization_of(config))
        rec.probe_log = ProbeLog(model, optimizer, digit, rec.emit)
    place = ResumePoint()  # a fresh run starts at the start
    if task.resume:
        place = resume_run(rec, model, optimizer, scheduler, generator, device, per_epoch)
        write_status(rec.run_dir, rec.status(RunStatus.RUNNING))
    first_epoch = place.epoch + 1
    rec.emit(
        Started(
            started=rec.started,
            init_hash=rec.init_hash,
            total_steps=per_epoch * config.epochs,
            total_samples=n * config.epochs,
            epoch=first_epoch,
            step=(first_epoch - 1) * per_epoch + place.batch,
            samples_seen=(first_epoch - 1) * n + place.samples,
            process=process_token(),
            train=list(rec.train),
            test=list(rec.test),
            probes=list(rec.probe_log.probes) if rec.probe_log else [],
            resumed_after=rec.resumed_after,
        )
    )
    if task.resume:
        rec.log(place.resumed_text(per_epoch))
    else:
        rec.log(
            f"training on {n:,} images, testing on {X_test.shape[0]:,}; "
            f"seed {config.seed}, initial weights {rec.init_hash}"
        )
    t0 = time.perf_counter() - place.seconds
    width = len(str(n))
    for epoch in range(first_epoch, config.epochs + 1):
        step0, seen0 = (epoch - 1) * per_epoch, (epoch - 1) * n
        skip = place.batch if epoch == first_epoch else 0  # a resume from a stop inside it
        state = {"samples": 0, "busy": 0.0, "batch_t0": time.perf_counter(), "sent": 0.0,
                 "unlogged": []}  # fmt: skip
        state["samples"] = place.samples if skip else 0
        pending: list[tuple[dict, str]] = []

        def logged(batch, done, now, loss, lr, epoch=epoch, step0=step0, seen0=seen0):
            """A training row and its log line, built only for batches that are shown."""
            row = {"step": step0 + batch, "epoch": epoch, "samples": seen0 + done,
                   "seconds": round(now - t0, 4), "loss": loss, "lr": lr}  # fmt: skip
            return row, (f"epoch: {epoch} [{done:>{width}} / {n}] ({100 * done // n}%)  "
                         f"training loss: {loss:.3f}")  # fmt: skip

        def on_batch_end(batch: int, size: int, loss: float, epoch=epoch, step0=step0,
                         seen0=seen0, state=state, pending=pending) -> None:  # fmt: skip
            now = time.perf_counter()
            state["samples"] += size
            state["busy"] += now - state["batch_t0"]
            point = (batch, state["samples"], now, loss, optimizer.param_groups[0]["lr"])
            if batch % config.log_interval == 0 or batch == per_epoch:
                row, line = logged(*point)
                rec.train.append(row)
                pending.append((row, line))
                state["unlogged"] = []
            else:  # kept until the next logged batch: if the loss explodes first, they show it
                state["unlogged"].append(point)
            if rec.probe_log is not None:  # a probe taken in this step, if one was due
                rec.probe_log.collect(epoch, seen0 + state["samples"], round(now - t0, 4))
            if pending or now - state["sent"] >= PROGRESS_EVERY_S:
                _progress(rec, epoch, step0 + batch, seen0 + state["samples"], state, pending)
                state["sent"] = now
            if time.monotonic() - rec.last_flush >= FLUSH_EVERY_S:
                rec.flush()  # a crash loses at most the last few seconds of curve
            state["batch_t0"] = time.perf_counter()

        try:
            result = train_one_epoch(
                model,
                X,
                y,
                optimizer,
                **loop_settings(config),
                generator=generator,
                device=device,
                scheduler=scheduler,
                on_batch_end=on_batch_end,
                should_stop=should_stop,
                step_offset=step0,
                skip=skip,
            )
        except NonFiniteLossError:
            # the batches since the last logged one: the climb to the explosion, which a run
            # that blows up before its first logged batch would otherwise never draw
            climb = [logged(*point) for point in state["unlogged"]]
            rec.train.extend(row for row, _ in climb)
            pending.extend(climb)
            if climb:
                last = climb[-1][0]
                _progress(rec, epoch, last["step"], last["samples"], state, pending)
            raise  # train_task writes the curve, the climb with it
        if result.stopped:  # no batch trains any more: say so before testing and saving
            _progress(rec, epoch, step0 + result.steps, seen0 + result.samples, state, pending,
                      halted=True)  # fmt: skip
            rec.log(f"stopped by request at step {step0 + result.steps}")
            save_stop_point(rec, epoch, result, model, optimizer, scheduler, generator, device)
            if result.steps:  # the model it keeps is tested too: one accuracy on every page
                done = round(epoch - 1 + result.samples / n, 3)  # e.g. 1.43: into epoch 2
                _test(rec, model, X_test, y_test, done, step0 + result.steps,
                      seen0 + result.samples, t0, f"when stopped, {done:g} epochs in")  # fmt: skip
            _save(task, config, rec, model)
            return False
        _test(rec, model, X_test, y_test, epoch, step0 + result.steps, seen0 + result.samples,
              t0, f"after epoch {epoch}")  # fmt: skip
        _save(task, config, rec, model)
        save_resume_point(rec.run_dir, epoch, model, optimizer, scheduler, generator, device, rec)
    return True


def _test(rec, model, X_test, y_test, epoch, step, samples, t0, when: str) -> None:
    """Score the model on the test images and record it as a test row at `epoch` (a whole
    number after an epoch, a fraction when a stop cut one short)."""
    test_loss, accuracy = evaluate(model, X_test, y_test)
    row = {
        "epoch": epoch,
        "step": step,
        "samples": samples,
        "seconds": round(time.perf_counter() - t0, 4),
        "loss": test_loss,
        "accuracy": accuracy,
    }
    rec.test.append(row)
    rec.emit(Tested(row, f"test set: average loss {test_loss:.4f}, accuracy {accuracy:.2%} {when}"))


def _progress(rec, epoch, step, samples, state, pending, halted: bool = False) -> None:
    rec.emit(
        Progress(
            epoch=epoch,
            step=step,
            samples_seen=samples,
            busy_s=state["busy"],
            rows=[r for r, _ in pending],
            lines=[line for _, line in pending],
            halted=halted,
        )
    )
    state["busy"] = 0.0
    pending.clear()


def _save(task: Task, config: RunConfig, rec: _Recorder, model: torch.nn.Module) -> None:
    """Weights, spec and metrics to the run folder (atomic writes)."""
    mean, std = normalization_of(config)
    meta = {
        "dataset": config.dataset,
        "classes": list(dataset_info(config.dataset).classes),
        "mean": mean,  # the normalization the model expects its inputs in
        "std": std,
        "run": task.job_id,
        "epochs_done": len(rec.test),
        "accuracy": rec.test[-1]["accuracy"] if rec.test else None,
    }
    save_model(rec.run_dir, model, config.model, meta)
    rec.flush()
    write_status(rec.run_dir, rec.status(RunStatus.RUNNING))
    rec.emit(Saved())
