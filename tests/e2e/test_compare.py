"""The Train page's Compare section in Chromium: the chart says what it draws (two short saved
runs under a slider reading 0.60 are smoothed less, each by the weight the note gives, issue 27
item 14), their insides side by side, each run's own probes in its own column; and the table
beside them shows every column, none clipped behind a sideways scroll (issue 27)."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
from playwright.sync_api import Page, expect

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ModelSpec, build_model
from core.engine.learning.optimizers import build_optimizer
from core.engine.learning.probes import Prober
from core.engine.looks.figures import fitted_smoothing, smooth
from core.engine.runs.folder import (
    StatusRecord,
    write_config,
    write_metrics,
    write_probes,
    write_status,
)
from core.engine.runs.record import RunStatus
from tests.e2e.helpers import chart_state_js, click, open_app, rerun

pytestmark = pytest.mark.e2e

SHORT = [2.3, 1.1, 0.9, 0.5, 0.7, 0.3, 0.4, 0.14]
LONGER = [2.3 / (1 + i) + 0.05 * (i % 3) for i in range(15)]
STATE_JS = chart_state_js("training_cmp_chart")


def probes_of(steps: int) -> list[dict]:
    """A small real network's probes, one a step, from the worker's own Prober."""
    torch.manual_seed(0)
    model = build_model(ModelSpec(hidden=[8]))
    optimizer = build_optimizer("Adadelta", 0.5, {}, model.parameters())
    clock = iter(range(0, 1000 * steps, 100))
    prober = Prober(model, optimizer, torch.zeros(1, 1, 28, 28), clock=lambda: next(clock))
    prober.min_gap = 1
    for _ in range(steps):
        optimizer.zero_grad()
        F.nll_loss(model(torch.randn(16, 1, 28, 28)), torch.randint(0, 10, (16,))).backward()
        optimizer.step()
    probes = prober.take()
    for step, probe in enumerate(probes, 1):
        probe.update(step=step, epoch=1, samples=16 * step, seconds=step / 10)
    return probes


def saved_run(root, name: str, losses: list[float]) -> None:
    folder = root / f"20260101-00000{len(losses)}-{name}"
    write_config(folder, RunConfig(name=name, epochs=1, train_subset=32 * len(losses)))
    train = [
        {"epoch": 1, "step": s, "samples": 32 * s, "seconds": s / 10, "loss": v, "lr": 0.5}
        for s, v in enumerate(losses, 1)
    ]
    test = [{"epoch": 1, "step": len(losses), "samples": 32 * len(losses), "seconds": 3.0,
             "loss": losses[-1], "accuracy": 0.8}]  # fmt: skip
    write_metrics(folder, train, test)
    write_status(folder, StatusRecord(RunStatus.DONE, started=1.0, finished=3.0))
    write_probes(folder, probes_of(len(losses) // 2), None)


@pytest.fixture(scope="module")
def two_saved_runs(runs_root) -> None:
    saved_run(runs_root, "short", SHORT)
    saved_run(runs_root, "longer", LONGER)


def compare_both(page: Page, app_url: str) -> None:
    """Open the Train page and choose the two saved runs in its Compare section: the one
    place these tests reach that section, its own tab."""
    open_app(page, app_url, "training")
    click(page, page.get_by_role("tab", name="Compare runs"))  # only the open tab runs
    box = page.get_by_label("Runs to compare (finished or still running)")
    for name in ("short", "longer"):
        with rerun(page):
            box.focus()
            box.press_sequentially(name)
            expect(page.get_by_role("option", name=re.compile(f"^{name} ·"))).to_be_visible()
            box.press("Enter")


def test_the_overlay_says_when_it_smoothed_less_than_the_slider_reads(
    app_url, page, two_saved_runs
):
    compare_both(page, app_url)
    chart = page.locator(".st-key-training_cmp_chart .tl-root")
    expect(chart.get_by_label("smoothing")).to_have_value("0.6")
    note = chart.locator(".tl-note")
    expect(note).to_contain_text("Smoothed with less than 0.60")
    drawn = {
        d["id"].split("-", 2)[2]: d
        for d in page.evaluate(f"() => JSON.parse(JSON.stringify(({STATE_JS})().drawn))")
    }
    for name, losses in (("short", SHORT), ("longer", LONGER)):
        found = re.search(rf"{name} with ([0-9.]+) \({len(losses)} logged", note.inner_text())
        shown = float(found[1])
        weight = fitted_smoothing(0.6, len(losses))
        assert drawn[name]["weight"] == pytest.approx(weight) and shown == round(weight, 2)
        assert drawn[name]["smoothed"] == pytest.approx(smooth(losses, weight))
    # Both runs scored 80%: the accuracy axis is drawn around it and never reads past 100%.
    low, high = page.evaluate(
        f"() => {{ const y = ({STATE_JS})().accChart.scales.y; return [y.min, y.max]; }}"
    )
    assert 0 <= low < 0.8 < high <= 1, (low, high)

    # Both runs' insides, side by side: each column strips as many probes as its run took.
    columns = chart.locator(".tl-inside-column")
    expect(columns).to_have_count(2)
    for name, losses in (("short", SHORT), ("longer", LONGER)):
        column = chart.locator(f".tl-inside-column[data-run$='-{name}']")
        expect(column).to_contain_text(f"{len(losses) // 2} probes")
        strip = column.locator(".tl-card .tl-strip").first
        assert strip.evaluate("canvas => canvas.width") == len(losses) // 2


def test_the_compare_table_shows_every_column_without_a_sideways_scroll(
    app_url, page, two_saved_runs
):
    compare_both(page, app_url)
    # the table comes right after the section's "every setting" toggle
    table = page.locator(
        ".st-key-training_cmp_all ~ [data-testid='stElementContainer'] [data-testid='stDataFrame']"
    ).first
    expect(table).to_be_visible()
    # glide-data-grid's scroller is wider inside than out when columns are clipped (2 px of
    # slack for sub-pixel rounding)
    scroller = table.locator(".dvn-scroller")
    widths = scroller.evaluate("el => ({inside: el.scrollWidth, outside: el.clientWidth})")
    assert widths["inside"] <= widths["outside"] + 2, widths
    shown, main = table.bounding_box(), page.get_by_test_id("stMainBlockContainer").bounding_box()
    assert shown["x"] + shown["width"] <= main["x"] + main["width"] + 1, (shown, main)
