"""Where a learner is on the route and what they did at each stop, as the URL keeps it.

Progress is stored by each stop's key, never by its position, so a stop added to the route
later leaves every saved link's place and marks right:

    route=offset                 the stop the learner is at
    marks=data:s,offset:d        what happened at each stop they left (stops not named: open)

Links from before keys were used (`route=2&marks=ds-...`, by position) are read through the
route as it was then (`LEGACY_ORDER`), so they stay right too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

DONE, SKIPPED, OPEN = "d", "s", "-"
MARK_TEXT = {DONE: "answered", SKIPPED: "skipped", OPEN: "not yet"}
MAX_PARAM = 2000  # characters of a route parameter read from a URL
# The stops in the order the positional links counted them (do not change: old links use it).
LEGACY_ORDER = (
    "data", "offset", "stride", "view", "dtype", "linear", "conv", "deconv", "rnn", "dropout",
    "nonlinear", "vanishing", "cost", "chain", "batches", "lr", "eager", "api", "convnet",
    "predict",
)  # fmt: skip


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
    if ":" not in raw and set(raw) <= set(MARK_TEXT):  # an old link: one mark per position
        pairs = list(zip(LEGACY_ORDER, raw, strict=False))
    else:
        pairs = [tuple(item.split(":", 1)) for item in raw.split(",") if ":" in item]
    for key, mark in pairs:
        if key in keys and mark in (DONE, SKIPPED):
            marks[key] = mark
    return marks


def write_marks(marks: Mapping[str, str], keys: Sequence[str]) -> str:
    """`marks` for the URL, in the route's order (open stops are left out)."""
    return ",".join(f"{k}:{marks[k]}" for k in keys if marks.get(k) in (DONE, SKIPPED))


def marked(marks: Mapping[str, str], key: str, mark: str) -> dict[str, str]:
    """`marks` with `key` marked; a stop answered right stays answered."""
    if marks.get(key) == DONE:
        return dict(marks)
    return {**marks, key: mark}
