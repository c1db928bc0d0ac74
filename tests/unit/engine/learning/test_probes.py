"""Probes against direct torch computations, and the promise that they change no number."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from core.engine.learning import probes as probing
from core.engine.learning.models import ConvSpec, ModelSpec, build_model
from core.engine.learning.optimizers import build_optimizer
from core.engine.learning.probes import (
    Prober,
    dead_units,
    dequantized,
    first_edges,
    histogram,
    layer_names,
)

SPEC = ModelSpec(convs=[ConvSpec(4, 3, 1, 0, "max")], conv_dropout=0.2, hidden=[16], dropout=0.3)


def batch(n: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def setup(spec: ModelSpec = SPEC, optimizer: str = "Adadelta", lr: float = 0.5):
    torch.manual_seed(0)
    model = build_model(spec)
    return model, build_optimizer(optimizer, lr, {}, model.parameters())


def step(model, optimizer, X, y) -> float:
    optimizer.zero_grad(set_to_none=True)
    loss = F.nll_loss(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


class EveryStep:
    """A clock that makes every step a probe step (with the gap set to 1)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 100.0
        return self.t


def always(model, optimizer) -> Prober:
    prober = Prober(model, optimizer, batch(1)[0], clock=EveryStep())
    prober.min_gap = 1
    return prober


def test_layers_are_named_for_what_they_follow():
    model, _ = setup()
    assert list(layer_names(model).values()) == [
        "conv1", "conv1.relu", "conv1.maxpool2d", "conv1.dropout2d", "fc1", "fc1.relu",
        "fc1.dropout", "fc2",
    ]  # fmt: skip


def test_every_statistic_equals_a_direct_torch_computation():
    model, optimizer = setup()
    X, y = batch()
    outputs, grads = {}, {}
    for module, name in layer_names(model).items():  # the same tensors, read by hand
        module.register_forward_hook(  # training forwards only: not the probe digit's
            lambda m, a, out, n=name: outputs.__setitem__(n, out) if m.training else None
        )
    prober = always(model, optimizer)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer.zero_grad()
    out = model(X)
    for name, tensor in outputs.items():
        tensor.register_hook(lambda g, n=name: grads.__setitem__(n, g))
    F.nll_loss(out, y).backward()
    optimizer.step()
    (probe,) = prober.take()
    by_name = {layer["name"]: layer for layer in probe["layers"]}
    for name, a in outputs.items():
        layer = by_name[name]
        a = a.detach()
        assert layer["mean"] == pytest.approx(float(a.mean()), rel=1e-3, abs=1e-6)
        assert layer["std"] == pytest.approx(float(a.std()), rel=1e-3)
        assert layer["zeros"] == pytest.approx(float((a == 0).float().mean()), abs=1e-4)
        assert layer["grad_std"] == pytest.approx(float(grads[name].std()), rel=1e-3), name
        # every value counted (a big layer: its sample), nothing falling off the strip
        assert sum(layer["hist"]) == min(a.numel(), probing.HIST_SAMPLE)
        counted = prober._sample(a)
        assert layer["hist"] == histogram(counted, layer["edges"])
    assert sum(by_name["conv1"]["hist"]) < outputs["conv1"].numel()  # this one was sampled
    relu = outputs["fc1.relu"]  # (B, 16): a unit is dead when it is 0 for every image
    assert by_name["fc1.relu"]["dead"] == pytest.approx(float((relu <= 0).all(0).float().mean()))
    params = dict(model.named_parameters())
    for w, key in zip(probe["weights"], ["features.0.weight", "classifier.0.weight",
                                          "classifier.3.weight"], strict=True):  # fmt: skip
        W0, W1, g = before[key], params[key].detach(), params[key].grad
        assert w["grad_data"] == pytest.approx(float(g.std() / W0.std()), rel=1e-3)
        assert w["grad_norm"] == pytest.approx(float(g.norm()), rel=1e-3)
        assert w["update"] == pytest.approx(math.log10(float((W1 - W0).std() / W0.std())), abs=1e-3)
    total = math.sqrt(sum(float(params[k].grad.norm()) ** 2 for k in params if "weight" in k))
    assert probe["grad_norm"] == pytest.approx(total, rel=1e-3)
    assert probe["filters_shape"] == [4, 1, 3, 3] and len(probe["filters"]) == 36
    conv1 = params["features.0.weight"].detach().flatten()
    assert probe["filters"] == pytest.approx(conv1.tolist(), abs=1e-4)  # after the step


def test_a_network_without_convolutions_has_no_filters_to_show():
    """The panel calls its kernels conv1's filters: a Linear layer's weights are not those."""
    model, optimizer = setup(ModelSpec(hidden=[8]))
    prober = always(model, optimizer)
    step(model, optimizer, *batch())
    (probe,) = prober.take()
    assert probe["filters"] is None and probe["filters_shape"] is None
    assert [w["name"] for w in probe["weights"]] == ["fc1", "fc2"]  # the weights still probed


