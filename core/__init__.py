"""Torchlab's core: plain Python and torch, no Streamlit, so it runs and tests headless."""
