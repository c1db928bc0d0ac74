"""Look inside a finished run → Layer by layer, and the way from a mistake to the Canvas page:
a saved run's (and the shipped model's) kernels and stages, one cell's multiply-add equal to
torch's own value, a confusion-matrix cell's images, each opening on the Canvas page (with its
steps and this model's answer) and layer by layer; the Canvas page's digit opening there too.

AppTest cannot click a chart: the clicks themselves are in tests/e2e/test_insides.py; here the
cell is picked with the row, column and class boxes the clicks fill in."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ConvSpec, ModelSpec, build_model
from core.engine.learning.randomness import seeded
from core.engine.learning.setup import load_run_data, normalization_of
from core.engine.products.predictor import PRETRAINED_DIR, load_predictor
from core.engine.runs.checkpoint import save_model
from core.engine.runs.folder import StatusRecord, write_config, write_metrics, write_status
from core.engine.runs.record import RunStatus
from core.train.analysis import analyze_run
from core.train.insides import cell_images, stage, trace
from tests.app.train_sections import INSPECT_SECTION, open_section, train_page
from views.train import SECTION_KEY, SECTIONS
from views.train.insides import CELL_TAB, LAYERS_TAB

pytestmark = pytest.mark.needs_data

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "views" / "train" / "page.py")
TIMEOUT = 120
RUN_ID = "20260101-000000-insides"
SPEC = ModelSpec(convs=[ConvSpec(4, 3, 1, 1, "max"), ConvSpec(6, 3, 2, 0)], hidden=[16])
CONFIG = RunConfig(name="insides test", model=SPEC, train_subset=640, test_subset=300, epochs=1)
P = "training_"


@pytest.fixture
def run_dir(runs_dir) -> Path:
    """A finished MNIST run with a model (random weights are enough to test the pages)."""
    folder = runs_dir / RUN_ID
    with seeded(0):
        model = build_model(SPEC)
    mean, std = normalization_of(CONFIG)
    save_model(folder, model, SPEC, {"dataset": "MNIST", "mean": mean, "std": std})
    write_config(folder, CONFIG)
    test = [{"epoch": 1, "step": 20, "samples": 640, "seconds": 1.0, "loss": 2.3, "accuracy": 0.1}]
    write_metrics(folder, [], test)
    write_status(folder, StatusRecord(RunStatus.DONE, started=1.0, finished=2.0))
    return folder


def layers_tab(at: AppTest, run: str = RUN_ID, tab: str = LAYERS_TAB) -> AppTest:
    at.selectbox(key=P + "inspect").set_value(run)
    at.session_state[P + "inspect_tab"] = tab
    return at.run(timeout=TIMEOUT)


def verdicts(at: AppTest) -> list[str]:
    return [s.value for s in at.success if "output at channel" in s.value]


def expected_value(folder: Path, X: torch.Tensor, layer: str, cell: tuple[int, int, int]) -> str:
    """torch's own output of `layer` at `cell` for X, as the page writes it."""
    model = load_predictor(folder).model
    return f"{float(stage(trace(model, X), layer).output[cell]):.6f}"


def test_a_runs_layers_and_one_cells_multiply_add_equal_torchs_value(run_dir):
    at = layers_tab(train_page(INSPECT_SECTION, TIMEOUT))
    assert not at.exception, [e.value for e in at.exception]
    words = "\n".join(m.value for m in at.markdown)
    for name in ("conv1", "conv1.relu", "conv1.maxpool2d", "conv2", "flatten", "fc1", "softmax"):
        assert f"`{name}` ·" in words, name
    assert not verdicts(at)  # one cell by hand has its own tab: each tab a few screens
    at = layers_tab(at, tab=CELL_TAB)
    assert not any(m.value.startswith("`conv1.relu` ·") for m in at.markdown)
    X = load_run_data(CONFIG, "cpu")[2][:1]  # test image 0, as the page shows it first
    (verdict,) = verdicts(at)
    assert "conv1 output at channel 0, row 0, column 0" in verdict and "the same" in verdict
    assert expected_value(run_dir, X, "conv1", (0, 0, 0)) in verdict
    # another layer, kernel and cell, typed as a click would fill them in
    at.selectbox(key=P + "insides_layer").set_value("conv2").run(timeout=TIMEOUT)
    at.number_input(key=P + "insides_channel").set_value(5)
    at.number_input(key=P + "insides_row").set_value(5)
    at.number_input(key=P + "insides_col").set_value(2).run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    (verdict,) = verdicts(at)
    assert "conv2 output at channel 5, row 5, column 2" in verdict and "NOT" not in verdict
    assert expected_value(run_dir, X, "conv2", (5, 5, 2)) in verdict
    # conv2 reads conv1's 4 pooled maps: one row of products per input channel
    sums = next(df.value for df in at.dataframe if "input channel" in df.value.columns)
    assert list(sums["input channel"]) == [0, 1, 2, 3]
    assert all(row.count("×") == 9 for row in sums["window × kernel, added up"])


