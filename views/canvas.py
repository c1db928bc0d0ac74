"""Digit canvas: draw (or upload) a digit, watch it become an MNIST image, see the prediction."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from core import links
from core.canvas import figures as figs
from core.canvas import handwriting as hw
from core.canvas import preprocess as inf
from core.canvas.answer import answer
from core.engine.learning.data import TEST_SIZE
from core.engine.products import predictor as pr
from core.engine.products.predictor import PRETRAINED_DIR
from ui.common import code_ui, device_name, errors_ui
from ui.handwriting import handwriting_ui
from ui.links import linked_page, open_page
from ui.predictor import model_choices
from ui.runner import unreadable_runs_ui
from ui.uploads import dropped_uploads_ui
from views.train import INSPECT_SECTION

CANVAS_KEY = "canvas_drawing"
DRAWN_KEY = "last_drawn_digit"  # read by the Layers page and the Train page's Layer by layer
# How assets/digit_model was made (see its commit); rerunning it recreates the shipped model.
PRETRAIN_COMMAND = "python -m core.engine.cli --preset fast --device cpu --out assets/digit_model"
STEP_OPTIONS = {  # PreprocessOptions field -> toggle label
    "crop": "Crop to the ink",
    "stroke": "MNIST's pen width",
    "fit_box": "Fit a 20-px box",
    "antialias": "Anti-alias",
    "center_of_mass": "Centre by mass",
    "normalize": "Normalize",
}

SOURCES = ["Draw", "Upload a picture", "A test image"]  # the Train page opens the third by name
LINK = [
    links.choice("source", "canvas_source", SOURCES[0], SOURCES),
    links.integer("test", "canvas_test_index", 0, 0, TEST_SIZE - 1),
    links.integer("pen", "canvas_stroke", inf.DEFAULT_STROKE_WIDTH, *inf.STROKE_WIDTHS),
    links.flag("live", "canvas_live", True),
    *(links.flag(name, f"canvas_step_{name}", True) for name in STEP_OPTIONS),
]
LOADED_KEY = "canvas_loaded"  # what the canvas was last loaded with (by Undo or Clear)
# The component's own toolbar (undo, redo, bin) lies invisible over the canvas's top right
# until hovered, and takes a stroke started there: the page hides it in the canvas's shadow
# root (checked every frame, so a canvas drawn again is covered too) and has its own buttons.
HIDE_TOOLBAR = f"""<script>(() => {{
  if (window.torchlabHideToolbar) return;
  window.torchlabHideToolbar = true;
  const hide = () => {{
    for (const box of document.getElementsByClassName("st-key-{CANVAS_KEY}"))
      for (const root of [...box.querySelectorAll("*")].map((el) => el.shadowRoot))
        if (root && !root.querySelector("style.torchlab-toolbar")) {{
          const style = Object.assign(document.createElement("style"), {{
            className: "torchlab-toolbar", textContent: ".dc-toolbar {{ display: none !important }}"
          }});
          root.append(style);
        }}
    requestAnimationFrame(hide);
  }};
  hide();
}})();</script>"""
st.session_state.setdefault(LOADED_KEY, {"objects": [], "torchlabLoad": 0})
st.session_state.setdefault("canvas_asked", None)  # which drawing "Predict" was pressed for
st.session_state.setdefault("canvas_last_saved", None)  # path of the last sketch saved
st.session_state.setdefault("canvas_report", None)  # (model, stamp, sketches, report, MNIST)


@st.cache_resource(max_entries=8, show_spinner="Loading the model...")
def load_predictor(folder: str, device: str, stamp: float) -> pr.Predictor:
    """One loaded copy per model, device and file version, shared by every session."""
    return pr.load_predictor(folder, device)


@st.cache_data(max_entries=16, show_spinner="Scoring the model on the 10,000 MNIST test digits...")
def mnist_accuracy(folder: str, device: str, stamp: float) -> float:
    return hw.mnist_test_accuracy(load_predictor(folder, device, stamp))


st.title("Digit canvas: a model reads your digit")
st.markdown(
    "Draw a digit and a network trained on MNIST says which one it thinks it is. The "
    "interesting part is *in between*, under the canvas: the steps that make your drawing "
    "look like an MNIST digit before the model sees it."
)

device = device_name()
choices = model_choices()
if not pr.pretrained_present():
    st.warning(
        f"No pretrained model is present: `assets/{PRETRAINED_DIR.name}` has no `model.safetensors` and "
        "`model.json`. Pick a run you trained on the **Train** page below, or create the "
        f"pretrained model from the repository root with `{PRETRAIN_COMMAND}`."
    )
if not choices:
    st.info("There is no model to ask yet: train an MNIST run on the **Train** page first.")
    st.stop()
by_folder = {str(c.folder): c for c in choices}


def model_field() -> links.Field:
    """The model by its folder's name (a run id, or the shipped model's folder), one that this
    server has; the default is the first one offered."""
    by_name = {Path(f).name: f for f in reversed(by_folder)}

    def read(text: str) -> str:
        if text not in by_name:
            raise ValueError("no such model on this server")
        return by_name[text]

    return links.Field("model", "canvas_model", next(iter(by_folder)), read, lambda f: Path(f).name)


def keep_strokes(end: int) -> None:
    """Undo (end -1) and Clear (end 0): the canvas is loaded again with the strokes its last
    message held, up to `end`; a new load number makes it load even the same strokes."""
    state = st.session_state.get(CANVAS_KEY) or {}
    objects = list(((state.get("drawing") or {}).get("raw") or {}).get("objects") or [])
    number = st.session_state[LOADED_KEY]["torchlabLoad"] + 1
    st.session_state[LOADED_KEY] = {"objects": objects[:end], "torchlabLoad": number}


linked_page("canvas", [model_field(), *LINK])
canvas_col, result_col = st.columns(2, gap="large")
with result_col:
    folder = st.selectbox(
        "Model",
        list(by_folder),
        key="canvas_model",
        format_func=lambda f: by_folder[f].label,
        help="The shipped pretrained model, or any MNIST run saved by the Train page.",
    )
    unreadable_runs_ui()
    choice = by_folder[folder]
    predictor = None
    with errors_ui():
        predictor = load_predictor(folder, device, choice.stamp)
if predictor is None:
    st.stop()

with canvas_col:
    draw_tab, upload_tab, test_tab = st.tabs(SOURCES, key="canvas_source", on_change="rerun")
with draw_tab:
    if CANVAS_KEY not in st.session_state:  # a new canvas starts empty, whatever was undone
        keep_strokes(0)
    canvas = st_canvas(
        stroke_width=st.session_state["canvas_stroke"],
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=inf.CANVAS_SIZE,
        height=inf.CANVAS_SIZE,
        drawing_mode="freedraw",
        initial_drawing=st.session_state[LOADED_KEY],
        return_image_data=True,
        key=CANVAS_KEY,
    )
    drawn = bool((canvas.json_data or {}).get("objects"))
    with st.container(horizontal=True, vertical_alignment="center"):
        for label, icon, end in (("Undo", "undo", -1), ("Clear", "delete", 0)):
            look = dict(
                icon=f":material/{icon}:", disabled=not drawn, key=f"canvas_{label.lower()}"
            )
            st.button(label, **look, on_click=keep_strokes, args=(end,))
        st.toggle("Predict as I draw", key="canvas_live", help="Off: draw, then press Predict.")
        asked = not st.session_state["canvas_live"] and st.button(
            "Predict", type="primary", key="canvas_predict"
        )
    st.slider(
        "Pen width",
        *inf.STROKE_WIDTHS,
        key="canvas_stroke",
        help="In canvas pixels, as you see it. The *MNIST's pen width* step below redraws "
        "your strokes 2-3 px wide, as MNIST's are, unless the pen is too thick for the size "
        "you draw at: then it only shaves them, and says so.",
    )
    st.html(HIDE_TOOLBAR, unsafe_allow_javascript=True)
# The server's own limit (server.maxUploadSize, MiB): what the page says is what it accepts.
upload_mib = int(st.get_option("server.maxUploadSize"))
with upload_tab:
    upload = st.file_uploader(
        "A PNG or JPEG of one digit: dark on light paper or light on dark, both work",
        type=list(inf.UPLOAD_TYPES),
        key="canvas_upload",
        max_upload_size=upload_mib,
    )
    st.caption(
        f"At most {upload_mib} MiB. The background is read from the "
        "picture's border, so leave some paper around the digit."
    )
    dropped_uploads_ui(shown=upload_tab.open)

with test_tab:
    test_index = int(
        st.number_input(
            f"MNIST test image (0 to {TEST_SIZE - 1:,})", 0, TEST_SIZE - 1, key="canvas_test_index",
            help="Its number in the test set, as the Train page's confusion matrix shows it.",
        )
    )  # fmt: skip
testing = bool(test_tab.open)

st.subheader(
    "From the test image to the model's input"
    if testing
    else "From your drawing to the model's input"
)
if testing:
    st.markdown(
        "A test image is already an MNIST digit: MNIST's makers cropped it, scaled it into the "
        "20-px box and centred it by mass, so the drawing steps are not done again (they would "
        "change the digit). Only Normalize is left: with it on, the model gets exactly the "
        "input it was tested on, so its answer is the one its confusion matrix counted."
    )
else:
    st.markdown(
        "Left to right: the ink, cropped to its bounding box, its strokes thinned to their centre "
        f"lines and redrawn {inf.MNIST_STROKE:g} px wide as they will be once in the 20-px box "
        "(MNIST's typical pen; a pen too thick for a small digit is only shaved thinner, since "
        "thinning it would turn merged strokes into lines), scaled so the longer "
        "side is 20 px (anti-aliased: edge pixels turn grey), placed in 28×28 with its centre of "
        "mass at (14, 14), then normalized with the mean and std of the data the model was "
        "trained on. Switch a step off and watch the prediction above: the model only ever saw "
        "digits that look like what all six steps make."
    )
shown_steps = {"normalize": STEP_OPTIONS["normalize"]} if testing else STEP_OPTIONS
for column, (name, label) in zip(st.columns(len(STEP_OPTIONS)), shown_steps.items(), strict=False):
    column.toggle(label, key=f"canvas_step_{name}")
options = inf.PreprocessOptions(**{n: st.session_state[f"canvas_step_{n}"] for n in STEP_OPTIONS})
steps_box = st.container()

uploading = bool(upload_tab.open)
ink = prep = pred = test_label = None
with result_col, errors_ui():
    if testing:
        start = time.perf_counter()
        pixels, test_label = inf.test_digit(test_index)
        prep = inf.preprocess_test_digit(
            pixels, test_index, predictor.normalization, options.normalize
        )
        prep_ms = (time.perf_counter() - start) * 1000
    elif uploading and upload is not None:
        ink = inf.ink_image(
            inf.decode_upload(upload.getvalue(), upload.name, upload_mib * 2**20), background="auto"
        )
    elif not uploading and not testing and canvas.image_data is not None:
        ink = inf.ink_image(canvas.image_data, background="black")
    if ink is not None:
        start = time.perf_counter()
        prep = inf.preprocess(ink, predictor.normalization, options)
        prep_ms = (time.perf_counter() - start) * 1000

with result_col:
    if uploading and upload is not None and prep is not None and prep.empty:
        st.warning(
            f"No ink found in **{upload.name}**: it reads as one even shade, with no stroke "
            "darker or lighter than its paper. Check that it is the picture you meant."
        )
    elif prep is None or prep.empty:
        if not (uploading and upload is not None) and not testing:  # (their errors say why)
            source = "Upload a picture of a digit" if uploading else "Draw a digit on the canvas"
            st.info(f"{source} and the model's answer appears here.")
    elif testing:
        pred = pr.predict(predictor.model, prep.X, device)
    else:
        st.session_state[DRAWN_KEY] = prep.digit
        drawing_id = hashlib.sha1(ink.tobytes()).hexdigest()
        if asked:
            st.session_state["canvas_asked"] = drawing_id
        if (
            uploading
            or st.session_state["canvas_live"]
            or st.session_state["canvas_asked"] == drawing_id
        ):
            pred = pr.predict(predictor.model, prep.X, device)
        else:
            st.info(
                "Press **Predict** when your digit is finished, or switch on *Predict as I draw*."
            )
    if pred is not None:
        if testing:
            label = predictor.classes[test_label]
            right = "right" if pred.top == test_label else "the model is wrong here"
            st.caption(
                f"The answer for MNIST test image {test_index:,}, whose label is **{label}**: "
                f"{right}."
            )
        elif uploading:  # a file the uploader refuses (too big) never reaches the page
            st.caption(
                f"The answer for **{upload.name}**. A file the uploader marks in red was "
                f"refused (over {upload_mib} MiB) and is not read: remove it with its ×."
            )
        classes = predictor.classes
        said = answer(pred, classes, prep.doubt)
        metric_col, note_col = st.columns([1, 3], vertical_alignment="center")
        metric_col.metric(
            "Prediction", said.shown, f"{pred.confidence:.0%} sure", delta_color="off",
            delta_arrow="off",
        )  # fmt: skip
        (note_col.warning if said.flagged else note_col.success)(said.text)
        st.plotly_chart(
            figs.probability_figure(
                pred.probs, classes, pred.top, pred.runner_up if said.flagged else None
            ),
            key="canvas_probs",
        )
        st.caption(
            f"Forward pass: {pred.seconds * 1000:.2f} ms on `{pred.device}` · preprocessing: {prep_ms:.1f} ms on the CPU."
        )
        code_ui(pr.predict, answer)
        if st.button(
            "Look inside the network", icon=":material/layers:", key="canvas_inside",
            help="This model and this digit on the Train page, layer by layer: its kernels and "
            "each layer's maps (and, in the tab beside, one cell's multiply-add).",
        ):  # fmt: skip
            look = (
                {"image": str(test_index)}
                if testing
                else {"isource": "Your digit from the Canvas page"}
            )
            open_page("training", "train", {"section": INSPECT_SECTION,
                                            "run": Path(folder).name, "itab": "Layer by layer",
                                            **look})  # fmt: skip

with steps_box:
    if prep is None or prep.empty:
        st.caption("The steps appear here once there is a digit.")
    else:
        columns = st.columns(max(len(prep.steps), len(STEP_OPTIONS)))  # the same size always
        for column, (i, step) in zip(columns, enumerate(prep.steps, 1), strict=False):
            column.image(figs.display_pixels(step.image), caption=f"{i}. {step.name}: {step.note}")
        left, right = st.columns(2)
        left.plotly_chart(figs.input_figure(prep.X[0, 0].numpy()), key="canvas_input")
        left.caption("Hover a pixel to read the number the model really receives.")
        if pred is not None:
            sal = pr.saliency(predictor.model, prep.X, pred.top)
            right.plotly_chart(
                figs.saliency_figure(prep.digit, sal, predictor.classes[pred.top]),
                key="canvas_saliency",
            )
            right.markdown(
                "**Why this answer?** This *saliency map* is the gradient of the top class's "
                "score with respect to each input pixel, |∂ score / ∂ x|. Bright pixels are "
                "where a small change would move the answer most: often the gap that makes a "
                "4 not a 9, or the stroke that closes a loop."
            )
        code_ui(inf.preprocess, inf.ink_image, inf.place, pr.saliency)

handwriting_ui(
    predictor, folder, choice.stamp, ink, ink is not None and prep is not None and not prep.empty,
    lambda: mnist_accuracy(folder, device, choice.stamp),
)  # fmt: skip
