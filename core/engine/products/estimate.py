"""How long a run set will take, before it starts: a measured step cost times the work.

A training step costs a fixed overhead (Python, kernel launches) plus a cost per sample, so
batch size 1 is slow per sample and big batches are fast per sample. Timing two batch sizes
on the chosen device gives both numbers; the runs' step and sample counts do the rest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.devices import resolve_device, synchronize
from core.engine.learning.config import RunConfig
from core.engine.learning.data import TEST_SIZE, TRAIN_SIZE
from core.engine.learning.models import ModelSpec, build_model
from core.engine.learning.randomness import seeded

SMALL_BATCH, LARGE_BATCH = 1, 64  # the two batch sizes timed to separate overhead from work
BLOCK_STEPS = 4  # steps of one batch size in a row; the first of each block is not counted
MIN_ROUNDS, MAX_ROUNDS = 3, 12  # rounds of one block per batch size, each size first in turn
TIME_BUDGET_S = 0.8  # start another round while the rounds so far took less than this
EVAL_COST = 1 / 3  # a forward pass costs about a third of forward + backward + step
RUN_OVERHEAD_S = 0.5  # starting a run: its worker, model, data slices, config on disk
EPOCH_OVERHEAD_S = 0.1  # saving the weights and metrics after each epoch
LONG_RUN_S = 90.0  # a set expected to take longer asks the learner to confirm first


@dataclass(frozen=True)
class StepCost:
    overhead_s: float  # seconds every optimizer step costs, whatever its batch size
    per_sample_s: float  # seconds each sample adds to a training step

    def step_s(self, batch_size: int) -> float:
        return self.overhead_s + self.per_sample_s * batch_size

    def samples_per_s(self, batch_size: int) -> float:
        return batch_size / self.step_s(batch_size)


def _step_timer(model: torch.nn.Module, batch_size: int, device: torch.device):
    """A function that times one training step as core.engine.learning.loop takes it: slice a batch,
    step, read the loss."""
    X_all = torch.zeros(2 * batch_size, 1, 28, 28, device=device)  # values do not matter
    y_all = torch.zeros(2 * batch_size, dtype=torch.int64, device=device)
    idx = torch.arange(batch_size, device=device)  # (B,)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the weights stay put

    def one_step() -> float:
        synchronize(device)
        start = time.perf_counter()
        X, y = X_all[idx], y_all[idx]  # (B, 1, 28, 28), (B,)
        optimizer.zero_grad()
        loss = F.nll_loss(model(X), y)
        loss.item()  # the trainer reads every loss (for the log and the NaN check)
        loss.backward()
        optimizer.step()
        synchronize(device)
        return time.perf_counter() - start

    return one_step


def _lower_quartile(times: list[float]) -> float:
    timed = sorted(times)
    return timed[len(timed) // 4]  # robust to a busy machine's hiccups


def measure_step_cost(spec: ModelSpec, device: str = "cpu") -> StepCost:
    """Time training steps of `spec` at two batch sizes on `device` (about a second).

    Each size is timed in blocks of BLOCK_STEPS steps in a row, and the first step of a block
    is not counted: a step right after one of the other size runs 2-7 times slower (cold
    caches, the allocator, thread pools resizing), and timing the two sizes step by step
    alternately made every step such a one, and the estimates 5-17 times too long. The
    blocks take turns, round after round, so a burst of other work on a shared machine slows
    both sizes alike instead of only the one timed at that moment; the lower quartile of the
    counted steps counts, since other work only ever adds time.
    Nothing here moves torch's global random generator (see core.engine.learning.randomness).
    """
    dev = resolve_device(device)
    with seeded(0):  # throw-away weights; the page's own stream stays where it was
        model = build_model(spec).to(dev)
    # eval mode: dropout would draw from the global generator, and its cost is negligible
    model.eval()
    steps = {SMALL_BATCH: _step_timer(model, SMALL_BATCH, dev),
             LARGE_BATCH: _step_timer(model, LARGE_BATCH, dev)}  # fmt: skip
    times: dict[int, list[float]] = {size: [] for size in steps}
    start = time.perf_counter()
    for round_ in range(MAX_ROUNDS):
        if round_ >= MIN_ROUNDS and time.perf_counter() - start > TIME_BUDGET_S:
            break
        for size in sorted(steps, reverse=bool(round_ % 2)):
            block = [steps[size]() for _ in range(BLOCK_STEPS)]
            times[size] += block[1:]  # the first follows the other size: not counted
    small, large = _lower_quartile(times[SMALL_BATCH]), _lower_quartile(times[LARGE_BATCH])
    per_sample = max((large - small) / (LARGE_BATCH - SMALL_BATCH), 0.0)
    overhead = max(small - per_sample * SMALL_BATCH, 1e-6)
    return StepCost(overhead_s=overhead, per_sample_s=per_sample)


def run_work(config: RunConfig) -> tuple[int, int, int]:
    """(optimizer steps, training samples, evaluated samples) a run will go through."""
    n_train = config.train_subset or TRAIN_SIZE
    n_test = config.test_subset or TEST_SIZE
    steps = math.ceil(n_train / config.batch_size) * config.epochs
    return steps, n_train * config.epochs, n_test * config.epochs


def run_seconds(config: RunConfig, cost: StepCost) -> float:
    steps, samples, evaluated = run_work(config)
    compute = steps * cost.overhead_s + (samples + evaluated * EVAL_COST) * cost.per_sample_s
    return RUN_OVERHEAD_S + config.epochs * EPOCH_OVERHEAD_S + compute


def estimate_seconds(
    configs: Sequence[RunConfig], cost_of: Callable[[ModelSpec], StepCost]
) -> float:
    """The whole set, run one after another (the runner trains one run at a time on CPU)."""
    return sum(run_seconds(c, cost_of(c.model)) for c in configs)


def describe_seconds(seconds: float) -> str:
    """'about 40 s' / 'about 3 min' / 'about 1.5 h': rounded, because it is an estimate."""
    if seconds < 10:
        return f"about {max(1, round(seconds))} s"
    if seconds < 90:
        return f"about {round(seconds / 5) * 5} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"
