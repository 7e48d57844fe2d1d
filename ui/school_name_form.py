"""Configuración's «Establecimiento»: the school's name as people call it (a school first
seen in a nómina is «Establecimiento RBD N» until its Director names it), changed through
``reconcile.school_name.rename`` (checked, authorised, audited)."""
from __future__ import annotations

import streamlit as st

from reconcile import school_name
from reconcile.access import AuthUser
from reconcile.db import session_factory, transaction
from reconcile.db.models import Establishment
from reconcile.errors import UserError
from ui import context
from ui.settings_forms import notice, show_notice

SECTION, INPUT = "school_name", "cfg_school_name"


def school_name_section(user: AuthUser, rbd: int) -> None:
    show_notice(SECTION)
    with session_factory()() as session:
        current = session.get(Establishment, rbd).name
    with st.form("cfg_form_school_name", border=False):
        st.text_input("Nombre del establecimiento", value=current, key=INPUT,
                      max_chars=school_name.MAX_LENGTH,
                      help=f"Aparece en el encabezado de cada página y en los correos "
                           f"(RBD {rbd}).")
        pressed = st.form_submit_button("Guardar nombre")
    if not pressed:
        return
    typed = st.session_state.get(INPUT, "")
    try:
        with transaction() as session:
            name = school_name.rename(session, rbd, typed, user, context.clock())
    except UserError as refused:
        st.error("No se guardó nada: " + " ".join(refused.reasons))
        return
    st.session_state.pop(INPUT, None)
    notice(SECTION, "success", f"Nombre guardado: {name} (RBD {rbd}).")
    st.rerun()
