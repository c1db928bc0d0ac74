"""Where the app departs from the chapter: each departure said once, on one page, and true of
today's PyTorch (issue 27)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from core.engine.learning.chapter import DEPARTURES, POINTS
from core.engine.learning.models import build_model
from core.engine.learning.presets import run_preset

ROOT = Path(__file__).resolve().parents[4]


def test_each_departure_is_said_on_exactly_one_page():
    sources = [*ROOT.glob("views/**/*.py"), *ROOT.glob("ui/*.py")]
    for key in DEPARTURES:
        uses = [p for p in sources if re.search(rf'departure_ui\("{key}"\)', p.read_text())]
        assert len(uses) == 1, (key, uses)
        assert sum(p.read_text().count(f'departure_ui("{key}")') for p in uses) == 1, key


def test_the_old_print_formats_are_what_torch_no_longer_prints():
    points = torch.tensor(POINTS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        printed = repr(points.storage()).splitlines()[-1]
    assert printed == "[torch.storage.TypedStorage(dtype=torch.float32, device=cpu) of size 6]"
    assert printed in DEPARTURES["old_prints"].replace("`", "").replace("\n", "")
    assert any("TypedStorage is deprecated" in str(w.message) for w in caught)
    assert not hasattr(torch, "size") and hasattr(torch, "Size")


def test_dropout2d_on_flat_features_warns_and_the_apps_networks_use_dropout_there():
    with pytest.warns(UserWarning, match="2-D input to dropout2d, which is deprecated"):
        nn.Dropout2d(0.5)(torch.ones(4, 8))
    model = build_model(run_preset("classic").model)
    layers = list(model.modules())
    flat = next(i for i, m in enumerate(layers) if isinstance(m, nn.Linear))  # first dense
    assert not any(isinstance(m, nn.Dropout2d) for m in layers[flat:])
    assert any(isinstance(m, nn.Dropout) for m in layers[flat:])


def test_even_kernels_and_fewer_output_channels_are_plain_pytorch():
    assert nn.Conv2d(1, 4, 2)(torch.zeros(1, 1, 28, 28)).shape == (1, 4, 27, 27)
    assert nn.Conv2d(32, 1, 3)(torch.zeros(1, 32, 26, 26)).shape == (1, 1, 24, 24)
