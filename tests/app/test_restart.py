"""A tab after a server restart: its token (one the server issued, never a typed one) still
names its runs, "Your runs" lists them with what became of each, and a job id the new server
does not hold is said, not silently dropped."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ConvSpec, ModelSpec
from core.engine.runs.folder import StatusRecord, write_config, write_metrics, write_status
from core.engine.runs.owners import install_secret, issue_token
from core.engine.runs.record import RunStatus
from core.engine.runs.resume import RESUME_FILE

PAGE = str(Path(__file__).resolve().parents[2] / "views" / "train" / "page.py")
TIMEOUT = 120
CONFIG = RunConfig(
    name="before the restart",
    model=ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16]),
    train_subset=60_000,
    batch_size=32,
    epochs=3,
)
PER_EPOCH = 1875  # 60,000 images in batches of 32


def _folder(root: Path, name: str, record: StatusRecord, steps: int, resumable: bool) -> str:
    folder = root / name
    write_config(folder, CONFIG.with_changes(name=name.split("-", 2)[2]))
    train = [
        {"epoch": 1 + (s - 1) // PER_EPOCH, "step": s, "samples": 32 * s, "seconds": s / 100,
         "loss": 1.0, "lr": 0.5}
        for s in range(100, steps + 1, 100)
    ] + ([{"epoch": 1 + (steps - 1) // PER_EPOCH, "step": steps, "samples": 32 * steps,
           "seconds": steps / 100, "loss": 1.0, "lr": 0.5}] if steps else [])  # fmt: skip
    test = [{"epoch": 1, "step": PER_EPOCH, "samples": 60_000, "seconds": 19.0, "loss": 0.2,
             "accuracy": 0.95}] if steps > PER_EPOCH else []  # fmt: skip
    write_metrics(folder, train, test)
    write_status(folder, record)
    if resumable:
        (folder / RESUME_FILE).write_bytes(b"a checkpoint")  # listed only: never loaded here
    return folder.name


def before_a_restart(root: Path, owner: str) -> dict[str, str]:
    """What a server that died (SIGKILL) or shut down left of one tab's runs."""
    gone = "999999999:0"  # a process that no longer exists
    return {
        "interrupted": _folder(
            root, "20260101-000001-killed-in-epoch-2",
            StatusRecord(RunStatus.RUNNING, owner=owner, started=1.0, process=gone),
            steps=PER_EPOCH + 1388, resumable=True,
        ),
        "queued": _folder(
            root, "20260101-000002-still-waiting",
            StatusRecord(RunStatus.QUEUED, owner=owner, process="", submitted=2.0),
            steps=0, resumable=False,
        ),
        "shut down": _folder(
            root, "20260101-000003-stopped-by-shutdown",
            StatusRecord(RunStatus.STOPPED, owner=owner, started=3.0, finished=4.0,
                         stopped_by="server"),
            steps=2000, resumable=True,
        ),
        "someone else's": _folder(
            root, "20260101-000004-another-tab",
            StatusRecord(RunStatus.RUNNING, owner=issue_token(install_secret(root)),
                         started=5.0, process=gone),
            steps=500, resumable=True,
        ),
    }  # fmt: skip


def test_a_typed_session_token_starts_a_new_identity(runs_dir):
    first = AppTest.from_file(PAGE)
    first.query_params["session"] = "0000000000000000"  # an easy token two learners might pick
    first.run(timeout=TIMEOUT)
    second = AppTest.from_file(PAGE)
    second.query_params["session"] = "0000000000000000"
    second.run(timeout=TIMEOUT)
    assert not first.exception and not second.exception
    mine, theirs = first.session_state["runner_owner"], second.session_state["runner_owner"]
    assert "0000000000000000" not in (mine, theirs) and mine != theirs
    assert first.query_params["session"] in (mine, [mine])  # the URL now holds the issued one
    assert any("not issued by this server" in t.value for t in first.toast)

    again = AppTest.from_file(PAGE)  # a refresh of the first tab: its issued token is kept
    again.query_params["session"] = mine
    again.run(timeout=TIMEOUT)
    assert again.session_state["runner_owner"] == mine and not again.toast


def test_a_restarted_tab_lists_its_runs_with_what_became_of_each(runs_dir):
    from ui.runner import _owner_secret

    owner = issue_token(install_secret(runs_dir))  # issued by the server before the restart
    _owner_secret.clear()  # the new server reads the install's secret from disk again
    runs = before_a_restart(runs_dir, owner)
    at = AppTest.from_file(PAGE)
    at.query_params["session"] = owner
    at.query_params["training_job"] = runs["interrupted"]  # the run the tab was watching
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["runner_owner"] == owner

    # The job id the new server does not hold is said, with what became of the run.
    (notice,) = [i.value for i in at.info if "This page was following" in i.value]
    assert "killed-in-epoch-2" in notice
    assert "interrupted by a server restart at epoch 2, step 3,263" in notice
    assert "training_job" not in at.query_params

    assert not any("No runs from this tab yet" in c.value for c in at.caption)
    (table,) = [d.value for d in at.dataframe if "what happened" in d.value.columns]
    happened = dict(zip(table["run"], table["what happened"], strict=True))
    assert happened == {
        "stopped-by-shutdown": "stopped by a server shutdown at epoch 2, step 2,000",
        "still-waiting": "waiting in the queue when the server stopped",
        "killed-in-epoch-2": "interrupted by a server restart at epoch 2, step 3,263",
    }  # and not the other tab's run
    picker = at.selectbox(key="training_resume_pick")
    assert set(picker.options) >= {
        f"{name} · {text}" for name, text in happened.items()
    }  # each can go on: two from their checkpoints, the waiting one from the start
    assert not at.button(key="training_resume").disabled


def test_a_link_to_a_run_this_server_never_had_is_said(runs_dir):
    at = AppTest.from_file(PAGE)
    at.query_params["training_job"] = "20260101-000000-no-such-run"
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert any("which this server does not have" in i.value for i in at.info)


def test_an_experiment_set_the_server_no_longer_holds_is_said(runs_dir):
    page = Path(PAGE).parents[1] / "experiments" / "page.py"
    at = AppTest.from_file(str(page))
    at.query_params["experiments_data_size_job"] = "20260101-000000-a-set-of-yesterday"
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert any("which this server does not have" in i.value for i in at.info)
    assert "experiments_data_size_job" not in at.query_params
