"""Convolution and transposed convolution on the digit: output sizes, parameters, multiply-adds.

The size formulas are PyTorch's own (see the Conv2d and ConvTranspose2d docs); the tests
check them against the shapes torch really produces over a grid of settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from core.engine.learning.models import count_parameters
from core.engine.learning.randomness import seeded
from core.errors import LimitError
from core.layers.common import LayerError, shrink

MAX_KERNEL = 11  # largest kernel side offered
MAX_STRIDE = 8  # largest stride offered
MAX_PADDING = 10  # most zero rows/columns added on each side
MAX_DILATION = 5  # largest gap between kernel taps
MAX_OUT_CHANNELS = 16  # most feature maps drawn at once
INPUT_SIZES = (28, 14, 7)  # the digit, or the digit averaged down (to hit the shape limits)
MAX_TRANSPOSED_INPUT = 14  # largest side of the small map the transposed conv upsamples
MAX_TRANSPOSED_OUTPUT = 200  # largest side of the upsampled map we draw

# Textbook 3×3 filters: a human designed these before networks learned their own.
CLASSIC_FILTERS: dict[str, list[list[float]]] = {
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "outline (Laplacian)": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "blur (box)": [[1 / 9] * 3] * 3,
    "blur (Gaussian)": [
        [1 / 16, 2 / 16, 1 / 16],
        [2 / 16, 4 / 16, 2 / 16],
        [1 / 16, 2 / 16, 1 / 16],
    ],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
}
CLASSIC_SIZE = 3  # every classic filter is 3×3


def _check_limit(name: str, value: int, low: int, high: int) -> None:
    if value < low:
        raise LayerError(f"The {name} must be at least {low}, not {value}.")
    if value > high:
        raise LimitError(f"The {name} is limited to {high} here, not {value}.")


def check_window(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> None:
    """Refuse the settings torch would refuse, with a reason a learner can act on."""
    if stride == 0:
        raise LayerError(
            "A stride of 0 would never move the window: it would read the same spot forever. "
            "Use a stride of at least 1."
        )
    _check_limit("kernel size", kernel_size, 1, MAX_KERNEL)
    _check_limit("stride", stride, 1, MAX_STRIDE)
    _check_limit("padding", padding, 0, MAX_PADDING)
    _check_limit("dilation", dilation, 1, MAX_DILATION)
    span = dilation * (kernel_size - 1) + 1  # the input cells one window covers
    if span > size + 2 * padding:
        spread = f" (spread to {span}×{span} by dilation {dilation})" if dilation > 1 else ""
        raise LayerError(
            f"The {kernel_size}×{kernel_size} kernel{spread} is larger than the "
            f"{size + 2 * padding}×{size + 2 * padding} padded input, so it fits nowhere. "
            "Use a smaller kernel or dilation, more padding, or a larger input."
        )


def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1, as in torch's docs."""
    check_window(size, kernel_size, stride, padding, dilation)
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def conv_formula(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> str:
    """The output-size formula with this layer's numbers filled in (LaTeX)."""
    out = conv_output_size(size, kernel_size, stride, padding, dilation)
    top = size + 2 * padding - dilation * (kernel_size - 1) - 1
    return (
        r"\begin{aligned} H_{out} &= \left\lfloor \frac{H_{in} + 2p - d(k-1) - 1}{s}"
        r" \right\rfloor + 1 \\"
        rf" &= \left\lfloor \frac{{{size} + 2\cdot{padding} - {dilation}\cdot({kernel_size}-1)"
        rf" - 1}}{{{stride}}} \right\rfloor + 1 = \left\lfloor \frac{{{top}}}{{{stride}}}"
        rf" \right\rfloor + 1 = {out} \end{{aligned}}"
    )


def conv_parameters(in_channels: int, out_channels: int, kernel_size: int) -> int:
    """One k×k kernel per (input, output) channel pair, plus one bias per output channel."""
    return out_channels * in_channels * kernel_size * kernel_size + out_channels


def conv_macs(in_channels: int, out_channels: int, kernel_size: int, h_out: int, w_out: int) -> int:
    """Multiply-adds: every output cell of every map reads k·k·C_in inputs."""
    return out_channels * h_out * w_out * in_channels * kernel_size * kernel_size


@dataclass
class ConvConfig:
    kernel_size: int = 3  # side of the square kernel (classic filters are always 3)
    stride: int = 1  # cells the window moves per step
    padding: int = 0  # zero rows/columns added on each side
    dilation: int = 1  # gap between kernel taps (1 = no gap)
    out_channels: int = 4  # random kernels: how many feature maps to make
    kernels: str = "random"  # "random" (PyTorch's default init) or "classic"
    filters: list[str] = field(default_factory=lambda: list(CLASSIC_FILTERS)[:4])  # classic ones
    input_size: int = 28  # the digit, or the digit averaged down to this side
    seed: int = 0  # random kernels come from this seed


@dataclass
class ConvResult:
    X: torch.Tensor  # (1, 1, H, W) the input
    weight: torch.Tensor  # (C_out, 1, k, k) the kernels
    Y: torch.Tensor  # (1, C_out, H_out, W_out) the feature maps
    names: list[str]  # one label per feature map
    formula: str  # the output-size formula with numbers (LaTeX)
    parameters: int  # weights + biases of the layer, counted by torch
    macs: int  # multiply-adds for one image


def conv_layer(config: ConvConfig) -> tuple[nn.Conv2d, list[str]]:
    """A Conv2d with random or classic kernels, and a name for each of its feature maps."""
    if config.kernels == "classic":
        unknown = [f for f in config.filters if f not in CLASSIC_FILTERS]
        if unknown or not config.filters:
            raise LayerError(f"Pick one or more of the filters: {', '.join(CLASSIC_FILTERS)}.")
        k, names = CLASSIC_SIZE, list(config.filters)
    elif config.kernels == "random":
        k = config.kernel_size
        _check_limit("number of output channels", config.out_channels, 1, MAX_OUT_CHANNELS)
        names = [f"channel {i}" for i in range(config.out_channels)]
    else:
        raise LayerError(f"Kernels are 'random' or 'classic', not {config.kernels!r}.")
    with seeded(config.seed):
        conv = nn.Conv2d(1, len(names), k, config.stride, config.padding, config.dilation)
    if config.kernels == "classic":
        with torch.no_grad():
            conv.weight.copy_(torch.tensor([[CLASSIC_FILTERS[f]] for f in names]))
            conv.bias.zero_()
    return conv, names


def conv_demo(X: torch.Tensor, config: ConvConfig, device: str = "cpu") -> ConvResult:
    """Run one Conv2d over the digit and count what it costs."""
    if config.input_size not in INPUT_SIZES:
        raise LayerError(f"The input size is one of {INPUT_SIZES}, not {config.input_size}.")
    k = CLASSIC_SIZE if config.kernels == "classic" else config.kernel_size
    size = config.input_size
    formula = conv_formula(size, k, config.stride, config.padding, config.dilation)  # checks
    conv, names = conv_layer(config)
    X_in = shrink(X, size)  # (1, 1, H, W)
    with torch.no_grad():
        Y = conv.to(device)(X_in.to(device)).cpu()  # (1, C_out, H_out, W_out)
    return ConvResult(
        X=X_in,
        weight=conv.weight.detach().cpu(),
        Y=Y,
        names=names,
        formula=formula,
        parameters=count_parameters(conv),
        macs=conv_macs(1, len(names), k, Y.shape[2], Y.shape[3]),
    )


def transposed_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, output_padding: int = 0
) -> int:
    """(size − 1)·stride − 2·padding + (kernel − 1) + output_padding + 1, as in torch's docs."""
    if stride == 0:
        raise LayerError("A stride of 0 would stack every input on the same spot. Use at least 1.")
    _check_limit("kernel size", kernel_size, 1, MAX_KERNEL)
    _check_limit("stride", stride, 1, MAX_STRIDE)
    _check_limit("padding", padding, 0, MAX_PADDING)
    _check_limit("input size", size, 1, MAX_TRANSPOSED_INPUT)
    if not 0 <= output_padding < stride:
        raise LayerError(
            f"The output padding must be at least 0 and smaller than the stride ({stride}), "
            f"not {output_padding}: it only picks between sizes the stride makes ambiguous."
        )
    out = (size - 1) * stride - 2 * padding + (kernel_size - 1) + output_padding + 1
    if out < 1:
        raise LayerError(
            f"With padding {padding} the transposed convolution would crop everything "
            f"(output size {out}). Use less padding or a larger kernel or stride."
        )
    if out > MAX_TRANSPOSED_OUTPUT:
        raise LimitError(f"The output would be {out}×{out}; the limit is {MAX_TRANSPOSED_OUTPUT}.")
    return out


