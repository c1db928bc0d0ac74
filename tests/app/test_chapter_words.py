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


def test_home_no_longer_says_the_cost_averages_the_losses():
    """The chapter's cost is their sum, PyTorch's default their mean: Home says neither as the
    definition (the Loss page says both, once)."""
    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=TIMEOUT)  # Home, in its frame
    text = page_text(at)
    assert "cost averages" not in text and "the cost gathers a batch's losses" in text


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


def departures_on(at: AppTest) -> list[str]:
    return [i.value for i in at.info if i.icon == ":material/menu_book:"]


def test_each_page_says_its_departure_from_the_chapter_where_it_matters():
    """The chapter's cost is a sum, its learning rates lie in (0, 1), its kernels are odd and
    its channels grow, its dense dropout is Dropout2d, its prints are older PyTorch's: each is
    said once, on the page and tab that shows it."""
    from core.engine.learning.chapter import DEPARTURES

    def shown(page: str, **state) -> list[str]:
        at = AppTest.from_file(str(ROOT / "views" / page))
        for key, value in state.items():
            at.session_state[key] = value
        at.run(timeout=TIMEOUT)
        assert not at.exception, (page, [e.value for e in at.exception])
        return departures_on(at)

    # (the Loss page draws all its tabs: one box in tab 1, one in tab 3)
    assert shown("backprop.py") == [DEPARTURES["cost_sum"], DEPARTURES["lr_range"]]
    conv = shown("layers/page.py", layers_tab="Convolution")
    assert conv == [DEPARTURES["odd_kernel"], DEPARTURES["out_channels"]]
    assert shown("layers/page.py", layers_tab="Dropout") == [DEPARTURES["dropout2d"]]
    assert DEPARTURES["old_prints"] in shown("tensors.py", tensors_tab="The chapter's lines")


def test_every_bounded_number_box_of_the_experiments_page_says_its_range(runs_dir):
    """Streamlit refuses a number outside a box's range with a red mark and "Press Enter to
    apply" only: the label says what the box takes."""
    import re

    for tab in ("Data size", "Batch size", "SGD vs batch GD", "Learning rate", "Data pipeline"):
        at = AppTest.from_file(str(ROOT / "views" / "experiments" / "page.py"))
        at.session_state["experiments_tab"] = tab
        at.run(timeout=TIMEOUT)
        for box in at.number_input:
            low, high = box.proto.min, box.proto.max
            if box.proto.has_min and box.proto.has_max and "Seed" not in box.label:
                said = re.search(r"\(([0-9.,e+-]+) to ([0-9.,e+-]+)\)$", box.label)
                assert said, (tab, box.label)
                assert float(said[1].replace(",", "")) == low, (tab, box.label)
                assert float(said[2].replace(",", "")) == high, (tab, box.label)
