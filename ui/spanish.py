"""Spanish where Streamlit's own widgets write English and cannot be told otherwise.

The file uploader draws "Upload", "Drag and drop a file here" and "200MB per file"
in the browser; CSS hides those texts and puts Spanish ones in their place (the
limit comes from ``server.maxUploadSize`` in ``.streamlit/config.toml``). Injected
once per page run by ``dashboard.py``.
"""
from __future__ import annotations

import streamlit as st

DROPZONE = '[data-testid="stFileUploaderDropzone"]'
INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"]'


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def uploader_caption() -> str:
    return f"Arrastre el archivo aquí o elija uno · hasta {upload_limit_mb()} MB"


def css() -> str:
    return f"""
{INSTRUCTIONS} > * {{ display: none; }}
{INSTRUCTIONS}::after {{ content: "{uploader_caption()}"; font-size: 0.875rem; opacity: 0.7; }}
{DROPZONE} button > * {{ display: none; }}
{DROPZONE} button::after {{ content: "Elegir archivo"; }}
{DROPZONE} > div:not([data-testid]) span {{ font-size: 0; }}
{DROPZONE} > div:not([data-testid]) span::after {{
  content: "Suelte el archivo aquí"; font-size: 1rem; }}
[data-testid="stFileChip"][aria-invalid="true"] [data-testid="stFileChipName"]::after {{
  content: " · rechazado: pesa más de {upload_limit_mb()} MB o no es de un tipo aceptado"; }}
"""


def apply() -> None:
    """Put the Spanish texts in place for this page run (a style block takes no space)."""
    st.html(f"<style>{css()}</style>")
