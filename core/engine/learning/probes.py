"""Probes: what a training ConvNet's layers, gradients and updates do, read by hooks on a few
steps only, so that watching the inside of a run costs it almost nothing and changes nothing.

A `Prober` attaches to a model and its optimizer and stays attached. On most steps its hooks
return at once. When a probe is due (at least MIN_GAP_STEPS steps and about EVERY_S seconds
after the last one), the next training forward records, for every layer (conv, linear,
pooling, dropout, activation), its output's mean, std, share of zeros, share of dead units and
a histogram over edges fixed at the layer's first probe (of at most HIST_SAMPLE of its values,
at the same random positions every probe: a conv layer's million values took a probe 30 ms to
count, most of what probing cost a CPU run); backward records the std of the loss's
gradient with respect to that output (dL/da); the optimizer's step records, for each weight
tensor, std(dL/dW)/std(W), the gradient's L2 norm and log10(std(ΔW)/std(W)) of the real
change (Adadelta, the default, does not step by lr × grad). It also keeps conv1's filters and
what the network makes of one probe digit: each conv layer's feature maps and the softmax.

Probes never change training: the hooks only read (they return None, so nothing is replaced),
the reads run under no_grad, and nothing draws from a random stream, so a run gives the same
losses to the last bit with probes on and off (tests/unit/engine/learning/test_probes.py).
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from core.engine.learning.activations.registry import MODEL_ACTIVATIONS

EVERY_S = 1.5  # about how often a probe is taken
MIN_GAP_STEPS = 50  # and never more often than this, whatever the device's speed
BINS = 30  # histogram bins per layer
HIST_SAMPLE = 1 << 16  # values a layer's histogram counts at most
RAIL = 0.03  # a saturating unit closer than this share of its range to a rail is "on the rail"
DIGITS = 4  # significant digits kept of each recorded number


def _round(value: float) -> float | None:
    """A recorded number: DIGITS significant digits; NaN and inf as None (JSON has neither)."""
    if not math.isfinite(value):
        return None
    return float(f"{value:.{DIGITS}g}")


def layer_names(model: nn.Module) -> dict[nn.Module, str]:
    """A short name for each layer of a ConvNet, in forward order: the weight layers by kind
    and number (conv1, fc2), the others after the weight layer they follow (conv1.relu,
    conv2.maxpool2d, fc1.dropout)."""
    names: dict[nn.Module, str] = {}
    counts = {"conv": 0, "fc": 0}
    last = "input"
    for module in [*model.features, *model.classifier]:
        if isinstance(module, nn.Conv2d | nn.Linear):
            kind = "conv" if isinstance(module, nn.Conv2d) else "fc"
            counts[kind] += 1
            last = names[module] = f"{kind}{counts[kind]}"
        else:
            names[module] = f"{last}.{type(module).__name__.lower()}"
    return names


def rails(module: nn.Module) -> tuple[float, float] | None:
    """The output's two rails for a saturating activation (both bounds finite), else None."""
    name = type(module).__name__
    if name not in SATURATING:
        return None
    spec = MODEL_ACTIVATIONS[name]
    return spec.bounds(**spec.defaults())


def _saturating() -> tuple[str, ...]:
    names = []
    for name, spec in MODEL_ACTIVATIONS.items():
        low, high = spec.bounds(**spec.defaults())
        if math.isfinite(low) and math.isfinite(high):
            names.append(name)
    return tuple(names)


SATURATING = _saturating()  # activations whose dead units are units on a rail (Tanh, Sigmoid...)


def dead_units(output: torch.Tensor, module: nn.Module) -> float:
    """Share of units (channels of a (B, C, H, W) output, neurons of a (B, N) one) that never
    come off their rails over the batch: never > 0 for an activation without an upper rail,
    always within RAIL of a rail for a saturating one."""
    units = output.transpose(0, 1).reshape(output.shape[1], -1)  # (units, everything else)
    bounds = rails(module)
    if bounds is None:
        dead = (units <= 0).all(dim=1)
    else:
        low, high = bounds
        tol = RAIL * (high - low)
        dead = ((units <= low + tol) | (units >= high - tol)).all(dim=1)
    return float(dead.float().mean())


