"""Digit canvas (being built)."""

import streamlit as st

st.title("Digit canvas")
st.info("This page is being built.")
