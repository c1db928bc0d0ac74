"""A browser session holds a few uploads on the server, never its memory: the oldest go first."""

from __future__ import annotations

from core.uploads import (
    MAX_UPLOAD_BYTES_PER_SESSION,
    MAX_UPLOADS_PER_SESSION,
    UploadLedger,
    dropped_message,
)

NEARLY_FIVE_MIB = int(4.9 * 2**20)


def test_forty_direct_uploads_hold_no_more_than_the_cap_and_the_oldest_go_first():
    ledger = UploadLedger()
    dropped = []
    for i in range(40):
        dropped += ledger.admit("tab", f"id{i}", f"scan{i}.png", NEARLY_FIVE_MIB)
        files, size = ledger.held("tab")
        assert files <= MAX_UPLOADS_PER_SESSION and size <= MAX_UPLOAD_BYTES_PER_SESSION
    kept = 40 - len(dropped)
    assert [d.name for d in dropped] == [f"scan{i}.png" for i in range(40 - kept)]
    assert ledger.held("tab") == (kept, kept * NEARLY_FIVE_MIB) and kept >= 2
    assert ledger.held("another tab") == (0, 0)  # one tab's uploads never push out another's


def test_the_count_binds_small_files_and_a_removed_or_resent_file_frees_its_place():
    ledger = UploadLedger()
    for i in range(MAX_UPLOADS_PER_SESSION):
        assert ledger.admit("tab", f"id{i}", f"d{i}.png", 100) == []
    assert [d.file_id for d in ledger.admit("tab", "new", "new.png", 100)] == ["id0"]
    ledger.forget("tab", "id1")  # the page removed it (its ×)
    assert ledger.admit("tab", "newer", "newer.png", 100) == []
    assert ledger.admit("tab", "newer", "newer.png", 100) == []  # sent again: still one file
    assert ledger.held("tab") == (MAX_UPLOADS_PER_SESSION, 300)


def test_the_page_learns_once_which_uploads_were_dropped():
    ledger = UploadLedger(max_files=1)
    ledger.admit("tab", "a", "digit.png", 10)
    ledger.admit("tab", "b", "other.png", 10)
    (gone,) = ledger.take_dropped("tab")
    assert gone.name == "digit.png" and ledger.take_dropped("tab") == []
    message = dropped_message([gone])
    assert "**digit.png** was dropped" in message
    assert f"at most {MAX_UPLOADS_PER_SESSION} uploaded files" in message
    ledger.forget_session("tab")
    assert ledger.held("tab") == (0, 0)
