"""The chapter route, through the real frame: each stop opens its page set up by its link,
a question is checked, progress survives a refresh, Back and Next move along."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.route.progress import DONE, HINTED, RIGHT, SHOWN, SKIPPED
from core.route.stops import STOPS
from views.train.insides import CELL_TAB

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 180


def frame() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"))


def card(at: AppTest) -> str:
    """The route card's text: its label, what it says, its progress line ('' when none)."""
    cards = [e for e in at.expander if e.label.startswith("Chapter route")]
    if not cards:
        return ""
    parts = [cards[0].label, *(m.value for m in cards[0].markdown)]
    return "\n".join(parts + [bar.proto.text for bar in cards[0].get("progress")])


def ignored(at: AppTest) -> list[str]:
    return [i.value for i in at.info if "could not be used" in i.value]


def test_every_stop_opens_its_page_set_up_by_its_link():
    at = frame().run(timeout=TIMEOUT)
    at.button(key="route_start").click().run(timeout=TIMEOUT)
    for number, stop in enumerate(STOPS, start=1):
        assert not at.exception, (stop.key, [e.value for e in at.exception])
        assert not ignored(at), (stop.key, ignored(at))
        assert f"stop {number} of {len(STOPS)}" in card(at) and stop.title in card(at)
        params = dict(at.query_params)
        for name, value in stop.params.items():  # used: kept, or left out as the default
            assert params.get(name, value) == value, (stop.key, name)
        assert params["route"] == stop.key  # progress by key, not position
        if number < len(STOPS):
            at.button(key="route_next").click().run(timeout=TIMEOUT)
    assert at.query_params["marks"] == ",".join(f"{s.key}:{SKIPPED}" for s in STOPS[:-1])
    at.button(key="route_next").click().run(timeout=TIMEOUT)  # Finish
    assert at.title[0].value == "Torchlab" and "route" not in at.query_params


def test_a_wrong_then_right_answer_is_kept_through_a_refresh():
    at = frame().run(timeout=TIMEOUT)
    at.button(key="route_start").click().run(timeout=TIMEOUT)
    at.button(key="route_next").click().run(timeout=TIMEOUT)  # stop 2: the offset
    answer = at.text_input(key="route_answer_offset")
    answer.set_value("3").run(timeout=TIMEOUT)
    at.button(key="route_check_offset").click().run(timeout=TIMEOUT)
    assert "Not quite" in at.error[0].value
    at.text_input(key="route_answer_offset").set_value("2").run(timeout=TIMEOUT)
    at.button(key="route_check_offset").click().run(timeout=TIMEOUT)
    assert "storage index 2" in at.success[0].value
    marks = at.query_params["marks"]
    assert marks == f"data:{SKIPPED},offset:{HINTED}"  # right, after a wrong try
    refreshed = frame()
    refreshed.query_params.update(dict(at.query_params))
    refreshed.run(timeout=TIMEOUT)
    assert not refreshed.exception
    assert f"stop 2 of {len(STOPS)} · 1 answered" in card(refreshed)
    refreshed.button(key="route_back").click().run(timeout=TIMEOUT)
    assert f"stop 1 of {len(STOPS)}" in card(refreshed)
    assert refreshed.query_params["marks"] == marks


def test_a_malformed_route_in_a_link_is_no_route_and_no_error():
    for route, marks in [("999", "d"), ("-1", ""), ("2" * 50, "<script>"), ("abc", "x" * 5000)]:
        at = frame()
        at.query_params.update({"route": route, "marks": marks})
        at.run(timeout=TIMEOUT)
        assert not at.exception
        assert "Chapter route" not in card(at) and "route" not in at.query_params
    at = frame()
    at.query_params.update({"route": "stride", "marks": "data:d,offset:z,nowhere:s,<b>"})
    at.run(timeout=TIMEOUT)
    assert at.query_params["marks"] == f"data:{DONE}"


def test_a_link_saved_before_stops_had_keys_opens_where_it_was():
    at = frame()
    at.query_params.update({"route": "3", "marks": "ds-"})  # by position: stop 3, two marks
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert at.query_params["route"] == "stride" and f"stop 3 of {len(STOPS)}" in card(at)
    assert at.query_params["marks"] == f"data:{DONE},offset:{SKIPPED}"


