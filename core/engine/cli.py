"""Train without the UI: `python -m core.engine.cli --preset classic --epochs 2 --out runs/NAME`.

`--resume RUN` continues a stopped or interrupted run from its last finished epoch.

The same options as the Train page, the same background runner, the same run folder; it prints
the classic log lines while it trains and the final test accuracy at the end. Ctrl-C stops the
run within one batch and still saves it. Exit status: 0 done, 1 failed or refused, 130 stopped.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.devices import default_device
from core.engine.learning.activations.registry import MODEL_ACTIVATIONS
from core.engine.learning.config import SETTINGS, RunConfig
from core.engine.learning.models import POOLS, ConvSpec, layer_table, parse_hidden
from core.engine.learning.presets import RUN_PRESETS, run_preset
from core.engine.learning.settings import option
from core.engine.runs.files import read_json
from core.engine.runs.folder import CONFIG_FILE, load_run, runs_root
from core.engine.runs.record import RunStatus
from core.engine.runs.runner import Runner
from core.errors import ParseError, TorchlabError

POLL_S = 0.2  # how often the log is read from the background job


def _value(text: str) -> Any:
    """A setting's value from the command line: true/false, an int or a float."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(low)
    except ValueError:
        pass
    try:
        return float(low)
    except ValueError:
        raise ParseError(f"{text!r} is not a number or true/false.") from None


def _settings(pairs: list[str]) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParseError(f"Settings are NAME=VALUE, like momentum=0.9; not {pair!r}.")
        out[key.strip()] = _value(value)
    return out


def _conv(text: str) -> ConvSpec:
    """`channels,kernel,stride,padding,pool` (trailing ones optional), e.g. 16,3,1,0,max."""
    parts = [p.strip() for p in text.split(",")]
    if not 1 <= len(parts) <= 5:
        raise ParseError(f"A conv block is channels,kernel,stride,padding,pool; not {text!r}.")
    pool = parts.pop() if len(parts) == 5 else "none"
    if pool not in POOLS:
        raise ParseError(f"Pooling must be one of {', '.join(POOLS)}, not {pool!r}.")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise ParseError(f"A conv block needs whole numbers: {text!r}.") from None
    return ConvSpec(*numbers, pool=pool)


def parser() -> argparse.ArgumentParser:
    """The options: every declared run setting (core.engine.learning.config.SETTINGS) as
    --its-name, the model's own flags, and what says which run to train."""
    p = argparse.ArgumentParser(prog="python -m core.engine.cli", description=__doc__)
    p.add_argument("--preset", choices=list(RUN_PRESETS), default="classic")
    p.add_argument("--config", type=Path, help="start from a saved config.json")
    p.add_argument("--out", type=Path, help="the run folder (default: a new one in the runs root)")
    groups = {"data": p.add_argument_group("data")}
    model = p.add_argument_group("model")
    opt = groups["other"] = p.add_argument_group("optimization")
    for name, setting in SETTINGS.items():
        if setting.custom or not setting.cli:
            continue
        limits = f" ({setting.span})" if setting.low is not None else ""
        if setting.optional:
            limits += f", default: {setting.optional}"
        groups.get(setting.form or "", opt).add_argument(
            option(name),
            type=setting.kind,
            choices=list(setting.choices()) if setting.choices else None,
            help=f"{setting.label}{limits}. {setting.help}".strip(),
        )
    model.add_argument(
        "--conv",
        action="append",
        type=_conv,
        metavar="C,K,S,P,POOL",
        help="a conv block (repeat for more); replaces the preset's conv stack",
    )
    model.add_argument("--no-conv", action="store_true", help="no conv blocks at all")
    model.add_argument("--hidden", help="hidden Linear units, comma separated ('' for none)")
    model.add_argument("--conv-dropout", type=float)
    model.add_argument("--dropout", type=float)
    model.add_argument("--activation", choices=list(MODEL_ACTIVATIONS))
    opt.add_argument(
        "--opt",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an optimizer setting, e.g. momentum=0.9 (repeatable)",
    )
    opt.add_argument(
        "--sched",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a schedule setting, e.g. gamma=0.7 (repeatable)",
    )
    p.add_argument(
        "--stop-after-steps",
        type=int,
        metavar="N",
        help="stop after N training steps as Stop would, keeping the run resumable "
        "(train a class's run part way before the lesson, --resume it live)",
    )
    p.add_argument("--quiet", action="store_true", help="print only the final result")
    p.add_argument(
        "--resume",
        metavar="RUN",
        help="continue a stopped or interrupted run (its folder, or its id under the runs root) "
        "from its last finished epoch; the other options are ignored",
    )
    return p


