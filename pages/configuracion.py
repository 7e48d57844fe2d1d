"""Configuración (Director): the school's SIGE convenio (write-only) and «Probar
conexión», SIGE's address, the declaration calendar, sync and matching settings, the
envío automático, the mail server with its test, the school's users and its name.

Each value is checked by the same validator as ``config set``; a refused value
changes nothing; every change is authorised and audited by the library.
"""
import streamlit as st

from ui import page
from ui.autopilot_form import autopilot_section
from ui.mail_form import mail_section
from ui.school_name_form import school_name_section
from ui.school_users import users_section
from ui.settings_forms import calendar_section, connection_test, credentials_form, settings_form

user, rbd = page.start("Configuración", needs="configure")

sige, calendar, sync, autopilot, mail, matching, users, school = st.tabs(
    ["Convenio SIGE", "Calendario", "Sincronización", "Envío automático", "Correo",
     "Conciliación", "Usuarios", "Establecimiento"])
with sige:
    st.subheader("Credenciales del convenio")
    st.caption("Se guardan sin mostrarse: aquí solo se ven sus últimos caracteres. Escriba "
               "solo las que cambian.")
    credentials_form(user, rbd)
    connection_test(user, rbd)
    st.subheader("Dirección de SIGE")
    settings_form("sige", ["sige.base_url", "sige.connect_timeout", "sige.read_timeout"],
                  user, rbd)
with calendar:
    st.subheader("Calendario de declaración")
    calendar_section(user, rbd)
with sync:
    st.subheader("Envíos a SIGE")
    settings_form("sync", ["sync.concurrency", "sync.report_poll_seconds",
                           "sync.report_max_wait_seconds", "sync.report_deadline_hours",
                           "sync.lease_seconds", "sync.retry_initial_seconds",
                           "sync.retry_max_seconds", "sige.call_retries",
                           "sige.call_backoff_max_seconds"], user, rbd)
    st.subheader("Sesiones e ingreso al panel")
    settings_form("auth", ["auth.session_idle_minutes", "auth.session_max_hours",
                           "auth.max_failed_logins", "auth.lockout_minutes"], user, rbd)
with autopilot:
    st.subheader("Envío automático")
    autopilot_section(user, rbd)
with mail:
    st.subheader("Correo")
    mail_section(user, rbd)
with matching:
    st.subheader("Conciliación y cargas")
    settings_form("matching", ["match.suggest_threshold", "rut.provisional_min_body",
                               "import.max_removal_share"], user, rbd)
with users:
    st.subheader("Usuarios del establecimiento")
    users_section(user, rbd)
with school:
    st.subheader("Nombre del establecimiento")
    school_name_section(user, rbd)
