"""What every consumer of a run setting needs, declared once on the RunConfig field.

A RunConfig field carries a `Setting` in its metadata: its label and help, its limits or its
choices, its name in the Train page's link, where the form draws it, whether runs are compared
on it. The form, the link fields, the CLI, the compare table and the checks of a RunConfig all
read these, so a new setting is one field (plus the code that uses it in training and in the
exported script). Settings with a structure of their own (the model, the optimizer and its
hyper-parameters, the schedule and its) are `custom`: each consumer draws them its own way,
and a test checks that every consumer does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from core.errors import ConfigError

SECTIONS = ("data", "batches")  # the Train form's sections that are drawn from declarations


@dataclass(frozen=True)
class Setting:
    label: str  # the form's label, the compare table's column
    help: str = ""
    kind: type = str  # int, float or str: how the CLI and the link read a value
    low: float | None = None  # limits of a number
    high: float | None = None
    choices: Callable[[], Mapping[str, str]] | None = None  # key -> how the page names it
    optional: str = ""  # a number that may be None: how None reads ("all"), shown as 0 in the form
    what: str = ""  # the subject of a refusal ("The learning rate"); default: from the label
    column: str = ""  # its name in the compare table; default: the label in lower case
    link: str | None = None  # its name in the Train page's URL; None: not in the link
    form: str | None = None  # the form's section that draws it; None: drawn elsewhere or not
    widget: str = "number"  # how the form draws it: "number", "select" or "radio"
    step: float | None = None  # the number widget's step
    cli: bool = True  # a --name option of `python -m core.engine.cli`
    compared: bool = True  # a column of the compare table (runs differing in it are told so)
    custom: bool = False  # structured: the form, the CLI, the link and the table draw it by name

    @property
    def heading(self) -> str:
        return self.column or self.label.lower()

    @property
    def subject(self) -> str:
        return self.what or f"The {self.label.lower()}"

    @property
    def span(self) -> str:
        """Its limits in words: "1 to 60,000", "1e-06 to 100"."""
        if self.kind is int:
            return f"{self.low:,.0f} to {self.high:,.0f}"
        return f"{self.low:g} to {self.high:g}"

    def check(self, value: Any) -> None:
        """Refuse a value outside the declared limits or choices, with a message a page shows."""
        if value is None and self.optional:
            return
        if self.choices is not None:
            options = self.choices()
            if value not in options:
                raise ConfigError(
                    f"Unknown {self.label.lower()} {value!r}. Choose one of: {', '.join(options)}."
                )
            return
        if self.low is None or self.high is None:
            return
        whole = self.kind is int
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            kind = "a whole number" if whole else "a number"
            raise ConfigError(f"{self.subject} must be {kind}, not {value!r}.")
        if not self.low <= value <= self.high:  # also refuses nan
            span = (
                f"{self.low:,.0f} to {self.high:,.0f}"
                if whole
                else f"{self.low:g} to {self.high:g}"
            )
            raise ConfigError(f"{self.subject} must be {span}, not {value}.")


def setting(default: Any = MISSING, *, default_factory: Any = MISSING, **declared: Any) -> Any:
    """A dataclass field that declares its Setting: `lr: float = setting(0.5, label=...)`."""
    meta = {"setting": Setting(**declared)}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def declared(cls: type) -> dict[str, Setting]:
    """Every field of a settings dataclass with its Setting, in declaration order."""
    return {f.name: f.metadata["setting"] for f in fields(cls) if "setting" in f.metadata}


def undeclared(cls: type) -> list[str]:
    """Fields that forgot their Setting (a test keeps this empty)."""
    return [f.name for f in fields(cls) if "setting" not in f.metadata]


def option(name: str) -> str:
    """The CLI option of a setting: `train_subset` -> `--train-subset`."""
    return "--" + name.replace("_", "-")


def shown(setting: Setting, value: Any) -> Any:
    """A value as the compare table and the form show it: None of an optional number as its
    word ("all"), a choice by its key."""
    if value is None and setting.optional:
        return setting.optional
    return value
