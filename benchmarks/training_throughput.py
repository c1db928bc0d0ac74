"""Training throughput of the default preset against the classic PyTorch MNIST loop.

Both train the same model (the classic ConvNet, same seed) with Adadelta at lr 0.5 and batches
of 32 on the CPU:
- classic: torchvision MNIST with ToTensor + Normalize run per image, batched by a DataLoader
  (num_workers=0, as the classic example runs on a CPU), the loop of pytorch/examples mnist;
- torchlab: the background runner (core.runner) on the data as one normalized tensor, batches
  as index slices, with a thread polling snapshots and building the live figures at the Train
  page's rate (what the page's fragment does while a run trains);
- and the cost of that polling, measured on one long run by alternating windows with and
  without it.
Classic and torchlab are interleaved round by round (alternating who goes first) so a change
in the machine's load hits both alike; both rates are wall-clock, from the first batch to the
last; the figures are medians over the rounds. The headline (last line) is the ratio of
samples per second, torchlab with polling over classic.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/training_throughput.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from benchmarks.bench import machine_line
from core.data import data_root
from core.figures.training import accuracy_figure, loss_figure
from core.models import build_model, classic_spec
from core.runner import Runner
from core.training import run_preset
from ui.training_live import POLL_S

BATCH_SIZE = 32


def classic_rate(batches: int, seed: int) -> float:
    """Samples per second of the classic DataLoader loop over `batches` batches."""
    from torchvision import datasets, transforms

    transform = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1302,), (0.3069,))]
    )
    dataset = datasets.MNIST(str(data_root()), train=True, download=False, transform=transform)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=BATCH_SIZE,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    torch.manual_seed(seed)
    model = build_model(classic_spec())
    optimizer = torch.optim.Adadelta(model.parameters(), lr=0.5)
    model.train()
    start = time.perf_counter()
    for batch_idx, (data, target) in enumerate(loader, 1):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % 10 == 0:
            loss.item()  # the classic loop prints the loss every log_interval batches
        if batch_idx == batches:
            break
    return batches * BATCH_SIZE / (time.perf_counter() - start)


def _draw(runner: Runner, job_id: str) -> None:
    """What the Train page's fragment does on each tick: a snapshot, the two live figures."""
    snap = runner.snapshot(job_id)
    series = [(snap.name, snap.train, snap.test)]
    loss_figure(series).to_json()
    accuracy_figure(series).to_json()


def _poll(runner: Runner, job_id: str, done: threading.Event) -> None:
    while not done.wait(POLL_S):
        _draw(runner, job_id)


def torchlab_rate(batches: int, seed: int, runs_root: str) -> float:
    """Samples per second of the runner, by wall time from its first to its last batch,
    while a thread polls it like the Train page does."""
    runner = Runner(runs_root=runs_root, max_concurrent=1)
    config = run_preset("classic").with_changes(
        epochs=1, train_subset=batches * BATCH_SIZE, test_subset=1000, seed=seed, device="cpu"
    )
    job_id = runner.submit(config)
    done = threading.Event()
    threading.Thread(target=_poll, args=(runner, job_id, done), daemon=True).start()
    snap = runner.wait(job_id)
    done.set()
    runner.shutdown()
    assert snap.status == "done", snap.error
    last = snap.train[-1]  # logged at the last batch; seconds count from the first batch
    return last["samples"] / last["seconds"]


def polling_cost(seconds: float, runs_root: str, window: float = 4.0) -> tuple[float, float]:
    """(samples/s while polling, samples/s not polling), medians over alternating windows of
    one long run, so both see the same job and the same machine load."""
    runner = Runner(runs_root=runs_root, max_concurrent=1)
    job_id = runner.submit(run_preset("classic").with_changes(epochs=1, device="cpu"))
    while runner.snapshot(job_id).step == 0:
        time.sleep(0.05)
    rates: dict[bool, list[float]] = {True: [], False: []}
    poll, deadline = False, time.perf_counter() + seconds
    while time.perf_counter() < deadline and not runner.snapshot(job_id).finished:
        s0, t0 = runner.snapshot(job_id).samples_seen, time.perf_counter()
        while time.perf_counter() < t0 + window:
            if poll:
                _draw(runner, job_id)
            time.sleep(max(0.0, min(POLL_S, t0 + window - time.perf_counter())))
        s1, t1 = runner.snapshot(job_id).samples_seen, time.perf_counter()
        rates[poll].append((s1 - s0) / (t1 - t0))
        poll = not poll
    runner.shutdown()
    return statistics.median(rates[True]), statistics.median(rates[False])


def profile_ours(batches: int = 60) -> None:
    """Where the time goes in the runner's loop: the top operators by their own CPU time."""
    from torch.profiler import ProfilerActivity, profile

    from core.training import load_run_data, make_optimizer, train_one_epoch

    config = run_preset("classic").with_changes(train_subset=batches * BATCH_SIZE)
    X, y, _, _ = load_run_data(config, "cpu")
    torch.manual_seed(0)
    model = build_model(config.model)
    optimizer = make_optimizer(config, model.parameters())
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        train_one_epoch(
            model, X, y, optimizer, batch_size=BATCH_SIZE, generator=torch.Generator(),
            device="cpu",
        )  # fmt: skip
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    print("where the runner's time goes (self CPU time, top operators):")
    for e in events[:6]:
        print(f"  {e.key:<40} {e.self_cpu_time_total / total:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=600, help="batches per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--polling-seconds", type=float, default=48.0)
    args = parser.parse_args()

    print(
        f"{machine_line()}, device cpu; {args.batches} batches of {BATCH_SIZE} per measurement, "
        f"{args.rounds} rounds"
    )
    rates: dict[str, list[float]] = {"classic": [], "torchlab": []}
    with tempfile.TemporaryDirectory() as runs_root:
        for r in range(1, args.rounds + 1):
            # Alternate who goes first, so a drift in the machine's load favours neither.
            order = ["classic", "torchlab"] if r % 2 else ["torchlab", "classic"]
            for name in order:
                if name == "classic":
                    rates[name].append(classic_rate(args.batches, args.seed))
                else:
                    rates[name].append(torchlab_rate(args.batches, args.seed, runs_root))
            print(
                f"round {r}: " + ", ".join(f"{k} {v[-1]:,.0f} samples/s" for k, v in rates.items())
            )
        polled, quiet = polling_cost(args.polling_seconds, runs_root)
    profile_ours()
    med = {k: statistics.median(v) for k, v in rates.items()}
    for name, value in med.items():
        print(f"{name:>10}: {value:,.0f} samples/s (median of {args.rounds})")
    print(
        f"polling cost: {1 - polled / quiet:.1%} of throughput ({polled:,.0f} samples/s while "
        f"polling every {POLL_S} s, {quiet:,.0f} without; alternating {args.polling_seconds:.0f} s)"
    )
    print(
        f"throughput ratio, torchlab (with live polling) / classic DataLoader loop: "
        f"{med['torchlab'] / med['classic']:.2f}x"
    )


if __name__ == "__main__":
    main()
