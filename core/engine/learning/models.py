"""The seed ConvNet and a configurable model spec that builds an `nn.Module`.

A spec is plain data (JSON-friendly), so a run's model can be saved next to its weights and
rebuilt anywhere: on the canvas page, in the exported script, in the headless trainer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from core.engine.learning.activations.registry import MODEL_ACTIVATIONS
from core.engine.learning.data import IMAGE_SIZE
from core.errors import ConfigError

# The limits of a model, for the Train page, the CLI and saved runs alike.
MAX_CONV_BLOCKS = 4
MAX_CHANNELS = 256
MAX_KERNEL = 9  # a 9×9 kernel already sees a third of a digit
MAX_STRIDE = 4
MAX_PADDING = 4
MAX_HIDDEN_LAYERS = 3
MAX_HIDDEN_UNITS = 4096
MAX_DROPOUT = 0.9  # above this almost nothing reaches the next layer while training
MAX_PARAMETERS = 20_000_000


POOLS = ("max", "avg", "none")


@dataclass
class ConvSpec:
    channels: int  # output channels of this Conv2d
    kernel_size: int = 3
    stride: int = 1
    padding: int = 0
    pool: str = "none"  # pooling after this block's activation: "max", "avg" or "none"
    pool_size: int = 2  # pooling window and stride


@dataclass
class ModelSpec:
    convs: list[ConvSpec] = field(default_factory=list)  # conv -> activation (-> pool) blocks
    conv_dropout: float = 0.0  # Dropout2d after the conv stack: zeroes whole channels
    hidden: list[int] = field(default_factory=list)  # units of each hidden Linear layer
    dropout: float = 0.0  # plain Dropout on flat vectors (Dropout2d would warn on 2-D input)
    activation: str = "ReLU"  # a key of MODEL_ACTIVATIONS (a torch.nn class name)
    in_channels: int = 1
    image_size: int = IMAGE_SIZE
    num_classes: int = 10

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        try:
            convs = [ConvSpec(**c) for c in data.get("convs", [])]
            rest = {k: v for k, v in data.items() if k != "convs"}
            spec = cls(convs=convs, **rest)
        except TypeError as exc:
            raise ConfigError(
                f"This model description is not one Torchlab can read: {exc}"
            ) from exc
        validate_spec(spec)
        return spec


def classic_spec() -> ModelSpec:
    """The chapter's MNIST ConvNet: two 3×3 convs, max-pool, two dropouts, 64 hidden units."""
    return ModelSpec(
        convs=[ConvSpec(16, 3, 1), ConvSpec(32, 3, 1, pool="max")],
        conv_dropout=0.10,
        hidden=[64],
        dropout=0.25,
    )


def linear_spec() -> ModelSpec:
    """A traditional baseline: softmax regression on the raw pixels, no hidden layer."""
    return ModelSpec()


def fast_spec() -> ModelSpec:
    """Quick on a CPU: 5×5 convs each followed by max-pooling shrink the image early, so
    there is little left to compute; two epochs reach 99% on MNIST."""
    return ModelSpec(
        convs=[ConvSpec(16, 5, 1, 0, "max"), ConvSpec(32, 5, 1, 0, "max")],
        hidden=[128],
        dropout=0.1,
    )


def _check_rate(name: str, p: float) -> None:
    if not 0.0 <= p <= MAX_DROPOUT:
        raise ConfigError(f"{name} must be 0 to {MAX_DROPOUT:g}, not {p}.")


def parse_hidden(text: str) -> list[int]:
    """'128, 64' -> [128, 64]: whole numbers separated by commas; empty means no hidden layer."""
    parts = [t.strip() for t in (text or "").replace(";", ",").split(",") if t.strip()]
    try:
        units = [int(t) for t in parts]
    except ValueError:
        raise ConfigError(f"Hidden units are whole numbers like 128, 64; not {text!r}.") from None
    _check_hidden(units)
    return units


def _check_hidden(units: list[int]) -> None:
    if len(units) > MAX_HIDDEN_LAYERS:
        raise ConfigError(f"At most {MAX_HIDDEN_LAYERS} hidden layers, not {len(units)}.")
    if any(not 1 <= u <= MAX_HIDDEN_UNITS for u in units):
        raise ConfigError(f"Each hidden layer needs 1 to {MAX_HIDDEN_UNITS} units.")


def validate_spec(spec: ModelSpec) -> None:
    """Check the numbers one by one; shapes are checked by `layer_table`."""
    if spec.activation not in MODEL_ACTIVATIONS:
        names = ", ".join(MODEL_ACTIVATIONS)
        raise ConfigError(f"Unknown activation {spec.activation!r}. Choose one of: {names}.")
    if len(spec.convs) > MAX_CONV_BLOCKS:
        raise ConfigError(f"At most {MAX_CONV_BLOCKS} conv blocks, not {len(spec.convs)}.")
    for i, c in enumerate(spec.convs, 1):
        if not 1 <= c.channels <= MAX_CHANNELS:
            raise ConfigError(f"Conv block {i}: channels must be 1 to {MAX_CHANNELS}.")
        if not 1 <= c.kernel_size <= MAX_KERNEL:
            raise ConfigError(f"Conv block {i}: the kernel size must be 1 to {MAX_KERNEL}.")
        if not 1 <= c.stride <= MAX_STRIDE:
            raise ConfigError(f"Conv block {i}: the stride must be 1 to {MAX_STRIDE}.")
        if not 0 <= c.padding <= MAX_PADDING:
            raise ConfigError(f"Conv block {i}: the padding must be 0 to {MAX_PADDING}.")
        if c.pool not in POOLS:
            raise ConfigError(f"Conv block {i}: pooling must be one of {', '.join(POOLS)}.")
        if c.pool != "none" and c.pool_size < 1:
            raise ConfigError(f"Conv block {i}: the pooling window must be at least 1.")
    _check_hidden(spec.hidden)
    _check_rate("Conv dropout", spec.conv_dropout)
    _check_rate("Dropout", spec.dropout)


