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


def test_the_batch_size_tab_asks_which_batch_learns_most_instead_of_claiming_it(runs_dir):
    """Issue 27: "per sample, batch 1 learns fastest" was claimed before any run, and a set
    then showed batch 8 ahead on the same samples. The tab asks; the summary answers."""
    at = AppTest.from_file(str(ROOT / "views" / "experiments" / "page.py"))
    at.session_state["experiments_tab"] = "Batch size"
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    text = page_text(at)
    # and no promise a busy machine breaks: each set's own estimate says how long, measured
    assert "about a minute" not in text and "how long it will take on this machine" in text
    assert "learns fastest" not in text
    assert "which batch size learns most from the same images?" in text
