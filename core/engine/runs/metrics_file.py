"""metrics.csv: one row per logged training step (kind=train) and per epoch (kind=test).

Written whole and atomically by the trainer (core.engine.runs.folder.write_metrics); read back by
anything that shows a curve. Reading forgives what copies and hand edits do to the file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from core.errors import CheckpointError

METRIC_COLUMNS = ("kind", "epoch", "step", "samples", "seconds", "loss", "lr", "accuracy")


def metrics_csv(train: list[dict[str, Any]], test: list[dict[str, Any]]) -> str:
    """The metrics as CSV text (what metrics.csv holds and the page offers for download)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=METRIC_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for kind, rows in (("train", train), ("test", test)):
        for row in rows:
            writer.writerow({"kind": kind, **row})
    return out.getvalue()


REQUIRED_COLUMNS = {  # what the pages read from each kind of row
    "train": ("epoch", "step", "samples", "seconds", "loss"),
    "test": ("epoch", "step", "samples", "seconds", "loss", "accuracy"),
}


def _number(text: str) -> float | int:
    value = float(text)  # ValueError for anything that is not a number
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def _metric_row(row: dict) -> tuple[str, dict[str, Any]] | None:
    """(kind, values) of one CSV row, or None when the row is cut or holds a non-number."""
    if None in row or not isinstance(row.get("kind"), str):  # too many or too few cells
        return None
    kind = row.pop("kind")
    if kind not in REQUIRED_COLUMNS:
        return None
    try:
        values = {k: _number(v) for k, v in row.items() if v not in ("", None)}
    except ValueError:
        return None
    if any(k not in values for k in REQUIRED_COLUMNS[kind]):
        return None
    return kind, values


def read_metrics(
    path: Path, problems: list[str] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The training and test rows of a metrics.csv (none if it is missing). A row that is
    cut or holds a non-number is left out, and said so in `problems` when given: a copy made
    mid-write or a hand edit must not hide the rest of the curve."""
    rows: dict[str, list[dict[str, Any]]] = {"train": [], "test": []}
    bad: list[int] = []
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames and "kind" not in reader.fieldnames:
                raise ValueError("it has no 'kind' column")
            for row in reader:
                parsed = _metric_row(row)
                if parsed is None:
                    bad.append(reader.line_num)
                else:
                    rows[parsed[0]].append(parsed[1])
    except FileNotFoundError:
        pass
    except OSError as exc:  # its text names the path: the words only
        why = (exc.strerror or type(exc).__name__).lower()
        raise CheckpointError(f"{path.name} is not a readable metrics file: {why}") from exc
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise CheckpointError(f"{path.name} is not a readable metrics file: {exc}") from exc
    if bad and problems is not None:
        lines = ", ".join(map(str, bad[:3])) + (", …" if len(bad) > 3 else "")
        problems.append(
            f"{path.name}: {len(bad)} cut or unreadable row{'s' * (len(bad) > 1)} left out "
            f"(line {lines})"
        )
    return rows["train"], rows["test"]
