"""Random draws that never touch torch's global generator, for work beside a training run.

A training run (core.engine.runner) takes its dropout masks from torch's global generator, and other
threads share that generator: a page that builds a model while a run trains (to time it, or
to load saved weights into it) would draw from the run's stream and change its numbers, so
the same seed would no longer give the same curve. Inside `PrivateRandom`, this thread's
random draws use a generator of their own instead.
"""

from __future__ import annotations

import torch
from torch.overrides import TorchFunctionMode


class PrivateRandom(TorchFunctionMode):
    """Inside it, this thread's random draws use a private generator and dropout is skipped.

    Torch function modes are per thread, so a run training in another thread keeps drawing
    from torch's global generator untouched: timing or loading a model here never changes a
    seeded run's numbers.
    """

    def __init__(self) -> None:
        super().__init__()
        self.generator = torch.Generator().manual_seed(0)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        name = getattr(func, "__name__", "")
        if "dropout" in name:
            return args[0] if args else kwargs["input"]  # same shape, no random mask
        if name in _RANDOM_FUNCS and kwargs.get("generator") is None:
            kwargs["generator"] = self.generator
        return func(*args, **kwargs)


# The in-place initialisers nn.Module.__init__ calls; each accepts a generator.
_RANDOM_FUNCS = {
    "uniform_",
    "normal_",
    "bernoulli_",
    "random_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "trunc_normal_",
    "orthogonal_",
}
