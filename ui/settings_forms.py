"""Configuración's forms for settings: the convenio (write-only), «Probar conexión»,
groups of plain settings, and the declaration calendar.

Every change goes through ``reconcile.settings.change_many`` (authorised, validated
by the same checker as ``config set``, audited): a refused value shows every reason
and changes nothing. A result is kept for the next run (``notice``), since a save
reruns the page so every input shows the stored values again.
"""
from __future__ import annotations

from datetime import datetime, time

import streamlit as st

from reconcile import settings
from reconcile.access import AuthUser
from reconcile.db import session_factory, transaction
from reconcile.errors import UserError
from reconcile.es_cl import fecha_hora
from reconcile.school import calendar_for
from reconcile.settings_together import Conflicting
from reconcile.sige.config import CREDENTIAL_KEYS
from reconcile.sige.probe import KEY_NAMES, probe_connection
from reconcile.sige_calendar import SigeCalendar
from reconcile.sync.verify import bounded_client
from ui import context

NOTICE = "cfg_notice_{}"  # (kind, text) of a section's last result, shown once
INSTALLATION_NOTE = ("Estos valores rigen para todos los establecimientos de la instalación: "
                     "los cambia el administrador del sistema (`python -m reconcile config set`).")


def notice(section: str, kind: str, text: str) -> None:
    st.session_state[NOTICE.format(section)] = (kind, text)


def show_notice(section: str) -> None:
    kept = st.session_state.pop(NOTICE.format(section), None)
    if kept is not None:
        getattr(st, kept[0])(kept[1])


def _shown(name: str, value: str) -> str:
    """A stored value as a person reads it: a close as dd-mm-aaaa HH:MM."""
    if name.startswith(settings.CLOSE_PREFIX):
        return fecha_hora(datetime.fromisoformat(value))
    return settings.display_value(name, value)


def field_label(name: str) -> str:
    """The words a person reads for a setting's input."""
    return KEY_NAMES.get(name) or settings.key_for(name).help


def refused_fields(values: dict[str, str]) -> list[str]:
    """The labels of the inputs whose value the checker of ``config set`` refuses."""
    wrong = []
    for name, value in values.items():
        try:
            settings.normalise(name, value)
        except UserError:
            wrong.append(f"«{field_label(name)}»")
    return wrong


def save(section: str, user: AuthUser, rbd: int, values: dict[str, str],
         saved: str, forget: list[str] = (), needed: tuple[str, ...] = ()) -> None:
    """Store ``values`` all or none. On success forget the inputs ``forget`` (so they
    show the stored values) and rerun with ``saved``, saying which of the ``needed``
    settings are still missing. On refusal every input keeps what was typed (a secret
    stays masked in its password input, never in a message) and the error names the
    fields to fix, then every reason."""
    try:
        with transaction() as session:
            stored = settings.change_many(session, user, values, rbd, context.clock())
            missing = [field_label(n) for n in needed if not settings.get_value(session, n, rbd)]
    except UserError as refused:
        together = refused.keys if isinstance(refused, Conflicting) else ()
        wrong = refused_fields(values) or [f"«{field_label(name)}»" for name in together]
        head = (f"No se guardó nada: revise {' y '.join(wrong)}." if wrong else
                "No se guardó nada:")
        st.error(head + "\n\n" + "\n\n".join(f"- {r}" for r in refused.reasons))
        return
    for key in forget:
        st.session_state.pop(key, None)
    shown = ", ".join(f"{field_label(n)}: {_shown(n, v)}" for n, v in stored.items())
    if missing:
        notice(section, "warning", f"{saved} ({shown}), pero aún faltan {' y '.join(missing)}: "
               "sin ellos no se puede enviar a SIGE ni probar la conexión.")
    else:
        notice(section, "success", f"{saved} ({shown}).")
    st.rerun()


def settings_form(section: str, names: list[str], user: AuthUser, rbd: int,
                  submit: str = "Guardar") -> None:
    """One form of plain (not secret) settings, each input showing its value in use."""
    show_notice(section)
    with session_factory()() as session:
        current = {name: settings.get_value(session, name, rbd) or "" for name in names}
        school_only = all(settings.key_for(name).for_each_school for name in names)
        editable = school_only or settings.installation_wide_allowed(session, rbd)
    if not editable:
        st.caption(INSTALLATION_NOTE)
    inputs = {name: f"cfg_{name}" for name in names}
    with st.form(f"cfg_form_{section}", border=False):
        for name in names:
            st.text_input(settings.key_for(name).help, value=current[name], key=inputs[name],
                          help=f"Clave `{name}`", disabled=not editable)
        pressed = st.form_submit_button(submit, disabled=not editable)
    if pressed:
        typed = {name: st.session_state.get(inputs[name], "") for name in names}
        changed = {n: v for n, v in typed.items() if v.strip() != current[n]}
        if not changed:
            st.info("No hay cambios que guardar.")
        else:
            save(section, user, rbd, changed, "Configuración guardada", list(inputs.values()))


