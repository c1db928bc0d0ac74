"""Optimizers on 2-D loss surfaces (being built)."""

import streamlit as st

st.title("Optimizers on 2-D loss surfaces")
st.info("This page is being built.")
