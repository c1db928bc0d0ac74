"""Three ways to feed a model batches, and how many samples per second each one delivers.

1. The chapter's manual loop: fetch each sample from a torchvision dataset (PIL image ->
   ToTensor -> Normalize, one at a time) and stack every `batch_size` of them.
2. A `DataLoader` over the same per-sample transforms: the same work, done by PyTorch.
3. Tensor-resident batches, as the runner trains: the whole set normalized once into one
   tensor on the device; a batch is an index slice of a per-epoch permutation.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch.utils.data import DataLoader, Dataset, Subset

from core.devices import resolve_device, synchronize
from core.engine.learning.data import data_root, dataset_info, load_raw, load_tensors
from core.errors import LimitError

MAX_SAMPLES = 20_000  # the per-sample pipelines manage a few thousand per second on a CPU
MAX_BATCH = 1_024
MIN_MEASURE_S = 0.3  # a fast pipeline repeats its pass until this much time was measured...
MAX_PASSES = 5_000  # ...but at most this many passes; the rate is all samples over all time
WARMUP_BATCHES = 3  # untimed batches of each pipeline first: first calls pay for caches
SLOW_RATE = 1_000  # samples/s a per-sample pipeline may fall to on a busy two-core machine
ROUNDS = 5  # the three are measured in this many rounds, a different one first each round
WIDE_SPREAD = 2.0  # a pipeline whose rounds differ by more than this factor was disturbed

Batches = Iterator[tuple[torch.Tensor, torch.Tensor]]


@lru_cache(maxsize=4)
def _transformed(root: str, name: str, mean: float, std: float) -> Dataset:
    import torchvision  # slow to import; only this page needs it
    from torchvision import transforms

    cls = getattr(torchvision.datasets, name)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    return cls(root=root, train=True, download=False, transform=transform)


def transformed_dataset(name: str = "MNIST") -> Dataset:
    """The torchvision training set with the classic per-sample transforms."""
    info = dataset_info(name)
    load_raw(info.key)  # the clear DataError when the files are missing
    return _transformed(str(data_root()), info.key, info.mean, info.std)


def manual_batches(
    dataset: Dataset, n: int, batch_size: int, generator: torch.Generator
) -> Batches:
    """The chapter's loop: one sample at a time through the transforms, stacked into batches."""
    order = torch.randperm(n, generator=generator).tolist()  # this epoch's order
    for start in range(0, n, batch_size):
        images, labels = [], []
        for i in order[start : start + batch_size]:
            X_i, y_i = dataset[i]  # PIL image -> ToTensor -> Normalize: (1, 28, 28), int
            images.append(X_i)
            labels.append(y_i)
        yield torch.stack(images), torch.tensor(labels)  # (B, 1, 28, 28), (B,)


def dataloader_batches(
    dataset: Dataset, n: int, batch_size: int, generator: torch.Generator
) -> Batches:
    """The same per-sample work, batched by torch's DataLoader (no worker processes)."""
    loader = DataLoader(
        Subset(dataset, range(n)), batch_size=batch_size, shuffle=True, generator=generator
    )
    yield from loader  # each item: (B, 1, 28, 28) images, (B,) labels


def tensor_batches(
    X: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator
) -> Batches:
    """Index slices of one normalized tensor already on the device: what the runner does."""
    perm = torch.randperm(X.shape[0], generator=generator).to(X.device)  # (N,)
    for start in range(0, X.shape[0], batch_size):
        idx = perm[start : start + batch_size]  # (B,)
        yield X[idx], y[idx]  # (B, 1, 28, 28), (B,)


@dataclass(frozen=True)
class Pipeline:
    key: str
    title: str
    source: Callable  # the function the page shows as "the code"
    note: str  # one sentence: where its time goes


PIPELINES: dict[str, Pipeline] = {
    p.key: p
    for p in (
        Pipeline(
            "manual",
            "Manual batching loop",
            manual_batches,
            "Python touches every sample: decode, convert, normalize, then stack.",
        ),
        Pipeline(
            "dataloader",
            "DataLoader + transforms",
            dataloader_batches,
            "The same per-sample transforms; DataLoader does the batching for you.",
        ),
        Pipeline(
            "tensors",
            "Tensor-resident batches",
            tensor_batches,
            "Normalized once; a batch is one indexing operation on the device.",
        ),
    )
}


@dataclass(frozen=True)
class PipelineResult:
    key: str  # a key of PIPELINES
    title: str
    samples: int  # samples delivered to the device
    batches: int
    seconds: float  # wall time, GPU work included (synchronized)
    samples_per_s: float  # from compare(): the median over its rounds
    low: float = 0.0  # the slowest and fastest round's samples/s (compare() fills them in)
    high: float = 0.0
    rounds: int = 1


