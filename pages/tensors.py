"""Tensors and storage (being built)."""

import streamlit as st

st.title("Tensors and storage")
st.info("This page is being built.")
