"""Layers (being built)."""

import streamlit as st

st.title("Layers")
st.info("This page is being built.")
