"""What the pages say agrees with the chapter, and says where the app departs from it (issue 27).

Each test reads the page's own sentences through AppTest, as a learner reads them."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def page_text(at: AppTest) -> str:
    """Every sentence the page wrote: markdown, captions, alerts, subheaders."""
    kinds = ("markdown", "caption", "info", "warning", "success", "error", "subheader", "header")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_home_names_the_chapters_cost_as_the_sum_and_pytorchs_as_the_mean():
    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=TIMEOUT)  # Home, in its frame
    text = page_text(at)
    assert "cost averages" not in text
    assert "adds them up" in text and "PyTorch averages them by default" in text
