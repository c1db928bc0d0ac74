"""Why activations matter: linear layers collapse, and a small net needs a bend to fit a wave.

`collapse` stacks N linear layers and shows they are one matrix; `fit` trains the same tiny
MLP with and without an activation between its layers, so the learner sees the difference.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.engine.learning.activations.registry import get_activation
from core.engine.learning.randomness import seeded
from core.errors import ConfigError, LimitError

MAX_LINEAR_LAYERS = 12  # layers in the collapse demo
GRID_LINES = 11  # grid lines per direction drawn through the collapse demo
GRID_POINTS = 41  # points along each grid line
MAX_HIDDEN_UNITS = 64  # units per hidden layer of the live fit
MAX_HIDDEN_LAYERS = 3  # hidden layers of the live fit
MAX_FIT_STEPS = 1000  # Adam steps of each model: keeps the worst case to a few seconds
MAX_LR = 1.0
TARGETS = {"wave": "a 1-D wave (regression)", "spirals": "two spirals (classification)"}
NUM_WAVE_POINTS = 200
NUM_SPIRAL_POINTS = 400  # both arms together
BOUNDARY_RESOLUTION = 60  # the decision-boundary grid is this many points per side
SPIRAL_EXTENT = 2.4  # the boundary grid covers [-SPIRAL_EXTENT, SPIRAL_EXTENT]²


@dataclass
class Collapse:
    num_layers: int  # N
    activation: str | None  # registry key put between the layers, or None (purely linear)
    weights: list[Tensor]  # N matrices (2, 2), first layer first
    biases: list[Tensor]  # N vectors (2,)
    W: Tensor  # (2, 2) the product W_N ··· W_1
    b: Tensor  # (2,) the stack's output at x = 0: the single layer's bias
    X: Tensor  # (P, 2) points along the grid lines
    y_stack: Tensor  # (P, 2) the points through the N layers
    y_single: Tensor  # (P, 2) the points through the one layer X Wᵀ + b
    max_error: float  # max |y_stack - y_single|: ~1e-7 when linear, large with an activation


def _grid_lines() -> Tensor:
    """Horizontal then vertical lines across [-1, 1]², GRID_POINTS points each."""
    ticks = torch.linspace(-1, 1, GRID_LINES)  # (L,)
    along = torch.linspace(-1, 1, GRID_POINTS)  # (K,)
    rows = [torch.stack([along, torch.full_like(along, t)], 1) for t in ticks]  # (K, 2) each
    cols = [torch.stack([torch.full_like(along, t), along], 1) for t in ticks]
    return torch.cat(rows + cols)  # (2·L·K, 2)


def linear_stack(num_layers: int, seed: int, activation: str | None = None) -> nn.Sequential:
    """N `nn.Linear(2, 2)` layers with readable random weights (rotations and stretches)."""
    if not 1 <= num_layers <= MAX_LINEAR_LAYERS:
        raise LimitError(f"Use 1 to {MAX_LINEAR_LAYERS} layers, not {num_layers}.")
    spec = get_activation(activation) if activation else None
    if spec is not None and not spec.elementwise:
        raise ConfigError(f"{spec.name} is not applied number by number; pick another.")
    g = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for i in range(num_layers):
        layer = nn.Linear(2, 2)
        with torch.no_grad():
            # An orthogonal matrix times stretches in [0.6, 1.5]: the product neither
            # explodes nor shrinks to a point, so the grid stays visible for every N.
            q, _ = torch.linalg.qr(torch.randn(2, 2, generator=g))
            stretch = 0.6 + 0.9 * torch.rand(2, generator=g)
            layer.weight.copy_(q * stretch)  # (2, 2), column j scaled by stretch[j]
            layer.bias.copy_(0.3 * torch.randn(2, generator=g))
        layers.append(layer)
        if spec is not None and i < num_layers - 1:
            layers.append(spec.module())
    return nn.Sequential(*layers)


def collapse(num_layers: int, seed: int = 0, activation: str | None = None) -> Collapse:
    """Compose N linear layers and compare with the single layer (W_N···W_1, stack(0))."""
    stack = linear_stack(num_layers, seed, activation)
    linears = [m for m in stack if isinstance(m, nn.Linear)]
    weights = [m.weight.detach() for m in linears]
    biases = [m.bias.detach() for m in linears]
    with torch.no_grad():
        W = torch.linalg.multi_dot(weights[::-1]) if num_layers > 1 else weights[0]  # (2, 2)
        b = stack(torch.zeros(1, 2))[0]  # (2,) what the stack adds to every input
        X = _grid_lines()  # (P, 2)
        y_stack = stack(X)  # (P, 2)
        y_single = X @ W.T + b  # (P, 2)
    error = (y_stack - y_single).abs().max().item()
    return Collapse(num_layers, activation, weights, biases, W, b, X, y_stack, y_single, error)


@dataclass
class FitConfig:
    target: str = "wave"  # a key of TARGETS
    activation: str = "tanh"  # registry key put after each hidden layer
    hidden_units: int = 32  # width of each hidden layer
    hidden_layers: int = 2  # number of hidden layers
    steps: int = 300  # full-batch Adam steps, for each of the two models
    lr: float = 0.01  # Adam's learning rate
    seed: int = 0  # seeds the data noise and both models' initial weights


@dataclass
class ModelFit:
    label: str  # "with Tanh" / "without activation"
    losses: list[float]  # training loss after each step
    y_hat: Tensor  # wave: (G,) predictions on the grid; spirals: (G·G,) P(class 1)
    accuracy: float | None  # spirals only: fraction of training points classified right


@dataclass
class FitResult:
    config: FitConfig
    X: Tensor  # (N, 1) wave inputs or (N, 2) spiral points
    y: Tensor  # (N,) wave values or spiral labels (0 or 1)
    grid: Tensor  # (G, 1) wave inputs or (G·G, 2) boundary points, where y_hat is evaluated
    fits: list[ModelFit] = field(default_factory=list)  # [with activation, without]


def check_fit_config(config: FitConfig) -> None:
    if config.target not in TARGETS:
        raise ConfigError(f"Unknown target {config.target!r}. Choose: {', '.join(TARGETS)}.")
    spec = get_activation(config.activation)
    if not spec.has_gradient:
        raise ConfigError(
            f"{spec.name} has no gradient, so gradient descent cannot train the layers "
            "below it: that is exactly why networks use smooth(ish) activations. Pick another."
        )
    if not spec.elementwise:
        raise ConfigError(f"{spec.name} is not applied number by number; pick another.")
    if not 1 <= config.hidden_units <= MAX_HIDDEN_UNITS:
        raise LimitError(f"Use 1 to {MAX_HIDDEN_UNITS} hidden units.")
    if not 1 <= config.hidden_layers <= MAX_HIDDEN_LAYERS:
        raise LimitError(f"Use 1 to {MAX_HIDDEN_LAYERS} hidden layers.")
    if not 1 <= config.steps <= MAX_FIT_STEPS:
        raise LimitError(f"Use 1 to {MAX_FIT_STEPS:,} training steps.")
    if not 0 < config.lr <= MAX_LR:
        raise ConfigError(f"The learning rate must be in (0, {MAX_LR:g}].")


def make_target(target: str, seed: int) -> tuple[Tensor, Tensor]:
    """The training set: a noisy sine wave, or two interleaved spirals."""
    g = torch.Generator().manual_seed(seed)
    if target == "wave":
        X = torch.linspace(-3, 3, NUM_WAVE_POINTS).unsqueeze(1)  # (N, 1)
        y = torch.sin(2 * X[:, 0]) + 0.05 * torch.randn(NUM_WAVE_POINTS, generator=g)  # (N,)
        return X, y
    half = NUM_SPIRAL_POINTS // 2
    t = torch.linspace(0.25, 1.0, half) * 3 * math.pi  # (N/2,) angle: 1.5 turns
    arm = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) * (2 / (3 * math.pi))  # (N/2, 2)
    X = torch.cat([arm, -arm]) + 0.04 * torch.randn(2 * half, 2, generator=g)  # (N, 2)
    y = torch.cat([torch.zeros(half), torch.ones(half)]).long()  # (N,)
    return X, y


def mlp(
    in_features: int, out_features: int, config: FitConfig, use_activation: bool
) -> nn.Sequential:
    """Linear -> activation blocks; without the activation it is a stack of Linear layers."""
    spec = get_activation(config.activation)
    layers: list[nn.Module] = []
    width = in_features
    for _ in range(config.hidden_layers):
        layers.append(nn.Linear(width, config.hidden_units))
        layers.append(spec.module() if use_activation else nn.Identity())
        width = config.hidden_units
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, then restore the count.

    The fits multiply (200, 64) matrices: a second thread has nothing to share and only spins.
    On a busy machine (a shared server, a laptop running the browser) that spinning made the
    default fit take ~20 s instead of ~1 s. The count is per thread (plus the default a new
    thread starts with), so it is put back at once.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _train(model: nn.Module, X: Tensor, y: Tensor, config: FitConfig) -> list[float]:
    loss_fn = F.mse_loss if config.target == "wave" else F.cross_entropy
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    losses = []
    for _ in range(config.steps):
        y_hat = model(X)  # (N, 1) or (N, 2)
        loss = loss_fn(y_hat.squeeze(1) if config.target == "wave" else y_hat, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def fit(config: FitConfig, device: torch.device | str = "cpu") -> FitResult:
    """Train the same MLP with and without the activation; same data, same initial seed."""
    check_fit_config(config)
    X, y = make_target(config.target, config.seed)
    if config.target == "wave":
        grid = torch.linspace(-3.5, 3.5, 300).unsqueeze(1)  # (G, 1) a little past the data
        out = 1
    else:
        ticks = torch.linspace(-SPIRAL_EXTENT, SPIRAL_EXTENT, BOUNDARY_RESOLUTION)
        gx, gy = torch.meshgrid(ticks, ticks, indexing="xy")  # (G, G) each
        grid = torch.stack([gx.flatten(), gy.flatten()], 1)  # (G·G, 2), row by row
        out = 2
    result = FitResult(config, X, y, grid)
    name = get_activation(config.activation).name
    with one_thread():
        for use_activation in (True, False):
            with seeded(config.seed):  # both models start from the same weights
                model = mlp(X.shape[1], out, config, use_activation).to(device)
            losses = _train(model, X.to(device), y.to(device), config)
            with torch.no_grad():
                pred = model(grid.to(device)).cpu()  # (G, out)
                train_pred = model(X.to(device)).cpu()
            if config.target == "wave":
                y_hat, accuracy = pred[:, 0], None
            else:
                y_hat = pred.softmax(1)[:, 1]  # (G·G,) P(class 1)
                accuracy = (train_pred.argmax(1) == y).float().mean().item()
            label = f"with {name}" if use_activation else "without activation"
            result.fits.append(ModelFit(label, losses, y_hat, accuracy))
    return result
