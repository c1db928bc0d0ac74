"""What one browser session may hold in uploaded files on the server, and which go first.

Streamlit keeps every file a session uploads in the server's memory until the session ends
or the page removes it; a client that uploads straight to the upload route (no widget to
replace its files) could otherwise hold any amount. `UploadLedger` bounds each session by
count and by bytes: a new file is taken, and the session's oldest files are dropped until
both limits hold again. The server's upload store applies what it says (ui/uploads.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

MAX_UPLOADS_PER_SESSION = 3  # files one session may hold at once
MAX_UPLOAD_BYTES_PER_SESSION = 12 * 2**20  # and their bytes together (two 5 MiB pictures fit)


@dataclass(frozen=True)
class Dropped:
    """A file a session's newer uploads pushed out."""

    file_id: str
    name: str


class UploadLedger:
    """Each session's files, oldest first; thread-safe (uploads arrive on the server's loop,
    removals from script threads)."""

    def __init__(
        self,
        max_files: int = MAX_UPLOADS_PER_SESSION,
        max_bytes: int = MAX_UPLOAD_BYTES_PER_SESSION,
    ):
        self.max_files, self.max_bytes = max_files, max_bytes
        self._files: dict[str, OrderedDict[str, tuple[str, int]]] = {}
        self._dropped: dict[str, list[Dropped]] = {}
        self._lock = threading.Lock()

    def admit(self, session: str, file_id: str, name: str, size: int) -> list[Dropped]:
        """Record a new file of `session`; the older files it must drop, oldest first."""
        with self._lock:
            files = self._files.setdefault(session, OrderedDict())
            files.pop(file_id, None)  # the same file sent again replaces itself
            files[file_id] = (name, size)
            dropped = []
            while len(files) > 1 and (
                len(files) > self.max_files or sum(s for _, s in files.values()) > self.max_bytes
            ):
                old_id, (old_name, _) = files.popitem(last=False)
                dropped.append(Dropped(old_id, old_name))
            if dropped:
                self._dropped.setdefault(session, []).extend(dropped)
            return dropped

    def forget(self, session: str, file_id: str) -> None:
        with self._lock:
            self._files.get(session, {}).pop(file_id, None)

    def forget_session(self, session: str) -> None:
        with self._lock:
            self._files.pop(session, None)
            self._dropped.pop(session, None)

    def held(self, session: str) -> tuple[int, int]:
        """(files, bytes) the session holds."""
        with self._lock:
            files = self._files.get(session, {})
            return len(files), sum(s for _, s in files.values())

    def take_dropped(self, session: str) -> list[Dropped]:
        """The files dropped from `session` since it last asked (for its page's message)."""
        with self._lock:
            return self._dropped.pop(session, [])


def dropped_message(dropped: list[Dropped]) -> str:
    """What the page says when a session's newer uploads pushed older ones out."""
    names = ", ".join(f"**{d.name}**" for d in dropped[:3]) + (" …" if len(dropped) > 3 else "")
    return (
        f"{names} {'was' if len(dropped) == 1 else 'were'} dropped from the server: a browser "
        f"tab keeps at most {MAX_UPLOADS_PER_SESSION} uploaded files "
        f"({MAX_UPLOAD_BYTES_PER_SESSION / 2**20:.0f} MiB together), the oldest go first. "
        "Upload it again to use it."
    )
