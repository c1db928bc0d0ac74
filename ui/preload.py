"""Fetch Streamlit's chart and widget code while the learner reads the first page.

Most pages draw Plotly charts, maths and code, whose code (Plotly's chunk alone is several
MB) a browser tab loads the first time one is drawn. Measured on 2 cores, going from Home to
Activations through the sidebar (Home left open 4 s first): 2.5 s as the tab's first chart
page and 0.4 s the second time, Streamlit's script taking 0.35 s of either; with the chunks
imported while the tab is idle, 0.74-1.26 s (3 rounds). The browser's module map hands
Streamlit the same modules later, so nothing runs twice.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

# Streamlit's built frontend, where its index.html finds its chunks ("./static/js/...").
_JS = Path(st.__file__).parent / "static" / "static" / "js"
# What the pages draw beyond the Home page: charts, code, maths (KaTeX) and their widgets.
ELEMENTS = (
    "PlotlyChart", "StreamlitSyntaxHighlighter", "rehype-katex", "Multiselect", "NumberInput",
    "TextField", "Slider", "Selectbox", "Radio", "DataFrame",
)  # fmt: skip
PRELOAD_DONE = "done"  # window.torchlabPreloaded once every chunk is in (benchmarks wait on it)
CHUNKS = [p.name for e in ELEMENTS for p in sorted(_JS.glob(f"{e}.*.js"))[:1]]

PRELOAD_JS = """<script>(() => {
  if (window.torchlabPreloaded) return;
  window.torchlabPreloaded = "loading";
  const chunks = %s;
  const next = () => {
    const name = chunks.shift();
    if (!name) return (window.torchlabPreloaded = %s);
    import(new URL("./static/js/" + name, document.baseURI).href).catch(() => {}).then(idle);
  };
  const idle = () => (window.requestIdleCallback || ((f) => setTimeout(f, 200)))(next);
  idle();
})();</script>"""


def preload_charts_ui() -> None:
    """Once per tab, import the chunks one by one while the browser is idle (a chunk this
    Streamlit build names otherwise is left out: it loads as it always did)."""
    if CHUNKS:
        st.html(
            PRELOAD_JS % (json.dumps(CHUNKS), json.dumps(PRELOAD_DONE)),
            unsafe_allow_javascript=True,
        )
