"""Export a run as one standalone plain-PyTorch script (torch + torchvision, no Torchlab).

The script reproduces the configured run step for step: the same model built in the same
order (so the same seed gives the same initial weights), the same normalization, the same
seeded batch order as index slices of a per-epoch permutation, the same optimizer and
per-batch schedule. A learner can read it top to bottom, run it, and change it.

The code comes in pieces (imports, settings, the model, load, train, test, the setup of model
and optimizer), so the notebook export (core.engine.products.notebook) writes the very same code.
"""

from __future__ import annotations

import textwrap

from core.engine.learning.config import RunConfig
from core.engine.learning.data import dataset_info
from core.engine.learning.models import ModelSpec
from core.engine.learning.optimizers import (
    cycles_momentum,
    optimizer_settings,
    schedule_settings,
    torch_kwargs,
)
from core.engine.learning.setup import normalization_of


def _kwargs(values: dict) -> str:
    """One keyword argument per line, in the layout ruff format would give them."""
    return "".join(f"    {k}={v!r},\n" for k, v in values.items())


def model_code(spec: ModelSpec) -> str:
    """The Net class: same layers, same order, same names as core.engine.learning.models.ConvNet."""
    act = f"nn.{spec.activation}()"
    features: list[str] = []
    channels = spec.in_channels
    for c in spec.convs:
        features.append(
            f"nn.Conv2d({channels}, {c.channels}, {c.kernel_size}, {c.stride}, {c.padding})"
        )
        features.append(act)
        if c.pool == "max":
            features.append(f"nn.MaxPool2d({c.pool_size})")
        elif c.pool == "avg":
            features.append(f"nn.AvgPool2d({c.pool_size})")
        channels = c.channels
    if spec.convs and spec.conv_dropout > 0:
        features.append(f"nn.Dropout2d({spec.conv_dropout})  # zeroes whole channels")
    head: list[str] = []
    flat = "flat"
    for units in spec.hidden:
        head += [f"nn.Linear({flat}, {units})", act]
        if spec.dropout > 0:
            head.append(f"nn.Dropout({spec.dropout})  # plain Dropout: the input is flat")
        flat = str(units)
    head.append(f"nn.Linear({flat}, {spec.num_classes})")

    def block(lines: list[str]) -> str:
        if not lines:
            return ""
        body = "".join(
            f"\n            {line.split('  #')[0]},"
            + (f"  #{line.split('  #')[1]}" if "  #" in line else "")
            for line in lines
        )
        return body + "\n        "

    size = spec.image_size
    return f'''class Net(nn.Module):
    """features (conv blocks) -> flatten -> classifier (Linear layers) -> log_softmax."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential({block(features)})
        # Size the first Linear layer by running a dummy image through the conv stack.
        with torch.no_grad():
            flat = self.features(torch.zeros(1, {spec.in_channels}, {size}, {size})).numel()
        self.classifier = nn.Sequential({block(head)})

    def forward(self, X):
        h = self.features(X)  # (B, C, H, W)
        h = torch.flatten(h, 1)  # (B, C*H*W)
        return F.log_softmax(self.classifier(h), dim=1)  # (B, classes) log-probabilities
'''


def _schedule_code(config: RunConfig, epochs: str) -> str:
    settings = schedule_settings(config.schedule, config.schedule_params)
    steps = "steps_per_epoch = math.ceil(X.shape[0] / BATCH_SIZE)"
    if config.schedule == "none":
        return "scheduler = None  # a constant learning rate"
    if config.schedule == "StepLR":
        return (
            f"{steps}\n"
            "# Stepped after every batch, so the step size is counted in batches.\n"
            "scheduler = optim.lr_scheduler.StepLR(optimizer, "
            f"step_size={int(settings['step_size'])} * steps_per_epoch, "
            f"gamma={settings['gamma']!r})"
        )
    cycle = cycles_momentum(config.optimizer, config.optimizer_params)
    return (
        f"{steps}\n"
        "scheduler = optim.lr_scheduler.OneCycleLR(\n"
        "    optimizer,\n"
        "    max_lr=LR,\n"
        f"    total_steps=steps_per_epoch * {epochs},\n"
        f"    pct_start={settings['pct_start']!r},\n"
        f"    div_factor={settings['div_factor']!r},\n"
        f"    final_div_factor={settings['final_div_factor']!r},\n"
        f"    cycle_momentum={cycle},\n)"
    )


# The pieces below are shared by the script (export_script) and the notebook
# (core.engine.products.notebook): each is top-level code, the script indents what goes in main().

IMPORTS = """import math
import os

import torch
import torch.nn.functional as F
import torchvision
from torch import nn, optim
"""


def title(config: RunConfig) -> str:
    key = dataset_info(config.dataset).key
    return f"{config.name or 'A Torchlab run'}: {config.optimizer} on {key}"


def settings_code(config: RunConfig) -> str:
    """The run's settings as the constants a learner would change."""
    init_seed = config.seed if config.init_seed is None else config.init_seed
    return f"""DATASET = "{dataset_info(config.dataset).key}"
TRAIN_SUBSET = {config.train_subset!r}  # first N training images (None = all)
TEST_SUBSET = {config.test_subset!r}  # first N test images (None = all)
BATCH_SIZE = {config.batch_size}
EPOCHS = {config.epochs}
LR = {config.lr!r}
SEED = {config.seed}  # dropout masks and batch order
INIT_SEED = {init_seed}  # initial weights
LOG_INTERVAL = {config.log_interval}
"""


