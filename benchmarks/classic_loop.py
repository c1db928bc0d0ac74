"""The classic PyTorch MNIST training loop, as its own program: the baseline that
training_throughput.py compares the runner with.

It is the loop of pytorch/examples' mnist/main.py on a CPU: torchvision's MNIST with ToTensor +
Normalize run on every image, batched by a DataLoader with num_workers=0, Adadelta at lr 0.5,
the loss read every 10 batches. The model is Torchlab's classic preset, so both sides train the
same network from the same seed. It runs as a process of its own, as people run that example.
Prints the samples per second, from the first batch to the last, on its last line.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/classic_loop.py --batches 600
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from core.devices import synchronize
from core.engine.learning.data import CLASSIC_MNIST_NORMALIZATION, data_root
from core.engine.learning.models import build_model, classic_spec

BATCH_SIZE = 32


def classic_rate(batches: int, seed: int, device: str = "cpu") -> float:
    """Samples per second of the classic DataLoader loop over `batches` batches; on a GPU
    each batch is copied there, as in the example."""
    from torchvision import datasets, transforms

    mean, std = CLASSIC_MNIST_NORMALIZATION
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    dataset = datasets.MNIST(str(data_root()), train=True, download=False, transform=transform)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=BATCH_SIZE,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    torch.manual_seed(seed)
    model = build_model(classic_spec()).to(device)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=0.5)
    model.train()
    start = time.perf_counter()
    for batch_idx, (data, target) in enumerate(loader, 1):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % 10 == 0:
            loss.item()  # the classic loop prints the loss every log_interval batches
        if batch_idx == batches:
            break
    synchronize(device)  # queued GPU work counts
    return batches * BATCH_SIZE / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(f"{classic_rate(args.batches, args.seed, args.device):.1f}")


if __name__ == "__main__":
    main()
