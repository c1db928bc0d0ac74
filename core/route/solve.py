"""What each route question asks torch (or the page's own model), computed when it is asked."""

from __future__ import annotations

import math
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from core.engine.learning import chapter
from core.engine.learning.data import IMAGE_SIZE, TRAIN_SIZE
from core.engine.learning.models import layer_table
from core.engine.learning.presets import run_preset
from core.engine.learning.randomness import seeded

POINTS_TEXT = chapter.POINTS_TEXT  # the chapter's `points`, as the Tensors page shows them
BATCH_SIZES = {"1 (stochastic gradient descent)": 1, "32 (mini-batch)": 32}
BATCH_SIZES[f"{TRAIN_SIZE:,} (batch gradient descent)"] = TRAIN_SIZE


def points() -> torch.Tensor:
    return torch.tensor(chapter.POINTS)


def pixels() -> int:
    return TRAIN_SIZE * IMAGE_SIZE * IMAGE_SIZE


def shares_storage() -> str:
    p = points()
    same = p.t().untyped_storage().data_ptr() == p.untyped_storage().data_ptr()
    return "A view: the same storage" if same else "A copy: new storage"


def float64_bytes() -> int:
    return points().to(torch.float64).untyped_storage().nbytes()


def linear_params() -> int:
    return sum(p.numel() for p in nn.Linear(784, 10).parameters())


def conv_pool_shape() -> torch.Size:
    with seeded(0):
        block = nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.MaxPool2d(2))
    return block(torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE)).shape


def deconv_shape() -> torch.Size:
    with seeded(0):
        layer = nn.ConvTranspose2d(32, 1, 3, 1)
    return layer(torch.zeros(1, 32, 26, 26)).shape


def rnn_shape() -> torch.Size:
    with seeded(0):
        rnn = nn.RNN(10, 20)
    output, _hidden = rnn(torch.zeros(5, 3, 10))
    return output.shape


def dropout_eval_zeros() -> float:
    dropout = nn.Dropout(0.5).eval()
    return (dropout(torch.ones(1000)) == 0).float().mean().item()


def stacked_linear() -> str:
    """Two Linear layers with nothing between them equal one Linear: check it with torch."""
    with seeded(0):
        first, second = nn.Linear(3, 4), nn.Linear(4, 2)
        x = torch.randn(8, 3)
    weight = second.weight @ first.weight
    bias = second.weight @ first.bias + second.bias
    one = F.linear(x, weight, bias)
    same = torch.allclose(second(first(x)), one, atol=1e-6)
    return "No: together they are one linear map" if same else "Yes: two layers can bend"


CHAIN_ACTIVATIONS = {"Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "ReLU": torch.relu}


def chain_gradient(name: str, depth: int = 20, x0: float = 0.5) -> float:
    """d h_depth / d h_0 through `depth` layers h = f(1·h), by autograd."""
    h0 = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    h = h0
    for _ in range(depth):
        h = CHAIN_ACTIVATIONS[name](h)
    (grad,) = torch.autograd.grad(h, h0)
    return grad.item()


def vanishes_first() -> str:
    return min(CHAIN_ACTIVATIONS, key=lambda name: abs(chain_gradient(name)))


def untrained_cost(reduction: str = "mean") -> torch.Tensor:
    """PyTorch's default cost (the mean of the losses), or the chapter's (their sum)."""
    return F.cross_entropy(torch.zeros(4, 10), torch.tensor([3, 1, 4, 1]), reduction=reduction)


def chain_rule_grad() -> torch.Tensor:
    x = torch.tensor(2.0, requires_grad=True)
    y = (3 * x + 1) ** 2
    y.backward()
    return x.grad


def updates_per_epoch(batch_size: int) -> int:
    """len(DataLoader): the optimizer steps one epoch takes."""
    return len(torch.utils.data.DataLoader(range(TRAIN_SIZE), batch_size=batch_size))


def most_updates() -> str:
    return max(BATCH_SIZES, key=lambda label: updates_per_epoch(BATCH_SIZES[label]))


BOWL_LR = 0.25  # above 2/κ for the page's bowl (κ = 10), so plain SGD is thrown out


def sgd_on_bowl(lr: float, steps: int = 30) -> float:
    """|β| after `steps` of torch.optim.SGD on L = ½(x² + 10 y²) from the page's start."""
    beta = torch.tensor([-2.5, 2.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([beta], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * (beta[0] ** 2 + 10 * beta[1] ** 2)).backward()
        optimizer.step()
    return beta.norm().item()


def bowl_verdict() -> str:
    start = math.hypot(-2.5, 2.0)
    return "It diverges" if sgd_on_bowl(BOWL_LR) > start else "It settles at the minimum"


def eager_value() -> torch.Tensor:
    a, b = torch.tensor(2.0), torch.tensor(3.0)
    return a * b + 1


MODULES = {
    "torch.nn": nn,
    "torch.nn.functional": F,
    "torch.optim": torch.optim,
    "torch.utils.data": torch.utils.data,
}


def home_of_adadelta() -> str:
    return next(name for name, module in MODULES.items() if hasattr(module, "Adadelta"))


WIDER_HIDDEN = 128  # the what-if of the ConvNet stop: its hidden layer, twice as wide


def _wider() -> list:
    model = run_preset("classic").model
    return layer_table(replace(model, hidden=[WIDER_HIDDEN]))


def classic_hidden() -> tuple[int, int]:
    """(features in, units) of the classic ConvNet's first fully connected layer."""
    model = run_preset("classic").model
    flat = next(r for r in layer_table(model) if r.name.startswith("Flatten")).output_shape[1]
    return flat, model.hidden[0]


def convnet_params() -> int:
    """The classic ConvNet's parameters with its hidden layer WIDER_HIDDEN units wide."""
    return sum(row.parameters for row in _wider())


def convnet_explained(n: int) -> str:
    flat, units = classic_hidden()
    now = sum(row.parameters for row in layer_table(run_preset("classic").model))
    return (
        f"{n:,}, as the layer table now counts them (it said {now:,} with {units} units): "
        f"the hidden layer grows to {flat:,} × {WIDER_HIDDEN} + {WIDER_HIDDEN} and the output "
        f"layer to {WIDER_HIDDEN} × 10 + 10; the convolutions do not change."
    )


def eval_is_repeatable() -> str:
    with seeded(0):
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.Dropout(0.5), nn.Linear(64, 10))
        image = torch.rand(1, 1, IMAGE_SIZE, IMAGE_SIZE)
        model.eval()
        same = torch.equal(model(image), model(image))
    return "Yes: the same prediction" if same else "No: it changes"
