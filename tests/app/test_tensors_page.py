"""AppTest: the tensor page alone (no sidebar), driven through its widgets and tabs."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "views" / "tensors.py")


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def opened(tab: str) -> AppTest:
    """The page with `tab` open, as a click on it would leave it."""
    at = AppTest.from_file(PAGE)
    at.session_state["tensors_tab"] = tab
    return at.run(timeout=60)


def charts(at: AppTest) -> list[str]:
    return [c.key for c in at.get("plotly_chart")]


def test_only_the_open_tab_is_drawn_and_a_link_opens_the_tab_it_names():
    at = AppTest.from_file(PAGE).run(timeout=60)
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Views over storage", "dtypes", "The chapter's lines"]
    # the views: x's cards and pictures, but neither the dtype table nor the chapter's lines
    assert "(the base tensor)" in markdown(at)
    assert charts(at) == ["tensors_strip", "tensors_grid"]
    assert not at.dataframe and not at.text_area
    assert dict(at.query_params) == {}  # the default tab needs no parameter

    at.session_state["tensors_tab"] = "dtypes"
    at.run(timeout=60)
    assert not at.exception and not at.error
    assert at.dataframe[0].value["dtype"].iloc[0] == "▶ float32"
    assert not charts(at) and not at.text_area and not at.text_input
    assert dict(at.query_params) == {"tab": "dtypes"}
    # x's dtype is set here too: the table's mark and x's card follow it
    at.selectbox(key="tensors_dtype").set_value("float64").run(timeout=60)
    assert at.dataframe[0].value["dtype"].iloc[1] == "▶ float64"
    assert "`float64`: 8 B/element × 12 = 96 B" in markdown(at)

    linked = AppTest.from_file(PAGE)  # another browser, opened on a link to the lines
    linked.query_params["tab"] = "The chapter's lines"
    linked.run(timeout=60)
    assert not linked.exception
    assert not [i for i in linked.info if "Part of this link" in i.value]  # nothing ignored
    assert linked.text_area(key="tensors_program").value.startswith("points = torch.tensor")
    assert charts(linked) == ["tensors_program_strip", "tensors_program_grid"]
    assert not linked.dataframe and "(the base tensor)" not in markdown(linked)


def test_typing_a_chain_shows_a_card_per_step_with_torchs_numbers():
    at = AppTest.from_file(PAGE).run(timeout=60)
    assert not at.exception
    assert at.title[0].value.startswith("Tensors")
    at.text_input(key="tensors_expr").set_value("x[1:, ::2].t()").run(timeout=60)
    assert not at.exception and not at.error
    text = markdown(at)
    assert "size `(2, 2)`  \nstride `(4, 2)`  \nstorage_offset `4`" in text  # v1 = x[1:, ::2]
    assert "size `(2, 2)`  \nstride `(2, 4)`  \nstorage_offset `4`" in text  # v2 = v1.t()
    assert "offset + Σ iₖ·strideₖ = 4 + 1·2 + 1·4 = 10" in [c.value for c in at.code]
    assert charts(at) == ["tensors_strip", "tensors_grid"]


def test_bad_input_is_a_message_and_the_page_keeps_working():
    at = AppTest.from_file(PAGE).run(timeout=60)
    at.text_input(key="tensors_expr").set_value("x.__class__").run(timeout=60)
    assert not at.exception
    assert "underscore" in at.error[0].value
    assert "(the base tensor)" in markdown(at)  # x is still shown and drawn
    at.text_input(key="tensors_expr").set_value("x.t().view(-1)").run(timeout=60)
    assert "reshape" in at.error[0].value
    at.text_input(key="tensors_shape").set_value("3, x").run(timeout=60)
    assert not at.exception and "positive whole number" in at.error[0].value


def test_the_seed_example_and_writing_through_views():
    at = AppTest.from_file(PAGE).run(timeout=60)
    at.button(key="tensors_example_points").click().run(timeout=60)
    assert not at.exception and not at.error
    text = markdown(at)
    assert "size `(3, 2)`  \nstride `(2, 1)`  \nstorage_offset `0`" in text
    assert "size `(2,)`  \nstride `(1,)`  \nstorage_offset `2`" in text  # points[1]
    assert at.session_state["tensors_values"] == "[[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]]"
    made = "x = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]], dtype=torch.float32)"
    assert made not in "\n".join(c.value for c in at.code)  # folded: the code is not sent
    at.session_state["show_code"] = True  # the sidebar's "Show the code" opens every one
    at.run(timeout=60)
    assert made in "\n".join(c.value for c in at.code)

    at.button(key="tensors_example_expand").click().run(timeout=60)
    at.button(key="tensors_write").click().run(timeout=60)  # v2[1, 1] = 100.0
    assert not at.exception and not at.error
    text = markdown(at)
    assert "**x** (the base tensor): 1 element(s) changed: x[1]: 1.0 → 100.0" in text
    assert "**v2** (view of x): 4 element(s) changed" in text  # every repeat of that cell
    at.radio(key="tensors_write_mode").set_value("add").run(timeout=60)
    at.button(key="tensors_write").click().run(timeout=60)
    assert "single memory location" in at.error[0].value


def test_the_server_wide_budget_refuses_a_chain_while_others_hold_it_and_is_given_back(
    monkeypatch,
):
    from core.tensors import budget

    heavy = "x.repeat(1000, 833)" + ".flip(0)" * 11  # the heaviest chain the limits allow
    heavy_bytes = 12 * (3 * 4) * (1000 * 833) * 4  # twelve float32 copies of the repeated x
    others = [budget.Reservation() for _ in range(5)]  # five tabs drawing it right now
    for other in others:
        other.add(heavy_bytes)
    try:
        at = AppTest.from_file(PAGE).run(timeout=60)
        at.text_input(key="tensors_expr").set_value(heavy).run(timeout=120)
        assert not at.exception
        assert [e.value for e in at.error if "The server is busy" in e.value]
        assert len(at.error) == 1  # the chain is refused; x itself still fits
        assert "(the base tensor)" in markdown(at)  # the page still shows x
    finally:
        for other in others:
            other.release()
    assert budget.held_bytes() == 0  # the refused rerun gave back what it had taken
    at.run(timeout=120)
    assert not at.exception and not at.error
    assert budget.held_bytes() == 0  # and so did the one that drew the heavy chain


def test_the_chapter_lines_print_torchs_values_with_cards_and_pictures():
    import torch

    at = opened("The chapter's lines")
    session = next(c.value for c in at.code if c.value.startswith(">>> points = torch.tensor"))
    # what torch says, computed here
    points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])
    for line, value in [
        ("points.size()", points.size()),
        ("points.storage_offset()", points.storage_offset()),
        ("second.storage_offset()", points[1].storage_offset()),
        ("points.stride()", points.stride()),
        ("float(points[0, 0])", float(points[0, 0])),
        ("points.t().is_contiguous()", points.t().is_contiguous()),
    ]:
        assert f">>> {line}\n{value!r}\n" in session, line
    points[1][0] = 10.0  # the chapter's write through `second`
    assert session.endswith(f">>> points\n{points!r}")
    assert "shares the storage of points" in markdown(at)  # second, the view
    assert charts(at) == ["tensors_program_strip", "tensors_program_grid"]

    at.text_area(key="tensors_program").set_value("p = torch.tensor([1.0, 2.0])\nos.system('x')")
    at.run(timeout=60)
    assert not at.exception
    assert any("Line 2" in e.value and "`os` was never assigned" in e.value for e in at.error)
    assert any(c.value == ">>> p = torch.tensor([1.0, 2.0])" for c in at.code)


def test_the_picture_follows_a_name_bound_again_to_a_new_tensor():
    """`points` made 1-D, then bound again as 3 × 2: the picture draws the 3 × 2 tensor the
    name now holds, not the 1-D one, and the picker tells the two apart by line."""
    import json

    at = opened("The chapter's lines")
    one_d = "points = torch.tensor([1.0, 4.0, 2.0, 1.0, 3.0, 5.0])"
    at.text_area(key="tensors_program").set_value(one_d).run(timeout=60)
    rebound = f"{one_d}\npoints = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])\npoints"
    at.text_area(key="tensors_program").set_value(rebound).run(timeout=60)
    assert not at.exception and not at.error
    grid = next(c for c in at.get("plotly_chart") if c.key == "tensors_program_grid")
    heatmap = next(t for t in json.loads(grid.proto.spec)["data"] if t.get("z"))
    assert len(heatmap["z"]) == 3 and len(heatmap["z"][0]) == 2  # 3 rows of 2, as torch has it
    pick = at.selectbox(key="tensors_program_pick")
    assert pick.options == ["points (line 1)", "points (line 2)"]
    assert pick.value == "points (line 2)"
