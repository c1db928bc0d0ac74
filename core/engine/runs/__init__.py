"""Runs and jobs: a run's folder on disk (`folder`, `record`, `metrics_file`, `checkpoint`,
`resume`, written through `files`), the events a training process sends (`events`), the
server's queue (`runner`, `job`) and where runs train (`worker`, `backends`)."""
