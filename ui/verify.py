"""«Verificar en SIGE» on Conciliación: ask SIGE whether it knows a RUT that the
school's nómina does not list in that course, so a Caso 2 is understood before
sending. One short, bounded call (``reconcile.sync.verify``); the answer stays on
screen for the session."""
from __future__ import annotations

import streamlit as st

from reconcile import rut as rutlib
from reconcile.access import AuthUser
from reconcile.db import transaction
from reconcile.errors import UserError
from reconcile.es_cl import rut_es
from reconcile.sync.verify import bounded_client, verify_student
from ui import context

ANSWERS = "sige_verifications"  # (rbd, rut) -> Verification


def verify_section(user: AuthUser, rbd: int, ruts: list[str], names: dict[str, str]) -> None:
    valid = sorted(r for r in set(ruts) if rutlib.parse(r).is_valid)
    if not valid:
        return
    with st.container(border=True):
        st.markdown("**Verificar en SIGE**: ¿conoce SIGE a este estudiante (por ejemplo, "
                    "matriculado en otro curso o establecimiento)?")
        if not user.can("sync", rbd):
            st.caption("Solo Director(a) o Administrador(a) de Asistencia pueden consultar a "
                       "SIGE (se usa el convenio del establecimiento).")
            return
        pick, ask = st.columns([3, 1], vertical_alignment="bottom")
        rut = pick.selectbox("RUT a verificar", valid, key="verify_rut",
                             placeholder="Elija un RUT", format_func=lambda r: f"{rut_es(r)} {names.get(r, '')}".strip())
        if ask.button("Verificar en SIGE", key="verify_button"):
            client = bounded_client()
            try:
                with st.spinner("Consultando a SIGE (unos segundos como máximo)…"), \
                        transaction() as session:
                    answer = verify_student(session, user, rbd, rut, client, context.clock())
            except UserError as problem:
                st.error("\n".join(problem.reasons))
                return
            finally:
                client.close()
            st.session_state.setdefault(ANSWERS, {})[(rbd, rut)] = answer
        answer = st.session_state.get(ANSWERS, {}).get((rbd, rut))
        if answer is None:
            return
        show = {True: st.info, False: st.warning, None: st.error}[answer.known]
        show(answer.message)
