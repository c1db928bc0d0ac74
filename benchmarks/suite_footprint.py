"""The test suite's footprint: wall time and peak memory of a command's whole process tree.

    .venv/bin/python benchmarks/suite_footprint.py                 # make test
    .venv/bin/python benchmarks/suite_footprint.py -- .venv/bin/python -m pytest -m "not slow"

Every second it sums the resident memory of the command and of every process it started,
however deep: RSS (what the issue tracker quotes; shared library pages count once per process)
and PSS (shared pages divided among the processes that share them: what the machine really
holds). It names the kinds of process at the peak, and counts the processes that outlive the
command by more than a few seconds: a worker, kernel or Ray process the tests left behind.
Headline on the last line: wall time, peak memory, leftovers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += tree.get(p, [])
    return out


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def kind(pid: int) -> str:
    """What a process is, in a word: the module or program it runs."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    if "-m" in argv:
        return argv[argv.index("-m") + 1]
    return Path(argv[0].split(" ")[0]).name if argv and argv[0] else "?"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--every", type=float, default=1.0, help="seconds between samples")
    p.add_argument("command", nargs="*", default=["make", "test"])
    args = p.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; command: {' '.join(args.command)}", flush=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(args.command, start_new_session=True)
    peak, peak_pss, peak_kinds, seen = 0, 0, {}, set()
    while proc.poll() is None:
        pids = descendants(proc.pid)
        seen.update(pids)
        total = sum(rss_bytes(p) for p in pids)
        if total > peak:
            peak, peak_kinds = total, {}
            for p in pids:
                name = kind(p)
                count, held = peak_kinds.get(name, (0, 0))
                peak_kinds[name] = (count + 1, held + rss_bytes(p))
        peak_pss = max(peak_pss, sum(pss_bytes(p) for p in pids))
        time.sleep(args.every)
    wall = time.monotonic() - t0
    time.sleep(5)  # a worker whose pipe closed takes a moment to exit: that is no leak
    # Whatever the tests started and never ended is still in the command's session.
    left = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) in seen:
            try:
                if os.getsid(int(entry.name)) == proc.pid:
                    left.append(int(entry.name))
            except OSError:
                pass
    gib = 1024**3
    at_peak = ", ".join(f"{n} ×{c} {b / gib:.2f}" for n, (c, b) in peak_kinds.items())
    print(f"exit code {proc.returncode}; at the RSS peak (processes, GiB): {at_peak}")
    print(f"left running 5 s after the end: {len(left)} {[kind(p) for p in left][:10]}")
    print(
        f"wall {wall / 60:.1f} min; peak RSS of the process tree {peak / gib:.2f} GiB, "
        f"peak PSS {peak_pss / gib:.2f} GiB; leftovers {len(left)}"
    )
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
