"""Running an importer from a page: a dry run to preview, the real run to save."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from reconcile.auth import AuthUser
from reconcile.clock import Clock
from reconcile.db import session_factory, transaction
from reconcile.errors import UserError
from reconcile.imports.common import ImportSummary

Importer = Callable[..., ImportSummary]


def preview_import(importer: Importer, data: bytes, filename: str, user: AuthUser,
                   clock: Clock) -> ImportSummary:
    """What the import would do, computed by the importer itself and rolled back."""
    with st.spinner(f"Revisando «{filename}»…"), session_factory()() as session:
        try:
            return importer(session, data, filename=filename, user=user, clock=clock)
        finally:
            session.rollback()


def run_import(importer: Importer, data: bytes, filename: str, user: AuthUser,
               clock: Clock) -> ImportSummary:
    with st.spinner(f"Guardando «{filename}»…"), transaction() as session:
        return importer(session, data, filename=filename, user=user, clock=clock)


def error_table(problems: UserError) -> pd.DataFrame:
    """Row-level errors as a table (file, row, column, value, reason) when the importer
    gives them; otherwise one reason per line."""
    errors = getattr(problems, "errors", None)
    if errors:
        return pd.DataFrame([{"Archivo": e.file, "Fila": e.row, "Columna": e.column,
                              "Valor": None if e.value is None else str(e.value),
                              "Problema": e.reason} for e in errors])
    return pd.DataFrame({"Problema": problems.reasons})
