"""Owner tokens: which browser tab a run belongs to, accepted only when this install issued them.

A tab's token is 96 random bits followed by an HMAC-SHA256 of them (96 bits shown) under a
per-install secret. The secret is a file in the runs root (`.owner-secret`, mode 0600),
created on the first start. Signing rather than storing the tokens issued: checking one costs
one HMAC and no file that grows with every visitor; the tokens survive a restart, as the runs
they own do (the same folder holds both), and servers sharing a runs folder (a Ray cluster's)
accept each other's; deleting the file revokes every token at once.

A token a visitor types (`0000000000000000`, a friend's shortened link) fails the check and
the tab gets a new identity, so two learners cannot share runs by choosing the same easy
token, and the runner's per-owner limits count per token the server issued.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

SECRET_FILE = ".owner-secret"
SECRET_BYTES = 32
_NONCE_HEX = 24  # 96 random bits
_MAC_HEX = 24  # 96 bits of the HMAC
_SHAPE = re.compile(rf"^[0-9a-f]{{{_NONCE_HEX + _MAC_HEX}}}$")


def install_secret(root: Path) -> bytes:
    """The install's token secret from `root`, created there on the first start. Two servers
    starting at once agree on one (the file is linked into place, never overwritten). A runs
    root that cannot hold it gives a secret of this process only: tokens then last until a
    restart, which the log says."""
    path = Path(root) / SECRET_FILE
    try:
        data = path.read_bytes()
        if len(data) >= SECRET_BYTES:
            return data
    except FileNotFoundError:
        pass
    except OSError:
        log.warning("the owner-token secret cannot be read; tokens last until a restart")
        return secrets.token_bytes(SECRET_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{SECRET_FILE}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_bytes(SECRET_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails if another server made one first: theirs wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return path.read_bytes()
    except OSError:
        log.warning("the owner-token secret cannot be written; tokens last until a restart")
        return secrets.token_bytes(SECRET_BYTES)


def _mac(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, b"owner|" + nonce.encode(), hashlib.sha256).hexdigest()[:_MAC_HEX]


def issue_token(secret: bytes) -> str:
    """A new owner token, signed with `secret`."""
    nonce = secrets.token_hex(_NONCE_HEX // 2)
    return nonce + _mac(secret, nonce)


def token_issued(secret: bytes, token: str | None) -> bool:
    """Whether `token` is one `issue_token` made with this secret."""
    if not token or not _SHAPE.match(token):
        return False
    nonce, mac = token[:_NONCE_HEX], token[_NONCE_HEX:]
    return hmac.compare_digest(mac, _mac(secret, nonce))
