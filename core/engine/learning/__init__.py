"""The learning core: data, models, activations, optimizers, a run's settings, the loop.

Plain PyTorch and plain data; nothing here knows of run folders, processes or pages.
"""
