"""The Train page in AppTest with one of its tabs open: only the open tab's part runs."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from views.train import INSPECT_SECTION, SECTION_KEY, SECTIONS

TRAIN_PAGE = str(Path(__file__).resolve().parents[2] / "views" / "train" / "page.py")
COMPARE_SECTION = SECTIONS[1]


def open_section(at: AppTest, section: str, timeout: float = 120) -> AppTest:
    """Choose the tab `section` (as a click on it does) and run the page."""
    at.session_state[SECTION_KEY] = section
    return at.run(timeout=timeout)


def train_page(section: str = SECTIONS[0], timeout: float = 120) -> AppTest:
    """A fresh Train page, run once with the tab `section` open."""
    return open_section(AppTest.from_file(TRAIN_PAGE), section, timeout)


__all__ = ["COMPARE_SECTION", "INSPECT_SECTION", "TRAIN_PAGE", "open_section", "train_page"]
