"""What each route question asks torch (or the page's own model), computed when it is asked."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from functools import cache

import torch
import torch.nn.functional as F
from torch import nn

from core.engine.learning import chapter
from core.engine.learning.config import RunConfig
from core.engine.learning.data import IMAGE_SIZE, TRAIN_SIZE
from core.engine.learning.loop import steps_per_epoch, train_one_epoch
from core.engine.learning.models import layer_table
from core.engine.learning.presets import run_preset
from core.engine.learning.probes import EVERY_S, MIN_GAP_STEPS, Prober
from core.engine.learning.randomness import seeded
from core.engine.learning.setup import init_model, load_run_data, make_optimizer, make_scheduler
from core.engine.products.predictor import PRETRAINED_DIR, load_predictor

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


# ---- the network from the inside: answered from a run's own probes, and the shipped model ----

# The inside stops' run: long enough for the panel to take a few probes even on a fast CPU
# (one every 1.5 s and 50 steps at least), short enough to wait for.
INSIDE_RUN = {"train_subset": 10_000, "epochs": 1, "device": "cpu"}
HIGH_LR = 10.0  # twenty times the chapter's 0.5
GUIDE = -3.0  # Karpathy's guide for log10(update / weight), as the panel draws it
UPDATE_LAYERS = ("conv1", "conv2", "fc1", "fc2")  # the classic ConvNet's weight tensors
DEAD_CHOICES = {"conv1.relu": "conv1's", "conv2.relu": "conv2's", "fc1.relu": "fc1's"}
NONE_DEAD = "None: they all still fire"
DEAD_FLOOR = 0.1  # below this share of dead units no layer has "lost" any worth naming
KERNEL = 3  # the shipped model's conv1 kernel the filter stop asks about
EDGES = ("Horizontal edges", "Vertical edges", "Diagonal edges like /", "Diagonal edges like \\")


def inside_link(lr: float | None = None) -> dict[str, str]:
    """The Train page's link settings for that run."""
    run = {"ntrain": str(INSIDE_RUN["train_subset"]), "epochs": str(INSIDE_RUN["epochs"])}
    return {"preset": "classic", **run, **({"lr": repr(lr)} if lr is not None else {})}


def inside_config(lr: float | None = None) -> RunConfig:
    """The classic run the inside stops open the Train page with (INSIDE_RUN on top)."""
    config = run_preset("classic").with_changes(**INSIDE_RUN)
    return config if lr is None else config.with_changes(lr=lr)


@cache
def probed_run(lr: float | None = None, steps: int = 1) -> tuple[dict, ...]:
    """The probes of the first `steps` of the stops' run, taken by the worker's own Prober at
    step 1 (the panel's first probe too) and at `steps`: the same settings and seed as the
    learner's run on a CPU, so the same numbers as its probes at those steps. Trained here,
    seeded, in a second or two; kept for the process."""
    config = inside_config(lr)
    X, y, X_test, _ = load_run_data(config, "cpu")
    with seeded(config.seed):  # the worker seeds the global stream for dropout: so do we
        model = init_model(config)
        generator = torch.Generator().manual_seed(config.seed)
        optimizer = make_optimizer(config, model.parameters())
        scheduler = make_scheduler(config, optimizer, steps_per_epoch(len(X), config.batch_size))
        tick = itertools.count()  # a clock that says a probe is due whenever the gap allows
        prober = Prober(model, optimizer, X_test[:1], clock=lambda: next(tick) * EVERY_S)
        prober.min_gap = max(1, steps - 1)
        batches = itertools.count(1)
        train_one_epoch(model, X, y, optimizer, batch_size=config.batch_size,
                        generator=generator, device="cpu", scheduler=scheduler,
                        should_stop=lambda: next(batches) > steps)  # fmt: skip
        prober.close()
    return tuple(prober.take())


def first_updates() -> dict[str, float]:
    """log10(update / weight) of each weight tensor at the chapter's run's first step."""
    (probe,) = probed_run(None, 1)
    return {w["name"]: w["update"] for w in probe["weights"]}


def healthiest_updates() -> str:
    """The layer whose first update is closest to 1/1,000 of its weights."""
    ups = first_updates()
    return f"{min(ups, key=lambda name: abs(ups[name] - GUIDE))}'s"


def dead_at(lr: float | None) -> dict[str, float]:
    """Each activation's share of dead units after the run's first MIN_GAP_STEPS + 1 steps
    (51: the earliest the panel's second probe can come)."""
    probe = probed_run(lr, MIN_GAP_STEPS + 1)[-1]
    return {x["name"]: x["dead"] for x in probe["layers"] if "dead" in x}


def most_dead() -> str:
    dead = dead_at(HIGH_LR)
    worst = max(DEAD_CHOICES, key=lambda name: dead.get(name, 0.0))
    return DEAD_CHOICES[worst] if dead.get(worst, 0.0) >= DEAD_FLOOR else NONE_DEAD


def _edge(orientation: str, sign: int) -> torch.Tensor:
    """A 28×28 image, ink (1) on one side of a line through the centre, none on the other."""
    r = torch.arange(IMAGE_SIZE, dtype=torch.float32)[:, None].expand(IMAGE_SIZE, IMAGE_SIZE)
    c = torch.arange(IMAGE_SIZE, dtype=torch.float32)[None, :].expand(IMAGE_SIZE, IMAGE_SIZE)
    middle = (IMAGE_SIZE - 1) / 2
    side = {EDGES[0]: r - middle, EDGES[1]: c - middle, EDGES[2]: r + c - 2 * middle,
            EDGES[3]: r - c}[orientation]  # fmt: skip
    return (sign * side > 0).float()


@cache
def kernel_responses(kernel: int = KERNEL) -> dict[str, float]:
    """How strongly the shipped model's conv1 kernel answers an edge of each orientation:
    the largest of its outputs over the image above its typical (median) output, for ink on
    either side of the edge, the image normalized as the model's inputs are."""
    predictor = load_predictor(PRETRAINED_DIR, "cpu")
    conv1 = next(m for m in predictor.model.modules() if isinstance(m, nn.Conv2d))
    mean, std = predictor.normalization
    out = {}
    with torch.no_grad():
        for orientation in EDGES:
            best = 0.0
            for sign in (1, -1):
                x = ((_edge(orientation, sign) - mean) / std)[None, None]  # (1, 1, 28, 28)
                y = conv1(x)[0, kernel]  # (H', W')
                best = max(best, float(y.max() - y.median()))
            out[orientation] = best
    return out


def kernel_answers() -> str:
    responses = kernel_responses()
    return max(responses, key=responses.get)