def test_a_link_opens_the_shipped_model_on_one_cell_by_hand(runs_dir):
    at = AppTest.from_file(PAGE)
    at.query_params.update({"section": INSPECT_SECTION, "run": "digit_model",
                            "itab": CELL_TAB, "image": "7",
                            "layer": "conv2", "kernel": "3", "row": "2", "col": "5"})  # fmt: skip
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert not [i.value for i in at.info if "could not be used" in i.value]
    assert at.selectbox(key=P + "inspect").value == "digit_model"
    assert any("test image 7" in c for img in at.get("image") for c in img.captions)
    (verdict,) = verdicts(at)
    X = load_run_data(RunConfig(), "cpu")[2][7:8]
    assert "conv2 output at channel 3, row 2, column 5" in verdict
    assert expected_value(PRETRAINED_DIR, X, "conv2", (3, 2, 5)) in verdict
    assert any("never deleted" in c.value for c in at.caption)  # the shipped model stays
    assert P + "delete" not in [b.key for b in at.button]


def test_the_canvas_digit_is_looked_at_and_its_absence_is_said(run_dir):
    at = layers_tab(train_page(INSPECT_SECTION, TIMEOUT), tab=CELL_TAB)
    at.radio(key=P + "insides_source").set_value("Your digit from the Canvas page")
    at.run(timeout=TIMEOUT)
    assert any("No digit from the Canvas page yet" in i.value for i in at.info)
    digit = np.zeros((28, 28), dtype=np.float32)
    digit[6:22, 13:16] = 1.0  # a one
    at.session_state["last_drawn_digit"] = digit
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert any(
        "your digit from the Canvas page" in c for img in at.get("image") for c in img.captions
    )
    predictor = load_predictor(run_dir)
    mean, std = predictor.normalization
    X = (torch.from_numpy(digit)[None, None] - mean) / std
    (verdict,) = verdicts(at)
    assert expected_value(run_dir, X, "conv1", (0, 0, 0)) in verdict


def test_a_link_from_before_the_tabs_opens_on_the_look_inside_tab_and_stays_left(runs_dir):
    at = AppTest.from_file(PAGE)
    at.query_params.update({"run": "digit_model", "itab": "Layer by layer"})  # no section=
    at.run(timeout=TIMEOUT)
    assert not at.exception and not [i.value for i in at.info if "could not be used" in i.value]
    assert at.selectbox(key=P + "inspect").value == "digit_model"
    assert at.query_params["section"] == INSPECT_SECTION  # the copied link says it now
    open_section(at, SECTIONS[0], TIMEOUT)  # the learner goes back to the form...
    at.run(timeout=TIMEOUT)
    assert at.session_state[SECTION_KEY] == SECTIONS[0]  # ...and is not sent back
    assert P + "start" in [b.key for b in at.button]