class ConvNet(nn.Module):
    """features (conv blocks) -> flatten -> classifier (Linear layers) -> log_softmax."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        validate_spec(spec)
        act = MODEL_ACTIVATIONS[spec.activation].module
        layers: list[nn.Module] = []
        channels = spec.in_channels
        for c in spec.convs:
            layers += [nn.Conv2d(channels, c.channels, c.kernel_size, c.stride, c.padding), act()]
            if c.pool == "max":
                layers.append(nn.MaxPool2d(c.pool_size))
            elif c.pool == "avg":
                layers.append(nn.AvgPool2d(c.pool_size))
            channels = c.channels
        if spec.convs and spec.conv_dropout > 0:
            layers.append(nn.Dropout2d(spec.conv_dropout))
        self.features = nn.Sequential(*layers)
        flat = _flat_size(self.features, spec)
        head: list[nn.Module] = []
        for units in spec.hidden:
            head += [nn.Linear(flat, units), act()]
            if spec.dropout > 0:
                head.append(nn.Dropout(spec.dropout))
            flat = units
        head.append(nn.Linear(flat, spec.num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        h = self.features(X)  # (B, C, H', W')
        h = torch.flatten(h, 1)  # (B, C·H'·W')
        return F.log_softmax(self.classifier(h), dim=1)  # (B, num_classes) log-probabilities


def _dummy(spec: ModelSpec) -> torch.Tensor:
    return torch.zeros(1, spec.in_channels, spec.image_size, spec.image_size)


def _flat_size(features: nn.Sequential, spec: ModelSpec) -> int:
    """Run a dummy image through the conv stack, naming the layer where the shape breaks."""
    h = _dummy(spec)
    with torch.no_grad():
        for i, layer in enumerate(features):
            h = _apply(layer, h, i)
    return h[0].numel()


def _apply(layer: nn.Module, h: torch.Tensor, index: int) -> torch.Tensor:
    size = tuple(h.shape[1:])
    window = getattr(layer, "kernel_size", None)
    if window is not None:
        k = window if isinstance(window, tuple) else (window, window)
        pad = getattr(layer, "padding", 0)
        p = pad if isinstance(pad, tuple) else (pad, pad)
        if h.shape[-2] + 2 * p[0] < k[0] or h.shape[-1] + 2 * p[1] < k[1]:
            raise ConfigError(
                f"The shape breaks at layer {index} ({layer}): its {k[0]}×{k[1]} window does "
                f"not fit the {h.shape[-2]}×{h.shape[-1]} input it receives (shape {size}). "
                "Use fewer blocks, smaller kernels or strides, padding, or less pooling."
            )
    try:
        return layer(h)
    except RuntimeError as exc:
        raise ConfigError(
            f"The shape breaks at layer {index} ({layer}) on input {size}: {exc}"
        ) from exc


def build_model(spec: ModelSpec) -> ConvNet:
    model = ConvNet(spec)
    n = count_parameters(model)
    if n > MAX_PARAMETERS:
        raise ConfigError(
            f"This model has {n:,} parameters; the limit is {MAX_PARAMETERS:,}. "
            "Use fewer channels or hidden units, or more pooling before the Linear layers."
        )
    return model


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class LayerRow:
    index: int
    name: str  # the module as PyTorch prints it
    output_shape: tuple[int, ...]  # for one image, batch dimension included
    parameters: int


def layer_table(spec: ModelSpec) -> list[LayerRow]:
    """Each layer's output shape and parameter count, from a dummy batch of one image.

    Pages draw this table on every rerun, so it is worked out on the meta device, where
    tensors have shapes but no numbers: nothing is computed and no random weights are drawn,
    so a rerun costs next to nothing and leaves every random stream alone.
    """
    with torch.device("meta"):
        model = build_model(spec).eval()
        h = _dummy(spec)
    rows: list[LayerRow] = []
    index = 0
    with torch.no_grad():
        for layer in model.features:
            h = _apply(layer, h, index)
            rows.append(LayerRow(index, repr(layer), tuple(h.shape), count_parameters(layer)))
            index += 1
        h = torch.flatten(h, 1)
        rows.append(LayerRow(index, "Flatten(start_dim=1)", tuple(h.shape), 0))
        index += 1
        for layer in model.classifier:
            h = layer(h)
            rows.append(LayerRow(index, repr(layer), tuple(h.shape), count_parameters(layer)))
            index += 1
    rows.append(LayerRow(index, "log_softmax(dim=1)", tuple(h.shape), 0))
    return rows
