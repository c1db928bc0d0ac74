"""Optimizers on 2-D loss surfaces: race real torch.optim optimizers and look inside one step."""

from __future__ import annotations

import streamlit as st

from core import links
from core.number_text import shown
from core.optim2d.figures import loss_figure, rule_figure, step_figure, trajectories_figure
from core.optim2d.race import (
    MAX_LR,
    MAX_RUNS,
    MAX_STEPS,
    MIN_LR,
    RULE_STEPS,
    VARIANTS,
    OptimizerSpec,
    Trajectory,
    inside_step,
    make_optimizer,
    race,
    run_trajectory,
    sgd_rule_step,
    suggested_spec,
)
from core.optim2d.surfaces import (
    MAX_CONDITION,
    SURFACE_NAMES,
    Grid,
    Surface,
    get_surface,
    start_from_selection,
    step_is_drawable,
    surface_grid,
    window_around,
)
from core.optim2d.tables import inside_rows, results_rows
from ui.common import code_ui, device_name, errors_ui
from ui.links import linked_page

CONDITIONS = [1, 2, 5, 10, 20, 50, 100, 200, 500, int(MAX_CONDITION)]
TOLERANCES = [1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8]
LOCAL_GRID_SIZE = 61  # contour grid of the close-up of one step
CHART_KEY = "optimizers_chart"
# Only the open tab runs: the page drew all three at once in 1.2 s from the sidebar, 0.8 s
# for the race alone (benchmarks/page_latency.py).
TABS = ["The race", "Inside the optimizer", "The seed's rule"]

DEFAULT_SURFACE = get_surface("Rosenbrock", 10)  # what a first visit shows


def hp_key(name: str, hparam: str) -> str:
    return f"optimizers_hp_{name}_{hparam}"


def _link() -> list[links.Field]:
    """The page's link: surface, start, steps, the race and each racer's settings (defaults:
    the suggested ones for the default surface), the step shown, the rule's α."""
    # a start inside any surface's window; start_ui says when one lies outside this one's
    low = min(min(s.x_range[0], s.y_range[0]) for s in map(get_surface, SURFACE_NAMES))
    high = max(max(s.x_range[1], s.y_range[1]) for s in map(get_surface, SURFACE_NAMES))
    x0, y0 = DEFAULT_SURFACE.start
    fields = [
        links.choice("tab", "optimizers_tab", TABS[0], TABS),
        links.choice("surface", "optimizers_surface", DEFAULT_SURFACE.name, SURFACE_NAMES),
        links.choice("kappa", "optimizers_condition", 10, CONDITIONS),
        links.number("x", "optimizers_x0", x0, low, high),
        links.number("y", "optimizers_y0", y0, low, high),
        links.integer("steps", "optimizers_steps", 500, 1, MAX_STEPS),
        links.choice("tol", "optimizers_tol", 1e-3, TOLERANCES),
        links.choices(
            "opts", "optimizers_chosen", ["SGD", "Momentum", "RMSprop", "Adam"], VARIANTS, MAX_RUNS
        ),
        links.integer("step", "optimizers_step", 500, 0, MAX_STEPS),
        links.choice("inside", "optimizers_inside", "Adam", VARIANTS),
        links.number(
            "alpha", "optimizers_rule_lr", DEFAULT_SURFACE.suggested_lr["SGD"], MIN_LR, MAX_LR
        ),
    ]
    for name in VARIANTS:
        suggested = suggested_spec(DEFAULT_SURFACE, name).hparams
        for h in VARIANTS[name].hparams:
            param, key = f"{name.lower()}.{h.name}", hp_key(name, h.name)
            if h.kind is bool:
                fields.append(links.flag(param, key, suggested[h.name]))
            else:
                fields.append(links.number(param, key, suggested[h.name], h.low, h.high))
    return fields


LINK = _link()


def current_surface() -> Surface:
    return get_surface(st.session_state.optimizers_surface, st.session_state.optimizers_condition)


def reset_settings() -> None:
    """Start point, hyper-parameters and the rule's α, as suggested for the current surface."""
    surface = current_surface()
    st.session_state.optimizers_x0, st.session_state.optimizers_y0 = surface.start
    for name in VARIANTS:
        for hparam, value in suggested_spec(surface, name).hparams.items():
            st.session_state[hp_key(name, hparam)] = value
    st.session_state.optimizers_rule_lr = surface.suggested_lr["SGD"]


