"""A run's probes as its worker keeps them: the Prober on the model (core.engine.learning.probes),
every probe it takes stamped with where and when, sent as a `Probed` event, written with the
curve (probes.json) and kept in the resume checkpoint, so a resumed run continues its probes.

A long run keeps at most MAX_KEPT probes: when it has that many, every other one of them goes
and probes come half as often from then on (the strip of a long run stays as long as the run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from core.engine.learning import probes as probing
from core.engine.runs.events import Probed

MAX_KEPT = 600  # probes a run keeps (probes.json stays well under a few MB)


def probe_digit(X_test: torch.Tensor, image: list[list[float]] | None, norm) -> torch.Tensor:
    """The digit the probes show: the learner's last canvas drawing (28×28 ink in [0, 1]),
    normalized as the run's data is, else the first test image. (1, 1, 28, 28)."""
    if image is None:
        return X_test[:1].detach().cpu()
    mean, std = norm
    pixels = torch.tensor(image, dtype=torch.float32).clamp(0, 1)
    return ((pixels - mean) / std).reshape(1, 1, *pixels.shape)


class ProbeLog:
    def __init__(self, model, optimizer, digit: torch.Tensor, emit: Callable[[Any], None]):
        self.prober = probing.Prober(model, optimizer, digit)
        self.emit = emit
        self.probes: list[dict[str, Any]] = []
        self.digit: dict[str, Any] | None = None

    def resume(self, saved: dict[str, Any] | None, step: int) -> None:
        """Carry on from a resume checkpoint's probes (none in an older checkpoint)."""
        saved = saved or {}
        self.probes = list(saved.get("probes", []))
        self.prober.edges = {k: list(v) for k, v in saved.get("edges", {}).items()}
        self.prober.step = step
        if self.probes:
            self.prober.last_step = self.probes[-1]["step"]

    def collect(self, epoch: int, samples: int, seconds: float) -> None:
        """Stamp and send what the prober took during the last step (usually nothing)."""
        for probe in self.prober.take():
            probe.update(epoch=epoch, samples=samples, seconds=seconds)
            self.probes.append(probe)
            self.digit = self.prober.latest_digit
            self.emit(Probed(probe, self.digit))
        if len(self.probes) >= MAX_KEPT:
            kept = self.probes[::2]
            if kept[-1] is not self.probes[-1]:
                kept.append(self.probes[-1])
            self.probes = kept
            self.prober.min_gap *= 2

    def saved(self) -> dict[str, Any]:
        """What the resume checkpoint keeps."""
        return {"probes": self.probes, "edges": {k: list(v) for k, v in self.prober.edges.items()}}

    def close(self) -> None:
        self.prober.close()
