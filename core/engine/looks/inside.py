"""The inside of a run for the Train page's panel: each layer's histogram over time, dead units,
the grad:data and update:data ratios, conv1's filters, and a plain sentence per card computed
from the numbers it shows, with the page that teaches it.

Built from the probes (core.engine.learning.probes) of a run that trains now or of a saved one
alike; thinned to at most MAX_PANEL_PROBES probes so one live update stays small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from core.engine.looks.figures import thinned_indices

MAX_PANEL_PROBES = 40  # probes a panel update carries (its strips' columns)
GUIDE = -3.0  # Karpathy's guide for log10(update / weight): about 1/1000 per step
HEALTHY = (-3.5, -2.5)  # the band drawn around it
TOO_BIG, TOO_SMALL = -2.0, -4.0  # beyond these a step is called too big, too small
DEAD_MANY, DEAD_SOME = 0.5, 0.1  # shares of dead units the sentences name
# The pages that teach what a card shows (their URL paths in the app).
TEACHES = {"activation": "activations", "gradient": "backprop", "update": "optimizers",
           "filters": "layers"}  # fmt: skip


def one_in(log10_ratio: float) -> str:
    """-3.2 -> '1/1,600': a ratio a learner reads at a glance."""
    ratio = 10 ** (-log10_ratio)
    digits = max(0, math.floor(math.log10(ratio)) - 1)
    return f"1/{round(ratio, -digits):,.0f}"


def activation_sentence(name: str, kind: str, dead: float | None, saturating: bool) -> str:
    if dead is None:
        return f"{name} has no units to count yet."
    if saturating:
        if dead >= DEAD_MANY:
            return (
                f"More than half of {name}'s units are stuck at a rail ({dead:.0%}): their "
                "gradient is about 0, so they barely learn (the vanishing gradient)."
            )
        if dead >= DEAD_SOME:
            return f"{dead:.0%} of {name}'s units sit on a rail for this whole batch: slow."
        return f"Few of {name}'s units sit on a rail ({dead:.0%}): its gradient flows."
    leaky = kind in ("LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU", "Mish")
    never = "never positive (they still pass a small gradient)" if leaky else "dead"
    if dead >= DEAD_MANY:
        return (
            f"More than half of {name}'s units are {never}: {dead:.0%} never fire on this "
            "batch. The learning rate may be too high, or try LeakyReLU."
        )
    if dead >= DEAD_SOME:
        return f"{dead:.0%} of {name}'s units never fire on this batch: worth watching."
    return f"Almost every unit of {name} fires for some image ({dead:.0%} dead): healthy."


def update_sentence(name: str, update: float | None) -> str:
    if update is None:
        return f"{name} did not change in the last probe step."
    share = f"Updates are about {one_in(update)} of {name}'s weights per step"
    if update > TOO_BIG:
        return f"{share}: big steps; the learning rate may be too high (the guide: about 1/1,000)."
    if update < TOO_SMALL:
        return f"{share}: tiny steps, so {name} barely learns; the learning rate may be too low."
    if update > HEALTHY[1]:
        return f"{share}: on the large side of the guide (about 1/1,000), still learning."
    if update < HEALTHY[0]:
        return f"{share}: on the small side of the guide (about 1/1,000): slow learning."
    return f"{share}: a healthy rate (the guide is about 1/1,000, −3 on the log scale)."


def gradient_sentence(weights: Sequence[dict[str, Any]]) -> str:
    """Which layer's gradient is smallest against its weights, and by how much."""
    ratios = [(w["grad_data"], w["name"]) for w in weights if w.get("grad_data")]
    if len(ratios) < 2:
        return "The gradient's size against the weights' appears after the first probe."
    (low, low_name), (high, high_name) = min(ratios), max(ratios)
    if high / low < 2:
        return "The gradient is about as large against the weights in every layer."
    return (
        f"The gradient is {high / low:.0f}× smaller against the weights in {low_name} than in "
        f"{high_name}: the chain rule multiplies one factor per layer on the way back."
    )


def _series(probes: Sequence[dict[str, Any]], key: str, name: str, group: str) -> list:
    out = []
    for probe in probes:
        item = next((x for x in probe.get(group, []) if x.get("name") == name), None)
        out.append(item.get(key) if item else None)
    return out


def _log10(values: Sequence[float | None]) -> list[float | None]:
    return [math.log10(v) if v else None for v in values]


def inside_payload(
    probes: Sequence[dict[str, Any]],
    digit: dict[str, Any] | None = None,
    saturating: Sequence[str] = (),
) -> dict[str, Any] | None:
    """The panel's data, or None before the first probe. `saturating`: the activation kinds
    (torch.nn class names) whose dead units are units on a rail."""
    if not probes:
        return None
    idx = thinned_indices(len(probes), MAX_PANEL_PROBES)
    shown = [probes[i] for i in idx]
    latest = probes[-1]
    layers = []
    for layer in latest["layers"]:
        name, kind = layer["name"], layer["kind"]
        card = {
            "name": name,
            "kind": kind,
            "edges": layer.get("edges"),
            "hist": _series(shown, "hist", name, "layers"),
            "mean": layer.get("mean"),
            "std": layer.get("std"),
            "zeros": layer.get("zeros"),
            "grad_std": layer.get("grad_std"),
        }
        if "dead" in layer:
            card["dead"] = _series(shown, "dead", name, "layers")
            card["sentence"] = activation_sentence(
                name, kind, layer.get("dead"), kind in saturating
            )
            card["teaches"] = TEACHES["activation"]
        layers.append(card)
    weights = [
        {
            "name": w["name"],
            "grad_data": _log10(_series(shown, "grad_data", w["name"], "weights")),
            "update": _series(shown, "update", w["name"], "weights"),
            "sentence": update_sentence(w["name"], w.get("update")),
        }
        for w in latest["weights"]
    ]
    sentences = [c["sentence"] for c in layers if "sentence" in c] + [
        w["sentence"] for w in weights
    ]
    gradient = gradient_sentence(latest["weights"])
    return {
        "step": [p["step"] for p in shown],
        "epochs": [p.get("epoch") for p in shown],
        "layers": layers,
        "weights": weights,
        "grad_norm": [p.get("grad_norm") for p in shown],
        "gradient": gradient,
        "guide": GUIDE,
        "healthy": list(HEALTHY),
        "teaches": TEACHES,
        "filters": {"shape": latest.get("filters_shape"), "values": latest.get("filters")},
        "digit": digit,
        "sentences": [*sentences, gradient],
    }
