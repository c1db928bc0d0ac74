"""The chapter's own examples, in one place, so every page and the route quote the same ones.

Two topics quote the chapter's first tensor (the Tensors page and the route's questions on
it), so it lives here, below both, and not in either.
"""

from __future__ import annotations

# `points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])`: three 2-D points, row by row
POINTS = ((1.0, 4.0), (2.0, 1.0), (3.0, 5.0))
POINTS_TEXT = "[[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]]"  # POINTS as the chapter writes them

# Where the app departs from the chapter, each said once, on the page where it matters
# (ui.common.departure_ui). Each sentence is true of the app and of today's PyTorch.
DEPARTURES = {
    "cost_sum": (
        "The chapter defines the cost as the **sum** of a batch's losses; PyTorch's losses "
        "take their **mean** by default (`reduction='mean'`), and so does every run here. The "
        "gradient points the same way, B times shorter."
    ),
    "lr_range": (
        "The chapter puts the learning rate between 0 and 1. That is a habit, not a limit: "
        "how large a rate can be depends on the optimizer and the loss. The slider goes to "
        "10, and the several-steps plot below shows where each rate stops settling on this "
        "net."
    ),
    "out_channels": (
        "The chapter says a convolution's output channels are always more than its input's. "
        "Classifiers usually widen as they shrink the image, but nothing requires it: set "
        "fewer output channels here, and the transposed convolution of a decoder goes from "
        "32 channels down to 1."
    ),
    "odd_kernel": (
        "The chapter says the kernel size should always be odd. An odd kernel has a centre "
        "pixel, so padding (k − 1) / 2 keeps the size the same on both sides; PyTorch takes "
        "even kernels too (try 2 or 4), they just shift the output by half a pixel."
    ),
    "dropout2d": (
        "The chapter's network puts `nn.Dropout2d` after its first fully connected layer. On a "
        "flat (batch, features) input today's PyTorch warns that a 2-D input to dropout2d is "
        "deprecated and will be an error, so the app's networks use plain `nn.Dropout` there "
        "and keep `Dropout2d` for the feature maps of the convolutions."
    ),
    "old_prints": (
        "The chapter writes `torch.size` and prints a storage as `[torch.FloatTensor of size "
        "6]`: older PyTorch. Today the class is `torch.Size`, and `points.storage()` prints "
        "its values then `[torch.storage.TypedStorage(dtype=torch.float32, device=cpu) of "
        "size 6]` and warns that TypedStorage is deprecated (`untyped_storage()` is the new "
        "way), as the lines above show."
    ),
}
