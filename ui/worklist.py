"""Pendientes on screen: the list as a table (es-CL), filters, a pair approved from its row,
every 100 %-confidence pair approved after one confirmation, and the downloads."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from reconcile.access import AuthUser
from reconcile.db import transaction
from reconcile.errors import UserError
from reconcile.es_cl import fecha, rut_es
from reconcile.pair_advice import LIBRO, SIGE, WHERE_ES
from reconcile.worklist import Item, approve_all_certain, export_csv, export_xlsx
from ui import context

WHERE_FILTER = {None: "Libro Digital y SIGE", LIBRO: WHERE_ES[LIBRO], SIGE: "SIGE"}
ALL_PENDING = "wl_all_pending"  # «Aprobar N pares…» was pressed: its dialog stays open


def ask_all() -> None:
    st.session_state[ALL_PENDING] = True
    st.rerun()


def _dismissed() -> None:
    st.session_state.pop(ALL_PENDING, None)


def pares(n: int) -> str:
    """«1 par», «7 pares»."""
    return f"{n} par" if n == 1 else f"{n} pares"


def days_es(item: Item) -> str:
    if not item.days:
        return "ninguno este mes"
    # the month is said above the table: day and month are enough to fit the column
    if item.days == 1:
        return f"1: {fecha(item.first)[:5]}"
    return f"{item.days}: {fecha(item.first)[:5]} al {fecha(item.last)[:5]}"


def table(items: list[Item], labels: dict[str, str]) -> pd.DataFrame:
    rows = [{"Curso": labels.get(i.course, i.course), "Estudiante": i.name,
             "RUT en el Libro": rut_es(i.libro_rut) if i.libro_rut else "—",
             "RUT en SIGE": rut_es(i.sige_rut) if i.sige_rut else "—",
             "Días-curso": days_es(i), "Problema": i.problem, "Dónde corregir": i.where_es,
             "Aprobar aquí": "Sí" if i.can_approve else "No", "Estado": i.state_es}
            for i in items]
    # what a person scans first, and all of it within 1366 px (COLUMN_WIDTHS)
    return pd.DataFrame(rows, columns=list(COLUMN_WIDTHS))


# Pixel widths that add up to the table's room beside the menu at 1366 px; the problem,
# the longest words, gets the most and its whole text is under the table on a click.
COLUMN_WIDTHS = {"Curso": 85, "Estudiante": 165, "Problema": 260, "Dónde corregir": 100,
                 "Días-curso": 120, "RUT en el Libro": 95, "RUT en SIGE": 95, "Estado": 75,
                 "Aprobar aquí": 55}


def column_config() -> dict:
    return {name: st.column_config.TextColumn(name, width=width)
            for name, width in COLUMN_WIDTHS.items()}


def as_pair(item: Item) -> dict:
    """What ``ui.corrections.ask_approval`` takes."""
    return {"libro": item.libro_rut, "sige": item.sige_rut, "reason": item.reason,
            "confidence": item.confidence, "sige_name": item.name}


def confirm_all(user: AuthUser, rbd: int, certain: list[Item], labels: dict[str, str]) -> None:
    """One dialog that names the count; all the pairs in one transaction."""
    title = f"Aprobar {pares(len(certain))} con 100 % de confianza"

    def body() -> None:
        st.write("Desde ahora, la conciliación y los envíos a SIGE usarán el RUT que SIGE tiene "
                 "matriculado para estos estudiantes:")
        st.markdown("\n".join(f"- {i.name or '(sin nombre)'}, {labels.get(i.course, i.course)}: "
                              f"{rut_es(i.libro_rut)} → {rut_es(i.sige_rut)} "
                              f"(corregir en {i.where_es})" for i in certain))
        st.caption("Aprobar aquí solo cambia lo que se envía; cada fuente se corrige donde "
                   "dice «Dónde corregir».")
        yes, no = st.columns(2)
        if yes.button(f"Aprobar {pares(len(certain))}", type="primary", key="wl_confirm_all"):
            try:
                with st.spinner("Aprobando los pares y revisando los días que tocan…"), \
                        transaction() as session:
                    done = approve_all_certain(session, user, rbd, context.clock(),
                                               expected=len(certain))
            except UserError as problem:
                st.error("\n".join(problem.reasons))
                return
            st.session_state.pop(ALL_PENDING, None)
            st.session_state["flash"] = f"Se aprobaron {pares(len(done))} con 100 % de confianza."
            st.rerun()
        if no.button("Cancelar", key="wl_cancel_all"):
            st.session_state.pop(ALL_PENDING, None)
            st.rerun()

    st.dialog(title, on_dismiss=_dismissed)(body)()


def downloads(items: list[Item], labels: dict[str, str], rbd: int, today: date) -> None:
    stamp = today.isoformat()
    one, two = st.columns(2)
    one.download_button("Descargar pendientes (CSV)", export_csv(items, labels),
                        f"pendientes_{rbd}_{stamp}.csv", "text/csv", key="wl_csv")
    two.download_button("Descargar pendientes (Excel)", export_xlsx(items, labels),
                        f"pendientes_{rbd}_{stamp}.xlsx",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        key="wl_xlsx")
