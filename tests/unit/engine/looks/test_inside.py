"""The panel's sentences say what its numbers show, and the panel stays small."""

from __future__ import annotations

import json
import math

import pytest

from core.engine.looks.inside import (
    GUIDE,
    MAX_PANEL_PROBES,
    activation_sentence,
    gradient_sentence,
    inside_payload,
    one_in,
    update_sentence,
)


def probe(step: int, dead: float, update: float, grad_data=(0.01, 0.1)) -> dict:
    return {
        "step": step,
        "epoch": 1,
        "layers": [
            {
                "name": "fc1",
                "kind": "Linear",
                "mean": 0.1,
                "std": 1.0,
                "zeros": 0.0,
                "edges": [0.0, 1.0],
                "hist": [1, 2],
            },
            {
                "name": "fc1.relu",
                "kind": "ReLU",
                "mean": 0.3,
                "std": 0.5,
                "zeros": 0.6,
                "dead": dead,
                "edges": [0.0, 1.0],
                "hist": [3, 0],
            },
        ],
        "weights": [
            {"name": "fc1", "grad_data": grad_data[0], "grad_norm": 1.0, "update": update},
            {"name": "fc2", "grad_data": grad_data[1], "grad_norm": 1.0, "update": update},
        ],
        "grad_norm": 1.4,
        "filters": [0.1] * 9,
        "filters_shape": [1, 1, 3, 3],
    }


@pytest.mark.parametrize(
    "dead, says",
    [
        (0.6, "More than half of fc1.relu's units are dead: 60%"),
        (0.2, "20% of fc1.relu"),
        (0.02, "Almost every unit of fc1.relu fires"),
    ],
)
def test_the_dead_unit_sentence_reads_the_share_it_shows(dead, says):
    assert says in activation_sentence("fc1.relu", "ReLU", dead, saturating=False)


def test_saturated_and_leaky_units_are_named_for_what_they_are():
    assert "stuck at a rail" in activation_sentence("fc1.tanh", "Tanh", 0.7, saturating=True)
    assert "still pass a small gradient" in activation_sentence("a", "LeakyReLU", 0.7, False)


@pytest.mark.parametrize(
    "update, says",
    [
        (-1.5, "big steps"),
        (-2.2, "large side"),
        (-3.0, "a healthy rate"),
        (-3.8, "small side"),
        (-4.5, "tiny steps"),
    ],
)
def test_the_update_sentence_puts_the_ratio_against_the_guide(update, says):
    text = update_sentence("conv1", update)
    assert says in text and one_in(update) in text


def test_ratios_read_as_one_in_n():
    assert one_in(-3.0) == "1/1,000" and one_in(-2.0) == "1/100" and one_in(-3.2) == "1/1,600"


def test_the_gradient_sentence_compares_the_layers_it_names():
    text = gradient_sentence(probe(1, 0.0, -3.0, (0.001, 0.1))["weights"])
    assert "100× smaller" in text and "fc1" in text and "fc2" in text
    assert "about as large" in gradient_sentence(probe(1, 0.0, -3.0, (0.1, 0.12))["weights"])


def test_the_payload_carries_the_latest_numbers_and_a_bounded_history():
    probes = [probe(10 * i + 1, dead=0.6, update=-3.0 + i / 1000) for i in range(500)]
    panel = inside_payload(probes)
    assert len(panel["step"]) <= MAX_PANEL_PROBES + 1 and panel["step"][-1] == probes[-1]["step"]
    relu = next(layer for layer in panel["layers"] if layer["name"] == "fc1.relu")
    assert relu["dead"][-1] == 0.6 and "More than half" in relu["sentence"]
    assert relu["teaches"] == "activations" and panel["guide"] == GUIDE
    fc1 = panel["weights"][0]
    assert fc1["grad_data"][-1] == pytest.approx(math.log10(0.01))
    assert panel["sentences"][-1] == panel["gradient"]
    assert len(json.dumps(panel)) < 60_000
    assert inside_payload([]) is None
