"""Loss and backpropagation, step by step: a real batch's cost, the chain rule on a tiny
network, one update by hand, and what autograd keeps track of."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import links
from core.backprop.bookkeeping import bookkeeping, grad_fn_chain, tiny_net_chain
from core.backprop.figures import descent_figure, graph_figure, loss_figure, lr_figure
from core.backprop.loss import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    MAX_SEED,
    SOURCES,
    TEST_SET_SIZE,
    demo_model,
    logits,
    loss_report,
    mini_batch,
    pretrained_available,
)
from core.backprop.tinynet import (
    DEFAULT_PARAMS,
    DEFAULT_X,
    DEFAULT_Y,
    HAND_RULES,
    LOSSES,
    MAX_TEXT_CHARS,
    autograd_gradients,
    backward,
    forward,
    forward_lines,
    gradient_rows,
    make_net,
    random_params,
    torch_forward,
)
from core.backprop.update import (
    GOOD_SHARE,
    LR_CHOICES,
    NUM_STEPS,
    VERDICT_NAMES,
    descent,
    judge_rate,
    judge_rates,
    lr_line,
    rate_sentence,
    references,
    sgd_update,
)
from ui.common import code_ui, departure_ui, device_name, errors_ui
from ui.links import linked_page
from ui.route import hidden

SOURCE_LABELS = {"pretrained": "Pretrained digit model", "fresh": "Freshly initialised"}
VERDICT_BOXES = {"too small": st.warning, "good": st.success, "too large": st.error,
                 "no gradient": st.info}  # fmt: skip

TABS = [
    "1 · Loss and cost",
    "2 · Backward, node by node",
    "3 · One update by hand",
    "4 · Autograd's bookkeeping",
]
# every net has the same nodes, so the same number of backward steps
BACKWARD_STEPS = len(
    backward(make_net(DEFAULT_X, DEFAULT_Y, DEFAULT_PARAMS, "Sigmoid", "squared error"))
)
LINK = [
    links.choice("tab", "backprop_tab", TABS[0], TABS),
    links.choice("model", "backprop_source", "pretrained", SOURCES),
    links.integer("seed", "backprop_seed", 0, 0, MAX_SEED),
    links.integer("start", "backprop_start", 0, 0, TEST_SET_SIZE - 1),
    links.integer("batch", "backprop_batch", DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE),
    links.choice("act", "backprop_activation", "Sigmoid", list(HAND_RULES)),
    links.choice("loss", "backprop_loss", "squared error", list(LOSSES)),
    links.text("x", "backprop_x", DEFAULT_X, most=MAX_TEXT_CHARS),
    links.text("y", "backprop_y", DEFAULT_Y, most=MAX_TEXT_CHARS),
    links.text("params", "backprop_params", DEFAULT_PARAMS, most=MAX_TEXT_CHARS),
    links.integer("step", "backprop_step", 0, 0, BACKWARD_STEPS),
    links.choice("lr", "backprop_lr", 0.1, LR_CHOICES),
    links.text("wbxy", "backprop_expr", "0.5, 0.1, 2, 1", most=MAX_TEXT_CHARS),
]
linked_page("backprop", LINK)
st.session_state.setdefault("backprop_param_seed", 0)  # the Random parameters button's draws


def _random_params() -> None:
    st.session_state["backprop_param_seed"] += 1
    st.session_state["backprop_params"] = random_params(st.session_state["backprop_param_seed"])
    st.session_state["backprop_step"] = 0


def _reset_net() -> None:
    st.session_state["backprop_x"] = DEFAULT_X
    st.session_state["backprop_y"] = DEFAULT_Y
    st.session_state["backprop_params"] = DEFAULT_PARAMS
    st.session_state["backprop_step"] = 0


def _restart_walk() -> None:
    st.session_state["backprop_step"] = 0


def _next_step(last: int) -> None:
    st.session_state["backprop_step"] = min(st.session_state["backprop_step"] + 1, last)


st.title("Loss and backpropagation")
st.markdown(
    "Training needs one number that says how wrong the model is. Each input gets a **loss**; "
    "the losses of a mini-batch are gathered into the **cost**; `backward()` sends the cost's "
    "gradient back through every operation with the **chain rule**; and the optimizer moves "
    "each parameter a step against its gradient, scaled by the **learning rate**. The four "
    "tabs follow that path."
)
loss_tab, graph_tab, update_tab, autograd_tab = st.tabs(TABS, key="backprop_tab", on_change="rerun")

with loss_tab:
    left, right = st.columns([1, 2])
    with left:
        st.radio(
            "Model",
            SOURCES,
            key="backprop_source",
            format_func=SOURCE_LABELS.__getitem__,
            horizontal=True,
        )
        st.number_input(
            "Seed of the fresh model",
            0,
            MAX_SEED,
            key="backprop_seed",
            # only a fresh model has a seed (the page falls back to one if the file is missing)
            disabled=st.session_state["backprop_source"] == "pretrained" and pretrained_available(),
        )
        batch_size = st.slider("Batch size B", 1, MAX_BATCH_SIZE, key="backprop_batch")
        start = st.number_input(
            "First test image", 0, TEST_SET_SIZE - 1, key="backprop_start",
            help="The mini-batch is test images start, start+1, …, start+B−1.",
        )  # fmt: skip
    with right:
        st.markdown(
            "The model turns each image into ten scores **z**; softmax makes them probabilities. "
            "The **loss** of one image is the negative log-likelihood of its true digit, "
            "**−log p(y)**: near 0 when the model is sure and right, large when it is sure and "
            "wrong. The **cost** gathers the batch: `reduction='sum'` adds the losses, "
            "`reduction='mean'` divides the sum by B so the gradient does not grow with the "
            "batch. Try the fresh model"
            + ("" if hidden("fresh_loss") else " (every loss ≈ log 10 ≈ 2.3: it guesses)")
            + " against the pretrained one, and look for the red bars: the images it gets wrong."
        )
        departure_ui("cost_sum")
    with errors_ui():
        demo = demo_model(
            st.session_state["backprop_source"],
            int(st.session_state["backprop_seed"]),
            device_name(),
        )
        (st.info if demo.source != st.session_state["backprop_source"] else st.caption)(demo.note)
        X, y = mini_batch(int(start), batch_size, demo.normalization, device_name())
        report = loss_report(demo.model, X, y, demo.normalization)
        st.plotly_chart(loss_figure(report), key="backprop_loss_chart")
        a, b, c, d = st.columns(4)
        # significant digits: a sure model's costs are ~1e-4, and 4 decimals broke sum = mean × B
        a.metric("cost, reduction='sum'", f"{report.cost_sum:.4g}")
        b.metric("cost, reduction='mean'", f"{report.cost_mean:.4g}")
        c.metric(f"mean × B (B = {len(report.losses)})", f"{report.mean_times_batch:.4g}")
        d.metric("max |nll − cross_entropy|", f"{report.max_difference:.1e}")
        st.markdown(
            "`F.cross_entropy(z, y)` is `F.nll_loss(F.log_softmax(z, dim=1), y)` in one call: the two "
            "columns below are the same numbers. The sum is the mean times B."
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "true digit y": report.y,
                    "predicted": report.predicted,
                    "p(true digit)": report.p_true,
                    "nll_loss(log_softmax(z), y)": report.losses,
                    "cross_entropy(z, y)": report.cross_entropy,
                }
            ),
            # 4 decimals showed p = 1 and losses of 0.0008 for 0.00081: keep significant digits
            column_config={
                name: st.column_config.NumberColumn(format="%.4g")
                for name in ("p(true digit)", "nll_loss(log_softmax(z), y)", "cross_entropy(z, y)")
            },
            key="backprop_loss_table",
        )
    code_ui(loss_report, logits, mini_batch)

with graph_tab:
    left, right = st.columns([1, 2])
    with left:
        # A different net is a different backward pass: its walk starts again at step 0.
        restart = {"on_change": _restart_walk}
        st.selectbox("Hidden activation", list(HAND_RULES), key="backprop_activation", **restart)
        st.radio("Loss", list(LOSSES), key="backprop_loss", horizontal=True, **restart)
        st.text_input("Inputs x₁, x₂", key="backprop_x", **restart)
        st.text_input("Target y", key="backprop_y", **restart)
        st.text_input(
            "Parameters w₁₁, w₁₂, w₂₁, w₂₂, b₁, b₂, v₁, v₂, c", key="backprop_params", **restart
        )
        b1, b2 = st.columns(2)
        b1.button("Random parameters", on_click=_random_params, key="backprop_random")
        b2.button("Reset", on_click=_reset_net, key="backprop_reset")
    with right:
        act, loss_fn = (
            HAND_RULES[st.session_state["backprop_activation"]],
            LOSSES[st.session_state["backprop_loss"]],
        )
        st.markdown(
            "A network small enough to do by hand: two inputs, two hidden units, one output.\n\n"
            f"- hidden: zⱼ = wⱼ₁·x₁ + wⱼ₂·x₂ + bⱼ, then hⱼ = {act.formula}\n"
            "- output: ŷ = v₁·h₁ + v₂·h₂ + c\n"
            f"- loss: L = {loss_fn.formula}\n\n"
            "**Forward** computes every node left to right. **Backward** starts from ∂L/∂L = 1 "
            "and walks right to left: each node's gradient is the gradient already known at the "
            "node it feeds, times the *local* derivative of that one operation (the chain rule). "
            "A node that feeds two others (x₁ feeds z₁ and z₂) adds the two products. Press "
            "**Next backward step** and watch the red numbers appear; each is checked against "
            "what `loss.backward()` puts in `.grad`."
        )
    net = None
    with errors_ui():
        net = make_net(
            st.session_state["backprop_x"], st.session_state["backprop_y"], st.session_state["backprop_params"],
            st.session_state["backprop_activation"], st.session_state["backprop_loss"],
        )  # fmt: skip
    if net is not None:
        values = forward(net)
        steps = backward(net, values)
        auto = autograd_gradients(net)
        st.markdown("**Forward pass**")
        st.dataframe(
            pd.DataFrame(forward_lines(net, values), columns=["node", "formula", "with the numbers"]),
            hide_index=True, key="backprop_forward_table",
        )  # fmt: skip
        s1, s2 = st.columns([4, 1])
        shown = s1.slider("Backward steps shown", 0, len(steps), key="backprop_step")
        s2.button(
            "Next backward step", on_click=_next_step, args=(len(steps),), key="backprop_next"
        )
        st.plotly_chart(graph_figure(values, steps, shown, auto), key="backprop_graph")
        if shown:
            step = steps[shown - 1]
            st.markdown(
                f"**Step {shown} of {len(steps)}:** {step.chain()}  \n"
                f"= {step.numbers()}  \n`loss.backward()` put **{auto[step.node]:.6g}** there."
            )
            if step.node.startswith("z"):
                st.caption(f"{st.session_state['backprop_activation']}′(z) = {act.derivative}")
        else:
            st.caption("Forward values only. Move the slider or press Next backward step.")
        rows = gradient_rows(steps[:shown], auto)  # revealed as the backward pass reaches them
        if not all(r["agree"] for r in gradient_rows(steps, auto)):
            st.error("Some gradients by hand disagree with autograd: see the table.")
        elif shown == len(steps):
            st.success(f"All {len(rows)} gradients by hand agree with `loss.backward()` (float64).")
        elif shown:
            st.success(
                f"The {shown} gradients so far agree with `loss.backward()` (float64); "
                f"{len(steps) - shown} to go."
            )
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, key="backprop_grad_table")
        else:
            st.caption("Each gradient joins a table here when the backward pass reaches it.")
    code_ui(forward, backward, torch_forward, autograd_gradients)

with update_tab:
    left, right = st.columns([1, 2])
    with left:
        lr = st.select_slider("Learning rate α", LR_CHOICES, key="backprop_lr")
        departure_ui("lr_range")
    with right:
        st.markdown(
            "Gradient descent moves every parameter a little against its gradient: "
            "**β ← β − α·∂L/∂β**. The table does it by hand and next to it "
            "`torch.optim.SGD(params, lr=α).step()`: the same numbers. Below, the verdict on "
            f"your α from {NUM_STEPS} such steps, the loss along the first step's direction "
            "(the star is where your α lands) and the loss over all the steps. Too small "
            "barely moves; too large jumps over the valley."
        )
    if net is None:
        st.warning("Fix the network's numbers in tab 2 first.")
    else:
        with errors_ui():
            update = sgd_update(net, lr)
            st.dataframe(pd.DataFrame(update.rows()), hide_index=True, key="backprop_update_table")
            m1, m2 = st.columns(2)
            m1.metric("loss before the step", f"{update.loss_before:.6g}")
            m2.metric(
                "loss after the step",
                f"{update.loss_after:.6g}",
                f"{update.loss_change:.3g}",
                delta_color="inverse",
            )
            rates = judge_rates(net)
            rate = rates.get(lr) or judge_rate(net, lr)
            VERDICT_BOXES[rate.verdict](rate_sentence(rate, rates))
            refs = references(rates)
            st.plotly_chart(lr_figure(lr_line(net, lr, refs)), key="backprop_lr_chart")
            named = ", ".join(f"{k} α = {a:g}" for k, a in refs.items())
            missing = [k for k in VERDICT_NAMES if k not in refs]
            st.markdown(
                f"Every α on the slider, {NUM_STEPS} steps each, judged the same way: good if "
                f"the loss falls under {GOOD_SHARE:.0%} of where it started, too large if it "
                "ends higher or overflows, too small otherwise. Both plots mark the same "
                f"reference rates: {named}."
                + (f" No α on the slider is {' or '.join(missing)} here." if missing else "")
            )
            curves = {f"{k}: α = {a:g}": rates[a].losses for k, a in refs.items()}
            curves[f"your α = {lr:g}"] = rate.losses
            st.plotly_chart(descent_figure(curves), key="backprop_descent_chart")
        code_ui(sgd_update, judge_rate, descent, lr_line)

with autograd_tab:
    left, right = st.columns([1, 2])
    with left:
        st.text_input("w, b, x, y", key="backprop_expr", help="Four numbers, separated by commas.")
    with right:
        st.markdown(
            "Autograd records every operation on a tensor with `requires_grad=True` and keeps a "
            "`grad_fn` on each result: the chain `backward()` walks. Leaves you made yourself "
            "(`w`, `b`) get a `.grad`; data (`x`, `y`) does not need one. Under "
            "`torch.no_grad()` nothing is recorded. **`.grad` adds up**: a second `backward()` "
            "doubles it. That is why every training loop calls `optimizer.zero_grad()` before "
            "`loss.backward()`; otherwise each batch's gradient piles onto the last ones."
        )
    with errors_ui():
        bk = bookkeeping(st.session_state["backprop_expr"])
        st.dataframe(pd.DataFrame(bk.rows), hide_index=True, key="backprop_tensors")
        st.markdown(
            "**`L.grad_fn` and what it points to** (`next_functions`), the path `backward()` takes:"
        )
        st.code("\n".join(bk.chain), language=None)
        st.markdown(
            f"By hand: ∂L/∂w = 2·(ŷ − y)·x = **{bk.dL_dw:.6g}**, ∂L/∂b = 2·(ŷ − y) = **{bk.dL_db:.6g}**."
        )

        def grad(g: float | None) -> str:  # as torch prints .grad: None, not a table's NaN
            return "None" if g is None else f"{g:g}"

        events = pd.DataFrame(
            {"after running": e.code, "w.grad": grad(e.w_grad), "b.grad": grad(e.b_grad),
             "x.grad": grad(e.x_grad)}
            for e in bk.events
        )  # fmt: skip
        st.dataframe(events, hide_index=True, key="backprop_events")
        st.caption(
            "None means no .grad at all: zero_grad() sets it to None (set_to_none=True) rather than to 0."
        )
    if net is not None:
        st.markdown("**The tiny network's loss, as autograd recorded it** (tab 2's network):")
        st.code("\n".join(tiny_net_chain(net)), language=None)
    code_ui(bookkeeping, grad_fn_chain)
