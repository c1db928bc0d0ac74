"""One training job: its state under a lock, and the body of the thread that trains it.

`core.engine.runner.Runner` queues jobs and starts their threads; this module is what runs inside
one. The thread loads the data, builds the model, trains epoch by epoch through
core.engine.loop, records every logged step and epoch under the job's lock (pages read copies,
`Run`s), saves the run folder after each epoch, and turns every failure into a FAILED
status with a message. It never calls Streamlit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path

import torch

from core.devices import resolve_device
from core.engine import runs
from core.engine.checkpoint import save_model
from core.engine.data import dataset_info
from core.engine.loop import (
    NonFiniteLossError,
    evaluate,
    init_model,
    load_run_data,
    make_optimizer,
    make_scheduler,
    normalization_of,
    state_hash,
    steps_per_epoch,
    train_one_epoch,
)
from core.engine.randomness import RunRNG
from core.engine.runs import Run, RunStatus
from core.errors import TorchlabError

log = logging.getLogger(__name__)

MAX_LOG_LINES = 500  # the newest log lines a job keeps


class Job:
    """The mutable state of one job; its fields change only under `lock`."""

    def __init__(self, job_id, config, owner, group, initial_state, run_dir):
        self.id = job_id
        self.config = config
        self.owner = owner
        self.group = group
        self.initial_state = initial_state
        self.run_dir: Path = run_dir
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.done_event = threading.Event()
        self.status = RunStatus.QUEUED
        self.epoch = 0
        self.step = 0
        self.total_steps = 0
        self.samples_seen = 0
        self.total_samples = 0
        self.train_seconds = 0.0
        self.started: float | None = None
        self.finished: float | None = None
        self.submitted = time.time()
        self.train: list[dict] = []
        self.test: list[dict] = []
        self.log: deque[str] = deque(maxlen=MAX_LOG_LINES)
        self.log_total = 0
        self.error: str | None = None
        self.init_hash = ""
        self.saved = False  # weights are in the run folder
        self.thread: threading.Thread | None = None

    def add_log(self, line: str) -> None:
        """Append a log line; call with `lock` held."""
        self.log.append(line)
        self.log_total += 1

    def snapshot(self) -> Run:
        with self.lock:
            now = time.time()
            elapsed = (self.finished or now) - self.started if self.started else 0.0
            rate = self.samples_seen / self.train_seconds if self.train_seconds > 0 else 0.0
            eta = None
            if rate > 0 and self.status == RunStatus.RUNNING:
                eta = (self.total_samples - self.samples_seen) / rate
            return Run(
                id=self.id,
                owner=self.owner,
                group=self.group,
                config=self.config,
                status=self.status,
                epoch=self.epoch,
                step=self.step,
                total_steps=self.total_steps,
                samples_seen=self.samples_seen,
                samples_per_s=rate,
                eta_s=eta,
                elapsed_s=elapsed,
                train=list(self.train),
                test=list(self.test),
                log=list(self.log),
                error=self.error,
                run_dir=self.run_dir if self.started else None,
                init_hash=self.init_hash,
                submitted=self.submitted,
                started_at=self.started,
                ended_at=self.finished,
                log_total=self.log_total,
                has_model=self.saved,
            )

    def status_record(self) -> dict:
        return {
            "status": self.status.value,
            "owner": self.owner,
            "group": self.group,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "init_hash": self.init_hash,
            "process": runs.process_token(),
        }


def train_job(job: Job) -> None:
    """The body of a job's thread: train, log, save; failures become a FAILED status."""
    config = job.config
    with job.lock:
        job.status = RunStatus.RUNNING
        job.started = time.time()
    run_dir = job.run_dir
    completed = False
    try:
        runs.write_config(run_dir, config)
        runs.write_status(run_dir, job.status_record())
        completed = _train(job)
    except NonFiniteLossError as exc:
        _fail(job, str(exc))
    except torch.OutOfMemoryError:
        _fail(job, f"{config.device} ran out of memory; try a smaller batch size or model.")
        if torch.cuda.is_available():
            torch.cuda.empty_cache()  # give the memory back to the runs that come next
    except TorchlabError as exc:
        _fail(job, str(exc))
    except Exception as exc:  # an unexpected bug still ends as a message, not a dead server
        log.exception("training job %s failed", job.id)
        _fail(job, f"The run failed: {type(exc).__name__}: {exc}")
    finally:
        with job.lock:
            job.finished = time.time()
            if job.status == RunStatus.RUNNING:
                job.status = RunStatus.DONE if completed else RunStatus.STOPPED
            status, train, test = job.status_record(), list(job.train), list(job.test)
        try:
            runs.write_metrics(run_dir, train, test)
            runs.write_status(run_dir, status)
        except OSError:
            log.exception("could not save the end of run %s", job.id)


