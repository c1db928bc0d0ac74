"""The exported notebooks run top to bottom on their own (no Torchlab): a run's notebook
trains like the run it came from, the Tensors lines' notebook shows what the page shows."""

from __future__ import annotations

import os
import re

import nbformat
import pytest
import torchvision
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from core.engine.learning.data import data_root
from core.engine.products.export import TEST_CODE, TRAIN_CODE, export_script, load_code, model_code
from core.engine.products.notebook import run_notebook
from core.tensors.notebook import lines_notebook
from core.tensors.program import CHAPTER, MAX_LINES, run_program
from tests.unit.engine.products.exported import CONFIGS, LOSS

PREDICTED = re.compile(r"^predicted digit: (\d) \(probability [0-9.]+%\), true label: (\d)$", re.M)


@pytest.fixture(autouse=True)
def _jupyter_files(tmp_path, monkeypatch):
    """The kernels' connection files go in the test's own folder, not the user's."""
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter"))


def execute(notebook, tmp_path, timeout: int = 120):
    """Run every cell, as Jupyter's "Run all" does, on this venv's own ipykernel.

    The kernel is the native one ipykernel provides for this very Python (no kernelspec
    folder is read, so a `python3` kernel a machine has installed elsewhere is never used),
    in a folder where Torchlab is not importable, with its own IPython profile."""
    specs = KernelSpecManager(kernel_dirs=[])  # only the native kernel: sys.executable
    kernel = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["IPYTHONDIR"] = str(tmp_path / "ipython")  # no startup files of the machine's profile
    client = NotebookClient(
        notebook, km=kernel, timeout=timeout, resources={"metadata": {"path": str(tmp_path)}}
    )
    try:
        client.execute(env=env)
    finally:  # nbclient leaves a kernel it was handed running
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)
    return notebook


def code_cells(notebook) -> list:
    return [c for c in notebook.cells if c.cell_type == "code"]


def text_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.needs_data
def test_the_run_notebook_executes_and_reproduces_the_first_batches(name, tmp_path, runner):
    config = CONFIGS[name]
    notebook = nbformat.reads(run_notebook(config), as_version=4)
    nbformat.validate(notebook)
    sources = "\n".join(c.source for c in code_cells(notebook))
    assert "core" not in re.findall(r"^(?:from|import) (\w+)", sources, re.M)
    kinds = [c.cell_type for c in notebook.cells]
    assert all(kinds[i - 1] == "markdown" for i, k in enumerate(kinds) if k == "code")

    execute(notebook, tmp_path)
    assert not [o for c in code_cells(notebook) for o in c.outputs if o.output_type == "error"]
    printed = "".join(text_of(c) for c in code_cells(notebook))
    exported = [float(x) for x in LOSS.findall(printed)]
    assert len(exported) == 320 // config.batch_size  # every batch of the epoch is logged
    assert "test set: average loss" in printed

    snap = runner.wait(runner.submit(config), 300)
    ours = [round(r["loss"], 6) for r in snap.train if r["epoch"] == 1]
    assert exported == pytest.approx(ours, abs=2e-6)

    # As the chapter ends: the last cell predicts the first test image and names its label.
    (found,) = PREDICTED.findall(text_of(code_cells(notebook)[-1]))
    first = torchvision.datasets.MNIST(root=data_root(), train=False).targets[0]
    assert int(found[1]) == int(first)


def test_the_notebook_is_the_scripts_own_code():
    """One home for the code: the notebook's cells are the pieces the script is made of."""
    config = CONFIGS["sgd-onecycle-computed"]
    script = export_script(config)
    notebook = nbformat.reads(run_notebook(config), as_version=4)
    cells = [c.source for c in code_cells(notebook)]
    for piece in (model_code(config.model), load_code(config), TRAIN_CODE, TEST_CODE):
        assert piece in script
        assert piece.strip("\n") in cells or any(c.startswith(piece.strip("\n")) for c in cells)
    assert "total_steps=steps_per_epoch * EPOCHS" in "\n".join(cells)  # no argparse here
    assert run_notebook(config) == run_notebook(config)  # the same file every time


def outputs_by_line(notebook) -> dict[str, list[str]]:
    """Each code cell's source -> the values it showed (execute_result text)."""
    return {
        c.source: [o.data["text/plain"] for o in c.outputs if o.output_type == "execute_result"]
        for c in code_cells(notebook)
    }


@pytest.mark.slow
def test_the_tensor_lines_notebook_shows_each_value_as_the_page_prints_it(tmp_path):
    text = (
        CHAPTER + "\n# a note of the learner's\nwide = torch.zeros(3, 40, dtype=torch.int64)\n"
        "wide.tolist()\nwide.dtype\n\nwide[0, 1] = 7\npoints.foo()\nthird = points[2]"
    )
    program = run_program(text)
    assert "points.foo()" in program.error and program.lines[-1].code == "wide[0, 1] = 7"
    notebook = nbformat.reads(lines_notebook(text, program), as_version=4)
    nbformat.validate(notebook)
    assert code_cells(notebook)[0].source.startswith("import warnings\n\nimport torch")

    execute(notebook, tmp_path, timeout=60)
    outputs = outputs_by_line(notebook)
    assert not [
        o for c in code_cells(notebook) for o in c.outputs if o.output_type != "execute_result"
    ]
    for line in program.lines:
        assert outputs[line.code] == ([line.output] if line.output else []), line.code
    # The refused line and the one after it come last, commented out under the page's message.
    last = code_cells(notebook)[-1].source.splitlines()
    assert last[0] == "# The page stopped here. " + program.error
    assert last[-2:] == ["# points.foo()", "# third = points[2]"]
    assert lines_notebook(text) == lines_notebook(text, program)


def test_lines_over_the_limit_all_come_commented_out():
    text = "\n".join(f"a{i} = torch.zeros(2)" for i in range(MAX_LINES + 1))
    notebook = nbformat.reads(lines_notebook(text), as_version=4)
    sources = [c.source for c in code_cells(notebook)]
    assert len(sources) == 2 and "the limit is" in sources[1]
    assert sources[1].splitlines()[-1] == f"# a{MAX_LINES} = torch.zeros(2)"


@pytest.mark.parametrize("normalization", ["classic", "dataset", "computed"])
def test_the_notebook_says_how_it_normalizes_as_its_code_does(normalization):
    """The data cell's words name the numbers its load() uses: the classic constants are not
    "the mean and std of the training images" (the Train page tells 0.1302 from 0.1307)."""
    from core.engine.learning.config import RunConfig
    from core.engine.learning.data import CLASSIC_MNIST_NORMALIZATION, dataset_info

    config = RunConfig(normalization=normalization)
    notebook = nbformat.reads(run_notebook(config), as_version=4)
    words = next(c.source for c in notebook.cells if c.source.startswith("## The data"))
    code = load_code(config)
    assert ("computed" in words) == ("x.mean()" in code)
    if normalization == "computed":
        assert "training images" in words
        return
    assert "training images" not in words
    mean, std = (
        CLASSIC_MNIST_NORMALIZATION
        if normalization == "classic"
        else (dataset_info("MNIST").mean, dataset_info("MNIST").std)
    )
    assert f"mean, std = {mean!r}, {std!r}" in code
    assert repr(mean) in words and repr(std) in words
