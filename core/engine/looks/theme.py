"""The light Plotly template of the training and experiment charts.

Plotly's "plotly_white" is a large object (polar, ternary, 3-D and map defaults, colour scales
for every trace type) that Plotly validates again each time a figure takes it: about 9 ms a
figure here. The live training charts are rebuilt about once a second while a run trains in the
same process, so they take this copy of just the parts a 2-D chart shows: 1 ms, same look.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

LIGHT = "torchlab_white"
_SHOWN = (  # the layout parts of plotly_white that a 2-D line, bar or heatmap chart uses
    "autotypenumbers",
    "colorway",
    "font",
    "hoverlabel",
    "hovermode",
    "paper_bgcolor",
    "plot_bgcolor",
    "xaxis",
    "yaxis",
    "title",
    "annotationdefaults",
    "shapedefaults",
)

if LIGHT not in pio.templates:
    _white = pio.templates["plotly_white"].layout
    pio.templates[LIGHT] = go.layout.Template(layout={k: _white[k] for k in _SHOWN})
