"""Loaded by the Python of a test server started with this folder on PYTHONPATH: it plants a
bug in the Tensors page (its dtypes tab's table raises with a server path in the message), so the
browser test can check what a visitor sees of an unexpected error."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository: not yet on it

import core.tensors.dtypes


def _broken(*args, **kwargs):
    raise RuntimeError("planted bug in /srv/torchlab/secret/path.py")


core.tensors.dtypes.dtype_rows = _broken
