"""Test accuracy of the default (classic) preset after 2 epochs on the full MNIST.

The classic ConvNet with Adadelta at lr 0.5, batches of 32, seed 0, trained by the same
background runner the Train page uses. The goal is at least 98.5% after two epochs; the
baseline printed beside it is the untrained model's accuracy (chance, about 10%).

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/classic_accuracy.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from benchmarks.bench import machine_line, timed_run
from core.engine.learning.loop import evaluate
from core.engine.learning.presets import run_preset
from core.engine.learning.setup import init_model, load_run_data
from core.engine.runs.runner import Runner

GOAL = 0.985


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = run_preset("classic").with_changes(epochs=args.epochs, seed=args.seed, device="cpu")
    print(
        f"{machine_line()}, device cpu; {config.optimizer} lr={config.lr} "
        f"batch={config.batch_size} epochs={config.epochs} seed={config.seed}"
    )
    with tempfile.TemporaryDirectory() as root:
        runner = Runner(runs_root=root, max_concurrent=1)
        snap, wall = timed_run(runner, config)
    # The baseline is computed after the run, so it never shares the cores with it.
    _, _, X_test, y_test = load_run_data(config, "cpu")
    _, untrained = evaluate(init_model(config), X_test, y_test)
    print(f"baseline, the untrained model: {untrained:.2%}")
    for row in snap.test:
        print(f"epoch {row['epoch']}: test loss {row['loss']:.4f}, accuracy {row['accuracy']:.2%}")
    accuracy = snap.final_accuracy
    print(f"{wall:.0f} s wall, {snap.samples_per_s:,.0f} training samples/s")
    verdict = "meets" if accuracy >= GOAL else "MISSES"
    print(
        f"classic preset, MNIST test accuracy after {config.epochs} epochs: {accuracy:.2%} "
        f"({verdict} the {GOAL:.1%} goal)"
    )


if __name__ == "__main__":
    main()
