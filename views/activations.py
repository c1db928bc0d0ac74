"""Activation functions lab: the functions and their slopes, why a network needs them,
vanishing gradients, and softmax."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import links
from core.activations.curves import (
    MAX_ABS_X,
    MAX_CURVES,
    curves,
    evaluate,
    facts_rows,
)
from core.activations.figures import chain_figure, curves_figure, softmax_figure
from core.activations.nonlinearity import (
    GRID_POINTS,
    MAX_FIT_STEPS,
    MAX_HIDDEN_LAYERS,
    MAX_HIDDEN_UNITS,
    MAX_LINEAR_LAYERS,
    TARGETS,
    FitConfig,
    FitResult,
    collapse,
    fit,
    linear_stack,
    mlp,
)
from core.activations.nonlinearity_figures import collapse_figure, fit_figure, loss_figure
from core.activations.softmax import (
    DEFAULT_LOGITS,
    MAX_ABS_SHIFT,
    MAX_LOGITS,
    MAX_TEXT,
    overflow_demo,
    parse_logits,
    shift_check,
    softmax,
)
from core.activations.vanishing import (
    DEFAULT_KEYS,
    MAX_ABS_INPUT,
    MAX_ABS_WEIGHT,
    MAX_DEPTH,
    chain_gradients,
)
from core.engine.learning.activations.registry import (
    ACTIVATIONS,
    DIFFERENTIABLE,
    ELEMENTWISE,
    get_activation,
)
from ui.common import code_ui, device_name, errors_ui
from ui.links import linked_page

TABS = ["Functions", "Why non-linearity", "Vanishing gradients", "Softmax"]
NAMES = {k: spec.name for k, spec in ACTIVATIONS.items()}
NO_ACTIVATION = "none"
LRS = [0.001, 0.003, 0.01, 0.03, 0.1]
STEPS = list(range(50, MAX_FIT_STEPS + 1, 50))
MAX_SEED = 10_000
COMPARE = ["sigmoid", "tanh"]  # compared with the default ReLU
CHAINABLE = list(DIFFERENTIABLE)
LARGE_LOGITS = "1000, 999, 990, -5"
TEMPERATURES = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0]

PARAMS = [(key, p) for key in ELEMENTWISE for p in ACTIVATIONS[key].params]
LINK = [
    links.choice("tab", "activations_tab", TABS[0], TABS),
    links.choice("fn", "activations_fn", "relu", ELEMENTWISE),
    links.choices("compare", "activations_compare", COMPARE, ELEMENTWISE, MAX_CURVES - 1),
    *(
        links.number(f"{key}_{p.name}", f"activations_p_{key}_{p.name}", p.default, p.low, p.high)
        for key, p in PARAMS
    ),
    links.number("x_from", "activations_x_min", -6.0, -MAX_ABS_X, MAX_ABS_X),
    links.number("x_to", "activations_x_max", 6.0, -MAX_ABS_X, MAX_ABS_X),
    links.flag("shade", "activations_shade", True),
    links.integer("linear", "activations_layers", 3, 1, MAX_LINEAR_LAYERS),
    links.choice("between", "activations_between", NO_ACTIVATION, [NO_ACTIVATION, *ELEMENTWISE]),
    links.integer("grid_seed", "activations_collapse_seed", 0, 0, MAX_SEED),
    links.choice("target", "activations_target", "wave", list(TARGETS)),
    links.choice("fit_act", "activations_fit_act", "tanh", list(DIFFERENTIABLE)),
    links.integer("units", "activations_units", 32, 1, MAX_HIDDEN_UNITS),
    links.integer("hidden", "activations_hidden", 2, 1, MAX_HIDDEN_LAYERS),
    links.choice("steps", "activations_steps", 300, STEPS),
    links.choice("lr", "activations_lr", 0.01, LRS),
    links.integer("fit_seed", "activations_fit_seed", 0, 0, MAX_SEED),
    links.choices("chain", "activations_chain", DEFAULT_KEYS, CHAINABLE, len(CHAINABLE)),
    links.integer("depth", "activations_depth", 20, 1, MAX_DEPTH),
    links.number("w", "activations_weight", 1.0, -MAX_ABS_WEIGHT, MAX_ABS_WEIGHT),
    links.number("x0", "activations_x0", 0.5, -MAX_ABS_INPUT, MAX_ABS_INPUT),
    links.text("logits", "activations_logits", DEFAULT_LOGITS, most=MAX_TEXT),
    links.choice("temp", "activations_temperature", 1.0, TEMPERATURES),
    links.number("shift", "activations_shift", 0.0, -MAX_ABS_SHIFT, MAX_ABS_SHIFT),
    links.integer("true_class", "activations_target_class", 0, 0, MAX_LOGITS - 1),
]
linked_page("activations", LINK)
if (fn := st.session_state["activations_fn"]) in st.session_state["activations_compare"]:
    st.session_state["activations_compare"] = [  # a link may pick both: compare the others
        k for k in st.session_state["activations_compare"] if k != fn
    ]
    linked_page("activations", LINK)  # and the URL says so


@st.cache_data(max_entries=64, show_spinner="Training two small networks…")
def _fit(config: FitConfig, device: str) -> FitResult:
    """Each setting is trained once; moving a slider back shows the cached result at once."""
    return fit(config, device)


def params_ui(key: str) -> dict[str, float]:
    """One slider per parameter of `key`, remembered per function."""
    values = {}
    for p in ACTIVATIONS[key].params:
        widget = f"activations_p_{key}_{p.name}"
        values[p.name] = st.slider(
            f"{NAMES[key]}: {p.name} (${p.symbol}$)", p.low, p.high, step=p.step, key=widget
        )
    return values


def set_logits(text: str) -> None:
    st.session_state["activations_logits"] = text
    st.session_state["activations_shift"] = 0.0


st.title("Activation functions")
st.markdown(
    "A neuron computes a weighted sum and then passes it through an **activation function**. "
    "That small bend is what lets a network be more than one big matrix. Explore the usual "
    "functions and their slopes, see why the bend matters, why slopes below 1 starve deep "
    "networks of gradient, and how softmax turns scores into probabilities."
)
tab_functions, tab_why, tab_depth, tab_softmax = st.tabs(
    TABS, key="activations_tab", on_change="rerun"
)

if tab_functions.open:
    with tab_functions:
        left, right = st.columns([1, 2.4], gap="large")
        with left:
            st.markdown(
                "Pick a function and drag its parameters: both plots redraw at once. The right "
                "plot is the slope f′(x) that backpropagation multiplies by; shaded regions are "
                "where it is almost 0, so almost nothing is learned there."
            )
            key = st.selectbox("Function", ELEMENTWISE, format_func=NAMES.get, key="activations_fn")
            compare = st.multiselect(
                "Compare with",
                [k for k in ELEMENTWISE if k != key],
                format_func=NAMES.get,
                key="activations_compare",
                max_selections=MAX_CURVES - 1,
                wrap=True,  # in a column the chips sat in one row: only the first 3 showed
            )
            params = {key: params_ui(key)}
            with st.expander("Parameters of the compared functions"):
                for other in compare:
                    params[other] = params_ui(other)
                if not any(ACTIVATIONS[k].params for k in compare):
                    st.caption("None of the compared functions has a parameter.")
            c1, c2 = st.columns(2)
            x_min = c1.number_input("x from", step=1.0, key="activations_x_min")
            x_max = c2.number_input("x to", step=1.0, key="activations_x_max")
            shade = st.toggle("Shade where |f′(x)| < 0.01", key="activations_shade")
        spec = get_activation(key)
        with right, errors_ui():
            drawn = curves([key, *compare], params, x_min, x_max, device=device_name())
            st.plotly_chart(curves_figure(drawn, shade), key="activations_curves")
            st.caption(
                "Shaded, in each function's own colour: where its |f′(x)| < 0.01, so it is "
                "saturated (flat) and almost no gradient flows back; overlaps look darker. "
                "Circles on the right: kinks, at the slope torch uses there."
            )

        card, facts = st.columns([1.3, 1], gap="large")
        with card:
            st.subheader(spec.name)
            st.latex(spec.formula)
            st.markdown(spec.about)
            st.markdown(f"**Where it has no derivative.** {spec.differentiability}")
            st.markdown("**In a model:**")
            st.code(f"nn.{spec.module(**params[key])!r}", language="python")
        with facts:
            rows = "".join(
                f"| {name} | {value} |\n" for name, value in facts_rows(key, params[key])
            )
            st.markdown("| property | |\n|---|---|\n" + rows)
        code_ui(spec.fn, evaluate, label=f"Show the code: {spec.name} and its derivative")

if tab_why.open:
    with tab_why:
        st.subheader("Linear layers collapse into one")
        st.markdown(
            "Each `nn.Linear(2, 2)` layer maps a point $x$ to $W_k x + b_k$. Stack $N$ of them "
            "and the result is still one matrix times $x$ plus one vector: "
            "$W = W_N \\cdots W_2 W_1$, and $b$ is simply what the stack outputs at $x = 0$. "
            "Below, a grid goes through the stack (blue lines) and through that one layer "
            "(orange dots): the same picture. Put an activation between the layers and the grid "
            "bends, which no single matrix can do."
        )
        c1, c2, c3 = st.columns(3)
        num_layers = c1.slider("Linear layers N", 1, MAX_LINEAR_LAYERS, key="activations_layers")
        between = c2.selectbox(
            "Between the layers",
            [NO_ACTIVATION, *ELEMENTWISE],
            format_func=lambda k: "nothing (purely linear)" if k == NO_ACTIVATION else NAMES[k],
            key="activations_between",
        )
        seed = c3.number_input("Seed", 0, MAX_SEED, key="activations_collapse_seed")
        with errors_ui():
            c = collapse(num_layers, seed, None if between == NO_ACTIVATION else between)
            st.plotly_chart(collapse_figure(c, GRID_POINTS), key="activations_collapse")
            m1, m2 = st.columns([1.3, 1])
            with m1:
                st.markdown("The single layer:")
                st.latex(
                    r"W = \begin{bmatrix}" + rf"{c.W[0, 0]:.3f} & {c.W[0, 1]:.3f} \\ "
                    rf"{c.W[1, 0]:.3f} & {c.W[1, 1]:.3f}"
                    + r"\end{bmatrix},\ b = \begin{bmatrix}"
                    + rf"{c.b[0]:.3f} \\ {c.b[1]:.3f}"
                    + r"\end{bmatrix}"
                )
            with m2:
                st.metric("max |stack(x) − (Wx + b)| over the grid", f"{c.max_error:.2e}")
                if c.activation is None:
                    st.success(
                        f"The {num_layers} layers and the one layer agree to float32 rounding: "
                        "depth without an activation adds nothing."
                    )
                else:  # the lesson's good news, not a problem
                    st.success(
                        f"With {NAMES[c.activation]} between the layers, W and b no longer "
                        "describe the stack: it is now a genuinely non-linear map."
                    )
            with st.expander("Each layer's weight matrix"):
                for i, W_k in enumerate(c.weights, 1):
                    st.text(f"W_{i} =\n{W_k.numpy().round(3)}")
        code_ui(collapse, linear_stack, label="Show the code: the collapse")

        st.subheader("Fit a curve with and without an activation")
        st.markdown(
            "The same small network is trained twice with Adam: once with your activation after "
            "each hidden layer, once without any. Without it, however many layers it has, it can "
            "only draw a straight line (or a straight boundary). Results are kept, so going back "
            "to a setting is instant."
        )
        c1, c2, c3 = st.columns(3)
        target = c1.radio(
            "Target", list(TARGETS), format_func=TARGETS.get, key="activations_target"
        )
        activation = c1.selectbox(
            "Activation", list(DIFFERENTIABLE), format_func=NAMES.get, key="activations_fit_act"
        )
        units = c2.slider("Hidden units", 1, MAX_HIDDEN_UNITS, key="activations_units")
        hidden = c2.slider("Hidden layers", 1, MAX_HIDDEN_LAYERS, key="activations_hidden")
        steps = c3.slider("Adam steps", 50, MAX_FIT_STEPS, step=50, key="activations_steps")
        lr = c3.select_slider("Learning rate", LRS, key="activations_lr")
        fit_seed = c3.number_input("Seed", 0, MAX_SEED, key="activations_fit_seed")
        config = FitConfig(target, activation, units, hidden, steps, lr, fit_seed)
        with errors_ui():
            result = _fit(config, device_name())
            st.plotly_chart(fit_figure(result), key="activations_fit")
            cols = st.columns(2)
            for col, f in zip(cols, result.fits, strict=True):
                score = f"{f.losses[-1]:.4f}" if f.accuracy is None else f"{f.accuracy:.0%}"
                label = "final loss" if f.accuracy is None else "training accuracy"
                col.metric(f"Model {f.label}: {label}", score)
            st.plotly_chart(loss_figure(result), key="activations_fit_loss")
        code_ui(fit, mlp, label="Show the code: the two fits")

if tab_depth.open:
    with tab_depth:
        st.markdown(
            "Backpropagation multiplies one slope per layer. Here an input $x$ passes through "
            "$N$ layers $h_n = f(w\\,h_{n-1})$ and autograd computes "
            "$dh_N/dx = \\prod_n w\\,f'(w\\,h_{n-1})$. Sigmoid's slope is at most 0.25, so "
            "its product falls at least as fast as $0.25^N$: after 20 layers the first layer "
            "gets about a trillionth of the signal. ReLU's slope is exactly 1 for positive "
            "inputs, so its product does not shrink (with $w = 1$). Try $w = 4$ with sigmoid, "
            "or a negative input with ReLU (a gap in the plot means exactly 0: a dead ReLU)."
        )
        # the full width: in the narrow column the third chosen function was cut off
        keys = st.multiselect(
            "Functions", list(DIFFERENTIABLE), format_func=NAMES.get, key="activations_chain",
            wrap=True,
        )  # fmt: skip
        c1, c2 = st.columns([1, 2.4], gap="large")
        with c1:
            depth = st.slider("Depth N", 1, MAX_DEPTH, key="activations_depth")
            weight = st.slider(
                "Weight w in every layer",
                -MAX_ABS_WEIGHT,
                MAX_ABS_WEIGHT,
                step=0.1,
                key="activations_weight",
            )
            x0 = st.slider("Input x", -MAX_ABS_INPUT, MAX_ABS_INPUT, step=0.1, key="activations_x0")
        with c2, errors_ui():
            chain = chain_gradients(keys, depth, weight, x0)
            st.plotly_chart(chain_figure(chain, NAMES), key="activations_chain_plot")
            table = pd.DataFrame(
                {NAMES[k]: v for k, v in chain.gradients.items()}, index=chain.depths
            )
            table.index.name = "depth"
            with st.expander("The numbers: dh_N/dx at each depth"):
                st.dataframe(table.style.format("{:.3e}"))
        code_ui(chain_gradients, label="Show the code: gradients through depth")

if tab_softmax.open:
    with tab_softmax:
        st.markdown(
            "A classifier's last layer gives one score (logit) $z_i$ per class. Softmax "
            "exponentiates them and divides by their sum, "
            "$p_i = e^{z_i / T} / \\sum_j e^{z_j / T}$, so they become positive and add up to "
            "1. Edit the logits; lower the temperature $T$ to sharpen the choice towards the "
            "largest logit, raise it to flatten it towards uniform (the outline shows $T = 1$)."
        )
        c1, c2 = st.columns([1, 2.4], gap="large")
        with c1:
            text = st.text_input("Logits, separated by commas", key="activations_logits")
            temperature = st.select_slider(
                "Temperature T", TEMPERATURES, key="activations_temperature"
            )
            shift = st.number_input(
                "Add a constant c to every logit", step=10.0, key="activations_shift"
            )
            b1, b2 = st.columns(2)
            b1.button("Try huge logits", on_click=set_logits, args=(LARGE_LOGITS,),
                      key="activations_huge")  # fmt: skip
            b2.button("Reset", on_click=set_logits, args=(DEFAULT_LOGITS,), key="activations_reset")
        with errors_ui():
            logits = parse_logits(text)
            check = shift_check(logits, shift, temperature)
            with c2:
                shifted = [v + shift for v in logits]
                figure = softmax_figure(
                    shifted, check.p_shifted, softmax(logits), temperature, shift
                )
                st.plotly_chart(figure, key="activations_softmax")
            st.markdown(
                f"**Shift invariance.** Adding $c = {shift:g}$ to every logit moves the left bars "
                "but not the right ones: it multiplies every $e^{z_i}$ by the same $e^c$, which "
                "cancels in the division. The largest change in any probability is "
                f"**{check.max_difference:.1e}** (rounding)."
            )
            st.subheader("Why PyTorch uses log_softmax + nll_loss")
            if st.session_state["activations_target_class"] >= len(shifted):
                st.session_state["activations_target_class"] = 0  # fewer logits than before
            target = st.columns([1, 3])[0].selectbox(
                "True class", range(len(shifted)), key="activations_target_class"
            )
            demo = overflow_demo(shifted, target, temperature)
            st.markdown(
                "In float32 (the dtype models train in), $e^z$ is infinite as soon as "
                "$z > 88.7$, and the textbook formula $e^{z_i} / \\sum_j e^{z_j}$ computes "
                "inf / inf = nan. `F.log_softmax` first subtracts $m = \\max_j z_j$: "
                "$\\log \\mathrm{softmax}(z)_i = z_i - m - \\log \\sum_j e^{z_j - m}$ "
                "(log-sum-exp), and every $e^{z_j - m}$ is at most 1, so nothing overflows. "
                "`F.nll_loss` then takes $-\\log p$ of the true class; `F.cross_entropy` does "
                "both in one call. Press **Try huge logits** or add $c = 100$."
            )
            if temperature != 1.0:
                st.caption(
                    f"At T = {temperature:g} everything below works on z / T, the scores the "
                    "chart's softmax(z / T) takes: z stands for them here, and the loss is "
                    "the loss of the probabilities drawn above."
                )
            z_name = (
                "z (float32)" if temperature == 1.0 else f"z / T (float32, T = {temperature:g})"
            )
            columns = {z_name: demo.logits, "naive e^z": demo.naive_exp,
                       "naive e^z / Σ e^z": demo.naive_p, "log_softmax(z)": demo.log_p,
                       "softmax(z)": demo.p}  # fmt: skip
            # text, as torch prints it: the grid would show a NaN as "None"
            st.dataframe({k: [f"{v:.6g}" for v in vs] for k, vs in columns.items()})
            m1, m2, m3 = st.columns(3)
            m1.metric("naive −log p[true]", f"{demo.naive_loss:.6g}")
            m2.metric("nll_loss(log_softmax(z))", f"{demo.loss:.6g}")
            m3.metric("cross_entropy(z)", f"{demo.cross_entropy:.6g}")
            st.caption(
                f"max(z) = {demo.max_logit:.6g}; logsumexp(z) = {demo.logsumexp:.6g}; "
                f"naive Σ e^z = {demo.naive_sum:.6g}."
            )
            if demo.overflowed:
                st.warning(
                    "The naive formula broke (inf or nan) on these logits; log_softmax and "
                    "nll_loss are still exact. This is why models end in log_softmax."
                )
        code_ui(overflow_demo, shift_check, label="Show the code: softmax and log-sum-exp")
