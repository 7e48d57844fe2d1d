"""Approving, undoing and exporting RUT corrections on the Conciliación page."""
from __future__ import annotations

from datetime import date

import streamlit as st

from reconcile import corrections
from reconcile.auth import AuthUser
from reconcile.db import session_factory, transaction
from reconcile.errors import UserError
from reconcile.es_cl import fecha_hora, rut_es
from reconcile.school import student_names
from ui import context
from ui.reconciliation import reason_es

PENDING = "pending_pair"  # the pair whose "Aplicar corrección" was pressed


def ask_approval(pair: dict) -> None:
    st.session_state[PENDING] = pair
    st.rerun()


@st.dialog("Aplicar corrección de RUT")
def _confirm(pair: dict, user: AuthUser, rbd: int) -> None:
    who = pair["sige_name"] or "este estudiante"
    st.write(f"Desde ahora, la conciliación y los envíos a SIGE usarán "
             f"**{rut_es(pair['sige'])}** en lugar de **{rut_es(pair['libro'])}** para {who}.")
    st.caption("Corrija también el RUT en el Libro Digital: la lista para descargar está "
               "en «Correcciones aprobadas».")
    yes, no = st.columns(2)
    if yes.button("Confirmar", type="primary", key="confirm_pair"):
        try:
            with transaction() as session:
                corrections.approve(session, user, rbd, pair["libro"], pair["sige"],
                                    pair["reason"], float(pair["confidence"]), context.clock())
        except UserError as problem:
            st.error("\n".join(problem.reasons))
            return
        st.session_state.pop(PENDING, None)
        st.session_state["flash"] = (f"Corrección aplicada: {rut_es(pair['libro'])} → "
                                     f"{rut_es(pair['sige'])}.")
        st.rerun()
    if no.button("Cancelar", key="cancel_pair"):
        st.session_state.pop(PENDING, None)
        st.rerun()


def show_pending_approval(user: AuthUser, rbd: int) -> None:
    """The confirmation dialog for a pair the user chose, and the toast after it."""
    if PENDING in st.session_state:
        _confirm(st.session_state[PENDING], user, rbd)
    if "flash" in st.session_state:
        st.toast(st.session_state.pop("flash"))


def corrections_section(user: AuthUser, rbd: int, today: date) -> None:
    """The approved corrections, each undoable, and the list to fix in the class book."""
    st.subheader("Correcciones aprobadas")
    with session_factory()() as session:
        active = corrections.list_corrections(session, rbd)
        corrected_names = student_names(session, rbd, [c.to_rut for c in active])
        export_csv = corrections.export_csv(session, user, rbd) if active else None
        export_xlsx = corrections.export_xlsx(session, user, rbd) if active else None
    if not active:
        st.caption("Aún no hay correcciones.")
    for correction in active:
        row = st.columns([4, 1])
        row[0].markdown(f"{rut_es(correction.from_rut)} → **{rut_es(correction.to_rut)}** "
                        f"{corrected_names.get(correction.to_rut, '')} · "
                        f"{reason_es(correction.reason)} · {correction.approved_by}, "
                        f"{fecha_hora(correction.approved_at)}")
        if user.can("correct", rbd) and row[1].button("Deshacer", key=f"undo_{correction.id}"):
            try:
                with transaction() as session:
                    corrections.undo(session, user, correction.id, context.clock())
            except UserError as problem:
                st.error("\n".join(problem.reasons))
            else:
                st.rerun()
    if active:
        stamp = today.isoformat()
        one, two = st.columns(2)
        one.download_button("Descargar lista para corregir el Libro (CSV)", export_csv,
                            f"correcciones_rut_{rbd}_{stamp}.csv", "text/csv")
        two.download_button("Descargar lista (Excel)", export_xlsx,
                            f"correcciones_rut_{rbd}_{stamp}.xlsx",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
