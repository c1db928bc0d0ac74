"""What the numbers show: an experiment's finished (or running) snapshots as a table and sentences.

Everything is read back from each run's own config (its size, batch, learning rate), so a
set re-attached after a refresh summarises exactly like a fresh one.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.engine.learning.config import RunConfig
from core.engine.learning.data import TRAIN_SIZE
from core.engine.runs.record import Run
from core.experiments.sets import experiment, gd_variant, is_baseline

FINAL_WINDOW = 5  # the final training loss is the mean of this many last logged losses
DIVERGED_FACTOR = 1.5  # final loss this far above chance (or the start): the run diverged
STUCK_FACTOR = 0.9  # final loss still above this fraction of chance: it barely learned
NON_FINITE_MARK = "loss became"  # in the error of a run the loop stopped for a NaN loss


@dataclass
class Finding:
    rows: list[dict[str, Any]]  # the table: one row per run
    lines: list[str] = field(default_factory=list)  # what the numbers show, in sentences
    complete: bool = False  # every run of the set has finished


def train_losses(s: Run) -> list[float]:
    return [float(r["loss"]) for r in s.train]


def final_train_loss(s: Run) -> float | None:
    losses = train_losses(s)[-FINAL_WINDOW:]
    if not losses:
        return None
    return statistics.fmean(losses) if all(map(math.isfinite, losses)) else math.inf


def score(s: Run) -> float:
    """The loss runs are compared by: on the same test images, so batch size cannot bias it
    (a training loss from batches of one image is far noisier than one from 1,000)."""
    value = s.final_test_loss
    value = final_train_loss(s) if value is None else value
    return math.inf if value is None or not math.isfinite(value) else value


def updates_per_s(s: Run) -> float | None:
    """Optimizer steps per second of training time (evaluation excluded, like samples/s)."""
    if not s.step or not s.samples_seen or not s.samples_per_s:
        return None
    return s.step * s.samples_per_s / s.samples_seen


def loss_noise(s: Run) -> float | None:
    """How jumpy the logged loss is: the spread of its step-to-step changes."""
    losses = [x for x in train_losses(s) if math.isfinite(x)]
    if len(losses) < 3:
        return None
    return statistics.pstdev(b - a for a, b in itertools.pairwise(losses))


def chance_loss(config: RunConfig) -> float:
    """The loss of a model that knows nothing and gives every class the same probability."""
    return math.log(config.model.num_classes)


def peak_loss(s: Run) -> float:
    """The highest finite training loss the run logged (0 before any)."""
    return max((x for x in train_losses(s) if math.isfinite(x)), default=0.0)


def verdict(s: Run) -> str:
    """learned / barely learned / blew up / diverged (or the run's status without a loss).

    The yardstick is the loss of a uniform guess, ln(classes): a run must end well below it
    to have learned, and one that ends far above it (or at NaN) has diverged. A run that
    ends near it after its loss shot far above it on the way "blew up": too large a rate
    that threw the weights where the network stops responding, not one too small to move.
    """
    if s.status == "failed":
        # The trainer stops a run whose loss turns NaN or infinite: that is divergence.
        return "diverged" if NON_FINITE_MARK in (s.error or "") else "failed"
    losses = train_losses(s)
    if not losses:
        return s.status.value
    final = s.final_test_loss
    final = final_train_loss(s) if final is None else final
    chance = chance_loss(s.config)
    if not all(map(math.isfinite, [*losses, final])):
        return "diverged"
    if final > DIVERGED_FACTOR * max(chance, losses[0]):
        return "diverged"
    if final > STUCK_FACTOR * chance:
        return (
            "blew up"
            if peak_loss(s) > DIVERGED_FACTOR * max(chance, losses[0])
            else ("barely learned")
        )
    return "learned"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.3g}"


def _rate(x: float | None) -> str:
    """Per-second figures: 3,914 rather than 3.91e+03, 1.57 rather than 2."""
    return "–" if x is None else f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _row(s: Run, **extra: Any) -> dict[str, Any]:
    return {
        "run": s.config.name,
        **extra,
        "updates": s.step,
        "final train loss": final_train_loss(s),
        "test loss": s.final_test_loss,
        "test accuracy": s.final_accuracy,
        "seconds": round(s.elapsed_s, 1),
        "status": s.status.value,
    }


def error_factor(acc_before: float, acc_after: float) -> float:
    """How many times fewer mistakes: error rates, not accuracy points, because near 100%
    every point is harder to win (90% -> 99% removes nine errors out of ten)."""
    return (1 - acc_before) / max(1 - acc_after, 1e-4)


def summarise_data_size(snaps: Sequence[Run]) -> Finding:
    rows, curves = [], {}
    for s in sorted(snaps, key=lambda s: s.config.train_subset or TRAIN_SIZE):
        n = s.config.train_subset or TRAIN_SIZE
        family = s.config.name.split(" · ")[0]
        rows.append(_row(s, images=n, epochs=s.config.epochs))
        acc = s.final_accuracy
        if acc is not None and s.status == "done":
            curves.setdefault((is_baseline(s.config), family), []).append((n, acc))
    lines = []
    for (_, family), pts in sorted(curves.items()):
        (n0, a0), (n1, a1) = pts[0], pts[-1]
        if n1 > n0:
            lines.append(
                f"{family}: {_pct(a0)} with {n0:,} images, {_pct(a1)} with {n1:,} "
                f"(errors divided by {error_factor(a0, a1):.2g})."
            )
    deep = next((dict(p) for (b, _), p in curves.items() if not b), None)
    base = next((dict(p) for (b, _), p in curves.items() if b), None)
    if deep and base:
        shared = sorted(set(deep) & set(base))
        if len(shared) >= 2:
            n0, n1 = shared[0], shared[-1]
            f_deep = error_factor(deep[n0], deep[n1])
            f_base = error_factor(base[n0], base[n1])
            verdict = "profits more from data" if f_deep > f_base else "does not profit more here"
            lines.append(
                f"From {n0:,} to {n1:,} images the network divided its errors by "
                f"{f_deep:.2g} and the linear baseline by {f_base:.2g}: the network {verdict}."
            )
    return Finding(rows, lines)


def _by_batch(snaps: Sequence[Run], **columns: Any) -> tuple[list[dict[str, Any]], list[Run]]:
    """Table rows ordered by batch size (each `columns` value is a function of a snapshot),
    and the finished runs that logged a loss, in the same order."""
    ordered = sorted(snaps, key=lambda s: s.config.batch_size)
    rows = [_row(s, **{name: column(s) for name, column in columns.items()}) for s in ordered]
    return rows, [s for s in ordered if s.status == "done" and s.train]


def _samples(runs: Sequence[Run]) -> str:
    """The training images each run saw, from its settings (the same for every run of a set)."""
    counts = {(s.config.train_subset or TRAIN_SIZE) * s.config.epochs for s in runs}
    return f"{counts.pop():,}" if len(counts) == 1 else "number of"


def summarise_batch_size(snaps: Sequence[Run]) -> Finding:
    rows, done = _by_batch(
        snaps,
        batch=lambda s: s.config.batch_size,
        **{
            "updates/s": updates_per_s,
            "samples/s": lambda s: round(s.samples_per_s) if s.samples_per_s else None,
            "loss noise": loss_noise,
        },
    )
    lines = []
    if len(done) >= 2:
        small, big = done[0], done[-1]
        lines.append(
            f"Batch {small.config.batch_size:,} made {small.step:,} updates at "
            f"{_rate(updates_per_s(small))}/s; batch {big.config.batch_size:,} made "
            f"{big.step:,} at {_rate(updates_per_s(big))}/s, for the same samples."
        )
        lines.append(
            f"Noisy but frequent: the loss of batch {small.config.batch_size:,} jumps by "
            f"{_num(loss_noise(small))} between logs; precise but slow: batch "
            f"{big.config.batch_size:,} ends at test loss {_num(score(big))} against "
            f"{_num(score(small))}."
        )
        busiest = max(done, key=lambda s: s.samples_per_s or 0.0)
        lines.append(
            f"Images per second of training: batch {busiest.config.batch_size:,} pushed the "
            f"most through ({_rate(busiest.samples_per_s)}/s against "
            f"{_rate(small.samples_per_s)}/s for batch {small.config.batch_size:,}): one big "
            "step keeps the hardware busier than many small ones."
        )
        best = min(done, key=score)
        lines.append(
            f"Per sample (every run saw the same {_samples(done)} images): batch "
            f"{best.config.batch_size:,} learned most, lowest test loss "
            f"({_num(score(best))}, test accuracy {_pct(best.final_accuracy)})."
        )
    return Finding(rows, lines)


def summarise_gd_variants(snaps: Sequence[Run]) -> Finding:
    rows, done = _by_batch(
        snaps,
        variant=lambda s: gd_variant(s.config),
        batch=lambda s: s.config.batch_size,
        **{"updates/s": updates_per_s},
    )
    lines = [
        f"{gd_variant(s.config)}: {s.step:,} updates in {s.elapsed_s:.1f} s, test loss "
        f"{_num(score(s))}, test accuracy {_pct(s.final_accuracy)}."
        for s in done
    ]
    if len(done) >= 2:
        best = min(done, key=score)
        lines.append(f"For this budget, {gd_variant(best.config)} reached the lowest test loss.")
    return Finding(rows, lines)


def summarise_learning_rate(snaps: Sequence[Run]) -> Finding:
    ordered = sorted(snaps, key=lambda s: s.config.lr)
    rows = [_row(s, lr=s.config.lr, verdict=verdict(s)) for s in ordered]
    # a run stopped for a NaN loss ended as "failed", but it is a finished data point too
    ended = [s for s in ordered if s.status == "done" or verdict(s) == "diverged"]
    lines = []
    learned = [s for s in ended if verdict(s) == "learned"]
    best_lr = min(learned, key=score).config.lr if learned else None
    if learned:
        best = min(learned, key=score)
        lines.append(
            f"Best learning rate: {best.config.lr:g} (test loss {_num(best.final_test_loss)}, "
            f"accuracy {_pct(best.final_accuracy)})."
        )
    slow = [s for s in ended if verdict(s) == "barely learned"]
    if best_lr is not None:
        groups = [
            ("Too small, barely moved", [s for s in slow if s.config.lr < best_lr]),
            ("Too large, stuck near a uniform guess", [s for s in slow if s.config.lr > best_lr]),
        ]
    else:
        groups = [("Barely learned", slow)]
    blew = [s for s in ended if verdict(s) == "blew up"]
    groups.append(("Too large, blew up then stuck near a uniform guess", blew))
    groups.append(("Diverged", [s for s in ended if verdict(s) == "diverged"]))
    for words, runs in groups:
        if runs:
            lines.append(f"{words}: lr = {', '.join(f'{s.config.lr:g}' for s in runs)}.")
    # A rate just too large often blows the loss up, then lands on the uniform guess with
    # dead units: its verdict says so, and its curve shows the explosion.
    for s in blew:
        lines.append(
            f"lr = {s.config.lr:g} blew the loss up to {peak_loss(s):.3g} on the way, then "
            f"settled near the uniform guess ({chance_loss(s.config):.2f}): steps that large "
            "throw the weights where the network stops responding to its input."
        )
    return Finding(rows, lines)


SUMMARIES = {
    "data_size": summarise_data_size,
    "batch_size": summarise_batch_size,
    "gd_variants": summarise_gd_variants,
    "learning_rate": summarise_learning_rate,
}


def summarise(experiment_id: str, snaps: Sequence[Run]) -> Finding:
    """The table and sentences for a set; `complete` once every run has finished."""
    experiment(experiment_id)  # a clear error for an unknown id
    finding = SUMMARIES[experiment_id](snaps)
    finding.complete = bool(snaps) and all(s.finished for s in snaps)
    if snaps and not finding.complete:
        finding.lines.insert(0, "Still running: the numbers below grow as runs finish.")
    return finding
