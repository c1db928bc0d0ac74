"""A class's server stopped with a queue, then started again: how many runs are lost?

Four learners press Start ten times between them (one run trains, nine wait: each learner
may have three waiting). While the first run is in epoch 2 the server is stopped, once with
SIGTERM (what a service manager and Ctrl+C send) and once with SIGKILL (a crash, the machine
going down); then a new server starts on the same runs folder and each learner's runs are
started again from what is on disk (Resume: a stopped run from its stopping point, an
interrupted one from its last finished epoch, a queued one from the start), until they end.

The app is the real one, `app.py` served in this script's process as `streamlit run app.py`
serves it (`--serve`: the st.App with its routes and its lifespan, which is what stops the
runs on SIGTERM), and the learners submit through the very Runner the pages use
(`ui.runner.get_runner()`). The driver and the servers talk through files in a work
folder. A run is lost when it was accepted and does not end `done` after the restart.

Prints, per signal: runs accepted, what the disk holds after the stop (stopped at their
stopping point, queued, interrupted, nothing), the seconds the server took to exit, the runs
done after the restart; the headline, runs lost over both, on the last line.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/shutdown_load.py
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere

from benchmarks.bench import machine_line  # noqa: E402
from core.engine.learning.presets import run_preset  # noqa: E402

LEARNERS = 4
STARTS = 10
RUN = run_preset("classic").with_changes(
    train_subset=4000, test_subset=200, epochs=3, log_interval=5
)
WAIT_S = 1800.0


def _write(path: Path, data: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def _read(path: Path, timeout: float = WAIT_S, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}) before {path.name}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} did not appear")
        time.sleep(0.1)
    return json.loads(path.read_text())


def _submit(runner, submit) -> str:
    """What a learner does when the queue refuses: try again a second later."""
    from core.errors import LimitError

    while True:
        try:
            return submit()
        except LimitError:
            time.sleep(1.0)


def _server_runner():
    """The Runner of this server, once its runtime has started (the app's lifespan made it
    then: asked earlier, a thread would get a Runner of its own that no shutdown stops)."""
    from streamlit import runtime

    while not (runtime.exists() and runtime.get_instance().state.name == "NO_SESSIONS_CONNECTED"):
        time.sleep(0.1)
    from ui.runner import get_runner

    return get_runner()


def first_server(work: Path) -> None:
    """Ten Starts from four learners; 'ready' once the first run is in epoch 2."""
    runner = _server_runner()
    accepted: dict[str, str] = {}
    for i in range(STARTS):
        owner = f"learner-{i % LEARNERS}"
        accepted[_submit(runner, lambda owner=owner: runner.submit(RUN, owner=owner))] = owner
    _write(work / "accepted.json", accepted)
    first = next(iter(accepted))
    while runner.snapshot(first).epoch < 2 or runner.snapshot(first).step % 125 < 3:
        time.sleep(0.05)
    _write(work / "ready.json", runner.snapshot(first).step)


def next_server(work: Path) -> None:
    """Each learner's runs started again from their folders, until every one has ended."""
    from core.engine.runs.folder import load_run
    from core.errors import TorchlabError

    runner = _server_runner()
    accepted: dict[str, str] = json.loads((work / "accepted.json").read_text())
    finals: dict[str, str] = {}
    started = []
    for job_id in accepted:
        try:
            run = load_run(runner.runs_root / job_id)
        except TorchlabError:
            finals[job_id] = "missing"  # nothing on disk: lost
            continue
        if run.status == "done":
            finals[job_id] = "done"
            continue
        try:
            started.append(
                _submit(runner, lambda d=run.run_dir, o=run.owner: runner.resume(d, owner=o))
            )
        except TorchlabError as exc:
            finals[job_id] = f"not resumable: {exc}"
    for job_id in started:
        finals[job_id] = runner.wait(job_id, timeout=WAIT_S).status.value
    _write(work / "final.json", finals)


def serve(work: Path, port: int, role: str) -> None:
    from streamlit.web import bootstrap

    body = first_server if role == "first" else next_server
    threading.Thread(target=body, args=(work,), daemon=True).start()
    flags = {"server_port": port, "server_address": "127.0.0.1", "server_headless": True}
    bootstrap.load_config_options(flag_options=flags)
    # app.py's st.App, as `streamlit run app.py` serves it: its lifespan is the shutdown
    bootstrap.run_asgi_app(str(ROOT / "app.py"), "app:app", [], flags)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(work: Path, role: str, env: dict, log) -> subprocess.Popen:
    command = [sys.executable, __file__, "--serve", str(work), str(_free_port()), role]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)


def disk_after_stop(runs: Path, accepted: dict[str, str]) -> Counter:
    """What each accepted run is on disk once the server is gone."""
    import torch

    from core.engine.runs.folder import load_run
    from core.engine.runs.resume import RESUME_FILE
    from core.errors import TorchlabError

    seen: Counter = Counter()
    for job_id, owner in accepted.items():
        try:
            run = load_run(runs / job_id)
        except TorchlabError:
            seen["nothing on disk"] += 1
            continue
        kind = run.status.value
        if run.status == "stopped" and (runs / job_id / RESUME_FILE).exists():
            point = torch.load(runs / job_id / RESUME_FILE, weights_only=True)
            kind = "stopped at its stopping point" if point.get("batch") else "stopped"
        elif run.never_started:
            kind = "waiting in the queue"
        seen[kind if run.owner == owner else "on disk without its owner"] += 1
    return seen


def scenario(name: str, sig: int, root: Path) -> int:
    work = root / name
    runs = work / "runs"
    work.mkdir()
    env = {**os.environ, "TORCHLAB_RUNS": str(runs), "TORCHLAB_HANDWRITING": str(work / "hw")}
    with open(work / "first.log", "w") as log:
        server = _start(work, "first", env, log)
        try:
            accepted = _read(work / "accepted.json", proc=server)
            step = _read(work / "ready.json", proc=server)
            t0 = time.perf_counter()
            server.send_signal(sig)
            server.wait(120)
            exit_s = time.perf_counter() - t0
        finally:
            if server.poll() is None:
                server.kill()
    seen = disk_after_stop(runs, accepted)
    with open(work / "next.log", "w") as log:
        server = _start(work, "next", env, log)
        try:
            finals = _read(work / "final.json", proc=server)
        finally:
            server.terminate()
            server.wait(120)
    done = sum(s == "done" for s in finals.values())
    lost = len(accepted) - done
    print(
        f"{name}: {len(accepted)} runs accepted, signal at step {step} (epoch 2); server gone "
        f"in {exit_s:.1f} s; on disk: " + ", ".join(f"{n} {k}" for k, n in sorted(seen.items()))
    )
    others = Counter(s for s in finals.values() if s != "done")
    print(
        f"{name}: after the restart {done} done" + "".join(f", {n} {k}" for k, n in others.items())
    )
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--serve", nargs=3, metavar=("WORK", "PORT", "ROLE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]), args.serve[2])
        return
    print(machine_line(), f"; {LEARNERS} learners, {STARTS} Starts, local backend")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        lost = {
            name: scenario(name, sig, Path(root))
            for name, sig in (("SIGTERM", signal.SIGTERM), ("SIGKILL", signal.SIGKILL))
        }
    wall = time.perf_counter() - t0
    detail = ", ".join(f"{n} after {name}" for name, n in lost.items())
    print(f"runs lost: {sum(lost.values())} ({detail}; goal 0); wall {wall:.0f} s")


if __name__ == "__main__":
    main()
