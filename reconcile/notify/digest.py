"""A school's daily digest and its alerts, written to the outbox for the people who
answer for the school's attendance: its Directors and Administradores de Asistencia
that have an address. Counts, courses, dates and Casos only, never a RUT or a
child's name; the log carries counts, never an address.
"""
from __future__ import annotations

import logging
from datetime import UTC

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.access import ASISTENCIA, DIRECTOR, ROLES
from reconcile.autopilot_summary import RIESGO, VENCIDO, Risk, RunSummary
from reconcile.clock import Clock
from reconcile.courses import label as course_label
from reconcile.courses import sort_key
from reconcile.db.models import (
    ERROR,
    Course,
    CourseDay,
    Establishment,
    OutboxMessage,
    User,
    UserSchool,
)
from reconcile.es_cl import fecha
from reconcile.notify import outbox
from reconcile.notify.wording import (
    PRIVACY_NOTE,
    Outline,
    Section,
    days_es,
    reason_es,
    reason_long_es,
    render,
    risk_line,
    scrub,
)

log = logging.getLogger(__name__)
RECIPIENT_ROLES = (DIRECTOR, ASISTENCIA)
ALERT_REASONS = {"riesgo": "riesgo de cierre", "vencido": "cierre vencido",
                 "rechazo": "SIGE rechazó días-curso"}
PREFIX = "Asistencia SIGE"


def recipients(session: Session, rbd: int) -> list[str]:
    """The addresses of the school's active Directors and Administradores de Asistencia
    (each once, in the order of their user names)."""
    found = session.scalars(
        select(User.email).join(UserSchool, UserSchool.user_id == User.id)
        .where(UserSchool.rbd == rbd, User.role.in_(RECIPIENT_ROLES), User.active,
               User.email.is_not(None), User.email != "")
        .order_by(User.username))
    seen, out = set(), []
    for address in found:
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


def school_heading(session: Session, rbd: int) -> str:
    """The school as a heading names it: «Liceo X (RBD 12345)», the RBD said once."""
    school = session.get(Establishment, rbd)
    name = school.name if school is not None else ""
    return name if str(rbd) in name else f"{name} (RBD {rbd})".strip()


def _to_whom() -> str:
    roles = " o ".join(ROLES[role] for role in RECIPIENT_ROLES)
    return f"Lo recibe por ser {roles} del establecimiento, con correo registrado."


def queue_digest(session: Session, rbd: int, run: RunSummary, risk: Risk,
                 clock: Clock) -> None:
    """The digest of ``run`` into the outbox (the caller's transaction): once per school,
    run date and kind; nothing when nobody has an address or the run was a dry run."""
    if run.dry_run:
        return
    to = recipients(session, rbd)
    if not to:
        log.info("RBD %s: nadie con correo entre Director(a) y Administrador(a) de "
                 "Asistencia; el resumen no se pone en cola", rbd)
        return
    errors = _errors_since_last_digest(session, rbd)
    subject, text, html = compose_digest(session, rbd, run, risk, errors)
    added = outbox.queue(session, rbd=rbd, kind=outbox.DIGEST, recipients=to, subject=subject,
                         text=text, html=html, clock=clock,
                         dedupe_key=f"digest:{rbd}:{run.run_date.isoformat()}:{run.kind}")
    log.info("RBD %s: resumen del %s %s para %d destinatario(s)", rbd, fecha(run.run_date),
             "en cola" if added else "ya estaba en cola", len(to))