def credentials_form(user: AuthUser, rbd: int) -> None:
    """The convenio's three values: shown masked, written only; an empty input keeps
    the value in use. Typed values stay in their masked inputs until they are saved;
    a save that leaves one of the three unset says which."""
    show_notice("credentials")
    with session_factory()() as session:
        current = {key: settings.get_value(session, key, rbd) for key in CREDENTIAL_KEYS}
    st.markdown("  \n".join(f"**{KEY_NAMES[key]}**: `{settings.mask_secret(value)}`"
                            for key, value in current.items()))
    with st.form("cfg_form_credentials", border=False):
        for key in CREDENTIAL_KEYS:
            st.text_input(f"Nuevo {KEY_NAMES[key]}", type="password", key=f"cfg_{key}",
                          placeholder="Vacío: se mantiene el valor actual")
        pressed = st.form_submit_button("Guardar credenciales")
    if pressed:
        typed = {key: st.session_state.get(f"cfg_{key}", "") for key in CREDENTIAL_KEYS}
        changed = {key: value for key, value in typed.items() if value.strip()}
        if not changed:
            st.info("No escribió ninguna credencial nueva: no cambió nada.")
        else:
            save("credentials", user, rbd, changed, "Credenciales guardadas",
                 [f"cfg_{key}" for key in CREDENTIAL_KEYS], needed=CREDENTIAL_KEYS)


def connection_test(user: AuthUser, rbd: int) -> None:
    """«Probar conexión»: bounded questions to SIGE (the credentials, then the cover of
    this RBD), answered in plain words."""
    if not st.button("Probar conexión", key="cfg_probe", icon=":material/network_check:"):
        return
    with st.spinner("Preguntando a SIGE por una semilla y por este establecimiento…"):
        client = bounded_client()
        try:
            with transaction() as session:
                check = probe_connection(session, user, rbd, client, context.clock())
        except UserError as refused:
            st.error("\n\n".join(refused.reasons))
            return
        finally:
            client.close()
    (st.success if check.ok else st.warning if check.uncertain else st.error)(check.message)


def calendar_section(user: AuthUser, rbd: int) -> None:
    """The default rule, the close in effect for SIGE's current and next month, and a
    month's own close (set, or back to the rule)."""
    now = context.clock().now()
    with session_factory()() as session:
        try:
            calendar = calendar_for(session, rbd)
        except UserError as broken:  # values stored before they were checked
            st.error("La configuración del calendario tiene valores que no se pueden usar; "
                     "corríjalos aquí:\n\n" + "\n\n".join(f"- {r}" for r in broken.reasons))
            calendar = None
        own = {name for name in settings.calendar_values(session, rbd)
               if settings.stored_value(session, name, rbd) is not None}
    if calendar is not None:
        _closes_in_effect(calendar, now, own)
    st.markdown("**Regla por defecto** (para los meses sin cierre propio)")
    settings_form("calendar_rule", ["calendar.default_close_working_day",
                                    "calendar.default_close_time"], user, rbd,
                  submit="Guardar regla")
    if calendar is not None:
        _month_close_form(user, rbd, calendar, now, own)


def _closes_in_effect(calendar: SigeCalendar, now: datetime, own: set[str]) -> None:
    current = calendar.current_month(now)
    rule = (f"el {calendar.close_working_day}.º día hábil del mes siguiente, a las "
            f"{calendar.close_time:%H:%M}")
    st.markdown(f"Regla por defecto: cada mes cierra {rule}.")
    for label, month in (("Mes SIGE actual", current), ("Mes siguiente", current.next())):
        how = ("cierre propio de este establecimiento"
               if f"{settings.CLOSE_PREFIX}{month}" in own else
               "cierre fijado para la instalación" if calendar.has_explicit_close(month) else
               "según la regla por defecto")
        st.markdown(f"- **{label}**: {month.label_es} cierra el "
                    f"**{fecha_hora(calendar.close_of(month))}** ({how}).")


def _month_close_form(user: AuthUser, rbd: int, calendar: SigeCalendar, now: datetime,
                      own: set[str]) -> None:
    st.markdown("**Cierre de un mes** (si el Ministerio fija otra fecha)")
    show_notice("calendar_month")
    current = calendar.current_month(now)
    months = [current, current.next(), current.next().next()]
    month = st.selectbox("Mes", months, format_func=lambda m: m.label_es, key="cfg_close_month",
                         placeholder="Elija un mes")
    name = f"{settings.CLOSE_PREFIX}{month}"
    close = calendar.close_of(month)
    with st.form(f"cfg_form_close_{month}", border=False):
        day = st.date_input("Fecha de cierre", value=close.date(), format="DD-MM-YYYY",
                            key=f"cfg_close_day_{month}",
                            help=f"Debe caer dentro de {month.next().label_es}.")
        hour = st.time_input("Hora de cierre", value=close.time().replace(tzinfo=None),
                             key=f"cfg_close_time_{month}", step=900)
        pressed = st.form_submit_button(f"Fijar el cierre de {month.label_es}")
    if pressed:
        value = f"{day.isoformat()}T{(hour or time(17, 0)):%H:%M}"
        save("calendar_month", user, rbd, {name: value}, f"Cierre de {month.label_es} fijado",
             [f"cfg_close_day_{month}", f"cfg_close_time_{month}"])
    if name in own and st.button(f"Volver a la regla por defecto para {month.label_es}",
                                 key="cfg_close_clear"):
        with transaction() as session:
            settings.clear_school_value(session, user, name, rbd, context.clock())
        for key in (f"cfg_close_day_{month}", f"cfg_close_time_{month}"):
            st.session_state.pop(key, None)
        notice("calendar_month", "success", f"{month.label_es.capitalize()} vuelve a cerrar "
               "según la regla por defecto.")
        st.rerun()
