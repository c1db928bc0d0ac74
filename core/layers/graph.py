"""Eager and deferred execution of one small model, and `nn` against `nn.functional`.

Eager: Python runs forward() line by line and each operation computes at once, so print()
and a debugger work anywhere. Deferred: the model is first captured as a graph of operations
(torch.fx.symbolic_trace, or torch.export down to ATen operators); a compiler can then see the
whole program, fuse and plan it, or ship it without Python. The cost: capture takes time, and
a Python `if` on a tensor's values cannot be captured as a plain graph.
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass
from functools import cache

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp
from torch.overrides import TorchFunctionMode

from core.engine.learning.randomness import seeded
from core.layers.common import LayerError, as_batch

CAPTURES = ("torch.fx.symbolic_trace", "torch.export")
FORWARD_REPEATS = 5  # timed eager passes; the fastest is reported (the first pays warm-up)


class SmallNet(nn.Module):
    """conv -> ReLU -> max-pool -> flatten -> linear: small enough to list every step."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        X = F.relu(self.conv(X))  # (B, 4, 26, 26)
        X = F.max_pool2d(X, 2)  # (B, 4, 13, 13)
        X = torch.flatten(X, 1)  # (B, 676)
        return self.fc(X)  # (B, 10)


class BranchyNet(SmallNet):
    """SmallNet behind a Python `if` on the data: fine eagerly, a wall for graph capture."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.mean() > 0.1:  # the branch depends on the pixel values, not only on the shapes
            X = X * 2
        return super().forward(X)


MODELS: dict[str, type[SmallNet]] = {"SmallNet": SmallNet, "BranchyNet": BranchyNet}


def small_model(name: str, seed: int) -> SmallNet:
    if name not in MODELS:
        raise LayerError(f"Pick one of {', '.join(MODELS)}, not {name!r}.")
    with seeded(seed):
        return MODELS[name]().eval()


@cache
def _public_names() -> dict[int, str]:
    """id(function) -> how a learner would write it (F.relu, torch.flatten)."""
    names: dict[int, str] = {}
    for prefix, module in (("torch.", torch), ("F.", F)):
        for name in dir(module):
            if not name.startswith("_"):
                names[id(getattr(module, name))] = prefix + name
    return names


def _op_name(func: object) -> str:
    name = _public_names().get(id(func))
    if name:
        return name
    qualname = getattr(func, "__qualname__", repr(func))
    return qualname.replace("TensorBase.", "Tensor.").replace("_TensorBase.", "Tensor.")


class _Recorder(TorchFunctionMode):
    """Writes down each torch operation as it runs: eager execution, one call at a time."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, object]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor):
            self.rows.append(
                {
                    "step": len(self.rows) + 1,
                    "operation": _op_name(func),
                    "output shape": str(tuple(out.shape)),
                }
            )
        return out


@dataclass
class EagerResult:
    y_hat: torch.Tensor  # (1, 10) the model's output
    rows: list[dict[str, object]]  # each operation in the order it ran, with its output shape
    milliseconds: float  # one plain forward pass, warm and without the recorder


def forward_milliseconds(model: nn.Module, X_in: torch.Tensor) -> float:
    """The fastest of a few plain forward passes: the first call pays one-off warm-up and the
    recorder slows every operation, so neither says what eager execution costs."""
    best = float("inf")
    with torch.no_grad():
        for _ in range(FORWARD_REPEATS):
            start = time.perf_counter()
            model(X_in)
            if X_in.device.type == "cuda":
                torch.cuda.synchronize(X_in.device)  # kernels run asynchronously
            best = min(best, time.perf_counter() - start)
    return 1000 * best


def run_eager(model: SmallNet, X: torch.Tensor, device: str = "cpu") -> EagerResult:
    """Run the model normally, recording the operations as Python reaches them."""
    model = model.to(device)
    X_in = as_batch(X).to(device)  # (1, 1, 28, 28)
    recorder = _Recorder()
    with torch.no_grad(), recorder:
        y_hat = model(X_in)  # (1, 10)
    return EagerResult(y_hat.cpu(), recorder.rows, forward_milliseconds(model, X_in))