def pick_start() -> None:
    """A click on the contour plot selects an invisible grid point: start from there."""
    event = st.session_state.get(CHART_KEY)
    points = event["selection"]["points"] if event else []
    start = start_from_selection(points, current_surface())
    if start is not None:
        st.session_state.optimizers_x0, st.session_state.optimizers_y0 = start


def fit_link() -> bool:
    """A link's start outside its surface's window moves inside (saying so), and the step
    shown is at most the steps run: True when a value changed."""
    surface, state = current_surface(), st.session_state
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    x, y = state.optimizers_x0, state.optimizers_y0
    inside = (min(max(x, x0), x1), min(max(y, y0), y1))
    if inside != (x, y):
        st.info(
            f"The start ({x:g}, {y:g}) lies outside this surface's window "
            f"x ∈ [{x0:g}, {x1:g}], y ∈ [{y0:g}, {y1:g}]: it starts at "
            f"({inside[0]:g}, {inside[1]:g}) instead.",
            icon=":material/link_off:",
        )
    state.optimizers_x0, state.optimizers_y0 = inside
    step = state.optimizers_step
    state.optimizers_step = min(step, state.optimizers_steps)
    return inside != (x, y) or step != state.optimizers_step


def rule_ui(surface: Surface, grid: Grid, start: tuple[float, float]) -> None:
    """One step of the rule from the start, its sums, and the rule repeated."""
    c1, c2 = st.columns([1, 2], gap="large")
    with c1:
        lr = st.number_input(
            "α (learning rate)", MIN_LR, MAX_LR, format="%g", step=0.001, key="optimizers_rule_lr"
        )
        rule, repeated = None, None
        with errors_ui():
            rule = sgd_rule_step(surface, start, lr)
            repeated = run_trajectory(surface, OptimizerSpec("SGD", {"lr": lr}), start, RULE_STEPS)
    if rule is not None and repeated is not None:
        b, g, b_new = rule.beta, rule.grad, rule.beta_new
        with c1:
            st.latex(
                rf"L(\beta) = {shown(rule.loss)} \;\to\; L(\beta_{{new}}) = {shown(rule.loss_new)}"
            )
            if rule.loss_new < rule.loss:
                st.success("The step went downhill.")
            else:
                st.warning("L did not fall: the step overshot (or there was no slope).")
            if rule.stability_limit is not None:
                side = "below" if lr < rule.stability_limit else "**above**"
                st.markdown(
                    f"Here the surface curves at most λ_max = {shown(rule.curvature)} (the largest "
                    "eigenvalue of its Hessian), so SGD's steps shrink only while "
                    f"α < 2/λ_max = **{shown(rule.stability_limit)}**. Your α is {side} that."
                )
            if repeated.stopped:
                st.error(repeated.stopped + " Lower α.")
            else:
                st.info(f"{RULE_STEPS} steps of the rule reach L = {repeated.losses[-1]:.4g}.")
        with c2:
            st.latex(
                rf"\underbrace{{({shown(b_new[0])},\ {shown(b_new[1])})}}_{{\beta_{{new}}}} = "
                rf"\underbrace{{({shown(b[0])},\ {shown(b[1])})}}_{{\beta}} - {lr:g}\cdot"
                rf"\underbrace{{({shown(g[0])},\ {shown(g[1])})}}_{{\partial L/\partial\beta}}"
            )
            st.caption(
                f"∂L/∂β from autograd. Worked out by hand it is "
                f"({shown(rule.grad_by_hand[0])}, {shown(rule.grad_by_hand[1])}), from:"
            )
            st.latex(surface.grad_formula)
            st.plotly_chart(rule_figure(surface, grid, rule, repeated))
    code_ui(sgd_rule_step, label="Show the code: the rule with torch.optim.SGD")


linked_page("optimizers", LINK)
if fit_link():
    linked_page("optimizers", LINK)  # the URL says the values shown


@st.cache_data(max_entries=16, show_spinner=False)
def cached_grid(name: str, condition: float) -> Grid:
    return surface_grid(get_surface(name, condition))