def test_a_big_layers_histogram_is_its_values_in_the_same_shares():
    """Past HIST_SAMPLE values a layer's histogram counts a sample, at the same positions every
    probe: its bins hold the same shares as the whole tensor's, within a point."""
    model, optimizer = setup()
    prober = always(model, optimizer)
    noise = torch.randn(32, 64, 24, 24, generator=torch.Generator().manual_seed(3))
    values = torch.relu(noise) * torch.arange(1, 33).view(32, 1, 1, 1)  # each image its scale
    edges = first_edges(values)
    whole = torch.tensor(histogram(values, edges), dtype=torch.float64)
    sampled = torch.tensor(histogram(prober._sample(values), edges), dtype=torch.float64)
    assert sampled.sum() == probing.HIST_SAMPLE
    assert (sampled / sampled.sum() - whole / whole.sum()).abs().max() < 0.01
    assert torch.equal(prober._sample(values), prober._sample(values))  # the same positions
    small = torch.randn(100)
    assert torch.equal(prober._sample(small), small)  # a small layer: every value


def test_dead_units_on_the_rails_of_a_saturating_activation():
    tanh = torch.nn.Tanh()
    out = torch.tensor([[0.99, 0.1, -0.995], [0.98, -0.2, -1.0]])  # (B=2, 3 units)
    assert dead_units(out, tanh) == pytest.approx(2 / 3)  # units 0 and 2 never leave a rail
    relu = torch.nn.ReLU()
    assert dead_units(torch.tensor([[0.0, 1.0], [0.0, 0.0]]), relu) == 0.5
    maps = torch.zeros(4, 3, 5, 5)  # channels: a unit of a conv output is a whole channel
    maps[2, 1, 4, 4] = 0.5
    assert dead_units(maps, relu) == pytest.approx(2 / 3)


def test_histogram_edges_are_fixed_at_the_first_probe_and_count_everything():
    relu = first_edges(torch.tensor([0.0, 1.0, 2.0]))  # never negative: from 0
    assert len(relu) == probing.BINS + 1 and relu[0] == 0 and relu == sorted(relu)
    assert relu[-1] == pytest.approx(math.sinh(6), rel=1e-3)  # its mean |x| is 1
    signed = first_edges(torch.tensor([-2.0, 2.0]))
    assert signed[0] == pytest.approx(-signed[-1]) and abs(signed[len(signed) // 2]) < 1e-6
    later = torch.tensor([-1e6, -3.0, 0.0, 0.5, 1.0, 100.0, 1e6])  # some off the strip
    counts = histogram(later, signed)
    assert len(counts) == probing.BINS and sum(counts) == later.numel()
    assert counts[0] == 1 and counts[-1] == 1  # beyond the edges: in the end bins
    edges = torch.tensor(signed)
    for value, count_in in [(0.5, 1), (-3.0, 1)]:  # each value in the bin its edges say
        b = int((edges[1:-1] < value).sum())
        assert edges[b] <= value <= edges[b + 1] and counts[b] >= count_in


def test_probes_change_no_number_of_training():
    """The same seed and batches give the same losses and weights, bit for bit, with a probe
    on every step and with none."""
    results = []
    for probing_on in (False, True):
        model, optimizer = setup()
        prober = always(model, optimizer) if probing_on else None
        torch.manual_seed(1)  # dropout masks
        losses = [step(model, optimizer, *batch(seed=s)) for s in range(5)]
        if prober is not None:
            assert len(prober.take()) == 5 and prober.latest_digit["softmax"]
        results.append((losses, [p.detach().clone() for p in model.parameters()]))
    (plain, w_plain), (probed, w_probed) = results
    assert plain == probed  # to the last bit
    assert all(torch.equal(a, b) for a, b in zip(w_plain, w_probed, strict=True))


def test_probes_come_by_time_and_never_closer_than_the_gap():
    model, optimizer = setup(ModelSpec(hidden=[8]))
    now = [0.0]
    prober = Prober(model, optimizer, batch(1)[0], clock=lambda: now[0])
    for i in range(200):
        now[0] = i * 0.1  # 10 steps a second: the time rule (1.5 s) is met every 15 steps
        step(model, optimizer, *batch(8, seed=i))
    steps = [p["step"] for p in prober.take()]
    gaps = [b - a for a, b in itertools.pairwise(steps)]
    assert steps[0] == 1 and min(gaps) >= probing.MIN_GAP_STEPS
    assert len(steps) == 4  # 1, 51, 101, 151


def test_the_probe_digit_shows_each_conv_layer_and_a_softmax_without_dropout():
    model, optimizer = setup()
    prober = always(model, optimizer)
    step(model, optimizer, *batch())
    digit = prober.latest_digit
    (maps,) = digit["maps"]
    assert maps["name"] == "conv1" and maps["shape"] == [4, 26, 26]
    model.eval()
    with torch.no_grad():
        direct = model.features[0](prober.digit)[0]
        softmax = model(prober.digit)[0].exp()
    step_size = (float(direct.max()) - float(direct.min())) / 255
    assert torch.allclose(dequantized(maps), direct, atol=step_size / 2 + 1e-6)
    assert torch.allclose(dequantized(digit["input"]), prober.digit[0], atol=0.02)
    assert digit["softmax"] == pytest.approx(softmax.tolist(), rel=1e-3, abs=1e-6)