def transposed_formula(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, output_padding: int = 0
) -> str:
    """The transposed output-size formula with this layer's numbers filled in (LaTeX)."""
    out = transposed_output_size(size, kernel_size, stride, padding, output_padding)
    return (
        r"\begin{aligned} H_{out} &= (H_{in} - 1)\,s - 2p + (k - 1) + p_{out} + 1 \\"
        rf" &= ({size} - 1)\cdot{stride} - 2\cdot{padding} + ({kernel_size} - 1)"
        rf" + {output_padding} + 1 = {out} \end{{aligned}}"
    )


@dataclass
class TransposedConfig:
    input_size: int = 7  # the digit averaged down to this side: the "small feature map"
    kernel_size: int = 3  # side of the square kernel
    stride: int = 2  # spacing of the stamped kernels in the output
    padding: int = 0  # rows/columns cropped from each side of the output
    output_padding: int = 0  # extra rows/columns on one side, to reach an exact size
    kernel: str = "ones"  # "ones" shows pure overlap; "random" is PyTorch's default init
    seed: int = 0  # random kernels come from this seed


@dataclass
class TransposedResult:
    X: torch.Tensor  # (1, 1, h, w) the small map
    Y: torch.Tensor  # (1, 1, H_out, W_out) the small map upsampled
    overlap: torch.Tensor  # (1, 1, H_out, W_out) an all-ones map upsampled with a ones kernel
    weight: torch.Tensor  # (1, 1, k, k) the kernel
    formula: str  # the output-size formula with numbers (LaTeX)
    parameters: int  # weights + bias
    macs: int  # multiply-adds: each input cell stamps a k×k kernel


