"""How long a run will take on this machine: the step cost timed once per model and device
(core.engine.products.estimate), shared by the Train page's advice and the Experiments estimates."""

from __future__ import annotations

import json

import streamlit as st

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ModelSpec
from core.engine.products.estimate import StepCost, describe_seconds, measure_step_cost, run_seconds


@st.cache_data(ttl=600, show_spinner="Timing a few training steps on this device…")
def _step_cost(spec_json: str, device: str) -> StepCost:
    return measure_step_cost(ModelSpec.from_dict(json.loads(spec_json)), device)


def step_cost(spec: ModelSpec, device: str) -> StepCost:
    """Measured once per model and device, then reused for ten minutes."""
    return _step_cost(json.dumps(spec.to_dict(), sort_keys=True), device)


def run_time_text(config: RunConfig) -> str:
    """'about 3 min': the estimate for one run on its device, timed on this machine."""
    return describe_seconds(run_seconds(config, step_cost(config.model, config.device)))