@dataclass
class GraphResult:
    rows: list[dict[str, object]]  # one per graph node: kind, name, target, inputs, shape
    code: str  # the Python the graph turns back into
    milliseconds: float  # how long the capture took
    y_hat: torch.Tensor | None  # (1, 10) running the captured graph
    error: str | None  # why the capture failed, when it did


def _short(value: object) -> str:
    if isinstance(value, fx.Node):
        return value.name
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return _op_name(value) if callable(value) else repr(value)


def _node_rows(graph: fx.Graph, shape_of) -> list[dict[str, object]]:
    return [
        {
            "kind": node.op,
            "name": node.name,
            "target": node.target if isinstance(node.target, str) else _short(node.target),
            "inputs": ", ".join(_short(a) for a in node.args),
            "output shape": shape_of(node),
        }
        for node in graph.nodes
    ]


def _fx_shape(node: fx.Node) -> str:
    meta = node.meta.get("tensor_meta")
    return str(tuple(meta.shape)) if hasattr(meta, "shape") else ""


def _export_shape(node: fx.Node) -> str:
    val = node.meta.get("val")
    return str(tuple(val.shape)) if isinstance(val, torch.Tensor) else ""


def capture(model: SmallNet, X: torch.Tensor, how: str, device: str = "cpu") -> GraphResult:
    """Capture the model as a graph first, list its nodes, then run the graph."""
    if how not in CAPTURES:
        raise LayerError(f"Capture with one of {', '.join(CAPTURES)}, not {how!r}.")
    model = model.to(device)
    X_in = as_batch(X).to(device)  # (1, 1, 28, 28)
    start = time.perf_counter()
    try:
        # torch.export prints its partial graph on failure; the page shows the message instead
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            if how == "torch.fx.symbolic_trace":
                gm = fx.symbolic_trace(model)
                ShapeProp(gm).propagate(X_in)  # fills in each node's output shape
                graph, code, run, shape_of = gm.graph, gm.code, gm, _fx_shape
            else:
                program = torch.export.export(model, (X_in,))
                # the weights become inputs of the graph: it is a pure function of them
                graph, code, shape_of = program.graph, program.graph_module.code, _export_shape
                run = program.module()
    except Exception as exc:  # the failure to capture is the lesson; its type varies by tool
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return GraphResult([], "", 0.0, None, f"{type(exc).__name__}: {first}")
    seconds = time.perf_counter() - start
    with torch.no_grad():
        y_hat = run(X_in)  # (1, 10)
    return GraphResult(_node_rows(graph, shape_of), code.strip(), 1000 * seconds, y_hat.cpu(), None)


def why_capture_failed(how: str) -> str:
    """The refusal of a capture in plain words (torch's own message is shown beside it)."""
    return (
        f"{how} could not capture this model. While it traces, the values are not known yet, "
        "so a Python `if` on them cannot be decided: the graph would need both branches. "
        "Eagerly it just runs. Graph code writes such branches with `torch.where` or "
        "`torch.cond` instead."
    )


def nn_model(seed: int) -> nn.Sequential:
    """The forward as nn modules: each layer owns its weights and knows train/eval mode."""
    with seeded(seed):
        return nn.Sequential(
            nn.Conv2d(1, 4, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(4 * 13 * 13, 10),
        )


def functional_forward(X: torch.Tensor, weights: dict[str, torch.Tensor]) -> torch.Tensor:
    """The same forward with nn.functional: plain functions, the weights passed in by hand."""
    X = F.conv2d(X, weights["0.weight"], weights["0.bias"])  # (B, 4, 26, 26)
    X = F.relu(X)
    X = F.max_pool2d(X, 2)  # (B, 4, 13, 13)
    X = torch.flatten(X, 1)  # (B, 676)
    return F.linear(X, weights["4.weight"], weights["4.bias"])  # (B, 10)


def compare_nn_functional(
    X: torch.Tensor, seed: int, device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both forwards on the digit with the same weights: (y_hat from nn, y_hat from F)."""
    model = nn_model(seed).to(device)
    X_in = as_batch(X).to(device)  # (1, 1, 28, 28)
    with torch.no_grad():
        y_hat_nn = model(X_in)  # (1, 10)
        y_hat_f = functional_forward(X_in, dict(model.state_dict()))  # (1, 10)
    return y_hat_nn.cpu(), y_hat_f.cpu()
