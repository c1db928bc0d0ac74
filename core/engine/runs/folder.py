"""Runs on disk: one folder per run, so runs survive a server restart.

A run folder holds
- config.json       the RunConfig (RunConfig.from_dict reads it back)
- status.json       status, times, error, the process that trains it, the initial-weights hash
- metrics.csv       one row per logged training step (kind=train) and per epoch (kind=test)
- model.safetensors + model.json   the weights (core.engine.runs.checkpoint: `load_model(run_dir)`
                    rebuilds the trained model)
- resume.pt         the resumable checkpoint (core.engine.runs.resume)
- initial.safetensors  the weights a queued run was given to start from (a fair race's)
A run's folder exists from the moment the server accepts it: a queued run is a folder with
its config and a status "queued", so a server that stops (or dies) loses no run.
Every file is written atomically (core.engine.runs.files).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import math
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from core.engine.learning.config import RunConfig
from core.engine.runs.checkpoint import INITIAL_FILE, SPEC_FILE, WEIGHTS_FILE, save_weights
from core.engine.runs.files import is_temp_file, read_json, write_json_atomic, write_text_atomic
from core.engine.runs.metrics_file import metrics_csv, read_metrics
from core.engine.runs.record import Run, RunStatus, planned_steps
from core.errors import CheckpointError, TorchlabError

RUNS_ENV = "TORCHLAB_RUNS"
DEFAULT_RUNS = "./runs"
CONFIG_FILE = "config.json"
STATUS_FILE = "status.json"
METRICS_FILE = "metrics.csv"
PROBES_FILE = "probes.json"  # the network's inside at probe steps (core.engine.learning.probes)
# Held (flock, shared) by the process training the run for as long as it trains. A folder that
# turns read-only mid-run keeps saying "running" in status.json, and worker processes outlive
# their runs: the lock is what tells a reader that the run is still being trained.
TRAINING_LOCK = "training.lock"
MAX_LISTED_RUNS = 500  # the run list reads at most this many folders (newest first)


def runs_root() -> Path:
    """`TORCHLAB_RUNS` if set, else ./runs."""
    return Path(os.environ.get(RUNS_ENV) or DEFAULT_RUNS).expanduser().resolve()


_WRITE_ERRORS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "{folder} is not writable",
    errno.EPERM: "{folder} is not writable",
    errno.EROFS: "{folder} is on a read-only disk",
}


def write_reason(exc: OSError, folder: str = "the run folder") -> str:
    """Why a write failed, in words a page may show ("the disk is full"): no server path."""
    words = _WRITE_ERRORS.get(exc.errno or 0)
    return words.format(folder=folder) if words else (exc.strerror or "an I/O error").lower()


def folder_error(exc: OSError) -> str:
    """A failed write of the run folder in words a page may show: no server path."""
    return f"The run folder could not be written: {write_reason(exc)}."


def write_metrics(run_dir: Path, train: list[dict], test: list[dict]) -> None:
    write_text_atomic(Path(run_dir) / METRICS_FILE, metrics_csv(train, test))


def write_probes(run_dir: Path, probes: list[dict], digit: dict | None) -> None:
    """probes.json, compact: a long run keeps hundreds of probes."""
    text = json.dumps({"probes": probes, "digit": digit}, separators=(",", ":"), allow_nan=False)
    write_text_atomic(Path(run_dir) / PROBES_FILE, text)


def read_probes(run_dir: Path | str) -> tuple[list[dict], dict | None, str | None]:
    """(probes, the probe digit, what was wrong with the file or None). No file is no probes;
    a damaged one is no probes and a sentence the page shows, never an error."""
    path = Path(run_dir) / PROBES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [], None, None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return [], None, f"{PROBES_FILE} could not be read ({type(exc).__name__}): no probes shown"
    probes = data.get("probes") if isinstance(data, dict) else None
    if not isinstance(probes, list) or not all(
        isinstance(p, dict) and isinstance(p.get("layers"), list) and isinstance(p.get("step"), int)
        for p in probes
    ):
        return [], None, f"{PROBES_FILE} is not a list of probes: no probes shown"
    digit = data.get("digit")
    return probes, digit if isinstance(digit, dict) else None, None


def write_config(run_dir: Path, config: RunConfig) -> None:
    write_json_atomic(Path(run_dir) / CONFIG_FILE, config.to_dict())


@dataclass(frozen=True)
class StatusRecord:
    """status.json: what a reader of the folder needs beside the curve, built only here."""

    status: RunStatus
    owner: str = ""  # the browser tab's token ("" for the CLI)
    group: str = ""  # an experiment or race id
    started: float | None = None  # unix times
    finished: float | None = None
    error: str | None = None
    init_hash: str = ""
    process: str = ""  # process_token() of the process training it (while it trains)
    resumed_after: int | None = None  # the epoch whose checkpoint a resumed run continued from
    submitted: float | None = None  # unix time the server accepted it (a queued run's only time)
    stopped_by: str = ""  # "server" when a server shutdown stopped it (else its tab, the CLI)


def write_status(run_dir: Path, record: StatusRecord) -> None:
    data = {**asdict(record), "status": record.status.value}
    write_json_atomic(Path(run_dir) / STATUS_FILE, data)


def write_queued(
    run_dir: Path, config: RunConfig, record: StatusRecord, initial_state: dict | None = None
) -> None:
    """The folder of a run the server has just accepted: its config, the weights it starts
    from (if given), and a status "queued" naming its owner. An OSError if it cannot be made."""
    write_config(run_dir, config)
    if initial_state is not None:
        save_weights(Path(run_dir) / INITIAL_FILE, initial_state)
    write_status(run_dir, record)


def remove_queued(run_dir: Path) -> None:
    """Remove the folder of a queued run that leaves the queue without training: only the
    files `write_queued` made, and the folder if that leaves it empty."""
    run_dir = Path(run_dir)
    for name in (STATUS_FILE, INITIAL_FILE, CONFIG_FILE):
        (run_dir / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty (the CLI's --out folder, say), or gone
        run_dir.rmdir()


def process_token(pid: int | None = None) -> str:
    """Identifies a live process: its pid plus its start time where /proc tells it, so a
    new server that happens to reuse an old pid is not mistaken for the old one."""
    pid = os.getpid() if pid is None else pid
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        start = stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        start = ""
    return f"{pid}:{start}"


def _process_alive(token: str) -> bool:
    try:
        pid = int(token.split(":", 1)[0])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass  # the process exists but belongs to someone else
    except OSError:
        return False
    return process_token(pid) == token and not _zombie(pid)


def hold_training_lock(run_dir: Path) -> IO[bytes]:
    """Take the run's training lock; it is held until the returned file is closed (or the
    process ends, however it ends)."""
    handle = open(Path(run_dir) / TRAINING_LOCK, "ab")  # noqa: SIM115 (the caller closes it)
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


def _lock_free(run_dir: Path) -> bool:
    """Whether nobody holds the run's training lock. False when there is no lock file (an
    older folder): then the process check alone decides."""
    try:
        with open(run_dir / TRAINING_LOCK, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True
    except OSError:
        return False  # no lock file: say nothing beyond what the process check says


def _zombie(pid: int) -> bool:
    """A process that has exited but was not reaped yet (its parent died first, say) still
    answers kill(pid, 0); /proc says it is a zombie ('Z')."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _time(value: Any) -> float | None:
    """A unix time from status.json, or None for anything else ("yesterday", true, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


def _whole(value: Any) -> int | None:
    """A whole number from status.json, or None for anything else."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _read_status(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        status = read_json(path)
    except CheckpointError as exc:
        if path.exists():
            problems.append(f"{path.name} could not be read ({exc}): shown as interrupted")
        return {}
    if not isinstance(status, dict):
        problems.append(f"{path.name} is not an object: shown as interrupted")
        return {}
    for key in ("started", "finished"):
        if key in status and status[key] is not None and _time(status[key]) is None:
            problems.append(f"{path.name}: '{key}' is not a time ({str(status[key])[:40]!r})")
    return status


