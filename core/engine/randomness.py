"""Where random numbers are isolated: the one home for seeding and guarding torch's generator.

torch's global generator is process-wide, and pages, demos and training runs share a process.
- `seeded(seed)`: a demo or a model's initial weights from a seed, with the global stream
  put back afterwards;
- `PrivateRandom`: this thread's draws use a generator of its own and dropout is skipped, for
  building or timing a model beside a run (a run's dropout masks come from the global stream);
- `RunRNG`: a training run's own dropout stream, swapped in around each forward pass.
Plain `torch.Generator().manual_seed(seed)` objects passed to one call need none of these.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch.overrides import TorchFunctionMode


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's generator for one block without changing it for the rest of the app."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


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


class RunRNG:
    """A run's own stream of random numbers for dropout.

    Dropout draws from torch's global generator, which every thread shares: a page building a
    model, or another run, would shift this run's masks and break "same seed, same curve".
    So around each forward pass the run swaps its own generator state in and the others' back
    out. The stream is the one `torch.manual_seed(seed)` starts, as in a plain script.
    """

    def __init__(self, model: torch.nn.Module, seed: int, device: torch.device):
        self.cuda = device.type == "cuda"
        self.device = device
        with torch.random.fork_rng(devices=[device] if self.cuda else []):
            torch.manual_seed(seed)
            self.state = self._get()
        self._other = self.state
        self._hooks = [
            model.register_forward_pre_hook(self._enter),
            model.register_forward_hook(self._leave),
        ]

    def _get(self):
        cuda = torch.cuda.get_rng_state(self.device) if self.cuda else None
        return torch.get_rng_state(), cuda

    def _set(self, state) -> None:
        torch.set_rng_state(state[0])
        if self.cuda:
            torch.cuda.set_rng_state(state[1], self.device)

    def _enter(self, *_) -> None:
        self._other = self._get()
        self._set(self.state)

    def _leave(self, *_) -> None:
        self.state = self._get()
        self._set(self._other)

    def close(self) -> None:
        for hook in self._hooks:
            hook.remove()