def test_a_confusion_cells_images_are_listed_and_one_opens_layer_by_layer(run_dir):
    at = train_page(INSPECT_SECTION, TIMEOUT)
    at.selectbox(key=P + "inspect").set_value(RUN_ID).run(timeout=TIMEOUT)
    result = analyze_run(run_dir)
    at.selectbox(key=P + "cell_true").set_value(3)
    at.selectbox(key=P + "cell_pred").set_value(int(result.probabilities[
        result.labels == 3].argmax(1).mode().values)).run(timeout=TIMEOUT)  # fmt: skip
    assert not at.exception, [e.value for e in at.exception]
    true, predicted = at.session_state[P + "cell_true"], at.session_state[P + "cell_pred"]
    expected = cell_images(result.probabilities, result.labels, true, predicted)
    assert expected
    captions = [c.value for c in at.caption if c.value.startswith("#")]
    assert (
        captions[0]
        == f"#{expected[0]:,} · {float(result.probabilities[expected[0], predicted]):.0%}"
    )
    assert [int(c[1:].split(" ")[0].replace(",", "")) for c in captions] == expected[:16]
    at.button(key=f"{P}cell_inside_{expected[1]}").click().run(timeout=TIMEOUT)
    assert at.session_state[P + "inspect_tab"] == "Layer by layer"
    assert at.session_state[P + "insides_index"] == expected[1]
    assert any(f"test image {expected[1]}" in c for img in at.get("image") for c in img.captions)


def frame() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"))


def test_a_mistake_opens_on_the_canvas_page_and_comes_back_layer_by_layer(run_dir):
    at = frame().run(timeout=TIMEOUT)
    at.session_state[SECTION_KEY] = INSPECT_SECTION
    at.switch_page("views/train/page.py").run(timeout=TIMEOUT)
    at.selectbox(key=P + "inspect").set_value(RUN_ID).run(timeout=TIMEOUT)
    true, predicted = at.session_state[P + "cell_true"], at.session_state[P + "cell_pred"]
    assert true != predicted  # the commonest mistake is shown first
    result = analyze_run(run_dir)
    first = cell_images(result.probabilities, result.labels, true, predicted)[0]
    at.button(key=f"{P}cell_canvas_{first}").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert "canvas" in at.title[0].value.lower()
    assert at.query_params["source"] == "A test image" and at.query_params["test"] == str(first)
    assert at.query_params["model"] == RUN_ID
    captions = [c.split(":")[0] for img in at.get("image") for c in img.captions]
    assert captions == ["1. Test image", "2. Normalize"]
    assert at.metric[0].value.rstrip("?") == result.classes[predicted]  # the matrix's answer
    assert any(f"whose label is **{result.classes[true]}**" in c.value for c in at.caption)
    # AppTest reruns the page it last switched to: follow the app's own switch
    at.switch_page("views/canvas.py").button(key="canvas_inside").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert not [i.value for i in at.info if "could not be used" in i.value]
    assert at.session_state[P + "inspect"] == RUN_ID
    assert at.session_state[P + "inspect_tab"] == "Layer by layer"
    assert at.session_state[P + "insides_index"] == first
    assert any(f"test image {first:,}" in c for img in at.get("image") for c in img.captions)


def drawing(grey: np.ndarray) -> dict:
    """What streamlit-drawable-canvas stores in session state after a stroke (as
    tests/app/test_canvas_page.py injects it)."""
    g = (grey * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(np.dstack([g, g, g, np.full_like(g, 255)])).save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}, "backgroundFit": None}


def test_the_canvas_digit_opens_layer_by_layer_with_the_canvas_model(run_dir):
    at = frame().run(timeout=TIMEOUT)
    at.switch_page("views/canvas.py").run(timeout=TIMEOUT)
    at.selectbox(key="canvas_model").set_value(str(run_dir)).run(timeout=TIMEOUT)
    grey = np.zeros((280, 280), dtype=np.float32)
    grey[40:240, 130:155] = 1.0  # a one
    at.session_state["canvas_drawing"] = drawing(grey)
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    drawn = at.session_state["last_drawn_digit"]
    # AppTest reruns the page it last switched to: follow the app's own switch
    at.switch_page("views/canvas.py").button(key="canvas_inside").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert not [i.value for i in at.info if "could not be used" in i.value]
    assert at.session_state[P + "inspect"] == RUN_ID
    assert at.session_state[P + "insides_source"] == "Your digit from the Canvas page"
    mean, std = load_predictor(run_dir).normalization
    X = (torch.from_numpy(drawn)[None, None] - mean) / std
    at.session_state[P + "inspect_tab"] = CELL_TAB  # the same image, one cell by hand
    at.switch_page("views/train/page.py").run(timeout=TIMEOUT)
    (verdict,) = verdicts(at)
    assert expected_value(run_dir, X, "conv1", (0, 0, 0)) in verdict
