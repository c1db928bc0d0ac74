"""Owner tokens: only the ones this install issued are accepted, across restarts."""

from __future__ import annotations

import stat
import threading

from core.engine.runs.owners import SECRET_FILE, install_secret, issue_token, token_issued


def test_only_issued_tokens_are_accepted(tmp_path):
    secret = install_secret(tmp_path)
    token = issue_token(secret)
    assert token_issued(secret, token)
    assert token != issue_token(secret)  # each tab its own
    for typed in ("0000000000000000", "0" * 48, "", None, token.upper(), token + "0"):
        assert not token_issued(secret, typed), typed
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert not token_issued(secret, tampered)
    other_install = install_secret(tmp_path / "elsewhere")
    assert not token_issued(other_install, token)


def test_the_secret_survives_a_restart_is_private_and_shared_by_servers_starting_at_once(
    tmp_path,
):
    token = issue_token(install_secret(tmp_path))
    assert token_issued(install_secret(tmp_path), token)  # the next server start
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    root = tmp_path / "fresh"
    found: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: found.append(install_secret(root))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 1  # one secret, whichever server wrote it first
    assert [p.name for p in root.iterdir()] == [SECRET_FILE]  # no temporary file left
