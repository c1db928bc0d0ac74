"""A trained network's insides: its kernels, what it makes of one image layer by layer down to
the softmax, and one feature-map cell's multiply-add written out with the real numbers.

Everything is read off the model itself: `trace` runs the image once in eval mode (dropout
passes everything) with forward hooks that keep each layer's input and output, so the stages
are exactly what the model computes; `multiply_add` takes the window a conv output cell
reads, multiplies it by the kernel and adds the bias, and keeps torch's own value of that
cell beside the sum (tests/unit/train/test_insides.py checks they agree, over kernels,
paddings and strides).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
from torch import nn

from core.engine.learning.data import TEST_SIZE, dataset_info, load_raw, load_tensors
from core.engine.learning.probes import layer_names
from core.errors import TorchlabError

INPUT, FLATTEN, SOFTMAX = "input", "flatten", "softmax"  # stages that are no module of the model
MAX_CELL_IMAGES = 48  # images of one confusion-matrix cell the page shows at once
# A model the server caches is shared by every session: the hooks of one trace must not see
# another session's forward pass.
_TRACING = threading.Lock()


class InsidesError(TorchlabError):
    """A model, an image or a cell this view cannot show."""


@dataclass(frozen=True)
class Stage:
    """One step of the forward pass for one image (the batch dimension dropped)."""

    name: str  # conv1, conv1.relu, conv2.maxpool2d, flatten, fc1, ..., softmax
    kind: str  # the torch.nn class (Conv2d, ReLU, ...), or Input, Flatten, Softmax
    input: torch.Tensor  # what the step received: (C, H, W) or (N,)
    output: torch.Tensor  # what it gave: (C, H, W) or (N,)
    module: nn.Module | None = None  # the layer itself (None for input, flatten, softmax)

    @property
    def is_map(self) -> bool:
        """Feature maps (C, H, W), not a flat vector."""
        return self.output.dim() == 3


def trace(model: nn.Module, X: torch.Tensor) -> list[Stage]:
    """The image X (1, C, H, W) through `model` (a ConvNet: features, flatten, classifier,
    log_softmax), every layer's input and output kept. In eval mode, so dropout passes
    everything and the answer is the one the model gives at test time; the model's own mode
    is put back after."""
    if X.dim() != 4 or X.shape[0] != 1:
        raise InsidesError(f"One image of shape (1, C, H, W) is needed, not {tuple(X.shape)}.")
    names = layer_names(model)
    kept: list[Stage] = []

    def keep(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        kept.append(
            Stage(names[module], type(module).__name__, args[0][0].detach(),
                  output[0].detach(), module)
        )  # fmt: skip

    with _TRACING:
        handles = [m.register_forward_hook(keep) for m in names]
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                log_p = model(X.to(next(model.parameters()).device))  # (1, classes)
        finally:
            model.train(was_training)
            for handle in handles:
                handle.remove()
    first_fc = next((i for i, s in enumerate(kept) if s.kind == "Linear"), len(kept))
    stages = [Stage(INPUT, "Input", X[0].detach(), X[0].detach())]
    stages += kept[:first_fc]
    if first_fc < len(kept):
        flat = kept[first_fc].input
        before = stages[-1].output
        stages.append(Stage(FLATTEN, "Flatten", before, flat))
    stages += kept[first_fc:]
    # the model ends with log_softmax: its exp is the softmax of the last layer's scores
    stages.append(Stage(SOFTMAX, "Softmax", stages[-1].output, log_p[0].detach().exp()))
    return stages


def stage(stages: list[Stage], name: str) -> Stage:
    found = next((s for s in stages if s.name == name), None)
    if found is None:
        raise InsidesError(f"This model has no layer named {name!r}.")
    return found


def conv_stages(stages: list[Stage]) -> list[Stage]:
    return [s for s in stages if s.kind == "Conv2d"]


def kernels(model: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """(name, weight (C_out, C_in, k, k)) of every conv layer, in forward order."""
    return [
        (name, module.weight.detach().cpu())
        for module, name in layer_names(model).items()
        if isinstance(module, nn.Conv2d)
    ]


@dataclass(frozen=True)
class MultiplyAdd:
    """One output cell of a conv layer, computed by hand: the window of the input it reads
    (zeros where the window hangs over the padding), times the kernel, summed, plus the bias."""

    layer: str
    channel: int  # the output channel (which kernel)
    row: int  # the cell in the output map
    col: int
    rows: tuple[int, ...]  # the input row each kernel row reads (< 0 or >= H: padding)
    cols: tuple[int, ...]
    window: torch.Tensor  # (C_in, k, k) float64: the input values under the kernel
    weight: torch.Tensor  # (C_in, k, k) float64: the kernel
    bias: float
    total: float  # Σ window · weight + bias, in float64
    torch_value: float  # the layer's own output at (channel, row, col)
    input_size: tuple[int, int] = (0, 0)  # (H, W) of the input map

    @property
    def products(self) -> torch.Tensor:
        return self.window * self.weight  # (C_in, k, k)

    @property
    def sums(self) -> list[float]:
        """Σ window · kernel of each input channel: the total is their sum plus the bias."""
        return self.products.sum(dim=(1, 2)).tolist()

    @property
    def in_padding(self) -> torch.Tensor:
        """(k, k) True where a kernel tap lies in the zero padding, outside the input."""
        rows = torch.tensor(self.rows)
        cols = torch.tensor(self.cols)
        height, width = self.input_size
        out_r = (rows < 0) | (rows >= height)
        out_c = (cols < 0) | (cols >= width)
        return out_r[:, None] | out_c[None, :]


def multiply_add(conv: Stage, channel: int, row: int, col: int) -> MultiplyAdd:
    """The multiply-add behind conv output cell (channel, row, col), from the stage's input
    and its module's weights, stride, padding and dilation."""
    module = conv.module
    if not isinstance(module, nn.Conv2d):
        raise InsidesError(f"{conv.name} is not a convolution: it has no kernel to slide.")
    if module.groups != 1 or module.padding_mode != "zeros" or isinstance(module.padding, str):
        raise InsidesError(f"{conv.name}'s padding or groups are not ones this view writes out.")
    channels, height, width = conv.output.shape
    if not (0 <= channel < channels and 0 <= row < height and 0 <= col < width):
        raise InsidesError(
            f"{conv.name} has {channels} channels of {height}×{width}: there is no cell "
            f"({channel}, {row}, {col})."
        )
    (sr, sc), (pr, pc), (dr, dc) = module.stride, module.padding, module.dilation
    kh, kw = module.kernel_size
    x = conv.input.detach().to(torch.float64).cpu()  # (C_in, H, W)
    in_h, in_w = x.shape[1:]
    rows = tuple(row * sr - pr + i * dr for i in range(kh))
    cols = tuple(col * sc - pc + j * dc for j in range(kw))
    window = torch.zeros(x.shape[0], kh, kw, dtype=torch.float64)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if 0 <= r < in_h and 0 <= c < in_w:
                window[:, i, j] = x[:, r, c]
    weight = module.weight.detach()[channel].to(torch.float64).cpu()  # (C_in, kh, kw)
    bias = float(module.bias.detach()[channel]) if module.bias is not None else 0.0
    total = float((window * weight).sum()) + bias
    return MultiplyAdd(
        layer=conv.name,
        channel=channel,
        row=row,
        col=col,
        rows=rows,
        cols=cols,
        window=window,
        weight=weight,
        bias=bias,
        total=total,
        torch_value=float(conv.output[channel, row, col]),
        input_size=(in_h, in_w),
    )


