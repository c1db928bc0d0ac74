"""The errors a user can cause. Pages catch `TorchlabError` and show its message with `st.error`.

Each message is written for the learner: what was wrong and what to do about it.
"""

from __future__ import annotations

import logging
import uuid


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


def logged_error_id(log: logging.Logger, exc: BaseException, what: str = "error") -> str:
    """Log `exc` with its traceback under a fresh short id and return the id: a message for
    the page names the id, the server's log keeps the library's own text (paths and all)."""
    error_id = uuid.uuid4().hex[:8]
    log.error("%s %s", what, error_id, exc_info=exc)
    return error_id
