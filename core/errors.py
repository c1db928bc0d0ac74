"""The errors a user can cause. Pages catch `TorchlabError` and show its message with `st.error`.

Each message is written for the learner: what was wrong and what to do about it.
"""

from __future__ import annotations


class TorchlabError(Exception):
    """Base class for every error whose message is meant for the page."""


class DeviceError(TorchlabError):
    """A requested device does not exist on this machine."""


class DataError(TorchlabError):
    """A dataset is missing, unreadable or could not be downloaded."""


class ConfigError(TorchlabError):
    """A configuration (model, optimizer, run, experiment) does not make sense."""


class LimitError(TorchlabError):
    """An input is over one of the named limits (elements, epochs, upload size...)."""


class ParseError(TorchlabError):
    """User text (an expression, a list of numbers) was refused or could not be read."""


class CheckpointError(TorchlabError):
    """A saved model or run could not be read or written."""