def compose_digest(session: Session, rbd: int, run: RunSummary, risk: Risk,
                   errors: list[str]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest."""
    subject = (f"{PREFIX} · RBD {rbd} · {_sent_es(run.queued)}, "
               f"{run.held} retenido{'s' if run.held != 1 else ''}")
    if risk.level == RIESGO:
        subject += " · riesgo de cierre"
    elif risk.level == VENCIDO:
        subject += " · cierre vencido"
    who = "automático" if run.kind == "auto" else "a pedido"
    paragraphs = [f"Envío {who} del {fecha(run.run_date)}: se pusieron en cola para SIGE "
                  f"{days_es(run.queued)}."]
    if run.held:
        by_reason = "; ".join(f"{reason_long_es(key)}: {count}" for key, count in
                              sorted(run.held_by_reason.items(), key=lambda kv: (-kv[1], kv[0])))
        paragraphs.append(f"Quedaron retenidos {days_es(run.held)}, que no se envían hasta "
                          f"que estén listos ({by_reason}).")
    else:
        paragraphs.append("No quedó ningún día-curso retenido.")
    sections = [
        Section("Días-curso retenidos", _held_by_course(run), "Ninguno."),
        Section("Errores de SIGE desde el último resumen", errors, "Ninguno."),
        Section("Cierre del mes", [risk_line(risk)]),
    ]
    outline = Outline(f"{school_heading(session, rbd)} · envío a SIGE del {fecha(run.run_date)}",
                      paragraphs, sections, settings.get_value(session, "app.base_url"),
                      [PRIVACY_NOTE, _to_whom()])
    text, html = render(outline)
    return subject, text, html


def _held_by_course(run: RunSummary) -> list[str]:
    """One line per course and reason with its dates, in course order: a course held all
    week is one line, not five («3° Básico C · 01-12, 02-12 y 03-12-2026 · Caso 2»)."""
    days: dict[tuple[str, str, str], list] = {}
    for held in run.held_days:
        days.setdefault((held.course, held.label, held.reason), []).append(held.day)
    lines = []
    for (course, label, reason), dates in sorted(days.items(),
                                                  key=lambda kv: (sort_key(kv[0][0]), kv[0][2])):
        dates = sorted(dates)
        shown = [fecha(d)[:5] for d in dates[:-1]] + [fecha(dates[-1])]
        listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} y {shown[-1]}"
        lines.append(scrub(f"{label} · {listed} · {reason_es(reason)}"))
    return lines


def _sent_es(count: int) -> str:
    return f"{days_es(count)} en cola para SIGE"


def _errors_since_last_digest(session: Session, rbd: int) -> list[str]:
    """Course-days in error that changed since the school's last digest (all of them
    for the first one): course, date and Caso."""
    last = session.scalar(select(func.max(OutboxMessage.created_at)).where(
        OutboxMessage.rbd == rbd, OutboxMessage.kind == outbox.DIGEST))
    query = (select(Course.cod_ense, Course.cod_grado, Course.letra, Course.desc_grado,
                    CourseDay.day, CourseDay.cause)
             .join(Course, Course.id == CourseDay.course_id)
             .where(CourseDay.rbd == rbd, CourseDay.state == ERROR))
    if last is not None:
        query = query.where(CourseDay.updated_at > last)
    rows = sorted(session.execute(query),
                  key=lambda r: (r.day, sort_key(f"{r.cod_ense}-{r.cod_grado}-{r.letra}")))
    return [f"{course_label(r.cod_ense, r.cod_grado, r.letra, r.desc_grado)} · {fecha(r.day)}"
            f" · {reason_es(r.cause) if r.cause else 'error'}" for r in rows]


def queue_alert(session: Session, rbd: int, reason: str, lines: list[str],
                clock: Clock) -> None:
    """An alert (``riesgo`` | ``vencido`` | ``rechazo``) into the outbox, coalesced: at
    most one per school and hour (the first one wins; the digest has the rest).
    ``lines`` are what happened, in Spanish; a RUT in them is blanked out."""
    if reason not in ALERT_REASONS:
        raise ValueError(f"motivo de alerta desconocido: {reason!r}")
    to = recipients(session, rbd)
    if not to:
        log.info("RBD %s: nadie con correo para la alerta (%s)", rbd, reason)
        return
    now = clock.now()
    subject = f"{PREFIX} · RBD {rbd} · Alerta: {ALERT_REASONS[reason]}"
    outline = Outline(f"{school_heading(session, rbd)} · alerta: {ALERT_REASONS[reason]}",
                      [scrub(line) for line in lines], [],
                      settings.get_value(session, "app.base_url"),
                      [PRIVACY_NOTE, _to_whom()])
    text, html = render(outline)
    hour = now.astimezone(UTC).strftime("%Y-%m-%dT%H")  # UTC: no hour repeats in autumn
    added = outbox.queue(session, rbd=rbd, kind=outbox.ALERT, recipients=to, subject=subject,
                         text=text, html=html, clock=clock, dedupe_key=f"alert:{rbd}:{hour}")
    log.info("RBD %s: alerta (%s) %s", rbd, reason,
             "en cola" if added else "agrupada con la de esta hora")
