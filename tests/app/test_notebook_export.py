"""AppTest: the notebook downloads of the Train page (the form, a saved run) and of the
Tensors page's lines are there, named .ipynb, and hold valid notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from core.engine.learning.config import RunConfig
from core.engine.learning.models import MAX_HIDDEN_LAYERS
from core.engine.runs.folder import StatusRecord, write_config, write_metrics, write_status
from core.engine.runs.record import RunStatus
from core.tensors.program import CHAPTER
from tests.app.train_sections import INSPECT_SECTION, train_page
from ui.runner import forget_saved_runs, get_runner

ROOT = Path(__file__).resolve().parents[2]
TRAIN = str(ROOT / "views" / "train" / "page.py")
TENSORS = str(ROOT / "views" / "tensors.py")
TIMEOUT = 120


class KeptStorage(MemoryMediaFileStorage):
    """AppTest's in-memory media files, kept after the run so a test can read a download."""

    last: KeptStorage | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        KeptStorage.last = self


@pytest.fixture(autouse=True)
def media(monkeypatch):
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", KeptStorage)


def download(at: AppTest, key: str) -> tuple[str, nbformat.NotebookNode]:
    """The file name a download button offers, and its data read as a notebook."""
    (proto,) = [b.proto for b in at.get("download_button") if b.key == key]
    assert KeptStorage.last is not None
    file = KeptStorage.last.get_file(proto.url.rsplit("/", 1)[-1])
    notebook = nbformat.reads(file.content.decode("utf-8"), as_version=4)
    nbformat.validate(notebook)
    return file.filename, notebook


def code(notebook) -> str:
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "code")


def test_the_train_form_exports_a_notebook_beside_the_script(runs_dir):
    at = AppTest.from_file(TRAIN).run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Export as a PyTorch script" in labels and "Export as a notebook" in labels
    at.number_input(key="training_lr").set_value(0.123).run(timeout=TIMEOUT)
    name, notebook = download(at, "training_export_notebook")
    assert name == "train_mnist.ipynb"
    assert "LR = 0.123" in code(notebook) and "def train(" in code(notebook)
    assert "predicted digit" in notebook.cells[-1].source

    # The same rule as Start and the script: no export while the form has an error.
    too_deep = ",".join(["8"] * (MAX_HIDDEN_LAYERS + 1))
    at.text_input(key="training_hidden").set_value(too_deep).run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="training_start").disabled
    assert "Export as a notebook" not in [b.proto.label for b in at.get("download_button")]


def test_a_saved_run_downloads_as_a_notebook_where_it_is_inspected(runs_dir):
    folder = runs_dir / "20260101-000000-take-home"
    config = RunConfig(name="take home", lr=0.0321, epochs=1, train_subset=640)
    write_config(folder, config)
    write_metrics(folder, [], [])
    write_status(folder, StatusRecord(RunStatus.DONE, started=1.0, finished=3.0))
    forget_saved_runs()
    at = train_page(INSPECT_SECTION, TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="training_inspect").value == folder.name
    name, notebook = download(at, "training_download_notebook")
    assert name == f"{folder.name}.ipynb"
    assert "LR = 0.0321" in code(notebook) and "TRAIN_SUBSET = 640" in code(notebook)
    assert notebook.cells[0].source.startswith("# take home: ")
    for snap in get_runner().jobs():
        get_runner().stop(snap.id)


def test_the_tensors_page_offers_its_lines_as_a_notebook():
    at = AppTest.from_file(TENSORS)
    at.session_state["tensors_tab"] = "The chapter's lines"
    at.run(timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    name, notebook = download(at, "tensors_program_notebook")
    assert name == "tensor_lines.ipynb"
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert cells[1:] == CHAPTER.splitlines()  # after `import torch`: one cell per line