def _num(x: float) -> str:
    return f"{x:.3f}".replace("-", "−")


def written(ma: MultiplyAdd, in_channel: int = 0) -> str:
    """The products of one input channel written out: '0.512 × −0.103 + ... = −0.241'."""
    terms = [
        f"{_num(a)} × {_num(w)}"
        for a, w in zip(ma.window[in_channel].flatten().tolist(),
                        ma.weight[in_channel].flatten().tolist(), strict=True)
    ]  # fmt: skip
    return " + ".join(terms) + f" = {_num(ma.sums[in_channel])}"


def agreement(ma: MultiplyAdd) -> str:
    """How the hand-made sum and torch's value compare, in words that are true of them."""
    gap = abs(ma.total - ma.torch_value)
    where = f"{ma.layer} output at channel {ma.channel}, row {ma.row}, column {ma.col}"
    if gap == 0:
        return f"torch's {where} is {ma.torch_value:.6f}: exactly the same."
    scale = max(abs(ma.torch_value), 1e-6)
    same = "the same" if gap <= 1e-5 * scale + 1e-6 else "NOT the same"
    return (
        f"torch's {where} is {ma.torch_value:.6f}; the sum above is {ma.total:.6f}: {same} "
        f"(they differ by {gap:.1e}: torch adds the {ma.weight.numel()} products in float32, "
        "in its own order)."
    )


def strongest_input(ma: MultiplyAdd) -> int:
    """The input channel whose products add the most (in size) to this cell."""
    sums = torch.tensor(ma.sums).abs()
    return int(sums.argmax())


@dataclass(frozen=True)
class Picture:
    """The image a page shows the network: its pixels on [0, 1] and the normalized input."""

    pixels: torch.Tensor  # (28, 28) on [0, 1], white ink on black
    X: torch.Tensor  # (1, 1, 28, 28): exactly what the model receives
    label: str | None  # the true class of a test image; None for a drawing
    title: str  # "test image 1,234 (7)" or "your digit from the Canvas page"