def transposed_demo(
    X: torch.Tensor, config: TransposedConfig, device: str = "cpu"
) -> TransposedResult:
    """Upsample a small map of the digit; beside it, how many stamps land on each output cell."""
    if config.kernel not in ("ones", "random"):
        raise LayerError(f"The kernel is 'ones' or 'random', not {config.kernel!r}.")
    size, k = config.input_size, config.kernel_size
    formula = transposed_formula(size, k, config.stride, config.padding, config.output_padding)
    args = (1, 1, k, config.stride, config.padding, config.output_padding)
    with seeded(config.seed):
        up = nn.ConvTranspose2d(*args)
        counter = nn.ConvTranspose2d(*args, bias=False)
    with torch.no_grad():
        counter.weight.fill_(1.0)
        if config.kernel == "ones":
            up.weight.fill_(1.0)
            up.bias.zero_()
        X_small = shrink(X, size)  # (1, 1, size, size)
        Y = up.to(device)(X_small.to(device)).cpu()  # (1, 1, H_out, W_out)
        overlap = counter(torch.ones_like(X_small))  # (1, 1, H_out, W_out)
    return TransposedResult(
        X=X_small,
        Y=Y,
        overlap=overlap,
        weight=up.weight.detach().cpu(),
        formula=formula,
        parameters=count_parameters(up),
        macs=size * size * k * k,
    )