def test_the_count_follows_a_right_check_in_the_same_run_and_first_time_is_told_apart():
    """Issue 27 item 8: the card said "0 answered" after a correct Check, until Next."""
    at = frame().run(timeout=TIMEOUT)
    at.button(key="route_start").click().run(timeout=TIMEOUT)
    assert f"stop 1 of {len(STOPS)} · 0 answered" in card(at)
    at.text_input(key="route_answer_data").set_value(f"{60_000 * 28 * 28:,}").run(timeout=TIMEOUT)
    at.button(key="route_check_data").click().run(timeout=TIMEOUT)
    assert at.success and f"stop 1 of {len(STOPS)} · 1 answered" in card(at)
    assert at.query_params["marks"] == f"data:{RIGHT}"  # right the first time
    assert "route_show_data" not in [b.key for b in at.button]  # nothing left to show


def _at_stop(key: str) -> AppTest:
    """The frame at stop `key`, its page opened by the stop's link, nothing answered."""
    at = frame()
    at.query_params.update({"route": key})
    at.run(timeout=TIMEOUT)
    at.button(key="route_again").click().run(timeout=TIMEOUT)  # "Set the page up again"
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_stop_hides_what_gives_its_answer_away_until_it_is_answered_or_shown():
    """Stop 3 asks for points.t().stride(): its page opens on x, not x.t(), and shows x.t()'s
    card once the answer is shown; the mark says the answer was shown, not earned."""
    at = _at_stop("stride")
    assert at.text_input(key="tensors_expr").value == "x"
    assert not any("stride `(1, 2)`" in m.value for m in at.markdown)
    at.button(key="route_show_stride").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["marks"] == f"stride:{SHOWN}"
    assert at.text_input(key="tensors_expr").value == "x.t()"
    assert any("stride `(1, 2)`" in m.value for m in at.markdown)
    assert any("torch prints (1, 2)" in i.value for i in at.info)  # the answer, explained
    at.text_input(key="route_answer_stride").set_value("(1, 2)").run(timeout=TIMEOUT)
    at.button(key="route_check_stride").click().run(timeout=TIMEOUT)
    assert at.query_params["marks"] == f"stride:{SHOWN}"  # a shown answer is not earned


def test_a_page_part_that_gives_the_answer_away_is_hidden_then_shown():
    """Stop 5 asks how many bytes float64 points take: the dtype table's "memory of x" column
    waits, and the page switches to float64 once the question is answered."""
    at = _at_stop("dtype")
    assert at.session_state["tensors_tab"] == "dtypes"  # the stop opens the table's tab
    table = next(df.value for df in at.dataframe if "bytes/element" in df.value.columns)
    assert (
        "memory of x" not in table.columns and at.selectbox(key="tensors_dtype").value == "float32"
    )
    at.text_input(key="route_answer_dtype").set_value("48").run(timeout=TIMEOUT)
    at.button(key="route_check_dtype").click().run(timeout=TIMEOUT)
    assert at.query_params["marks"] == f"dtype:{RIGHT}"
    table = next(df.value for df in at.dataframe if "bytes/element" in df.value.columns)
    assert "memory of x" in table.columns and at.selectbox(key="tensors_dtype").value == "float64"
    assert any("`float64`: 8 B/element × 6 = 48 B" in m.value for m in at.markdown)  # x's card

    at.button(key="route_back").click().run(timeout=TIMEOUT)  # the view stop: its own tab
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["tensors_tab"] == "Views over storage" and not at.dataframe
    assert at.text_input(key="tensors_expr").value == "x"


def test_the_end_of_the_route_points_to_the_stops_skipped_or_missed():
    at = frame()
    at.query_params.update({"route": STOPS[-1].key, "marks": f"data:{RIGHT},offset:m,stride:s"})
    at.run(timeout=TIMEOUT)
    at.button(key="route_next").click().run(timeout=TIMEOUT)  # Finish: back to Home
    assert at.title[0].value == "Torchlab" and "route" not in at.query_params
    summary = next(m.value for m in at.markdown if m.value.startswith("**Your route so far:**"))
    assert "1 right first time" in summary and "1 missed" in summary
    assert "2 skipped" in summary  # stride, and the last stop, left unanswered by Finish
    again = [b for b in at.button if b.key.startswith("route_again_")]
    last = f"route_again_{STOPS[-1].key}"
    assert [b.key for b in again] == ["route_again_offset", "route_again_stride", last]
    again[0].click().run(timeout=TIMEOUT)
    assert at.query_params["route"] == "offset"


