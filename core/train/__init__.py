"""The Train page's topic: a fair race of optimizers from one set of initial weights, and
what a trained model gets wrong."""
