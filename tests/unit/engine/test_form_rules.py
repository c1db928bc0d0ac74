"""The Train form's rules live in core: the page and the CLI refuse the same settings with the
same message, and that message comes from the core function both call."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.engine.cli import main
from core.engine.learning.config import MAX_LOG_INTERVAL, MAX_SEED, RunConfig
from core.engine.learning.data import TRAIN_SIZE
from core.engine.learning.models import (
    MAX_DROPOUT,
    MAX_HIDDEN_LAYERS,
    MAX_KERNEL,
    MAX_PADDING,
    MAX_STRIDE,
    ConvSpec,
    parse_hidden,
)
from core.engine.learning.presets import run_preset
from core.errors import ConfigError

CLASSIC = run_preset("classic")
TOO_MANY_HIDDEN = ",".join(["8"] * (MAX_HIDDEN_LAYERS + 1))


def refusal(make) -> str:
    """The message core gives for the setting (what the page shows with st.error)."""
    with pytest.raises(ConfigError) as info:
        make()
    return str(info.value)


def model(**changes) -> RunConfig:
    return CLASSIC.with_changes(model=replace(CLASSIC.model, **changes))


def conv(**changes) -> RunConfig:
    return model(convs=[ConvSpec(8, **changes)])


CASES = {  # CLI arguments, and the core call the page makes for the same setting
    "hidden layers": (["--hidden", TOO_MANY_HIDDEN], lambda: parse_hidden(TOO_MANY_HIDDEN)),
    "kernel": (["--conv", f"8,{MAX_KERNEL + 2}"], lambda: conv(kernel_size=MAX_KERNEL + 2)),
    "stride": (["--conv", f"8,3,{MAX_STRIDE + 1}"], lambda: conv(stride=MAX_STRIDE + 1)),
    "padding": (["--conv", f"8,3,1,{MAX_PADDING + 1}"], lambda: conv(padding=MAX_PADDING + 1)),
    "dropout": (["--dropout", "0.95"], lambda: model(dropout=0.95)),
    "seed": (["--seed", str(MAX_SEED + 1)], lambda: CLASSIC.with_changes(seed=MAX_SEED + 1)),
    "log interval": (
        ["--log-interval", str(MAX_LOG_INTERVAL + 1)],
        lambda: CLASSIC.with_changes(log_interval=MAX_LOG_INTERVAL + 1),
    ),
    "learning rate": (["--lr", "1e-9"], lambda: CLASSIC.with_changes(lr=1e-9)),
    "subset": (
        ["--train-subset", str(TRAIN_SIZE + 1)],
        lambda: CLASSIC.with_changes(train_subset=TRAIN_SIZE + 1),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_cli_refuses_what_the_page_refuses_with_the_same_message(case, capsys):
    argv, make = CASES[case]
    message = refusal(make)
    assert main([*argv, "--device", "cpu"]) == 1
    assert message in capsys.readouterr().err


def test_the_limits_still_let_the_presets_through():
    assert 0 < CLASSIC.model.dropout <= MAX_DROPOUT
    for name in ("classic", "fast", "linear"):
        assert run_preset(name).with_changes(seed=MAX_SEED).seed == MAX_SEED
