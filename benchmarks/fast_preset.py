"""Wall time of the "fast" preset to at least 99.0% MNIST test accuracy on the CPU.

The fast preset (two 5×5 conv blocks with max-pooling, 128 hidden units; Adam with a
one-cycle schedule peaking at 5e-3; batches of 128; 2 epochs; seed 0), trained by the same
runner as the Train page and the headless trainer, exactly as the shipped pretrained model
was made. Wall time counts everything from submitting the run to its last test: loading the
data, two epochs, two evaluations on the 10,000 test images, saving. As a baseline in the
same run, the classic preset's speed is measured on a short slice and its 2-epoch time
estimated from it.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/fast_preset.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from benchmarks.bench import machine_line, timed_run
from core.engine.learning.presets import run_preset
from core.engine.runs.runner import Runner

GOAL = 0.99
BASELINE_IMAGES = 6_400  # the classic preset's speed is measured on this many images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu (the goal's), cuda or mps")
    args = parser.parse_args()
    config = run_preset("fast").with_changes(seed=args.seed, device=args.device)
    print(
        f"{machine_line()}, device {args.device}; {config.optimizer} lr={config.lr} "
        f"{config.schedule} batch={config.batch_size} epochs={config.epochs} seed={config.seed}"
    )
    with tempfile.TemporaryDirectory() as root:
        runner = Runner(runs_root=root, max_concurrent=1)
        snap, wall = timed_run(runner, config)
        classic = run_preset("classic").with_changes(
            train_subset=BASELINE_IMAGES, test_subset=1000, epochs=1, device=args.device
        )
        base = runner.wait(runner.submit(classic))
    for row in snap.test:
        print(
            f"epoch {row['epoch']}: test accuracy {row['accuracy']:.2%} at {row['seconds']:.1f} s"
        )
    classic_2_epochs = 2 * 60_000 / base.samples_per_s
    print(
        f"fast: {snap.samples_per_s:,.0f} training samples/s; classic preset (baseline): "
        f"{base.samples_per_s:,.0f} samples/s, about {classic_2_epochs:.0f} s for its 2 epochs"
    )
    accuracy = snap.final_accuracy
    verdict = "meets" if accuracy >= GOAL else "MISSES"
    print(
        f"fast preset: {accuracy:.2%} MNIST test accuracy ({verdict} the {GOAL:.0%} goal) "
        f"in {wall:.1f} s wall on {args.device}"
    )


if __name__ == "__main__":
    main()
