"""A gate that holds a run inside its first batch (on the inline backend), for tests of the
queue and of stopping that must not depend on how fast the machine is."""

from __future__ import annotations

import threading

TIMEOUT = 120


class Gate:
    """Holds a running job inside its first batch until the test opens the gate, so queue
    and stop tests do not depend on how fast the machine is."""

    def __init__(self, monkeypatch):
        import core.engine.runs.worker

        self.entered = threading.Event()
        self.opened = threading.Event()
        real = core.engine.runs.worker.train_one_epoch

        def gated(*args, on_batch_end=None, **kwargs):
            def hook(batch, n, loss):
                self.entered.set()
                assert self.opened.wait(TIMEOUT)
                if on_batch_end is not None:
                    on_batch_end(batch, n, loss)

            return real(*args, on_batch_end=hook, **kwargs)

        monkeypatch.setattr(core.engine.runs.worker, "train_one_epoch", gated)
