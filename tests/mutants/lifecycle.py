"""Hand-made mutants of the runs room: realistic bugs in a run's lifecycle the tests must catch.

    .venv/bin/python -m tests.mutants.lifecycle              # every mutant
    .venv/bin/python -m tests.mutants.lifecycle --only 3 7   # some of them
    .venv/bin/python -m tests.mutants.lifecycle --list

Each mutant is one small edit to a module of core/engine/runs: who owns a run through each path
it takes, what a resume restores and continues, when the curve is flushed, what a failed save
leaves behind, how a checkpoint is loaded, which runs the list keeps. Each is applied to a
scratch copy of the repository at HEAD (a git worktree), the runs room's tests run against it
(stopping at the first failure), and the mutant is killed when they fail. The last line is the
kill rate. It takes about as long as the slow tier per surviving mutant: run it on purpose,
not in `make test`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = "core/engine/runs/"
# The runs room's tests, quickest first (a killed mutant stops at its first failure). Ray's
# cases repeat the local ones through another transport: left out, to keep a mutant's run short.
TESTS = [
    "tests/unit/engine/runs/test_folder.py",
    "tests/unit/engine/runs/test_checkpoint.py",
    "tests/unit/engine/runs/test_events.py",
    "tests/unit/engine/runs/test_lifecycle.py",
    "tests/unit/engine/runs/test_runner.py",
    "tests/unit/engine/runs/test_backends.py",
    "tests/unit/engine/test_cli.py",
    "tests/unit/train",
    "tests/app/test_training_page.py",
]


@dataclass(frozen=True)
class Mutant:
    what: str  # the bug, as a person would report it
    path: str  # under core/engine/runs/
    old: str  # the code as it is (must occur exactly once)
    new: str  # the code with the bug


MUTANTS = [
    # who owns a run
    Mutant(
        "a resume started without a tab drops the run's owner",
        "runner.py",
        "            record.owner or owner,",
        "            owner,",
    ),
    Mutant(
        "the tab that resumes a run takes it from the tab that started it",
        "runner.py",
        "            record.owner or owner,",
        "            owner or record.owner,",
    ),
    Mutant(
        "status.json forgets the run's owner",
        "worker.py",
        "            owner=self.task.owner,",
        '            owner="",',
    ),
    Mutant(
        "a run stopped in the queue never says it ended",
        "runner.py",
        "            job.apply(stopped_before_start())\n            job.done_event.set()",
        "            job.apply(stopped_before_start())",
    ),
    # what a resume restores and continues
    Mutant(
        "a resume forgets the schedule's place",
        "resume.py",
        '            scheduler.load_state_dict(state["scheduler"])',
        "            pass",
    ),
    Mutant(
        "a resume draws the batches in a new order",
        "resume.py",
        '        generator.set_state(state["batch_rng"])',
        "        pass",
    ),
    Mutant(
        "a resume draws new dropout masks",
        "resume.py",
        '        torch.set_rng_state(state["cpu_rng"])',
        "        pass",
    ),
    Mutant(
        "a resume trains its last finished epoch again",
        "worker.py",
        "    first_epoch = place.epoch + 1",
        "    first_epoch = max(place.epoch, 1)",
    ),
    Mutant(
        "a resume forgets when the run started",
        "resume.py",
        "    rec.started = point.started or rec.started\n",
        "",
    ),
    Mutant(
        "the checkpoint keeps the curve without its last test",
        "resume.py",
        '        "test": rec.test,',
        '        "test": rec.test[:-1],',
    ),
    Mutant(
        "a finished run can be resumed",
        "runner.py",
        "        if record.status == RunStatus.DONE:",
        "        if False:",
    ),
    # when the curve is flushed
    Mutant(
        "the curve reaches the disk only at an epoch's end",
        "worker.py",
        "                rec.flush()  # a crash loses at most the last few seconds of curve",
        "                pass",
    ),
    Mutant(
        "the end of a failed run is not written down",
        "worker.py",
        '            if what == "curve" and (rec.train or rec.test or not rec.task.resume):',
        '            if what == "curve" and False:',
    ),
    # what a failed save leaves behind
    Mutant(
        "a failed write leaves its temporary file",
        "files.py",
        "    except BaseException:\n        Path(tmp).unlink(missing_ok=True)",
        "    except BaseException:\n        pass",
    ),
    Mutant(
        "a worker that died leaves status.json saying running",
        "job.py",
        "            self._write_status()  # the worker could not say it any more",
        "            pass",
    ),
    # how a checkpoint is loaded
    Mutant(
        "a loaded model keeps dropout on",
        "checkpoint.py",
        "    return model.to(device).eval(), spec, meta",
        "    return model.to(device), spec, meta",
    ),
    Mutant(
        "weights of another model load half-way without a word",
        "checkpoint.py",
        "        model.load_state_dict(state)",
        "        model.load_state_dict(state, strict=False)",
    ),
    Mutant(
        "a resume checkpoint may run code",
        "resume.py",
        '        state = torch.load(path, map_location="cpu", weights_only=True)',
        '        state = torch.load(path, map_location="cpu", weights_only=False)',
    ),
    # which runs the list keeps, and their status
    Mutant(
        "the run list keeps the oldest runs, not the newest",
        "folder.py",
        "            key=lambda p: p.name,\n            reverse=True,",
        "            key=lambda p: p.name,\n            reverse=False,",
    ),
    Mutant(
        "the server forgets runs that are still training",
        "runner.py",
        "        finished = [k for k, j in self._jobs.items() if j.done_event.is_set()]",
        "        finished = list(self._jobs)",
    ),
    Mutant(
        "a run whose trainer is gone still reads as running",
        "folder.py",
        '        not _process_alive(str(status.get("process", ""))) or _lock_free(run_dir)',
        '        not _process_alive(str(status.get("process", ""))) and _lock_free(run_dir)',
    ),
    Mutant(
        "a run handed to a worker still reads as queued",
        "events.py",
        "    if isinstance(event, Handed | Started):",
        "    if isinstance(event, Started):",
    ),
]


def _worktree() -> Path:
    where = Path(tempfile.mkdtemp(prefix="torchlab-mutants-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(where), "HEAD"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (where / ".venv").symlink_to(ROOT / ".venv")
    return where


def _killed(tree: Path, mutant: Mutant) -> tuple[bool, str, float]:
    """Apply `mutant` in `tree`, run the tests, put the file back: (killed, first failure, s)."""
    target = tree / RUNS / mutant.path
    original = target.read_text()
    if original.count(mutant.old) != 1:
        raise SystemExit(f"{mutant.path}: the code of '{mutant.what}' is not there once")
    target.write_text(original.replace(mutant.old, mutant.new))
    tests = [t for t in TESTS if (tree / t).exists()]  # as the tests were at that commit
    t0 = time.monotonic()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-p",
                "no:cacheprovider",
                "-k",
                "not ray",
                *tests,
            ],
            cwd=tree,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(tree)},
            timeout=1800,
        )
    finally:
        target.write_text(original)
    failed = next((line for line in result.stdout.splitlines() if line.startswith("FAILED")), "")
    return result.returncode != 0, failed, time.monotonic() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--only", type=int, nargs="*", help="numbers of the mutants to run")
    p.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = p.parse_args()
    chosen = [(i, m) for i, m in enumerate(MUTANTS, 1) if not args.only or i in args.only]
    if args.list:
        for i, m in chosen:
            print(f"{i:2}. {m.what} ({m.path})")
        return 0
    tree = _worktree()
    killed = 0
    try:
        for i, mutant in chosen:
            dead, failure, seconds = _killed(tree, mutant)
            killed += dead
            fate = f"killed by {failure.removeprefix('FAILED ')}" if dead else "SURVIVED"
            print(f"{i:2}. {mutant.what}: {fate} ({seconds:.0f} s)", flush=True)
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True
        )
        shutil.rmtree(tree, ignore_errors=True)
    print(f"killed {killed} of {len(chosen)} lifecycle mutants ({killed / len(chosen):.0%})")
    return 0 if killed == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