@st.cache_data(max_entries=32, show_spinner="Running the optimizers…")
def cached_race(
    name: str,
    condition: float,
    specs: tuple[tuple[str, tuple[tuple[str, float | bool], ...]], ...],
    start: tuple[float, float],
    num_steps: int,
    device: str,
) -> list[Trajectory]:
    """Same settings, same trajectories: a rerun (a slider move) only redraws."""
    runs = [OptimizerSpec(n, dict(hp)) for n, hp in specs]
    return race(get_surface(name, condition), runs, start, num_steps, device)


def surface_ui() -> Surface:
    st.selectbox("Loss surface", SURFACE_NAMES, key="optimizers_surface", on_change=reset_settings)
    if st.session_state.optimizers_surface == "Quadratic bowl":
        st.select_slider(
            "Condition number κ",
            CONDITIONS,
            key="optimizers_condition",
            help="Ratio of the steepest to the flattest curvature of the bowl.",
        )
    surface = current_surface()
    st.caption(surface.note)
    return surface


def start_ui(surface: Surface) -> tuple[float, float]:
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    c1, c2 = st.columns(2)
    x = c1.number_input("start x", x0, x1, step=0.1, format="%.3f", key="optimizers_x0")
    y = c2.number_input("start y", y0, y1, step=0.1, format="%.3f", key="optimizers_y0")
    st.caption("…or click anywhere on the plot to start there.")
    return (float(x), float(y))


def chosen_specs() -> list[OptimizerSpec]:
    """The race as set on its tab: its widgets' values, kept by the link on the other tabs."""
    state = st.session_state
    return [
        OptimizerSpec(n, {h.name: state[hp_key(n, h.name)] for h in VARIANTS[n].hparams})
        for n in state.optimizers_chosen
    ]


def hparams_ui(name: str) -> None:
    info = VARIANTS[name]
    with st.expander(f"{name} settings"):
        st.caption(info.rule)
        for h in info.hparams:
            key = hp_key(name, h.name)
            if h.kind is bool:
                st.checkbox(h.label, key=key, help=h.help)
            else:
                st.number_input(
                    h.label, h.low, h.high, format="%g", step=h.step, key=key, help=h.help
                )


def optimizers_ui() -> None:
    chosen = st.multiselect(
        "Optimizers to race",
        list(VARIANTS),
        key="optimizers_chosen",
        max_selections=MAX_RUNS,
        help="Each is the real torch.optim class, run on the same 2-element parameter.",
        wrap=True,  # in a column the chips sat in one row and the last were cut off
    )
    for name in chosen:
        hparams_ui(name)


st.title("Optimizers on 2-D loss surfaces")
st.markdown(
    "Training a network moves millions of weights downhill on a loss surface. Here there are "
    "only **two** weights, β = (x, y), so you can **see** the surface and the path each "
    "optimizer takes. Every path is the real `torch.optim` class running the usual loop "
    "(`zero_grad` → loss → `backward` → `step`) on one 2-element tensor. Try: the Rosenbrock "
    "valley (SGD crawls along the floor, Adam follows it most of the way to the minimum), the "
    "bowl with a larger κ (keep SGD's α = 0.1: at κ = 20 it zig-zags, from κ = 50 it blows "
    "up), the saddle from just off y = 0 (who escapes first? then start on y = 0), Himmelblau "
    "from different starts. Then open one step of a run, and the one line every optimizer "
    "refines, on the other two tabs."
)

race_tab, inside_tab, rule_tab = st.tabs(TABS, key="optimizers_tab", on_change="rerun")
state = st.session_state
surface, start = current_surface(), (float(state.optimizers_x0), float(state.optimizers_y0))
num_steps, tol = state.optimizers_steps, state.optimizers_tol
if race_tab.open:
    left, right = race_tab.columns([1, 2], gap="large")
    with left:
        surface = surface_ui()
        start = start_ui(surface)
        c1, c2 = st.columns(2)
        num_steps = int(c1.number_input("steps", 1, MAX_STEPS, key="optimizers_steps"))
        tol = c2.select_slider("tolerance on L − L*", TOLERANCES, key="optimizers_tol")
        optimizers_ui()
        st.button("Suggested settings for this surface", on_click=reset_settings)
specs = chosen_specs()

trajs: list[Trajectory] = []
if race_tab.open or (inside_tab.open and specs):  # a refused race says so above its plot
    with right if race_tab.open else inside_tab, errors_ui():
        key = tuple((s.name, tuple(sorted(s.hparams.items()))) for s in specs)
        trajs = cached_race(
            surface.name, state.optimizers_condition, key, start, num_steps, device_name()
        )
