"""Files a run folder holds, written atomically: a temporary file in the same folder, then
`os.replace` over the target, so a reader never sees half a file even if the writer dies
mid-way (and the temporary file is removed when the write fails).

A process that must end at once (a worker whose server is gone) calls `abandon_writes` first:
it removes the temporary files of the writes still under way, so none is left behind. A
process killed outright can still leave one; `sweep_temp_files` (a server's start) removes
those that are older than the server.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import CheckpointError

TEMP_SUFFIX = ".tmp"  # a write under way: `.<name>.<random>.tmp` beside its target

# The temporary files of this process's writes under way. The lock is held while one is
# created and registered, and by `abandon_writes` until the process is gone, so no file is
# created that it does not see.
_writing: set[str] = set()
_writing_lock = threading.Lock()


def write_atomic(path: Path | str, write: Callable[[str], None]) -> None:
    """Write `path` through `write(temporary_path)`, then put it in place in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _writing_lock:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        _writing.add(tmp)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        with _writing_lock:
            _writing.discard(tmp)


def abandon_writes() -> None:
    """Remove the temporary files of the writes under way, and let no new one start: for a
    process about to end at once (`os._exit`), so it leaves no half-written file behind. The
    targets keep their last complete version."""
    _writing_lock.acquire()  # never released: the caller exits
    for tmp in list(_writing):
        Path(tmp).unlink(missing_ok=True)


def is_temp_file(path: Path) -> bool:
    """Whether `path` is named like the temporary file of a write (`.<name>.<random>.tmp`)."""
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> Any:
    """A JSON file's data; a CheckpointError naming the file (never its folder) otherwise."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path.name} does not exist.") from None
    except OSError as exc:
        raise CheckpointError(f"{path.name} cannot be read: {_reason(exc)}.") from exc
    except ValueError as exc:  # JSONDecodeError's text says where, never which file
        raise CheckpointError(f"{path.name} is not readable JSON: {exc}") from exc


def _reason(exc: OSError) -> str:
    """An OSError in words, without the path its text carries."""
    return (exc.strerror or type(exc).__name__).lower()