# The optional flags of the structured settings (the others are --their-name).
CUSTOM_OPTIONS = {
    "model": ("--conv", "--no-conv", "--hidden", "--conv-dropout", "--dropout", "--activation"),
    "optimizer_params": ("--opt",),
    "schedule_params": ("--sched",),
}


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The preset (or --config file), then every option given on top of it."""
    if args.config:
        config = RunConfig.from_dict(read_json(args.config))
    else:
        config = run_preset(args.preset).with_changes(device=default_device())
    # Another optimizer or schedule starts from its own defaults, as on the Train page.
    if args.optimizer and args.optimizer != config.optimizer:
        config = config.with_optimizer(args.optimizer)
    if args.schedule and args.schedule != config.schedule:
        config = config.with_schedule(args.schedule)
    changes: dict[str, Any] = {
        name: getattr(args, name)
        for name, setting in SETTINGS.items()
        if not setting.custom and setting.cli and getattr(args, name) is not None
    }
    if args.opt:
        changes["optimizer_params"] = config.optimizer_params | _settings(args.opt)
    if args.sched:
        changes["schedule_params"] = config.schedule_params | _settings(args.sched)
    spec = config.model
    model_changes: dict[str, Any] = {}
    if args.conv or args.no_conv:
        model_changes["convs"] = [] if args.no_conv else args.conv
    if args.hidden is not None:
        model_changes["hidden"] = parse_hidden(args.hidden)
    for field in ("conv_dropout", "dropout", "activation"):
        if getattr(args, field) is not None:
            model_changes[field] = getattr(args, field)
    if model_changes:
        changes["model"] = replace(spec, **model_changes)
    return config.with_changes(**changes)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    runner = None
    try:
        if args.resume:
            run_dir = resume_folder(args.resume)
            config = load_run(run_dir).config
        else:
            config = config_from_args(args)
        n_params = sum(r.parameters for r in layer_table(config.model))
        runner = Runner(max_concurrent=1)
        if args.resume:
            job_id = runner.resume(run_dir)
        else:
            job_id = runner.submit(
                config,
                run_dir=args.out.resolve() if args.out else None,
                stop_after=args.stop_after_steps,
            )
    except TorchlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if runner is not None:
            runner.shutdown()
        return 1
    try:
        return _follow(args, runner, job_id, config, n_params)
    finally:
        runner.shutdown()


def resume_folder(text: str) -> Path:
    """--resume takes a run folder, or the id of a run under the runs root."""
    path = Path(text).expanduser()
    if not path.is_dir():
        path = runs_root() / text
    if not (path / CONFIG_FILE).is_file():
        raise ParseError(f"--resume: {text!r} is neither a run folder nor the id of a saved run.")
    return path.resolve()


def _follow(args, runner: Runner, job_id: str, config: RunConfig, n_params: int) -> int:
    """Print the log while the run trains; Ctrl-C stops it within a batch and keeps it."""
    if not args.quiet:
        print(
            f"{config.optimizer} lr={config.lr:g} batch={config.batch_size} "
            f"epochs={config.epochs} seed={config.seed} on {config.device}; "
            f"model with {n_params:,} parameters"
        )
    printed, interrupted = 0, False
    t0 = time.perf_counter()
    try:
        while True:
            snap = runner.wait(job_id, POLL_S)
            new = snap.log_total - printed
            if new > 0 and not args.quiet:
                for line in snap.log[-new:]:
                    print(line, flush=True)
            printed = snap.log_total
            if snap.finished:
                break
    except KeyboardInterrupt:
        interrupted = True
        runner.stop(job_id)
        snap = runner.wait(job_id)
    wall = time.perf_counter() - t0
    if snap.status == RunStatus.FAILED:
        print(f"failed: {snap.error}", file=sys.stderr)
        return 1
    accuracy = snap.final_accuracy
    print(f"saved to {snap.run_dir}")
    if snap.status == RunStatus.STOPPED:
        ended = f"stopped at step {snap.step} of {snap.total_steps}"
    else:
        ended = f"{snap.status.value} after {len(snap.test)} epoch(s)"
    if accuracy is not None:
        print(f"wall time {wall:.1f} s; final test accuracy: {accuracy:.2%} ({ended})")
    else:
        print(f"wall time {wall:.1f} s; {ended}, before the first test")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