def check_settings(samples: int, batch_size: int) -> None:
    if not 1 <= samples <= MAX_SAMPLES:
        raise LimitError(f"Measure 1 to {MAX_SAMPLES:,} samples, not {samples:,}.")
    if not 1 <= batch_size <= MAX_BATCH:
        raise LimitError(f"The batch size must be 1 to {MAX_BATCH:,}, not {batch_size:,}.")


def estimate_seconds(samples: int, rounds: int = ROUNDS, rate: float = SLOW_RATE) -> float:
    """Roughly how long a comparison takes at `rate` samples/s: the two per-sample pipelines
    dominate (the tensor-resident one takes MIN_MEASURE_S a round)."""
    return rounds * (2 * samples / rate + MIN_MEASURE_S)


def measuring_text(samples: int, last: list[PipelineResult] | None = None) -> str:
    """What pressing Measure will take, from the last measurement of this session when there
    is one, else at most what a busy machine's SLOW_RATE would give."""
    slow = [r for r in last or [] if r.key != "tensors"]
    if slow:
        rate = min(r.samples_per_s for r in slow)
        return (
            f"Measuring takes about {estimate_seconds(samples, rate=rate):.0f} s here: "
            f"{ROUNDS} rounds after a warm-up, at the {rate:,.0f} samples/s the slower "
            "per-sample pipeline managed last time."
        )
    return (
        f"Measuring takes up to about {estimate_seconds(samples):.0f} s: {ROUNDS} rounds after "
        f"a warm-up (the per-sample pipelines may fall to {SLOW_RATE:,} samples/s on a busy "
        "machine)."
    )


def measure(
    key: str,
    *,
    dataset: str = "MNIST",
    samples: int = 2_000,
    batch_size: int = 64,
    device: str = "cpu",
    seed: int = 0,
) -> PipelineResult:
    """Deliver `samples` training images to `device` in batches, timed from first to last.

    A fast pipeline (a pass can take a millisecond) repeats its pass until MIN_MEASURE_S was
    measured, and its rate is all its samples over all that time: the fastest of a few passes
    once read 2,731,289 samples/s in a round whose slowest read 2,935.
    """
    check_settings(samples, batch_size)
    if key not in PIPELINES:
        raise LimitError(f"Unknown pipeline {key!r}. Choose one of: {', '.join(PIPELINES)}.")
    dev = resolve_device(device)
    generator = torch.Generator().manual_seed(seed)
    if key == "tensors":
        X, y = load_tensors(dataset, True, device=dev)  # cached: loaded once, like the runner
        X, y = X[:samples], y[:samples]

        def batches() -> Batches:
            return tensor_batches(X, y, batch_size, generator)
    else:
        ds = transformed_dataset(dataset)
        make = manual_batches if key == "manual" else dataloader_batches

        def batches() -> Batches:
            return make(ds, samples, batch_size, generator)

    first = _one_pass(key, batches(), dev)
    spent, passes = first.seconds, 1
    while passes < MAX_PASSES and spent < MIN_MEASURE_S:
        spent += _one_pass(key, batches(), dev).seconds
        passes += 1
    return dataclasses.replace(
        first, seconds=spent / passes, samples_per_s=first.samples * passes / spent
    )


def warm_up(key: str, *, dataset: str = "MNIST", batch_size: int = 64, device: str = "cpu") -> None:
    """A few untimed batches: the first calls of a pipeline pay for caches and allocations."""
    dev = resolve_device(device)
    generator = torch.Generator().manual_seed(0)
    if key == "tensors":
        X, y = load_tensors(dataset, True, device=dev)
        batches = tensor_batches(X[: WARMUP_BATCHES * batch_size], y, batch_size, generator)
    else:
        ds = transformed_dataset(dataset)
        make = manual_batches if key == "manual" else dataloader_batches
        batches = make(ds, min(WARMUP_BATCHES * batch_size, len(ds)), batch_size, generator)
    _one_pass(key, batches, dev)


def _one_pass(key: str, batches: Batches, dev: torch.device) -> PipelineResult:
    synchronize(dev)
    start = time.perf_counter()
    count = n_batches = 0
    for X_batch, y_batch in batches:
        X_batch, y_batch = X_batch.to(dev), y_batch.to(dev)  # a no-op when already there
        count += len(y_batch)
        n_batches += 1
    synchronize(dev)
    seconds = max(time.perf_counter() - start, 1e-9)
    return PipelineResult(key, PIPELINES[key].title, count, n_batches, seconds, count / seconds)


