"""Where a learner is on the route and what they did at each stop, as the URL keeps it.

Progress is stored by each stop's key, never by its position, so a stop added to the route
later leaves every saved link's place and marks right:

    route=offset                 the stop the learner is at
    marks=data:s,offset:r        what happened at each stop (stops not named: open)

A mark says how the question went, never what its answer is:

    r  right the first time        h  right after a wrong try (the hint)
    a  the answer was shown        m  tried, not right yet (missed if left so)
    s  skipped: left unanswered    d  answered right (links from before r and h existed)

Links from before keys were used (`route=2&marks=ds-...`, by position) are read through the
route as it was then (`LEGACY_ORDER`), so they stay right too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RIGHT, HINTED, SHOWN, MISSED, SKIPPED, DONE, OPEN = "r", "h", "a", "m", "s", "d", "-"
MARK_TEXT = {
    RIGHT: "right first time",
    HINTED: "right after a hint",
    DONE: "answered",
    SHOWN: "answer shown",
    MISSED: "missed",
    SKIPPED: "skipped",
    OPEN: "not yet",
}
ANSWERED = frozenset({RIGHT, HINTED, DONE})  # answered right, one way or another
REVEALED = ANSWERED | {SHOWN, SKIPPED}  # the stop's page may show what gives the answer away
MAX_PARAM = 2000  # characters of a route parameter read from a URL
# The stops in the order the positional links counted them (do not change: old links use it).
LEGACY_ORDER = (
    "data", "offset", "stride", "view", "dtype", "linear", "conv", "deconv", "rnn", "dropout",
    "nonlinear", "vanishing", "cost", "chain", "batches", "lr", "eager", "api", "convnet",
    "predict",
)  # fmt: skip
_KEPT = frozenset(MARK_TEXT) - {OPEN}  # the marks a URL keeps


def read_place(raw: str, keys: Sequence[str]) -> str | None:
    """The stop a URL's `route` names: a key of `keys`, or an old link's 1-based position."""
    raw = (raw or "")[:MAX_PARAM]
    if raw in keys:
        return raw
    if raw.isdigit() and len(raw) < 4 and 1 <= int(raw) <= len(LEGACY_ORDER):
        key = LEGACY_ORDER[int(raw) - 1]
        return key if key in keys else None
    return None


def read_marks(raw: str, keys: Sequence[str]) -> dict[str, str]:
    """The marks a URL's `marks` holds, by stop key; unknown stops and marks are left out."""
    raw = (raw or "")[:MAX_PARAM]
    marks: dict[str, str] = {}
    if ":" not in raw and set(raw) <= {DONE, SKIPPED, OPEN}:  # an old link: one per position
        pairs = list(zip(LEGACY_ORDER, raw, strict=False))
    else:
        pairs = [tuple(item.split(":", 1)) for item in raw.split(",") if ":" in item]
    for key, mark in pairs:
        if key in keys and mark in _KEPT:
            marks[key] = mark
    return marks


def write_marks(marks: Mapping[str, str], keys: Sequence[str]) -> str:
    """`marks` for the URL, in the route's order (open stops are left out)."""
    return ",".join(f"{k}:{marks[k]}" for k in keys if marks.get(k) in _KEPT)


def marked(marks: Mapping[str, str], key: str, mark: str) -> dict[str, str]:
    """`marks` after `mark` happened at `key`; what a stop earned is never taken back:

    - a right answer is RIGHT the first time, HINTED after a wrong try, and stays SHOWN
      once the answer was shown;
    - a wrong answer (MISSED), the answer shown (SHOWN) or leaving (SKIPPED) never undo a
      right answer; leaving a stop tried and missed keeps it MISSED.
    """
    now = marks.get(key, OPEN)
    if now in ANSWERED:
        new = now
    elif mark in (RIGHT, DONE):
        new = {MISSED: HINTED, SHOWN: SHOWN}.get(now, mark)
    elif mark == MISSED:
        new = now if now == SHOWN else MISSED
    elif mark == SHOWN:
        new = SHOWN
    else:  # SKIPPED: leaving
        new = now if now in (SHOWN, MISSED) else SKIPPED
    return {**marks, key: new}


def revealed(marks: Mapping[str, str], key: str) -> bool:
    """Whether the stop's page may show what gives its answer away: answered, shown or skipped
    (a wrong try keeps it hidden, for another try)."""
    return marks.get(key, OPEN) in REVEALED


def summary(marks: Mapping[str, str], keys: Sequence[str]) -> dict[str, list[str]]:
    """The stops by what happened there, in the route's order (open ones as OPEN)."""
    out: dict[str, list[str]] = {mark: [] for mark in MARK_TEXT}
    for key in keys:
        out[marks.get(key, OPEN)].append(key)
    return out
