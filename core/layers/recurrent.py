"""A recurrent layer reads the digit row by row: 28 time steps of 28 pixels each.

The same weights are applied at every step; what changes is the hidden state, the layer's
memory of the rows seen so far. The weights are PyTorch's random initialisation (no training),
so the picture shows how an untrained network's state reacts to the strokes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.engine.learning.models import count_parameters
from core.engine.learning.randomness import seeded
from core.errors import LimitError
from core.layers.common import IMAGE_SIZE, LayerError

RECURRENT_KINDS: dict[str, type[nn.RNNBase]] = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}  # weight blocks per layer: LSTM has 4 gates, GRU 3
MAX_HIDDEN = 64  # most hidden units drawn in the heatmap
MAX_RECURRENT_LAYERS = 3  # most stacked recurrent layers


@dataclass
class RecurrentConfig:
    kind: str = "GRU"  # a key of RECURRENT_KINDS
    hidden_size: int = 16  # units in the hidden state
    num_layers: int = 1  # stacked layers; each reads the hidden states of the one below
    seed: int = 0  # the random weights come from this seed


@dataclass
class RecurrentResult:
    X: torch.Tensor  # (T, 28) the rows, one per time step
    H: torch.Tensor  # (T, hidden) the top layer's hidden state after each row
    C: torch.Tensor | None  # (T, hidden) an LSTM's cell state after each row; None otherwise
    output_shape: tuple[int, ...]  # what the layer returns for the whole sequence
    parameters: int  # counted by torch
    per_layer: list[int]  # the formula's count for each layer
    formula: str  # the parameter formula with numbers (LaTeX)


def recurrent_parameters(
    kind: str, input_size: int, hidden_size: int, num_layers: int
) -> list[int]:
    """Per layer: gates × (hidden·input + hidden·hidden + 2·hidden).

    Each gate has an input weight, a recurrent weight and two biases (PyTorch keeps b_ih and
    b_hh separate); layers above the first read the hidden state, not the pixels.
    """
    g = GATES[kind]
    sizes = [input_size] + [hidden_size] * (num_layers - 1)
    return [g * (hidden_size * n + hidden_size * hidden_size + 2 * hidden_size) for n in sizes]


def recurrent_formula(kind: str, input_size: int, hidden_size: int) -> str:
    """The first layer's parameter count with the numbers filled in (LaTeX)."""
    g, h, n = GATES[kind], hidden_size, input_size
    total = recurrent_parameters(kind, n, h, 1)[0]
    return (
        rf"\underbrace{{{g}}}_{{\text{{gates}}}}\times(h\cdot n_{{in}} + h\cdot h + 2h)"
        rf" = {g}\times({h}\cdot{n} + {h}\cdot{h} + 2\cdot{h}) = {total:,}"
    ).replace(",", "{,}")


def recurrent_layer(config: RecurrentConfig) -> nn.RNNBase:
    """The chosen recurrent layer, batch first: input (B, T, features)."""
    if config.kind not in RECURRENT_KINDS:
        raise LayerError(f"Pick one of {', '.join(RECURRENT_KINDS)}, not {config.kind!r}.")
    if not 1 <= config.hidden_size <= MAX_HIDDEN:
        raise LimitError(f"The hidden size must be 1 to {MAX_HIDDEN}, not {config.hidden_size}.")
    if not 1 <= config.num_layers <= MAX_RECURRENT_LAYERS:
        raise LimitError(
            f"Use 1 to {MAX_RECURRENT_LAYERS} stacked layers, not {config.num_layers}."
        )
    with seeded(config.seed):
        return RECURRENT_KINDS[config.kind](
            IMAGE_SIZE, config.hidden_size, config.num_layers, batch_first=True
        )


def read_rows(
    layer: nn.RNNBase, X: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """Feed the rows one step at a time, keeping the top layer's state after each.

    Returns (H, C, Y): the per-step hidden (and LSTM cell) states, and the output of one call
    over the whole sequence, which the step-by-step loop must reproduce.
    """
    X_seq = X.reshape(1, -1, X.shape[-1])  # (1, T, 28): batch, time = rows, features = pixels
    hs, cs = [], []
    state = None
    with torch.no_grad():
        Y, _ = layer(X_seq)  # (1, T, hidden)
        for t in range(X_seq.shape[1]):
            _, state = layer(X_seq[:, t : t + 1], state)
            h = state[0] if isinstance(state, tuple) else state  # (layers, 1, hidden)
            hs.append(h[-1, 0])
            if isinstance(state, tuple):
                cs.append(state[1][-1, 0])
    C = torch.stack(cs) if cs else None
    return torch.stack(hs), C, Y  # (T, hidden), (T, hidden) or None, (1, T, hidden)


def recurrent_demo(
    X: torch.Tensor, config: RecurrentConfig, device: str = "cpu"
) -> RecurrentResult:
    """Read the digit row by row with an RNN, GRU or LSTM and record its state over time."""
    layer = recurrent_layer(config).to(device)
    H, C, Y = read_rows(layer, X.to(device))
    return RecurrentResult(
        X=X.reshape(-1, X.shape[-1]),
        H=H.cpu(),
        C=None if C is None else C.cpu(),
        output_shape=tuple(Y.shape),
        parameters=count_parameters(layer),
        per_layer=recurrent_parameters(
            config.kind, IMAGE_SIZE, config.hidden_size, config.num_layers
        ),
        formula=recurrent_formula(config.kind, IMAGE_SIZE, config.hidden_size),
    )
