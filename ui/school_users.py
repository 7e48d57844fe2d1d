"""Configuración's users: who can see the school, and the Director's changes to them
(add, change role, disable or enable, reset a password, each one's e-mail address for
the digest and alerts). The rules (only users of
this school alone, never a sostenedor, never oneself) live in ``reconcile.auth``.

A new password is shown once: kept for the next run only, then forgotten.
"""
from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from reconcile import access, auth
from reconcile.access import AuthUser
from reconcile.db import session_factory, transaction
from reconcile.errors import UserError
from ui import context
from ui.settings_forms import notice, show_notice

SECTION = "users"
PASSWORD = "cfg_new_password"  # (username, password): shown on the next run, then dropped
CHOSEN = "cfg_user"
EMAIL_CHOSEN = "cfg_email_user"


def users_section(user: AuthUser, rbd: int) -> None:
    _show_new_password()
    show_notice(SECTION)
    with session_factory()() as session:
        people = auth.school_users(session, user, rbd)
    st.dataframe(pd.DataFrame({
        "Usuario": [p.username for p in people],
        "Nombre": [p.display_name for p in people],
        "Rol": [p.role_label for p in people],
        "Correo": [p.email or "—" for p in people],
        "Estado": ["Activo" if p.active else "Desactivado" for p in people],
        "Lo administra": ["Este establecimiento" if p.manageable else "Administrador del sistema"
                          for p in people],
    }), hide_index=True, width="stretch")
    _add_form(user, rbd)
    others = [p for p in people if p.manageable and p.username != user.username]
    if others:
        _manage(user, rbd, others)
    else:
        st.caption("No hay otros usuarios de este establecimiento que administrar.")
    _email_form(user, rbd, [p for p in people
                            if p.username == user.username or p in others])


def _show_new_password() -> None:
    kept = st.session_state.pop(PASSWORD, None)
    if kept is not None:
        username, password = kept
        st.success(f"Contraseña de «{username}»: entréguela a la persona; se muestra solo esta "
                   "vez y deberá usarla para ingresar.")
        st.code(password, language=None)


def _act(user: AuthUser, rbd: int, done: str, action, *args,  # noqa: ANN001
         forget: tuple[str, ...] = ()) -> None:
    """Run a user-management action of the library; on success empty the inputs
    ``forget`` and rerun with ``done``. A refusal leaves every input as typed."""
    try:
        with transaction() as session:
            password = action(session, user, rbd, *args, clock=context.clock())
    except UserError as refused:
        st.error("\n\n".join(refused.reasons))
        return
    if isinstance(password, str):
        st.session_state[PASSWORD] = (args[0], password)
    for key in forget:
        st.session_state.pop(key, None)
    notice(SECTION, "success", done)
    st.rerun()


def _add_form(user: AuthUser, rbd: int) -> None:
    st.markdown("**Agregar un usuario**")
    with st.form("cfg_add_user", border=False):  # kept as typed until the user is made
        left, middle, right, last = st.columns(4)
        username = left.text_input("Usuario", key="cfg_new_username",
                                   placeholder="p. ej. jperez",
                                   help="3 a 50 letras minúsculas, dígitos, punto o guion")
        name = middle.text_input("Nombre", key="cfg_new_name", placeholder="p. ej. Juan Pérez")
        # the least privileged role first chosen: a Director is made on purpose only
        role = right.selectbox("Rol", auth.SCHOOL_ROLES, key="cfg_new_role",
                               index=auth.SCHOOL_ROLES.index(access.PROFESOR),
                               format_func=access.ROLES.get, placeholder="Elija un rol")
        email = last.text_input("Correo (opcional)", key="cfg_new_email",
                                placeholder="p. ej. jperez@colegio.cl",
                                help="Donde le llegan el resumen diario y las alertas")
        pressed = st.form_submit_button("Agregar usuario")
    if pressed:
        _act(user, rbd, f"Usuario «{username.strip()}» creado ({access.ROLES[role]}).",
             partial(auth.create_school_user, email=email.strip() or None),
             username.strip(), role, name,
             forget=("cfg_new_username", "cfg_new_name", "cfg_new_role", "cfg_new_email"))


def _email_form(user: AuthUser, rbd: int, people: list[auth.SchoolUser]) -> None:
    """Where a user's digest and alerts go (the Director's own included); empty
    removes it. The check of the address is the library's."""
    st.markdown("**Correo para el resumen diario y las alertas**")
    names = [p.username for p in people]
    if st.session_state.get(EMAIL_CHOSEN) not in names:
        st.session_state[EMAIL_CHOSEN] = user.username
    chosen = st.selectbox("Usuario del correo", names, key=EMAIL_CHOSEN,
                          placeholder="Elija un usuario",
                          format_func=lambda n: next(f"{p.display_name} ({n})"
                                                     for p in people if p.username == n))
    person = next(p for p in people if p.username == chosen)
    with st.form(f"cfg_form_email_{chosen}", border=False):
        address = st.text_input("Correo", value=person.email or "", key=f"cfg_email_{chosen}",
                                placeholder="Vacío: no recibe correos")
        pressed = st.form_submit_button("Guardar correo")
    if pressed:
        _act(user, rbd, f"Correo de «{chosen}» {'guardado' if address.strip() else 'quitado'}.",
             _change_email, chosen, address.strip() or None,
             forget=(f"cfg_email_{chosen}",))


def _change_email(session, actor: AuthUser, rbd: int, username: str,  # noqa: ANN001
                  email: str | None, clock) -> None:  # noqa: ANN001
    """``auth.change_email`` returning nothing (``_act`` shows a returned text as a new
    password)."""
    auth.change_email(session, actor, rbd, username, email, clock)


def _manage(user: AuthUser, rbd: int, others: list[auth.SchoolUser]) -> None:
    st.markdown("**Cambiar un usuario**")
    names = [p.username for p in others]
    if st.session_state.get(CHOSEN) not in names:
        st.session_state.pop(CHOSEN, None)
    chosen = st.selectbox("Usuario", names, key=CHOSEN, index=None,
                          placeholder="Elija un usuario",
                          format_func=lambda n: next(f"{p.display_name} ({n})"
                                                     for p in others if p.username == n))
    if chosen is None:
        return
    person = next(p for p in others if p.username == chosen)
    role_column, buttons = st.columns([1, 2], vertical_alignment="bottom")
    role = role_column.selectbox("Rol", auth.SCHOOL_ROLES, key=f"cfg_role_{chosen}",
                                 index=auth.SCHOOL_ROLES.index(person.role),
                                 format_func=access.ROLES.get, placeholder="Elija un rol")
    change, active, reset = buttons.columns(3)
    if change.button("Cambiar rol", key="cfg_change_role", disabled=role == person.role):
        _act(user, rbd, f"«{chosen}» ahora es {access.ROLES[role]}.", auth.change_role,
             chosen, role)
    if active.button("Desactivar" if person.active else "Activar", key="cfg_toggle_active"):
        _act(user, rbd, f"«{chosen}» quedó {'desactivado' if person.active else 'activo'}.",
             auth.set_active, chosen, not person.active)
    if reset.button("Restablecer contraseña", key="cfg_reset_password"):
        _act(user, rbd, f"Contraseña de «{chosen}» restablecida; sus sesiones abiertas "
             "terminaron.", auth.reset_password, chosen)
