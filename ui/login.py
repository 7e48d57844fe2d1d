"""The login form shown before anything else."""
from __future__ import annotations

import streamlit as st

from reconcile.auth import LoginFailed, login
from ui import context


def login_page() -> None:
    st.title("Asistencia SIGE")
    st.caption("Conciliación y sincronización del Control de Subvenciones")
    notice = st.session_state.get(context.NOTICE_KEY)
    if notice:
        st.info(notice)
    with st.form("login"):
        username = st.text_input("Usuario")
        password = st.text_input("Contraseña", type="password")
        submitted = st.form_submit_button("Ingresar", type="primary")
    if submitted:
        if not username or not password:
            st.error("Ingrese usuario y contraseña.")
            return
        try:
            user = login(username, password, context.clock())
        except LoginFailed as failure:
            st.error(str(failure))
            return
        context.sign_in(user)
        st.rerun()
