"""Configuración's «Correo»: the mail server (the password written only, shown masked),
the sender and the panel's address, what ``reconcile.notify.config`` finds odd about
them, and «Enviar correo de prueba» (``reconcile.notify.delivery.send_test``)."""
from __future__ import annotations

import streamlit as st

from reconcile import settings
from reconcile.access import AuthUser
from reconcile.db import session_factory
from reconcile.errors import UserError
from reconcile.notify import config as mail_config
from reconcile.notify.delivery import send_test
from ui import context
from ui.settings_forms import INSTALLATION_NOTE, field_label, save, show_notice

SECTION = "mail"
PLAIN = ("mail.smtp_host", "mail.smtp_port", "mail.smtp_user", "mail.from", "app.base_url")
SECURITY, PASSWORD = "mail.smtp_security", "mail.smtp_password"
SECURITY_ES = {"none": "Sin cifrar (none, puerto 25)", "starttls": "STARTTLS (puerto 587)",
               "ssl": "SSL/TLS (puerto 465)"}
TEST_TO = "cfg_mail_test_to"


def mail_section(user: AuthUser, rbd: int) -> None:
    show_notice(SECTION)
    with session_factory()() as session:
        current = {name: settings.get_value(session, name, rbd) or ""
                   for name in (*PLAIN, SECURITY)}
        password = settings.get_value(session, PASSWORD)
        editable = settings.installation_wide_allowed(session, rbd)
        notes = mail_config.settings_check(session)
    if not editable:
        st.caption(INSTALLATION_NOTE)
    st.markdown(f"**{field_label(PASSWORD)}**: `{settings.mask_secret(password)}`")
    inputs = {name: f"cfg_{name}" for name in (*PLAIN, SECURITY, PASSWORD)}
    with st.form("cfg_form_mail", border=False):
        left, right = st.columns(2)
        left.text_input(field_label("mail.smtp_host"), value=current["mail.smtp_host"],
                        key=inputs["mail.smtp_host"], disabled=not editable,
                        placeholder="Vacío: los correos quedan como archivos .eml",
                        help="Clave `mail.smtp_host`")
        right.text_input(field_label("mail.smtp_port"), value=current["mail.smtp_port"],
                         key=inputs["mail.smtp_port"], disabled=not editable,
                         help="Clave `mail.smtp_port`")
        left.selectbox(field_label(SECURITY), list(SECURITY_ES), format_func=SECURITY_ES.get,
                       index=list(SECURITY_ES).index(current[SECURITY] or "starttls"),
                       key=inputs[SECURITY], disabled=not editable,
                       placeholder="Elija la conexión", help="Clave `mail.smtp_security`")
        right.text_input(field_label("mail.smtp_user"), value=current["mail.smtp_user"],
                         key=inputs["mail.smtp_user"], disabled=not editable,
                         help="Clave `mail.smtp_user`")
        right.text_input(f"Nueva {field_label(PASSWORD).lower()}", type="password",
                         key=inputs[PASSWORD], disabled=not editable,
                         placeholder="Vacío: se mantiene la actual",
                         help="Clave `mail.smtp_password`: se guarda sin mostrarse.")
        left.text_input(field_label("mail.from"), value=current["mail.from"],
                        key=inputs["mail.from"], disabled=not editable,
                        help="Clave `mail.from`, p. ej. Asistencia SIGE <avisos@colegio.cl>")
        st.text_input(field_label("app.base_url"), value=current["app.base_url"],
                      key=inputs["app.base_url"], disabled=not editable,
                      help="Clave `app.base_url`: el enlace al panel en cada correo.")
        pressed = st.form_submit_button("Guardar", disabled=not editable)
    if pressed:
        typed = {name: str(st.session_state.get(key) or "") for name, key in inputs.items()}
        changed = {name: value for name, value in typed.items()
                   if name != PASSWORD and value.strip() != current[name]}
        if typed[PASSWORD].strip():
            changed[PASSWORD] = typed[PASSWORD]
        if not changed:
            st.info("No hay cambios que guardar.")
        else:
            save(SECTION, user, rbd, changed, "Correo guardado", list(inputs.values()))
    for line in notes:
        st.info(line, icon=":material/info:")
    _test_form(user)


def _test_form(user: AuthUser) -> None:
    """Send a test message now, to the Director's own address unless another is typed."""
    st.markdown("**Correo de prueba**")
    with st.form("cfg_form_mail_test", border=False):
        to = st.text_input("Dirección para el correo de prueba", value=user.email or "",
                           key=TEST_TO, placeholder="p. ej. directora@colegio.cl")
        pressed = st.form_submit_button("Enviar correo de prueba", icon=":material/mail:")
    if not pressed:
        return
    if not to.strip():
        st.error("Escriba la dirección a la que enviar el correo de prueba.")
        return
    try:
        with st.spinner("Enviando el correo de prueba…"), session_factory()() as session:
            sent = send_test(session, to.strip(), context.clock())
    except UserError as failed:
        st.error("No se envió el correo de prueba: " + " ".join(failed.reasons))
        return
    st.success(sent.line_es(to.strip()))