def picture_of_test_image(dataset: str, index: int, normalization: tuple[float, float]) -> Picture:
    """Test image `index` normalized exactly as the run's test set is (the same cached tensor
    the confusion matrix was computed from)."""
    if not 0 <= index < TEST_SIZE:
        raise InsidesError(f"Test images are numbered 0 to {TEST_SIZE - 1:,}, not {index:,}.")
    X, y = load_tensors(dataset, False, normalization=normalization)
    raw, _ = load_raw(dataset, False)
    label = dataset_info(dataset).classes[int(y[index])]
    pixels = raw[index].to(torch.float32) / 255.0  # (28, 28)
    return Picture(pixels, X[index : index + 1].clone(), label, f"test image {index:,} ({label})")


def picture_of_drawing(digit, normalization: tuple[float, float]) -> Picture:
    """The learner's digit from the Canvas page (drawn or uploaded: 28×28 ink on [0, 1], as
    the Canvas page keeps it),
    normalized as the model's training data was, the way the Canvas page feeds it."""
    pixels = torch.as_tensor(digit, dtype=torch.float32)
    if pixels.shape != (28, 28):
        raise InsidesError(f"A canvas digit is 28×28, not {tuple(pixels.shape)}.")
    mean, std = normalization
    X = (pixels.clone()[None, None] - mean) / std  # (1, 1, 28, 28)
    return Picture(pixels.clamp(0, 1), X, None, "your digit from the Canvas page")


def cell_images(
    probabilities: torch.Tensor, labels: torch.Tensor, true: int, predicted: int
) -> list[int]:
    """Test-set indices of the images in confusion-matrix cell (true, predicted), the most
    confident first (for a mistake: the surest wrong answers, often a mislabelled image)."""
    predicted_all = probabilities.argmax(1)  # (N,)
    idx = ((labels == true) & (predicted_all == predicted)).nonzero().flatten()
    order = probabilities[idx, predicted].argsort(descending=True, stable=True)
    return idx[order].tolist()


def biggest_mixup(confusion: list[list[int]]) -> tuple[int, int] | None:
    """The off-diagonal cell with the most images (the commonest mistake), or None."""
    best, where = 0, None
    for t, row in enumerate(confusion):
        for p, count in enumerate(row):
            if t != p and count > best:
                best, where = count, (t, p)
    return where


def _range(t: torch.Tensor) -> str:
    return f"values from {float(t.min()):.2f} to {float(t.max()):.2f}".replace("-", "−")


def _shape(t: torch.Tensor) -> str:
    return "×".join(str(n) for n in t.shape)


def describe(s: Stage, classes: tuple[str, ...] = ()) -> str:
    """One sentence on what this step did to this image, from its own numbers."""
    m = s.module
    if s.kind == "Input":
        shape = _shape(s.output)
        return f"The image as the model receives it, {shape}, normalized: {_range(s.output)}."
    if isinstance(m, nn.Conv2d):
        k = "×".join(map(str, m.kernel_size))
        return (
            f"{m.out_channels} kernels of {m.in_channels}×{k} (stride {m.stride[0]}, padding "
            f"{m.padding[0]}) slid over the {_shape(s.input)} input: {m.out_channels} maps of "
            f"{s.output.shape[1]}×{s.output.shape[2]}, {_range(s.output)}."
        )
    if isinstance(m, nn.MaxPool2d | nn.AvgPool2d):
        how = "keeps the largest value" if isinstance(m, nn.MaxPool2d) else "averages the values"
        return (
            f"{type(m).__name__} {how} of each {m.kernel_size}×{m.kernel_size} window: "
            f"{s.input.shape[1]}×{s.input.shape[2]} → {s.output.shape[1]}×{s.output.shape[2]}."
        )
    if s.kind in ("Dropout", "Dropout2d"):
        return f"{s.kind} passes every value unchanged at test time (the model is in eval mode)."
    if s.kind == "Flatten":
        return f"The {_shape(s.input)} maps laid out in one row of {s.output.numel():,} numbers."
    if isinstance(m, nn.Linear):
        return (
            f"Each of the {m.out_features} units adds all {m.in_features:,} inputs times its "
            f"own weights, plus a bias: {_range(s.output)}."
        )
    if s.kind == "Softmax":
        top = int(s.output.argmax())
        name = classes[top] if top < len(classes) else str(top)
        return (
            f"Softmax turns the {s.output.numel()} scores into probabilities that add up to 1: "
            f"the answer is {name}, at {float(s.output[top]):.1%}."
        )
    zeros = float((s.output == 0).float().mean())
    if zeros > 0:
        return f"{s.kind} leaves {zeros:.0%} of the values at 0: {_range(s.output)}."
    return f"{s.kind} works on each value alone: {_range(s.output)}."
