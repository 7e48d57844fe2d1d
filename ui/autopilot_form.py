"""Configuración's «Envío automático»: on or off and its hour (saved through
``reconcile.autopilot.setting``, which authorises and audits), who turned it on, the
next and the last run, and «Enviar ahora» confirmed after the dry run's numbers."""
from __future__ import annotations

import streamlit as st

from reconcile.access import AuthUser
from reconcile.autopilot import run as autopilot_run
from reconcile.autopilot import setting as autopilot_setting
from reconcile.db import session_factory, transaction
from reconcile.errors import UserError
from reconcile.es_cl import cantidad
from ui import context
from ui.autopilot_view import cuando, last_run_lines, read, setting_lines
from ui.settings_forms import field_label, notice, refused_fields, show_notice

SECTION = "autopilot"
ON_KEY, AT_KEY = "cfg_autopilot_on", "cfg_autopilot_at"
ASKED = "cfg_autopilot_now"  # «Enviar ahora» pressed: its dialog is open


def autopilot_section(user: AuthUser, rbd: int) -> None:
    show_notice(SECTION)
    school, config = read(rbd)
    st.markdown("  \n".join(setting_lines(school, config)))
    st.markdown("\n".join(last_run_lines(school)))
    with st.form("cfg_form_autopilot", border=False):
        on = st.toggle("Envío automático activado", value=config.enabled, key=ON_KEY)
        at = st.text_input(field_label(autopilot_setting.AT_KEY), value=config.at_text,
                           key=AT_KEY, placeholder="p. ej. 07:00",
                           help="Cada día trabajado a esta hora se envía a SIGE lo que está "
                                "listo. Desde las 18:00 también se envía el mismo día.")
        pressed = st.form_submit_button("Guardar")
    if pressed:
        _save(user, rbd, config, on, at.strip())
    st.caption("«Enviar ahora» hace hoy el mismo envío, una vez: primero muestra qué se "
               "enviaría y qué quedaría retenido.")
    if st.button("Enviar ahora", key="cfg_autopilot_now_open", icon=":material/send:"):
        st.session_state[ASKED] = True
    if st.session_state.get(ASKED):
        _confirm_now(user, rbd)


def _save(user: AuthUser, rbd: int, config: autopilot_setting.AutopilotSetting, on: bool,
          at: str) -> None:
    """Turn it on (with the hour) or off through the library; a refusal names the field
    and keeps what was typed."""
    if on == config.enabled and (not on or at == config.at_text):
        st.info("No hay cambios que guardar.")
        return
    try:
        with transaction() as session:
            if on:
                autopilot_setting.enable(session, user, rbd, at, context.clock())
            else:
                autopilot_setting.disable(session, user, rbd, context.clock())
    except UserError as refused:
        wrong = refused_fields({autopilot_setting.AT_KEY: at}) if on else []
        head = (f"No se guardó nada: revise {' y '.join(wrong)}." if wrong else
                "No se guardó nada:")
        st.error(head + "\n\n" + "\n\n".join(f"- {r}" for r in refused.reasons))
        return
    for key in (ON_KEY, AT_KEY):
        st.session_state.pop(key, None)
    school, _ = read(rbd)
    if on:
        notice(SECTION, "success", f"Envío automático activado a las {school.at}. Próximo "
               f"envío automático: {cuando(school.next_run)}." if school.next_run else
               f"Envío automático activado a las {school.at}.")
    else:
        notice(SECTION, "success", f"Envío automático desactivado (la hora {school.at} queda "
               "guardada para cuando se active).")
    st.rerun()


def _dismissed() -> None:
    st.session_state.pop(ASKED, None)


@st.dialog("Enviar ahora", width="large", on_dismiss=_dismissed)
def _confirm_now(user: AuthUser, rbd: int) -> None:
    """The dry run's numbers, then the same run for real once confirmed."""
    try:
        with session_factory()() as session:  # a dry run writes nothing; rolled back anyway
            dry = autopilot_run.run_now(session, user, rbd, context.clock(), dry_run=True)
            session.rollback()
    except UserError as refused:
        st.error("\n\n".join(refused.reasons))
        return
    _, *rest = autopilot_run.lines_es(dry)
    queued, held = cantidad(dry.queued, "día-curso"), cantidad(dry.held, "día-curso")
    st.markdown(f"Si confirma, ahora se ponen en cola para SIGE: **{queued}**; quedan "
                f"retenidos (no están listos): **{held}**.")
    details = [line.strip() for line in rest if not line.startswith("    ")]
    if details:
        st.markdown("\n".join(f"- {line}" for line in details))
    if not dry.queued:
        st.info("No hay días-curso listos para enviar: no hay nada que confirmar.")
        return
    if st.button("Confirmar envío", key="cfg_autopilot_confirm", type="primary",
                 icon=":material/cloud_upload:"):
        try:
            with transaction() as session:
                done = autopilot_run.run_now(session, user, rbd, context.clock())
        except UserError as refused:
            st.error("\n\n".join(refused.reasons))
            return
        st.session_state.pop(ASKED, None)
        notice(SECTION, "success", f"Enviado ahora: {cantidad(done.queued, 'día-curso')} en "
               f"cola para SIGE, {cantidad(done.held, 'retenido')}. El avance se ve en «Estado».")
        st.rerun()