def histogram(values: torch.Tensor, edges: Sequence[float]) -> list[int]:
    """Counts between consecutive `edges` (BINS + 1 of them); values outside land in the end
    bins, so every value is counted and the strip stays comparable over time."""
    inner = torch.tensor(edges[1:-1], dtype=torch.float32)
    index = torch.bucketize(values.detach().float().flatten().cpu(), inner)
    return [int(c) for c in torch.bincount(index, minlength=len(edges) - 1).tolist()]


def first_edges(values: torch.Tensor) -> list[float]:
    """A layer's histogram edges, from its first probe: BINS bins spaced on a sinh scale, fine
    near 0 and wide far out, from 0 for an output that is never negative (a ReLU's), else
    symmetric; scaled by the first probe's spread. Training can grow a layer's outputs a
    hundredfold, and these still hold them: sinh(6) is 200 times the spread."""
    scale = max(float(values.detach().abs().float().mean()), 1e-4)
    if float(values.min()) >= 0:
        steps = torch.linspace(0, 6, BINS + 1)
    else:
        steps = torch.linspace(-6, 6, BINS + 1)
    return [_round(scale * float(torch.sinh(s))) or 0.0 for s in steps]


def quantized(maps: torch.Tensor) -> dict[str, Any]:
    """Feature maps (C, H, W) as 8-bit levels between their min and max, base64: a picture's
    worth of precision, a tenth of the JSON the numbers would take."""
    values = maps.detach().float().cpu()
    low, high = float(values.min()), float(values.max())
    scale = (high - low) or 1.0
    levels = ((values - low) / scale * 255).round().to(torch.uint8)
    return {
        "shape": list(values.shape),
        "min": low,
        "max": high,
        "levels": base64.b64encode(levels.numpy().tobytes()).decode("ascii"),
    }


def dequantized(record: dict[str, Any]) -> torch.Tensor:
    """The maps `quantized` wrote, back as floats (to within a 255th of their range)."""
    raw = base64.b64decode(record["levels"])
    levels = torch.frombuffer(bytearray(raw), dtype=torch.uint8).float()
    low, high = record["min"], record["max"]
    return (low + levels / 255 * ((high - low) or 1.0)).reshape(record["shape"])


def update_ratio(before: torch.Tensor, after: torch.Tensor) -> float | None:
    """log10(std(ΔW) / std(W)) of one weight tensor's real change in one step."""
    scale, change = float(before.std()), float((after - before).std())
    if scale <= 0 or change <= 0:
        return None
    return _round(math.log10(change / scale))