def test_a_shared_link_never_carries_the_answer():
    """The sidebar's link leaves the learner's marks home (they would open the stop revealed)
    and puts a revealing setting back to the stop's own."""
    at = _at_stop("stride")
    at.button(key="route_show_stride").click().run(timeout=TIMEOUT)
    assert at.text_input(key="tensors_expr").value == "x.t()"
    link = next(c.value for c in at.sidebar.code if "route=stride" in c.value)
    assert "marks" not in link and "expr=x.t%28%29" not in link and "expr=x&" in link + "&"
    assert "(1, 2)" not in link


def page_words(at: AppTest) -> str:
    """What the page (not the route's card) shows in words: text, tables, metrics."""
    card_words = card(at)
    parts = [str(e.value) for kind in ("markdown", "caption", "subheader", "code", "info")
             for e in getattr(at, kind)]  # fmt: skip
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(p for p in parts if p not in card_words and "Predict, then check" not in p)


# stop -> words that give its answer away on its page (before: absent; shown: present)
GIVEAWAYS = {
    "offset": "storage_offset `2`",
    "stride": "stride `(1, 2)`",
    "view": "stride `(1, 2)`",  # x.t()'s card, whose badge says view or copy
    "dtype": "48 B",
    "linear": "= 7,850",
    "dropout": "does nothing at all",
    "nonlinear": "Linear layers collapse into one",
    "vanishing": "Sigmoid's slope is at most 0.25",
    "cost": "log 10 ≈ 2.3",
    "batches": "one per image",
    "lr": "SGD (α=0.25)",
    "convnet": "596,042",
    "kernel": "`conv1.relu` ·",  # the layer-by-layer maps show where the kernel answers
}


def test_no_stop_shows_its_answer_before_it_is_answered_and_each_shows_it_after():
    """Predict, then check, for real: at every stop the page as opened leaves out what would
    give the answer away; once the answer is shown, it is there."""
    at = frame().run(timeout=TIMEOUT)
    at.button(key="route_start").click().run(timeout=TIMEOUT)
    for stop in STOPS:
        words = page_words(at)
        assert stop.question.explain(stop.question.solve()) not in words, stop.key
        giveaway = GIVEAWAYS.get(stop.key)
        assert not giveaway or giveaway not in words, (stop.key, giveaway)
        at.button(key=f"route_show_{stop.key}").click().run(timeout=TIMEOUT)
        assert not at.exception, (stop.key, [e.value for e in at.exception])
        assert not giveaway or giveaway in page_words(at), (stop.key, giveaway)
        if stop is not STOPS[-1]:
            at.button(key="route_next").click().run(timeout=TIMEOUT)
    assert at.query_params["marks"] == ",".join(f"{s.key}:{SHOWN}" for s in STOPS)


def test_the_inside_stops_open_the_run_their_answer_was_trained_on():
    """Issue 26: the dead-units and update stops answer from the first steps of a run; the
    Train page they open is set to train exactly that run (so its panel shows those numbers)."""
    from core.route import solve

    for key, lr in (("updates", None), ("dead", solve.HIGH_LR)):
        at = _at_stop(key)
        config = solve.inside_config(lr)
        form = {name: at.session_state[f"training_{name}"] for name in (
            "lr", "optimizer", "batch_size", "train_subset", "epochs", "seed")}  # fmt: skip
        assert form == {"lr": config.lr, "optimizer": config.optimizer,
                        "batch_size": config.batch_size, "train_subset": config.train_subset,
                        "epochs": config.epochs, "seed": config.seed}, key  # fmt: skip
        assert at.text_input(key="training_hidden").value == ", ".join(
            map(str, config.model.hidden)
        )


def test_the_kernel_stop_hides_the_maps_until_answered():
    at = _at_stop("kernel")
    assert at.selectbox(key="training_inspect").value == "digit_model"
    assert any("Hidden until you answer" in c.value for c in at.caption)
    assert not any(m.value.startswith("`conv1.relu` ·") for m in at.markdown)
    assert not [c for c in at.get("plotly_chart") if "insides_map" in c.proto.id]
    assert any("conv1: its 16 kernels" in c for img in at.get("image") for c in img.captions)
    at.radio(key="route_answer_kernel").set_value("Vertical edges").run(timeout=TIMEOUT)
    at.button(key="route_check_kernel").click().run(timeout=TIMEOUT)
    assert at.query_params["marks"] == f"kernel:{RIGHT}"
    assert any(m.value.startswith("`conv1.relu` ·") for m in at.markdown)
    at.session_state["training_inspect_tab"] = CELL_TAB  # the kernel's map, one cell by hand
    at.run(timeout=TIMEOUT)
    assert [c for c in at.get("plotly_chart") if "insides_map_conv1_3" in c.proto.id]
