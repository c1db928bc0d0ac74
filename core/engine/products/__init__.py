"""Products of runs: a run as a plain-PyTorch script or notebook (`export`, `notebook`),
predictions from a saved model (`predictor`), and how long a run will take (`estimate`)."""
