"""The engine: what every page topic may use, in rooms, each importing only the rooms below it.

- `learning`: the learning core: datasets as tensors, models, activations, optimizers and
  schedules, a run's settings (RunConfig, each setting declared once), the training loop,
  run setup and presets, isolated randomness. Knows nothing of runs on disk or servers.
- `runs`: runs and jobs: the run folder (records, metrics, model files, the resumable
  checkpoint), the typed events a training process sends, the server's queue (Runner), the
  worker body and the backends it trains on (local processes, a Ray cluster).
- `products`: what is made from runs: the exported script and notebook, predictions from a
  saved model, time estimates.
- `looks`: the run charts the Train and Experiments pages share, and the theme.

`cli` (`python -m core.engine.cli`) sits above them all: the Train page without the browser.
"""