def _fail(job: Job, message: str) -> None:
    with job.lock:
        job.status = RunStatus.FAILED
        job.error = message
        job.add_log(f"failed: {message}")


def _train(job: Job) -> bool:
    """Train every epoch; False when a stop request ended it early."""
    config = job.config
    device = resolve_device(config.device)
    X, y, X_test, y_test = load_run_data(config, device)
    n = X.shape[0]
    per_epoch = steps_per_epoch(n, config.batch_size)
    model = init_model(config, job.initial_state).to(device)
    job.initial_state = None  # the weights now live in the model; free the copy
    init_hash = state_hash(model.state_dict())
    rng = RunRNG(model, config.seed, device)  # dropout masks
    generator = torch.Generator().manual_seed(config.seed)  # batch order
    optimizer = make_optimizer(config, model.parameters())
    scheduler = make_scheduler(config, optimizer, per_epoch)
    with job.lock:
        job.init_hash = init_hash
        job.total_steps = per_epoch * config.epochs
        job.total_samples = n * config.epochs
        job.add_log(
            f"training on {n:,} images, testing on {X_test.shape[0]:,}; "
            f"seed {config.seed}, initial weights {init_hash}"
        )
    t0 = time.perf_counter()
    width = len(str(n))

    for epoch in range(1, config.epochs + 1):
        with job.lock:
            job.epoch = epoch
        step0 = (epoch - 1) * per_epoch
        seen0 = (epoch - 1) * n
        batch_t0 = [time.perf_counter()]
        epoch_samples = [0]

        def on_batch_end(
            batch: int,
            size: int,
            loss: float,
            epoch=epoch,
            step0=step0,
            seen0=seen0,
            batch_t0=batch_t0,
            epoch_samples=epoch_samples,
        ) -> None:
            now = time.perf_counter()
            epoch_samples[0] += size
            logged = batch % config.log_interval == 0 or batch == per_epoch
            row = line = None
            if logged:
                done = epoch_samples[0]
                row = {
                    "step": step0 + batch,
                    "epoch": epoch,
                    "samples": seen0 + done,
                    "seconds": round(now - t0, 4),
                    "loss": loss,
                    "lr": optimizer.param_groups[0]["lr"],
                }
                line = (
                    f"epoch: {epoch} [{done:>{width}} / {n}] ({100 * done // n}%)  "
                    f"training loss: {loss:.3f}"
                )
            with job.lock:
                job.step = step0 + batch
                job.samples_seen = seen0 + epoch_samples[0]
                job.train_seconds += now - batch_t0[0]
                if row is not None:
                    job.train.append(row)
                    job.add_log(line)
            batch_t0[0] = time.perf_counter()

        result = train_one_epoch(
            model,
            X,
            y,
            optimizer,
            batch_size=config.batch_size,
            generator=generator,
            device=device,
            scheduler=scheduler,
            on_batch_end=on_batch_end,
            should_stop=job.stop_event.is_set,
            step_offset=step0,
        )
        if result.stopped:
            with job.lock:
                job.add_log(f"stopped by request at step {job.step}")
            _save(job, model)
            return False
        test_loss, accuracy = evaluate(model, X_test, y_test)
        with job.lock:
            job.test.append(
                {
                    "epoch": epoch,
                    "step": step0 + result.steps,
                    "samples": seen0 + result.samples,
                    "seconds": round(time.perf_counter() - t0, 4),
                    "loss": test_loss,
                    "accuracy": accuracy,
                }
            )
            job.add_log(
                f"test set: average loss {test_loss:.4f}, "
                f"accuracy {accuracy:.2%} after epoch {epoch}"
            )
        _save(job, model)
    rng.close()
    return True


def _save(job: Job, model: torch.nn.Module) -> None:
    """Weights, spec and metrics to the run folder (atomic writes), after every epoch."""
    with job.lock:
        train, test, status = list(job.train), list(job.test), job.status_record()
    mean, std = normalization_of(job.config)
    meta = {
        "dataset": job.config.dataset,
        "classes": list(dataset_info(job.config.dataset).classes),
        "mean": mean,  # the normalization the model expects its inputs in
        "std": std,
        "run": job.id,
        "epochs_done": len(test),
        "accuracy": test[-1]["accuracy"] if test else None,
    }
    save_model(job.run_dir, model, job.config.model, meta)
    runs.write_metrics(job.run_dir, train, test)
    runs.write_status(job.run_dir, status)
    with job.lock:
        job.saved = True
