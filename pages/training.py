"""Train a ConvNet (being built)."""

import streamlit as st

st.title("Train a ConvNet")
st.info("This page is being built.")
