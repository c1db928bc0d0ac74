"""The chapter's route: its ideas in the chapter's order, each a page set up by a link, a few
words on what to look at, and a question whose answer torch computes when it is asked.

One module per part of the chapter; a stop's key is its id in saved progress
(core.route.progress), so stops can be added anywhere without breaking a saved link.
"""

from __future__ import annotations

from core.route.questions import Stop
from core.route.stops import layers, tensors, training

STOPS: tuple[Stop, ...] = (*tensors.STOPS, *layers.STOPS, *training.STOPS)
