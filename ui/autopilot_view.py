"""The envío automático as the pages show it: the setting and its next run, the last
run, the close risk with its numbers, and the school's recent messages («Avisos»).
Everything is read from ``reconcile.autopilot`` and ``reconcile.notify``; no rule here."""
from __future__ import annotations

from datetime import datetime
from pathlib import PurePath

import pandas as pd
import streamlit as st
from sqlalchemy import select

from reconcile.access import AuthUser
from reconcile.autopilot import risk as close_risk
from reconcile.autopilot import setting as autopilot_setting
from reconcile.autopilot.run import lines_es as run_lines_es
from reconcile.autopilot.status import SchoolAutopilot, status
from reconcile.autopilot_summary import OK, RIESGO, VENCIDO, Risk
from reconcile.clock import as_santiago
from reconcile.db import session_factory
from reconcile.db.models import OutboxMessage
from reconcile.es_cl import cantidad, fecha, fecha_hora
from reconcile.notify import outbox
from reconcile.notify.wording import risk_line
from reconcile.sige_calendar import WEEKDAYS_ES
from ui import context

LEVEL_ES = {OK: "A tiempo", RIESGO: "En riesgo", VENCIDO: "Vencido"}
NOTICES_SHOWN = 10


def cuando(moment: datetime) -> str:
    """«jueves 03-12-2026 a las 20:00» (America/Santiago)."""
    local = as_santiago(moment)
    return f"{WEEKDAYS_ES[local.weekday()]} {fecha(local.date())} a las {local:%H:%M}"


def read(rbd: int) -> tuple[SchoolAutopilot, autopilot_setting.AutopilotSetting]:
    """The school's envío automático now, and its stored setting (who turned it on)."""
    with session_factory()() as session:
        return (status(session, rbd, context.clock()),
                autopilot_setting.read(session, rbd))


def setting_lines(school: SchoolAutopilot, config: autopilot_setting.AutopilotSetting) -> list[str]:
    """On at HH:MM with the next run and who turned it on, or off."""
    if not school.enabled:
        return ["**Desactivado**: lo listo se envía a SIGE solo cuando alguien sincroniza."]
    lines = [f"**Activado** a las **{school.at}** (hora de Chile continental), cada día "
             "trabajado."]
    if school.next_run is not None:
        lines.append(f"Próximo envío automático: **{cuando(school.next_run)}**.")
    if config.enabled_by:
        since = f" el {fecha_hora(config.since)}" if config.since else ""
        lines.append(f"Lo activó «{config.enabled_by}»{since}; los envíos salen a su nombre.")
    return lines


def last_run_lines(school: SchoolAutopilot) -> list[str]:
    """The last run's summary: queued, held by reason (Spanish), why nothing went."""
    if school.last_run is None:
        return ["Aún no hay envíos automáticos."]
    head, *rest = run_lines_es(school.last_run)
    return [f"Último envío: {head}", *[f"- {line.strip()}" for line in rest
                                       if line.startswith("  ") and not line.startswith("    ")]]


def show_risk(risk: Risk, *, quiet_when_ok: bool = False) -> None:
    """The close risk in plain Spanish with its numbers: an error when vencido, a
    warning at riesgo, a caption (or a success) when on time."""
    line = risk_line(risk)
    if risk.level == VENCIDO:
        st.error(line, icon=":material/event_busy:")
    elif risk.level == RIESGO:
        st.warning(line, icon=":material/warning:")
    elif quiet_when_ok:
        st.caption(line)
    else:
        st.success(line, icon=":material/event_available:")


def risk_banner(rbd: int) -> None:
    """Estado's and Sincronización's banner: only when the close is at risk or missed."""
    with session_factory()() as session:
        risk = close_risk.forecast(session, rbd, context.clock())
    show_risk(risk, quiet_when_ok=True)


def risk_cell(risk: Risk) -> str:
    """Establecimientos' «Riesgo de cierre»: the level first (so the column sorts by
    it: A tiempo < En riesgo < Vencido), then the forecast."""
    level = LEVEL_ES[risk.level]
    if risk.level == VENCIDO:
        return f"{level}: {cantidad(risk.pending, 'día-curso')} sin enviar al cierre"
    held = f", {cantidad(risk.held, 'retenido')}" if risk.held else ""
    if risk.forecast_final is None:
        return f"{level}: nada pendiente{held}"
    return (f"{level}: fin previsto {fecha_hora(risk.forecast_final)}, "
            f"{cantidad(risk.pending, 'pendiente')}{held}")


def school_risks(rbds: list[int]) -> dict[int, Risk]:
    """Each school's close risk now."""
    with session_factory()() as session:
        return {rbd: close_risk.forecast(session, rbd, context.clock()) for rbd in rbds}


def notices_table(rbd: int) -> pd.DataFrame:
    """The school's latest messages: when, kind, subject, state and where it went."""
    with session_factory()() as session:
        notices = outbox.recent(session, rbd, NOTICES_SHOWN)
        # where each went (the server or the .eml file): not part of Notice yet
        where = dict(session.execute(select(OutboxMessage.id, OutboxMessage.delivered_to)
                                     .where(OutboxMessage.id.in_([n.id for n in notices]))).all())
    return pd.DataFrame([{
        "Cuándo": fecha_hora(notice.created_at),
        "Tipo": notice.kind_es,
        "Asunto": notice.subject,
        "Estado": notice.state_es,
        "Destino": destination(where.get(notice.id), notice.recipients),
    } for notice in notices])


def destination(delivered_to: str | None, recipients: int) -> str:
    people = "1 destinatario" if recipients == 1 else f"{recipients} destinatarios"
    if not delivered_to:
        return people
    if delivered_to.endswith(".eml"):
        return f"{people}; archivo .eml en la carpeta {PurePath(delivered_to).parent}"
    return f"{people}; servidor de correo {delivered_to}"


def inicio_block(user: AuthUser, rbd: int) -> None:
    """Inicio's «Envío automático» for every role: the setting (read-only here), the
    last run, the close risk and «Avisos»."""
    school, config = read(rbd)
    st.subheader("Envío automático")
    st.markdown("  \n".join(setting_lines(school, config)))
    if user.can("autopilot", rbd):
        st.page_link("pages/configuracion.py", icon=":material/settings:",
                     label="Cambiar el envío automático en Configuración" if school.enabled
                     else "Activar el envío automático en Configuración")
    else:
        st.caption("Solo un Director(a) del establecimiento lo activa, lo desactiva o cambia "
                   "su hora, en Configuración.")
    st.markdown("\n".join(last_run_lines(school)))
    show_risk(school.risk)
    st.markdown("**Avisos**")
    table = notices_table(rbd)
    if table.empty:
        st.caption("Aún no hay avisos por correo de este establecimiento.")
    else:
        st.table(table, hide_index=True)  # a few rows, read as text (also by a screen reader)