def compare(rounds: int = ROUNDS, **settings) -> list[PipelineResult]:
    """Every pipeline on the same samples, batch size and device, in `rounds` alternating
    rounds (a different one leads each round, so a change in the machine's load hits all
    alike); each gets its median rate and the slowest and fastest round beside it."""
    keys = list(PIPELINES)
    runs: dict[str, list[PipelineResult]] = {k: [] for k in keys}
    check_settings(settings.get("samples", 2_000), settings.get("batch_size", 64))
    for key in keys:
        warm_up(
            key, **{k: v for k, v in settings.items() if k in ("dataset", "batch_size", "device")}
        )
    for r in range(rounds):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            runs[key].append(measure(key, **settings))
    out = []
    for key in keys:
        rates = sorted(x.samples_per_s for x in runs[key])
        median = statistics.median(rates)
        first = runs[key][0]
        out.append(
            dataclasses.replace(
                first,
                seconds=first.samples / median,
                samples_per_s=median,
                low=rates[0],
                high=rates[-1],
                rounds=rounds,
            )
        )
    return out


def times(ratio: float) -> str:
    """A ratio as people say it: 230×, 4.2×, 0.63× (never 0.63 rounded to "1×")."""
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.2g}×"


def _spread(r: PipelineResult) -> str:
    if r.rounds < 2:
        return ""
    return f" (median of {r.rounds} rounds, {r.low:,.0f} to {r.high:,.0f})"


def apart(a: PipelineResult, b: PipelineResult) -> bool:
    """Whether every round of one was faster than every round of the other: only then does
    a difference between them say something about the pipelines, not about the machine."""
    return a.low > b.high or b.low > a.high


def disturbed(results: list[PipelineResult]) -> list[PipelineResult]:
    """The pipelines whose rounds differ by more than WIDE_SPREAD: other work got in."""
    return [r for r in results if r.rounds > 1 and r.high > WIDE_SPREAD * r.low]


def findings(results: list[PipelineResult], epoch_size: int = 60_000) -> list[str]:
    """What the numbers show, in sentences: how many times faster, what an epoch costs, and
    a verdict only where the rounds do not overlap."""
    by = {r.key: r for r in results}
    manual, loader, tensors = by.get("manual"), by.get("dataloader"), by.get("tensors")
    lines = []
    if manual and tensors:
        ratio = tensors.samples_per_s / manual.samples_per_s
        if not apart(manual, tensors):
            why = "their rounds overlap, so on this machine right now they are too close to call."
        elif ratio > 1:
            why = (
                "the per-sample work (PIL image -> tensor -> normalize) was done once, before "
                "training, instead of again in every epoch."
            )
        else:
            why = (
                "here copying each batch to the device costs more than the per-sample work "
                "saves: this measurement does not show the usual gain."
            )
        lines.append(
            f"Tensor-resident batches delivered {tensors.samples_per_s:,.0f} samples/s"
            f"{_spread(tensors)}, {times(ratio)} the manual loop's {manual.samples_per_s:,.0f}"
            f"{_spread(manual)}: {why}"
        )
        lines.append(
            f"Feeding one epoch of {epoch_size:,} images costs about "
            f"{epoch_size / manual.samples_per_s:.1f} s with the manual loop and "
            f"{epoch_size / tensors.samples_per_s:.2f} s tensor-resident, before the model "
            "has computed anything."
        )
    if manual and loader:
        ratio = loader.samples_per_s / manual.samples_per_s
        if not apart(manual, loader):
            how = (
                f"about as fast: its rounds ({loader.low:,.0f} to {loader.high:,.0f}) overlap "
                f"the manual loop's ({manual.low:,.0f} to {manual.high:,.0f})"
            )
        elif ratio > 1:
            how = "faster in every round, though the transform it runs on each sample is the same"
        else:
            how = "slower in every round: its sampler and collate step add a little"
        lines.append(
            f"The DataLoader ran at {times(ratio)} the manual loop's rate, {how}. Both do the "
            "same per-sample work in this process; what a DataLoader buys is shuffling, "
            "batching and worker processes written for you, not a faster transform."
        )
    for r in disturbed(results):
        lines.append(
            f"{r.title}'s rounds differ by {r.high / r.low:.1f}× ({r.low:,.0f} to "
            f"{r.high:,.0f}): other work on the machine got in. Measure again when it is "
            "quieter before reading much into it."
        )
    return lines
