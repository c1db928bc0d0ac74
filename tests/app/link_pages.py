"""What the link tests share: open a page script alone, reopen it on another session's URL,
read the notices."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "views" / name))


def reopened(at: AppTest, name: str) -> AppTest:
    """A fresh session (another browser) opened on `at`'s URL."""
    fresh = page(name)
    fresh.query_params.update(dict(at.query_params))
    return fresh.run(timeout=TIMEOUT)


def notices(at: AppTest) -> str:
    """The page's info boxes, but not where it says how it departs from the chapter (those
    are lessons, shown on every visit: ui.common.departure_ui)."""
    return "\n".join(i.value for i in at.info if i.icon != ":material/menu_book:")


def link_notice_only(at: AppTest) -> str:
    """The links' own message (pages also use st.info for their lessons)."""
    return "\n".join(i.value for i in at.info if "Part of this link" in i.value)
