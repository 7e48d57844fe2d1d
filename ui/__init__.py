"""Streamlit-side helpers shared by dashboard.py and pages/ (the library stays free of Streamlit)."""