if not inside_tab.open:  # the race's plot and the rule's draw the surface
    grid = cached_grid(surface.name, state.optimizers_condition)

if race_tab.open:
    with right:
        st.latex(surface.formula)
        step = st.slider("Show the paths up to step", 0, num_steps, key="optimizers_step")
        st.plotly_chart(
            trajectories_figure(surface, grid, trajs, step, start),
            key=CHART_KEY,
            on_select=pick_start,
            selection_mode="points",
        )
        for t in trajs:
            if t.stopped:
                st.warning(t.stopped + " Its path and loss end at the last sound step.")
        code_ui(
            surface.f, run_trajectory, make_optimizer, label="Show the code: the surface and a run"
        )
        on_gpu = device_name() != "cpu"
        st.caption(
            f"Ran on **{device_name()}**."
            + (" Two numbers are no work for a GPU: the time goes into launching its kernels, "
               "so cpu is usually quicker for this page." if on_gpu else "")
        )  # fmt: skip
    with race_tab:
        if trajs:
            st.subheader("Loss against step")
            st.markdown(
                "How far each run is above the best value, L − L*, on a log scale: a straight "
                "falling line means the gap shrinks by the same factor every step. The table "
                "counts the steps each needs to get within the tolerance."
            )
            st.plotly_chart(loss_figure(surface, trajs, step, tol))
            st.dataframe(
                results_rows(surface, trajs, tol),
                hide_index=True,
                # runs end as close as 1e-25 to the minimum: significant digits, not 20 zeros
                column_config={
                    name: st.column_config.NumberColumn(format="%.4g")
                    for name in ("final L", "distance to nearest minimum")
                },
            )

if inside_tab.open:
    with inside_tab:
        st.markdown(
            "An optimizer is the gradient plus some memory. Pick a run of the race and a step: "
            "the table shows the gradient it saw, what it remembers (`optimizer.state`), and the "
            "step it took next to the step plain SGD would take with the same α."
        )
        if not trajs:
            st.info("Choose at least one optimizer on the race tab.")
        else:
            names = [t.name for t in trajs]
            if state.get("optimizers_inside") not in names:
                state.optimizers_inside = "Adam" if "Adam" in names else names[-1]
            c1, c2 = st.columns([3, 2], gap="large")
            chosen = c1.selectbox("Run", names, key="optimizers_inside")
            step = c1.slider("Step", 0, num_steps, key="optimizers_step")
            traj, spec = trajs[names.index(chosen)], specs[names.index(chosen)]
            k = min(step, traj.steps)
            if k == 0:
                c1.info("Move the step slider past 0: at step 0 nothing has happened yet.")
            else:
                with errors_ui():
                    inside = inside_step(traj, spec, k)
                    c1.markdown(f"**{traj.label}, step {k}** of {traj.steps}")
                    c1.dataframe(inside_rows(inside), hide_index=True)
                    ends = [inside.before, inside.after, inside.sgd_end]
                    if step_is_drawable(ends):
                        x_range, y_range = window_around(ends)
                        local = surface_grid(surface, LOCAL_GRID_SIZE, x_range, y_range)
                        c2.plotly_chart(step_figure(surface, local, inside))
                        c2.caption(
                            "The same step up close. Where the black arrow (the step taken) "
                            "differs from the red one (−α·g), the optimizer's memory is at work."
                        )
                    else:
                        c2.info(
                            "No close-up: this step moves β by less than a float can resolve "
                            "at β's size (the table's zeros), so there is nothing to draw. "
                            "The run has settled as far as float64 goes; pick an earlier step."
                        )
        code_ui(inside_step, label="Show the code: reading the optimizer's state")

if rule_tab.open:
    with rule_tab:
        st.subheader("β ← β − α·∂L/∂β")
        st.markdown(
            "Every optimizer of the race refines this one line. At the race's start point (set "
            "it on the race tab, or click its plot), autograd gives the gradient ∂L/∂β and the "
            "rule subtracts α times it. If α is too large the step jumps past the valley to a "
            "higher point, and repeating it makes each jump bigger: the run **diverges**."
        )
        rule_ui(surface, grid, start)
