"""Running an importer from a page: a dry run to preview, the real run to save, both
with a progress bar fed by the importer itself; the nómina's confirmations; and the
saved result, which alone stays on screen after a save."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from reconcile.access import AuthUser
from reconcile.clock import Clock
from reconcile.db import session_factory, transaction
from reconcile.errors import UserError
from reconcile.es_cl import numero
from reconcile.imports.advice import LoadElsewhere
from reconcile.imports.common import ImportSummary
from reconcile.imports.nomina_scope import share_es

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
    """Forget the dry runs of ``key`` (every variant: ``key`` and ``key_…``)."""
    for name in [name for name in st.session_state
                 if name == f"checked_{key}" or str(name).startswith(f"checked_{key}_")]:
        del st.session_state[name]


def removal_confirmations(preview: ImportSummary, key: str) -> tuple[bool, bool]:
    """The nómina's warnings and their confirmations, drawn under the preview.

    Returns (allow_removals, ready): what to pass to the importer, and whether every
    removal the preview announced has been confirmed. The save button alone never
    confirms: the importer refuses large removals unless ``allow_removals``."""
    ready, allow_removals = True, False
    if preview.large_removals:
        share = share_es(preview.max_removal_share or 0.0)
        st.warning(f"**Atención:** esta nómina retiraría más del {share} de los estudiantes "
                   "de estos cursos:\n\n" + "\n".join(
                       f"- **{item.count_es()}:** {', '.join(item.names)}"
                       for item in preview.large_removals)
                   + "\n\nSi el archivo trae solo una parte del curso, no guarde: exporte de "
                     "nuevo la nómina completa desde SIGE.")
        allow_removals = st.checkbox("Confirmo que se retiren estos estudiantes de la nómina",
                                     key=f"confirm_removals_{key}")
        ready = allow_removals
    if preview.courses_emptied:
        total = sum(item.removed for item in preview.courses_emptied)
        st.warning(f"**Atención:** se vaciarán {numero(len(preview.courses_emptied))} cursos "
                   f"que el archivo no trae ({numero(total)} estudiantes):\n\n" + "\n".join(
                       f"- {item.label}: {numero(item.removed)} estudiantes"
                       for item in preview.courses_emptied))
        ready = st.checkbox("Confirmo que se vacíen los cursos que el archivo no trae",
                            key=f"confirm_whole_school_{key}") and ready
    return allow_removals, ready


def remember_saved(kind: str, rbd: int, data: bytes, summary: ImportSummary) -> None:
    """Keep the saved result for the next run, which draws only it (``show_saved``),
    and give the next upload a fresh, empty uploader."""
    st.session_state[f"saved_{kind}_{rbd}"] = {
        "sha256": hashlib.sha256(data).hexdigest(), "lines": summary.lines_es()}
    st.session_state[f"uploader_{kind}"] = uploader_generation(kind) + 1


def uploader_generation(kind: str) -> int:
    return st.session_state.get(f"uploader_{kind}", 0)


def show_saved(kind: str, rbd: int) -> bool:
    """After a save: the result and a way to load another file, nothing else."""
    saved = st.session_state.get(f"saved_{kind}_{rbd}")
    if saved is None:
        return False
    st.success("Guardado.")
    st.markdown("\n".join(f"- {line}" for line in saved["lines"]))
    if st.button("Cargar otro archivo", key=f"another_{kind}"):
        del st.session_state[f"saved_{kind}_{rbd}"]
        st.rerun()
    return True


def run_import(importer: Importer, data: bytes, filename: str, user: AuthUser,
               clock: Clock) -> ImportSummary:
    with progress_bar("Guardando", filename) as report, transaction() as session:
        return importer(session, data, filename=filename, user=user, clock=clock,
                        progress=report)


def error_table(problems: UserError) -> pd.DataFrame:
    """Row-level errors as a table (row, column, value, reason) when the importer gives
    them; otherwise one reason per line. What an error lacks reads «—», never
    Streamlit's «None». The file is the one just uploaded: no column repeats it."""
    errors = getattr(problems, "errors", None)
    if errors:
        def text(value: object) -> str:
            return "—" if value is None or value == "" else str(value)

        return pd.DataFrame([{"Fila": text(e.row), "Columna": text(e.column),
                              "Valor": text(e.value), "Problema": text(e.reason)}
                             for e in errors])
    return pd.DataFrame({"Problema": problems.reasons})


def show_problems(problems: UserError, headline: str) -> None:
    """Why nothing was stored, every reason in full (wrapped, never cut in a cell).

    Advice (another tab, another file first: ``LoadElsewhere``) is said as it is,
    without "corrija el archivo", and the file's other problems follow. Else the
    headline, the problems of the whole file as a list under it, and the problems of
    rows as a table (to sort and search) followed by the whole text of each, which a
    narrow cell would cut."""
    errors = getattr(problems, "errors", None) or []
    if isinstance(problems, LoadElsewhere):
        st.error("\n\n".join(_plain(line) for line in problems.advice))
        if not errors:
            return
        headline = "Además, el archivo tiene estos problemas; corríjalos antes de cargarlo:"
    rows = [e for e in errors if e.row is not None]
    whole_file = [e.reason for e in errors if e.row is None] if errors else problems.reasons
    st.error("\n".join([headline, "", *(f"- {_plain(_sentence(r))}" for r in whole_file)]))
    if not rows:
        return
    table = error_table(UserError([], errors=rows))
    # a stretched table shares its width among the columns whatever their set widths:
    # a long reason is cut at 1366 px, so the whole text follows in the expander
    st.dataframe(table, hide_index=True, width="stretch")
    with st.expander(f"Texto completo de {_count(len(rows))}"):
        st.markdown("\n".join(f"- {_plain(str(e))}" for e in rows))


def _count(n: int) -> str:
    return "1 problema" if n == 1 else f"los {numero(n)} problemas"


def _sentence(reason: str) -> str:
    reason = reason.strip()
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")


def _plain(text: str) -> str:
    """Text from a user's file shown as Markdown: its * _ ` [ ] # < > | ~ $ stay literal."""
    return "".join("\\" + char if char in "\\*_`[]#<>|~$" else char for char in text)
