"""SIGE attendance reconciliation: load, reconcile, sync. Imports no Streamlit."""