def load_run(run_dir: Path | str) -> Run:
    """Read one run folder back; a run whose training process is gone is 'interrupted'.
    A config that cannot be read is a CheckpointError; anything else the folder gets wrong
    is worked around and listed in the run's `problems`."""
    run_dir = Path(run_dir)
    try:
        config = RunConfig.from_dict(read_json(run_dir / CONFIG_FILE))
    except CheckpointError:
        raise
    except (TorchlabError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{CONFIG_FILE} is not a valid run config: {exc}") from exc
    problems: list[str] = []
    status = _read_status(run_dir / STATUS_FILE, problems)
    try:
        train, test = read_metrics(run_dir / METRICS_FILE, problems)
    except CheckpointError as exc:
        problems.append(f"{exc}: no curve to show")
        train, test = [], []
    try:
        state = RunStatus(status.get("status", RunStatus.INTERRUPTED))
    except (ValueError, TypeError):
        problems.append(f"{STATUS_FILE}: unknown status {str(status.get('status'))[:40]!r}")
        state = RunStatus.INTERRUPTED
    error = status.get("error")
    if state in (RunStatus.RUNNING, RunStatus.QUEUED) and (
        not _process_alive(str(status.get("process", ""))) or _lock_free(run_dir)
    ):
        state = RunStatus.INTERRUPTED
        if not folder_writable(run_dir):  # its trainer could not write its end: it failed
            state, error = RunStatus.FAILED, FOLDER_READ_ONLY
    started, ended = _time(status.get("started")), _time(status.get("finished"))
    last = train[-1] if train else {}
    seconds = last.get("seconds") or 0.0
    return Run(
        id=run_dir.name,
        config=config,
        status=state,
        owner=str(status.get("owner", "")),
        group=str(status.get("group", "")),
        epoch=int(last.get("epoch") or math.ceil((test[-1] if test else {}).get("epoch", 0))),
        step=int(max(last.get("step", 0), (test[-1] if test else {}).get("step", 0))),
        total_steps=planned_steps(config),
        samples_seen=int(last.get("samples", 0)),
        samples_per_s=last.get("samples", 0) / seconds if seconds else 0.0,
        elapsed_s=(ended - started) if started and ended else 0.0,
        train=train,
        test=test,
        error=None if error is None else str(error),
        run_dir=run_dir,
        init_hash=str(status.get("init_hash", "")),
        submitted=started or _time(status.get("submitted")) or 0.0,
        started_at=started,
        ended_at=ended,
        has_model=(run_dir / WEIGHTS_FILE).exists() and (run_dir / SPEC_FILE).exists(),
        process=str(status.get("process", "")),
        resumed_after=_whole(status.get("resumed_after")),
        problems=tuple(problems),
        stopped_by=str(status.get("stopped_by") or ""),
    )


FOLDER_READ_ONLY = (
    "The run folder could not be written: it turned read-only while the run trained, so "
    "the run could not save its end."
)


def folder_writable(run_dir: Path) -> bool:
    """Whether this process may write the run folder and its status file (a read-only disk
    or a changed permission says no)."""
    status = Path(run_dir) / STATUS_FILE
    return os.access(run_dir, os.W_OK) and (not status.exists() or os.access(status, os.W_OK))


def sweep_temp_files(root: Path, before: float) -> int:
    """Remove what writes that never finished left in the run folders under `root` (a
    process killed mid-write: `.<name>.<random>.tmp`), older than `before` (a server's start),
    from folders no trainer holds; returns how many were removed."""
    removed = 0
    try:
        folders = [p for p in Path(root).iterdir() if p.is_dir()]
    except OSError:
        return 0
    for folder in folders:
        try:
            stale = [p for p in folder.iterdir() if is_temp_file(p) and p.stat().st_mtime < before]
            if stale and (_lock_free(folder) or not (folder / TRAINING_LOCK).exists()):
                for path in stale:
                    path.unlink(missing_ok=True)
                    removed += 1
        except OSError:
            continue  # a folder that cannot be read or cleaned stays as it is
    return removed


@dataclass(frozen=True)
class Unreadable:
    """A run folder that could not be read back, and why (for the pages' notice)."""

    id: str
    reason: str


def scan_runs(root: Path | None = None) -> tuple[list[Run], list[Unreadable]]:
    """Every run folder under the root, newest first: the readable runs, then the folders
    that could not be read with the reason."""
    root = Path(root) if root else runs_root()
    try:
        folders = sorted(
            (p for p in root.iterdir() if p.is_dir() and (p / CONFIG_FILE).exists()),
            key=lambda p: p.name,
            reverse=True,
        )
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise CheckpointError(
            f"The runs folder cannot be read: {exc.strerror or 'unknown error'}."
        ) from exc
    records, unreadable = [], []
    for folder in folders[:MAX_LISTED_RUNS]:
        try:
            records.append(load_run(folder))
        except TorchlabError as exc:
            unreadable.append(Unreadable(folder.name, str(exc)))
        except OSError as exc:
            unreadable.append(Unreadable(folder.name, f"it cannot be read: {exc.strerror}"))
    # Folder names start with a timestamp to the second; the start time breaks the ties.
    records.sort(key=lambda r: (r.started_at or 0.0, r.id), reverse=True)
    return records, unreadable


def list_runs(root: Path | None = None) -> list[Run]:
    """Every readable run under the root, newest first (scan_runs also names the others)."""
    return scan_runs(root)[0]


def unreadable_notice(unreadable: list[Unreadable]) -> str:
    """One sentence naming the run folders left out and why."""
    shown = "; ".join(f"`{u.id}`: {u.reason}" for u in unreadable[:3])
    more = f"; and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
    n = len(unreadable)
    verb = "are" if n > 1 else "is"
    return f"{n} run folder{'s' * (n > 1)} could not be read and {verb} left out: {shown}{more}."


def delete_run(run_dir: Path | str) -> None:
    """Remove a run folder; refuses anything that is not a run folder."""
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG_FILE).is_file():
        raise CheckpointError(f"{run_dir.name} is not a run folder (it has no {CONFIG_FILE}).")
    record = load_run(run_dir)
    if record.status == RunStatus.RUNNING:
        raise CheckpointError("This run is still training: stop it before deleting it.")
    try:
        shutil.rmtree(run_dir)
    except OSError as exc:
        raise CheckpointError(
            f"The run folder {run_dir.name} could not be deleted: {write_reason(exc)}. "
            "Whoever runs this server can fix its permissions."
        ) from exc