class Prober:
    """Hooks on a model and its optimizer that record a probe on the steps `due` allows."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, digit: torch.Tensor,
                 clock: Callable[[], float] = time.monotonic):  # fmt: skip
        self.model, self.optimizer, self.clock = model, optimizer, clock
        self.digit = digit  # (1, C, H, W): the probe digit, normalized like the training data
        self.names = layer_names(model)
        self.weights = {
            name: module.weight for module, name in self.names.items() if hasattr(module, "weight")
        }
        self.edges: dict[str, list[float]] = {}
        self.samples: dict[tuple[int, str], torch.Tensor] = {}  # (size, device) -> positions
        self.active = False
        self.min_gap = MIN_GAP_STEPS  # a long run's log widens it (core.engine.runs.probe_log)
        self.last_step: int | None = None
        self.last_time = -math.inf
        self.layers: dict[str, dict[str, Any]] = {}
        self.before: dict[str, torch.Tensor] = {}
        self.taken: list[dict[str, Any]] = []  # probes recorded and not yet handed on
        self.latest_digit: dict[str, Any] | None = None
        self.handles = [m.register_forward_hook(self._forward) for m in self.names]
        self.handles.append(model.register_forward_pre_hook(self._start))
        self.handles.append(optimizer.register_step_pre_hook(self._before_step))
        self.handles.append(optimizer.register_step_post_hook(self._after_step))
        self.step = 0

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()

    def due(self, step: int) -> bool:
        """Whether the training step `step` (counted from 1 over the run) is a probe step."""
        if self.last_step is not None and step - self.last_step < self.min_gap:
            return False
        return self.last_step is None or self.clock() - self.last_time >= EVERY_S

    # ---- hooks: each returns None, so nothing of the model's computation is replaced ----

    def _start(self, model: nn.Module, args: tuple) -> None:
        if not model.training:  # evaluation and the probe digit are not training steps
            return
        self.step += 1
        self.active = self.due(self.step)
        if self.active:
            self.layers = {}

    def _forward(self, module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        if not self.active:
            return
        name = self.names[module]
        with torch.no_grad():
            values = output.detach()
            if name not in self.edges:  # fixed at the first probe
                self.edges[name] = first_edges(values)
            edges = self.edges[name]
            record = {
                "name": name,
                "kind": type(module).__name__,
                "mean": _round(float(values.mean())),
                "std": _round(float(values.std())) if values.numel() > 1 else 0.0,
                "zeros": _round(float((values == 0).float().mean())),
                "edges": list(edges),
                "hist": histogram(self._sample(values), edges),
            }
            if type(module).__name__ in MODEL_ACTIVATIONS:
                record["dead"] = _round(dead_units(values, module))
        self.layers[name] = record
        if output.requires_grad:
            output.register_hook(lambda grad, r=record: self._gradient(r, grad))

    def _sample(self, values: torch.Tensor) -> torch.Tensor:
        """All of a layer's values, or HIST_SAMPLE of them at positions drawn once per size
        from a generator of the prober's own (training's random streams are left alone)."""
        flat = values.flatten()
        n = flat.numel()
        if n <= HIST_SAMPLE:
            return flat
        key = (n, str(flat.device))
        if key not in self.samples:
            chosen = torch.randperm(n, generator=torch.Generator().manual_seed(n))[:HIST_SAMPLE]
            self.samples[key] = chosen.sort().values.to(flat.device)
        return flat[self.samples[key]]

    def _gradient(self, record: dict[str, Any], grad: torch.Tensor) -> None:
        record["grad_std"] = _round(float(grad.detach().std())) if grad.numel() > 1 else 0.0

    def _before_step(self, optimizer: torch.optim.Optimizer, args, kwargs) -> None:
        if self.active:
            self.before = {name: w.detach().clone() for name, w in self.weights.items()}

    def _after_step(self, optimizer: torch.optim.Optimizer, args, kwargs) -> None:
        if not self.active:
            return
        self.active = False
        with torch.no_grad():
            weights, total = [], 0.0
            for name, w in self.weights.items():
                grad = w.grad.detach() if w.grad is not None else torch.zeros_like(w)
                norm = float(grad.norm())
                total += norm**2
                scale = float(self.before[name].std())
                weights.append({
                    "name": name,
                    "grad_data": _round(float(grad.std()) / scale) if scale > 0 else None,
                    "grad_norm": _round(norm),
                    "update": update_ratio(self.before[name], w.detach()),
                })  # fmt: skip
            # the first conv layer's kernels (a network of Linear layers only has none)
            first = next((w for w in self.weights.values() if w.dim() == 4), None)
            self.taken.append({
                "step": self.step,
                "layers": list(self.layers.values()),
                "weights": weights,
                "grad_norm": _round(math.sqrt(total)),
                "filters": None
                if first is None
                else [_round(v) for v in first.detach().flatten().tolist()],
                "filters_shape": None if first is None else list(first.shape),
            })  # fmt: skip
            self.latest_digit = self._digit()
        self.before = {}
        self.last_step, self.last_time = self.step, self.clock()

    def _digit(self) -> dict[str, Any]:
        """The probe digit through the network as it is now: the input, each conv layer's
        feature maps (8-bit levels) and the softmax. In eval mode: no dropout, no random
        number drawn."""
        maps: list[dict[str, Any]] = []

        def keep(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
            maps.append({"name": self.names[module], **quantized(out[0])})

        convs = [m for m in self.names if isinstance(m, nn.Conv2d)]
        handles = [m.register_forward_hook(keep) for m in convs]
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                log_p = self.model(self.digit.to(next(self.model.parameters()).device))
        finally:
            self.model.train(was_training)
            for handle in handles:
                handle.remove()
        return {
            "input": quantized(self.digit[0]),
            "maps": maps,
            "softmax": [_round(p) for p in log_p[0].exp().tolist()],
        }

    def take(self) -> list[dict[str, Any]]:
        """The probes recorded since the last call (the caller adds where and when)."""
        taken, self.taken = self.taken, []
        return taken
