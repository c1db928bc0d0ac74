"""Streamlit helpers shared by the pages: small `*_ui()` functions that return plain values."""
