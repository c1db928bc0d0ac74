"""Torchlab: the frame. Page config, navigation over the page scripts in views/, the shared sidebar.

The scripts live in views/, not pages/: Streamlit treats a pages/ folder beside the main script
as old-style pages until st.navigation first runs, so a server's first visit through a deep link
would skip this frame.

`app` is the server (st.App): Streamlit plus the read-only live route the charts fetch
(ui/live_route.py). `streamlit run app.py` finds it and serves both; the server imports this
file as a module for `app`, and runs it as the script (`__main__`) for every page view.

Its lifespan bounds the uploads each browser tab may hold (ui/uploads.py), starts the runner
with the server (which sweeps what writes cut short left in the run folders) and, when the
server stops (SIGTERM, Ctrl+C), stops the running runs as Stop would and leaves the queued
ones on disk (ui.runner.shutdown_runners).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st
from starlette.concurrency import run_in_threadpool

from ui.common import sidebar_ui, unexpected_error_ui
from ui.links import share_link_ui
from ui.live_route import ROUTES
from ui.preload import preload_charts_ui
from ui.route import register_pages, route_ui
from ui.runner import get_runner, shutdown_runners
from ui.uploads import bound_server_uploads


@asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    bound_server_uploads()  # a browser tab holds a few uploads, never the server's memory
    await run_in_threadpool(get_runner)
    try:
        yield
    finally:
        await run_in_threadpool(shutdown_runners)


app = st.App("app.py", routes=ROUTES, lifespan=lifespan)


def frame() -> None:
    st.set_page_config(page_title="Torchlab", page_icon="🔥", layout="wide")

    pages = {
        "Start": [
            st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
        ],
        "Basics": [
            st.Page("views/tensors.py", title="Tensors", icon=":material/grid_on:"),
            st.Page("views/activations.py", title="Activations", icon=":material/show_chart:"),
            st.Page(
                "views/layers/page.py", title="Layers", icon=":material/layers:", url_path="layers"
            ),
        ],
        "Training": [
            st.Page("views/backprop.py", title="Loss & backprop", icon=":material/account_tree:"),
            st.Page(
                "views/train/page.py",
                title="Train",
                icon=":material/model_training:",
                url_path="training",
            ),
            st.Page("views/optimizers.py", title="Optimizers", icon=":material/landscape:"),
            st.Page(
                "views/experiments/page.py",
                title="Experiments",
                icon=":material/science:",
                url_path="experiments",
            ),
        ],
        "Inference": [
            st.Page("views/canvas.py", title="Canvas", icon=":material/draw:"),
        ],
    }

    page = st.navigation(pages)
    register_pages([p for group in pages.values() for p in group])
    sidebar_ui()
    route_ui()  # before the page: its Back / Next open another page at once
    try:
        page.run()
    except Exception as exc:  # a page's bug: an id on the page, the traceback in the server log
        unexpected_error_ui(exc)
    share_link_ui()  # after the page: its settings are in the URL by now
    preload_charts_ui()


if __name__ == "__main__":
    frame()
