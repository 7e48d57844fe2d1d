"""Running an importer from a page: a dry run to preview, the real run to save, both
with a progress bar fed by the importer itself."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from reconcile.auth import AuthUser
from reconcile.clock import Clock
from reconcile.db import session_factory, transaction
from reconcile.errors import UserError
from reconcile.imports.common import ImportSummary

Importer = Callable[..., ImportSummary]


@contextmanager
def progress_bar(action: str, filename: str) -> Iterator[Callable[[float, str], None]]:
    bar = st.progress(0.0, text=f"{action} «{filename}»…")

    def report(fraction: float, step: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{action} «{filename}»: {step}")

    try:
        yield report
    finally:
        bar.empty()


def preview_import(importer: Importer, data: bytes, filename: str, user: AuthUser,
                   clock: Clock) -> ImportSummary:
    """What the import would do, computed by the importer itself and rolled back."""
    with progress_bar("Revisando", filename) as report, session_factory()() as session:
        try:
            return importer(session, data, filename=filename, user=user, clock=clock,
                            progress=report)
        finally:
            session.rollback()


def checked(key: str, importer: Importer, data: bytes, filename: str, user: AuthUser,
            clock: Clock) -> ImportSummary | UserError:
    """The dry run's result for this exact file, computed once per upload: a rerun of
    the page must not read a large file again."""
    digest = hashlib.sha256(data).hexdigest()
    cached = st.session_state.get(f"checked_{key}")
    if cached is not None and cached[0] == digest:
        return cached[1]
    try:
        result: ImportSummary | UserError = preview_import(importer, data, filename, user, clock)
    except UserError as problems:
        result = problems
    st.session_state[f"checked_{key}"] = (digest, result)
    return result


def forget_check(key: str) -> None:
    st.session_state.pop(f"checked_{key}", None)


def run_import(importer: Importer, data: bytes, filename: str, user: AuthUser,
               clock: Clock) -> ImportSummary:
    with progress_bar("Guardando", filename) as report, transaction() as session:
        return importer(session, data, filename=filename, user=user, clock=clock,
                        progress=report)


def error_table(problems: UserError) -> pd.DataFrame:
    """Row-level errors as a table (file, row, column, value, reason) when the importer
    gives them; otherwise one reason per line."""
    errors = getattr(problems, "errors", None)
    if errors:
        return pd.DataFrame([{"Archivo": e.file, "Fila": e.row, "Columna": e.column,
                              "Valor": None if e.value is None else str(e.value),
                              "Problema": e.reason} for e in errors])
    return pd.DataFrame({"Problema": problems.reasons})
