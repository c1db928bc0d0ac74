"""One server-wide budget for the memory the Tensors page's computations allocate.

Each chain is capped on its own (MAX_COPY_BYTES), but a class opens many tabs at once and the
training runs' bookkeeping lives in the same server process: five heavy chains at the same
moment must not add up to an out-of-memory kill. A rerun reserves what it allocates, as it
allocates it, and gives it back when its view is drawn.
"""

from __future__ import annotations

import threading
from types import TracebackType

from core.errors import LimitError
from core.tensors.evaluate import MAX_COPY_BYTES

MAX_PAGE_BYTES = 5 * MAX_COPY_BYTES  # all the page computations of the server together

_lock = threading.Lock()
_held = 0  # bytes reserved right now, every session together


def held_bytes() -> int:
    return _held


class Reservation:
    """Bytes one rerun holds; `add` refuses what would take the server past MAX_PAGE_BYTES."""

    def __init__(self) -> None:
        self.nbytes = 0

    def add(self, nbytes: int) -> None:
        global _held
        with _lock:
            if _held + nbytes > MAX_PAGE_BYTES:
                raise LimitError(
                    f"The server is busy: other visitors' tensors hold {_held / 2**20:,.0f} MiB "
                    f"of the {MAX_PAGE_BYTES / 2**20:,.0f} MiB all pages may use at once, and "
                    f"this needs {nbytes / 2**20:,.0f} MiB more. Try again in a moment, or use "
                    "views and a smaller x."
                )
            _held += nbytes
        self.nbytes += nbytes

    def release(self) -> None:
        global _held
        with _lock:
            _held -= self.nbytes
        self.nbytes = 0

    def __enter__(self) -> Reservation:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
