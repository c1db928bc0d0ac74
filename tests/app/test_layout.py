"""Layout that costs attention (issue 27): legends clear of axis titles, axes in plain powers
of ten, every chip and column shown, the GPU spoken of only where there is one, and a new
tab's empty run list pointing at the runs it can see."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import core.devices
import core.optim2d.race
import ui.common
from core.devices import DeviceInfo, available_devices
from core.engine.looks.figures import LEGEND_BELOW, LEGEND_BELOW_MARGIN, loss_figure
from core.engine.runs.folder import StatusRecord, write_config, write_metrics, write_status
from core.engine.runs.record import RunStatus
from tests.app.train_sections import COMPARE_SECTION, open_section

ROOT = Path(__file__).resolve().parents[2]


def test_a_legend_under_a_chart_hangs_below_its_axis_title_with_room_for_it():
    fig = loss_figure([("a run", [{"step": 1, "loss": 2.3}, {"step": 2, "loss": 1.0}], [])])
    legend, margin = fig.layout.legend, fig.layout.margin
    assert (legend.yanchor, legend.y) == ("top", LEGEND_BELOW["y"]) and LEGEND_BELOW["y"] <= -0.25
    assert margin.b == LEGEND_BELOW_MARGIN >= 90  # axis title (about 40 px) + two rows


def test_tiny_values_are_written_in_powers_of_ten_not_si_prefixes():
    from core.backprop.figures import lr_figure
    from core.backprop.tinynet import DEFAULT_PARAMS, make_net
    from core.backprop.update import judge_rates, lr_line, references
    from core.experiments.figures import lr_figure as sweep_figure

    net = make_net("1.0, 2.0", "1.0", DEFAULT_PARAMS, "Sigmoid", "squared error")
    fig = lr_figure(lr_line(net, 0.1, references(judge_rates(net))))
    assert fig.layout.yaxis.exponentformat == fig.layout.xaxis.exponentformat == "power"
    sweep = sweep_figure([])
    assert sweep.layout.xaxis.dtick == 1  # powers of ten only: no 2s and 5s in between


def test_home_speaks_of_a_gpu_only_where_the_machine_has_one():
    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=120)
    text = " ".join(m.value for m in at.markdown)
    if len(available_devices()) == 1:
        assert "this machine has none" in text and "between cpu and a GPU" not in text
    else:
        assert "between cpu and a GPU" in text


@pytest.fixture
def gpu(monkeypatch):
    """Set whether this machine lists a GPU: cpu only, or cpu and a faked CUDA device (no
    test machine is sure to have a real one). Faked where the app asks which devices there
    are, not in torch: torch's optimizers ask torch.cuda too, and would start a driver that
    is not there. The race the page runs on the faked GPU runs on cpu."""

    def machine(has_gpu: bool) -> None:
        listed = [DeviceInfo("cpu", "cpu")]
        if has_gpu:
            listed.append(DeviceInfo("cuda:0", "cuda:0 · Faked GPU (16.0 GiB)"))
            real = core.optim2d.race.race

            def race_on_cpu(surface, specs, start, num_steps, device="cpu"):
                return real(surface, specs, start, num_steps, "cpu")

            monkeypatch.setattr(core.optim2d.race, "race", race_on_cpu)
        for module in (core.devices, ui.common):  # ui.common holds its own name for it
            monkeypatch.setattr(module, "available_devices", lambda: listed)

    return machine


@pytest.mark.parametrize("has_gpu", [False, True], ids=["cpu-only", "gpu"])
def test_the_optimizer_race_speaks_of_a_gpu_only_where_the_machine_has_one(gpu, has_gpu):
    gpu(has_gpu)
    at = AppTest.from_file(str(ROOT / "views" / "optimizers.py")).run(timeout=120)
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    (ran,) = [c.value for c in at.caption if c.value.startswith("Ran on ")]
    assert ran.startswith("Ran on **cuda:0**" if has_gpu else "Ran on **cpu**")
    assert ("no work for a GPU" in ran) is has_gpu, ran


def test_a_new_tab_with_no_runs_of_its_own_points_at_the_saved_ones(runs_dir):
    folder = runs_dir / "20260101-000000-elsewhere"
    folder.mkdir(parents=True)
    from core.engine.learning.config import RunConfig

    write_config(folder, RunConfig(name="from another tab", train_subset=64))
    write_metrics(folder, [{"epoch": 1, "step": 1, "samples": 32, "seconds": 0.1, "loss": 2.3,
                            "lr": 0.5}], [])  # fmt: skip
    write_status(folder, StatusRecord(RunStatus.DONE, started=1.0, finished=2.0))
    at = AppTest.from_file(str(ROOT / "views" / "train" / "page.py")).run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    said = next(c.value for c in at.caption if c.value.startswith("No runs from this tab yet"))
    assert "1 saved run of this machine" in said and "in the next two tabs" in said
    open_section(at, COMPARE_SECTION)
    assert at.multiselect(key="training_compare").proto.wrap  # long labels: whole chips
