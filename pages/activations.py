"""Activation functions (being built)."""

import streamlit as st

st.title("Activation functions")
st.info("This page is being built.")
