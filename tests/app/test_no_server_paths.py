"""No server path and no library's own text in anything a page can show about a damaged or
unwritable folder: every message of the run folders, checkpoints, models and the handwriting
collection, and every string the Train and Canvas pages draw over the damaged-folder fixtures
(tests/corrupt_runs.py and the ones below), scanned for absolute paths and for the names of
the exceptions the libraries raise."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest
import torch
from google.protobuf.message import Message
from safetensors import SafetensorError
from streamlit.testing.v1 import AppTest

from core.canvas import handwriting as hw
from core.engine.learning.models import ModelSpec, build_model
from core.engine.products import predictor as pr
from core.engine.runs import checkpoint, folder
from core.engine.runs.checkpoint import WEIGHTS_FILE, save_model, save_weights
from core.engine.runs.folder import (
    StatusRecord,
    delete_run,
    folder_error,
    scan_runs,
    unreadable_notice,
    write_status,
)
from core.engine.runs.record import RunStatus
from core.engine.runs.resume import RESUME_FILE, load_resume_point
from core.errors import TorchlabError
from tests import corrupt_runs as corrupt
from tests.app.train_sections import train_page
from views.train import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
# An absolute path of the kinds a server has, or a library's own exception text.
SERVER_PATH = re.compile(r"(?<![\w.:/])/(?:tmp|root|home|work|srv|usr|var|opt|mnt|data)\b")
LIBRARY_TEXT = re.compile(
    r"SafetensorError|PytorchStreamReader|miniz|Errno|Traceback|RuntimeError|OSError|"
    r"PermissionError|UnpicklingError|UnidentifiedImageError|cannot identify image file"
)

CUT_WEIGHTS = "20260101-000020-cut-weights"
OTHER_MODEL = "20260101-000021-other-model-weights"
CUT_RESUME = "20260101-000022-cut-resume-point"
TURNED_READ_ONLY = "20260101-000023-turned-read-only"


def more_damage(root: Path) -> None:
    """The folders a crash, a copy or a full disk leave beside those of corrupt_runs."""
    cut = corrupt._copy(root, CUT_WEIGHTS)  # each copy named after its folder
    data = (cut / WEIGHTS_FILE).read_bytes()
    (cut / WEIGHTS_FILE).write_bytes(data[: len(data) // 2])
    other = corrupt._copy(root, OTHER_MODEL)
    save_weights(other / WEIGHTS_FILE, build_model(ModelSpec(hidden=[8])).state_dict())
    resume = corrupt._copy(root, CUT_RESUME)
    write_status(resume, StatusRecord(RunStatus.STOPPED, started=1.0, finished=2.0))
    buffer = resume / "full.pt"
    torch.save({"format": 1, "model": build_model(corrupt.SPEC).state_dict()}, buffer)
    (resume / RESUME_FILE).write_bytes(buffer.read_bytes()[:3000])  # cut mid-write
    buffer.unlink()
    gone = corrupt._copy(root, TURNED_READ_ONLY)
    write_status(gone, StatusRecord(RunStatus.RUNNING, started=1.0, process="999999999:0"))


@pytest.fixture
def damaged(runs_dir, tmp_path, monkeypatch) -> Path:
    corrupt.make_corrupt_runs(runs_dir)
    more_damage(runs_dir)
    real = getattr(folder, "folder_writable", lambda d: True)
    monkeypatch.setattr(  # root writes anywhere: a chmod cannot make a folder read-only here
        folder,
        "folder_writable",
        lambda d: Path(d).name != TURNED_READ_ONLY and real(d),
        raising=False,
    )
    monkeypatch.setattr(pr, "PRETRAINED_DIR", tmp_path / "no_pretrained")
    monkeypatch.setenv("TORCHLAB_HANDWRITING", str(tmp_path / "handwriting"))
    return runs_dir


def assert_clean(texts: list[str], where: str) -> None:
    assert texts, f"nothing was collected from {where}"
    for text in texts:
        assert not SERVER_PATH.search(text), f"{where} shows a server path: {text!r}"
        assert not LIBRARY_TEXT.search(text), f"{where} shows a library's own text: {text!r}"


def refused(code: int):
    """What an OSError of a read-only, full or private folder looks like (with its path)."""

    def refuse(*args, **kwargs):
        raise OSError(code, "refused", "/srv/torchlab/runs/secret-folder")

    return refuse


def core_messages(root: Path, monkeypatch) -> list[str]:
    """Every message the run folders, models, checkpoints and handwriting can give a page."""
    runs, unreadable = scan_runs(root)
    texts = [unreadable_notice(unreadable), *(u.reason for u in unreadable)]
    for run in runs:
        texts += [*run.problems, run.error or ""]
        texts.append(run.what_happened() if hasattr(run, "what_happened") else "")
        for load in (checkpoint.load_model, pr.load_predictor):
            try:
                load(run.run_dir)
            except TorchlabError as exc:
                texts.append(str(exc))
    model = build_model(corrupt.SPEC)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TorchlabError) as caught:
        load_resume_point(root / CUT_RESUME, model, optimizer, None, torch.Generator(), "cpu")
    texts.append(str(caught.value))
    for code in (errno.EACCES, errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO):
        texts.append(folder_error(OSError(code, "refused", "/srv/torchlab/runs/x")))

    def disk_full(*args):  # what safetensors raises when the disk fills up under it
        raise SafetensorError("Error while serializing: IoError(Os { code: 28 }) (os error 28)")

    with monkeypatch.context() as m:
        m.setattr(checkpoint, "save_file", disk_full)
        with pytest.raises(OSError) as full:
            save_model(root / "full-disk", model, corrupt.SPEC)
        texts.append(folder_error(full.value))
    with monkeypatch.context() as m:
        m.setattr(folder.shutil, "rmtree", refused(errno.EACCES))
        with pytest.raises(TorchlabError) as kept:
            delete_run(root / corrupt.GOOD)
        texts.append(str(kept.value))
        m.setattr(Path, "iterdir", refused(errno.EACCES))
        with pytest.raises(TorchlabError) as closed:
            scan_runs(root)
        texts.append(str(closed.value))
    with monkeypatch.context() as m:
        m.setattr(hw.tempfile, "mkstemp", refused(errno.EROFS))
        with pytest.raises(TorchlabError) as unsaved:
            hw.save_sketch(torch.ones(40, 40).numpy(), 3)
        texts.append(str(unsaved.value))
    sketch_dir = hw.handwriting_root()
    sketch_dir.mkdir(parents=True, exist_ok=True)
    (sketch_dir / "3-20260101T000000-abcdef.png").write_bytes(b"not a png at all")
    with pytest.raises(TorchlabError) as unread:
        hw.load_sketch(hw.list_sketches()[0])
    texts += [str(unread.value), hw.describe_collection(hw.list_sketches())]
    return [t for t in texts if t]


def page_strings(at: AppTest) -> list[str]:
    """Every string of every element and block the page drew (labels, options, messages)."""
    found: list[str] = []

    def strings(message: Message) -> None:
        for field, value in message.ListFields():
            values = value if field.is_repeated else [value]
            if field.type == field.TYPE_STRING:
                found.extend(v for v in values if isinstance(v, str))
            elif field.type == field.TYPE_MESSAGE:
                for v in values:
                    if isinstance(v, Message):
                        strings(v)

    for node in at._tree:
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            strings(proto)
    return found


def test_core_messages_about_damaged_or_unwritable_folders_name_no_server_path(
    damaged, monkeypatch
):
    texts = core_messages(damaged, monkeypatch)
    assert_clean(texts, "the core's messages")
    joined = "\n".join(texts)
    # each kind of damage is still said, in words
    for words in (
        "the disk is full",
        "the run folder is not writable",
        "read-only disk",
        "is not a readable safetensors file",
        "do not fit the model",
        "checkpoint (resume.pt) cannot be read",
        "turned read-only while the run trained",
        "is not a readable PNG",
        "could not be deleted",
    ):
        assert words in joined, words


def test_every_string_the_pages_draw_over_damaged_folders_names_no_server_path(damaged):
    texts = []
    for section in SECTIONS:  # only the open tab runs: read each
        train = train_page(section, TIMEOUT)
        assert not train.exception, (section, [e.value for e in train.exception])
        texts += page_strings(train)
    for i in range(len(train.selectbox(key="training_inspect").options)):
        train.selectbox(key="training_inspect").select_index(i).run(timeout=TIMEOUT)
        assert not train.exception, (i, [e.value for e in train.exception])
        texts += page_strings(train)
    assert_clean(texts, "the Train page")
    assert any("Saved on the server as run" in t for t in texts)

    canvas = AppTest.from_file(str(ROOT / "views" / "canvas.py")).run(timeout=TIMEOUT)
    assert not canvas.exception, [e.value for e in canvas.exception]
    texts = page_strings(canvas)
    for i in range(len(canvas.selectbox(key="canvas_model").options)):
        canvas.selectbox(key="canvas_model").select_index(i).run(timeout=TIMEOUT)
        texts += page_strings(canvas)
    assert_clean(texts, "the Canvas page")
    assert any("not a readable safetensors file" in t for t in texts)