def normalization_words(config: RunConfig) -> str:
    """What load() subtracts and divides by, in words that match its code line."""
    if config.normalization == "computed":
        return "the mean and standard deviation of the training images, computed in `load()`"
    mean, std = normalization_of(config)
    if config.normalization == "classic":
        return (
            f"the classic PyTorch MNIST example's constants, mean {mean!r} and std {std!r} "
            "(not this dataset's own statistics)"
        )
    title = dataset_info(config.dataset).title
    return f"{title}'s known mean {mean!r} and standard deviation {std!r}"


def load_code(config: RunConfig) -> str:
    """load(): the whole dataset as one normalized tensor, the way the run loads it."""
    key = dataset_info(config.dataset).key
    if config.normalization == "computed":
        norm = (
            "# Normalization statistics computed from the training images themselves.\n"
            "    x = train_set.data.to(torch.float64).div(255.0)\n"
            "    mean, std = float(x.mean()), float(x.std())"
        )
    else:
        mean, std = normalization_of(config)
        norm = f"mean, std = {mean!r}, {std!r}  # normalization ({config.normalization})"
    return f'''def load(root, train, device, download):
    """The whole dataset as one normalized tensor on the device (no per-image transforms)."""
    train_set = torchvision.datasets.{key}(root=root, train=True, download=download)
    if train:
        data_set = train_set
    else:
        data_set = torchvision.datasets.{key}(root=root, train=False, download=download)
    {norm}
    X = data_set.data.to(torch.float32).div_(255.0).sub_(mean).div_(std).unsqueeze(1)
    y = data_set.targets.to(torch.int64)  # (N,)
    subset = TRAIN_SUBSET if train else TEST_SUBSET
    if subset:
        X, y = X[:subset], y[:subset]
    return X.to(device), y.to(device)  # (N, 1, 28, 28), (N,)
'''


TRAIN_CODE = """def train(model, X, y, optimizer, scheduler, generator, epoch, max_batches):
    model.train()
    n = X.shape[0]
    perm = torch.randperm(n, generator=generator).to(X.device)  # this epoch's order
    for batch, start in enumerate(range(0, n, BATCH_SIZE), 1):
        if max_batches and batch > max_batches:
            break
        idx = perm[start : start + BATCH_SIZE]
        optimizer.zero_grad(set_to_none=True)
        y_hat = model(X[idx])  # (B, classes)
        loss = F.nll_loss(y_hat, y[idx])
        if not math.isfinite(loss.item()):
            raise SystemExit(f"the loss became NaN at batch {batch}; try a lower learning rate")
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if batch % LOG_INTERVAL == 0:
            done = min(start + BATCH_SIZE, n)
            print(
                f"epoch: {epoch} [{done} / {n}] ({100 * done // n}%)  "
                f"training loss: {loss.item():.6f}"
            )
"""

TEST_CODE = """def test(model, X, y):
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, X.shape[0], 1000):
            y_hat = model(X[start : start + 1000])
            loss_sum += F.nll_loss(y_hat, y[start : start + 1000], reduction="sum").item()
            correct += int((y_hat.argmax(1) == y[start : start + 1000]).sum())
    n = X.shape[0]
    print(
        f"test set: average loss {loss_sum / n:.4f}, accuracy {correct}/{n} "
        f"({100 * correct / n:.2f}%)"
    )
"""


def setup_code(config: RunConfig, epochs: str) -> str:
    """The model, optimizer and schedule, seeded in the run's order; `epochs` is the code
    that says how many epochs the schedule spans."""
    opt_kwargs = torch_kwargs(
        config.optimizer, optimizer_settings(config.optimizer, config.optimizer_params)
    )
    return (
        "torch.manual_seed(INIT_SEED)\n"
        "model = Net().to(device)\n"
        "torch.manual_seed(SEED)\n"
        "generator = torch.Generator().manual_seed(SEED)\n"
        f"optimizer = optim.{config.optimizer}(\n    model.parameters(),\n    lr=LR,\n"
        f"{_kwargs(opt_kwargs)}    foreach=True,\n)\n"
        f"{_schedule_code(config, epochs)}\n"
    )


def export_script(config: RunConfig) -> str:
    """The whole script as text (the page offers it as a download)."""
    key = dataset_info(config.dataset).key
    setup = textwrap.indent(setup_code(config, "args.epochs"), "    ")
    return f'''"""{title(config)}, exported by Torchlab.

Plain PyTorch: needs only torch and torchvision. Run it with
    python train_{key.lower()}.py --data ./data
It trains exactly like the run it was exported from: same model, initial weights, batch
order, optimizer and schedule (on the CPU the same numbers come out).
"""

import argparse
{IMPORTS}
{settings_code(config)}

{model_code(config.model)}

{load_code(config)}

{TRAIN_CODE}

{TEST_CODE}

def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=os.environ.get("TORCHLAB_DATA", "./data"))
    parser.add_argument("--device", default="{config.device}")
    parser.add_argument("--download", action="store_true", help="fetch the dataset if missing")
    parser.add_argument("--max-batches", type=int, default=0, help="stop each epoch early")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--save", help="write the trained state_dict to this file")
    args = parser.parse_args()

    device = torch.device(args.device)
    X, y = load(args.data, True, device, args.download)
    X_test, y_test = load(args.data, False, device, args.download)

{setup}
    for epoch in range(1, args.epochs + 1):
        train(model, X, y, optimizer, scheduler, generator, epoch, args.max_batches)
        test(model, X_test, y_test)
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
'''
