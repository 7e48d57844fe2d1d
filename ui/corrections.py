"""Approving, undoing and exporting RUT corrections on the Conciliación page."""
from __future__ import annotations

from datetime import date

import streamlit as st

from reconcile import corrections, settings
from reconcile.access import AuthUser
from reconcile.db import session_factory, transaction
from reconcile.errors import UserError
from reconcile.es_cl import fecha_hora, rut_es
from reconcile.pair_advice import advice
from reconcile.school import display_names, student_names
from ui import context

PENDING = "pending_pair"  # the pair whose "Aplicar corrección" was pressed
PENDING_UNDO = "pending_undo"  # the correction whose "Deshacer" was pressed


def ask_approval(pair: dict) -> None:
    st.session_state.pop(PENDING_UNDO, None)
    st.session_state[PENDING] = pair
    st.rerun()


def ask_undo(correction_id: int) -> None:
    st.session_state.pop(PENDING, None)
    st.session_state[PENDING_UNDO] = correction_id
    st.rerun()


def _dismissed() -> None:
    """Closing a dialog with its ✕ or a click outside is a cancel."""
    st.session_state.pop(PENDING, None)
    st.session_state.pop(PENDING_UNDO, None)


@st.dialog("Aplicar corrección de RUT", on_dismiss=_dismissed)
def _confirm(pair: dict, user: AuthUser, rbd: int) -> None:
    who = pair["sige_name"] or "este estudiante"
    with session_factory()() as session:
        min_body = settings.get_int(session, "rut.provisional_min_body", rbd)
    said = advice(pair["reason"], pair["libro"], pair["sige"], min_body)
    st.write(f"Desde ahora, la conciliación y los envíos a SIGE usarán "
             f"**{rut_es(pair['sige'])}** (el RUT que SIGE tiene matriculado) en lugar de "
             f"**{rut_es(pair['libro'])}** (el del Libro) para {who}.")
    st.markdown(f"{said.problem}. **Dónde corregir: {said.where}.** {said.fix}")
    st.caption("Aprobar aquí solo cambia lo que se envía a SIGE; la lista para quien corrige "
               "la fuente está en «Correcciones» y en «Pendientes».")
    yes, no = st.columns(2)
    if yes.button("Confirmar", type="primary", key="confirm_pair"):
        try:
            with st.spinner("Aplicando la corrección y revisando los días que toca…"), \
                    transaction() as session:
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


@st.dialog("Deshacer corrección de RUT", on_dismiss=_dismissed)
def _confirm_undo(correction_id: int, user: AuthUser, rbd: int) -> None:
    with session_factory()() as session:
        correction = next((c for c in corrections.list_corrections(session, rbd)
                           if c.id == correction_id), None)
    if correction is None:  # undone meanwhile (another tab, another person)
        st.session_state.pop(PENDING_UNDO, None)
        st.rerun()
    st.write(f"Desde ahora, la conciliación y los envíos a SIGE volverán a usar "
             f"**{rut_es(correction.from_rut)}** del Libro en lugar de "
             f"**{rut_es(correction.to_rut)}**.")
    st.caption("La corrección queda en la lista, marcada como deshecha.")
    yes, no = st.columns(2)
    if yes.button("Deshacer", type="primary", key="confirm_undo"):
        try:
            with st.spinner("Deshaciendo la corrección y revisando los días que toca…"), \
                    transaction() as session:
                corrections.undo(session, user, correction_id, context.clock())
        except UserError as problem:
            st.error("\n".join(problem.reasons))
            return
        st.session_state.pop(PENDING_UNDO, None)
        st.session_state["flash"] = (f"Corrección deshecha: {rut_es(correction.from_rut)} → "
                                     f"{rut_es(correction.to_rut)}.")
        st.rerun()
    if no.button("Cancelar", key="cancel_undo"):
        st.session_state.pop(PENDING_UNDO, None)
        st.rerun()


def show_pending_approval(user: AuthUser, rbd: int) -> None:
    """The confirmation dialog for a pair to approve or a correction to undo that the
    user chose, and the toast after it."""
    if PENDING in st.session_state:
        _confirm(st.session_state[PENDING], user, rbd)
    elif PENDING_UNDO in st.session_state:
        _confirm_undo(st.session_state[PENDING_UNDO], user, rbd)
    if "flash" in st.session_state:
        st.toast(st.session_state.pop("flash"))


def corrections_section(user: AuthUser, rbd: int, today: date) -> None:
    """Every correction, the undone ones marked, each active one undoable; the list to
    fix in the class book."""
    st.subheader("Correcciones")
    with session_factory()() as session:
        listed = corrections.list_corrections(session, rbd, include_revoked=True)
        active = [c for c in listed if c.revoked_at is None and c.resolved_at is None]
        said = {c.id: corrections.pair_advice_of(session, rbd, c) for c in listed}
        corrected_names = student_names(session, rbd, [c.to_rut for c in listed])
        people = display_names(session, [n for c in listed for n in (c.approved_by,
                                                                      c.revoked_by)])
        export_csv = corrections.export_csv(session, user, rbd) if active else None
        export_xlsx = corrections.export_xlsx(session, user, rbd) if active else None
    if not listed:
        st.caption("Aún no hay correcciones.")
    for correction in listed:
        row = st.columns([5, 1], vertical_alignment="center")
        advice_of = said[correction.id]
        change = (f"{rut_es(correction.from_rut)} → **{rut_es(correction.to_rut)}** "
                  f"{corrected_names.get(correction.to_rut, '')} · {advice_of.problem}")
        approved = (f"Aprobada por {people.get(correction.approved_by, correction.approved_by)}"
                    f" el {fecha_hora(correction.approved_at)}")
        if correction.revoked_at is not None:
            who = people.get(correction.revoked_by, correction.revoked_by)
            row[0].markdown(f":gray[~~{change}~~]  \n:gray[{approved}] · :red-badge[Deshecha] "
                            f"por {who} el {fecha_hora(correction.revoked_at)}")
            continue
        if correction.resolved_at is not None:
            row[0].markdown(f":gray[{change}]  \n:gray[{approved}] · :green-badge[Resuelta] "
                            f"{corrections.resolved_text(correction)}: ya no se usa")
            continue
        row[0].markdown(f"{change}  \n{approved} · **Dónde corregir: {advice_of.where}**")
        if user.can("correct", rbd) and row[1].button(
                "Deshacer", key=f"undo_{correction.id}",
                help=f"Deshacer la corrección de {corrected_names.get(correction.to_rut, '')}"):
            ask_undo(correction.id)
    if active:
        stamp = today.isoformat()
        one, two = st.columns(2)
        one.download_button("Descargar lista para corregir en la fuente (CSV)", export_csv,
                            f"correcciones_rut_{rbd}_{stamp}.csv", "text/csv")
        two.download_button("Descargar lista para corregir en la fuente (Excel)", export_xlsx,
                            f"correcciones_rut_{rbd}_{stamp}.xlsx",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
