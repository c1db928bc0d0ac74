"""Where random numbers are isolated: the one home for seeding torch's global generator.

Training runs never share a process with the pages (each trains alone in a worker, see
core.engine.runs.worker, which seeds the generator like a plain script). Page code still shares
the server's generator with other pages, so a demo or a throw-away model that needs random
weights draws them inside `seeded(seed)`, which puts the global stream back afterwards.
Plain `torch.Generator().manual_seed(seed)` objects passed to one call need nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's generator for one block without changing it for the rest of the app."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
