"""Loss and backpropagation (being built)."""

import streamlit as st

st.title("Loss and backpropagation")
st.info("This page is being built.")
