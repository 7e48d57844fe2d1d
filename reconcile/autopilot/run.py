"""The envío automático's run: a school's ready days queued through the same rules as a
person's request, the rest held with its reason, exactly once per school and date.

A run (``perform``) first *claims* its ``autopilot_run`` row (school, date, kind;
unique), then plans with ``reconcile.sync.rules.plan`` over the days
``schedule.days_to_send`` gives, never overriding: a ready course-day is queued, one
that is not is held with its cause (caso_1, caso_2, sin_registro, no_conciliado).
The jobs, the day states, the run's counts, the audit entry («Envío automático»,
with the person who turned it on as requester) and the digest for the mail all go
in the caller's one transaction: a second worker's claim waits on the unique key
and then fails, a crash undoes the claim with the jobs, so there are never two runs
nor half a run. A dry run plans and writes nothing.

``run_due`` is the worker's turn: every school whose automatic run is due, each in
a transaction of its own. ``run_now`` is ``autopilot run``: the same run, asked for
now by a person who may send (once a day; the automatic one still comes).
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconcile import audit
from reconcile.access import AuthUser, as_auth_user, authorize
from reconcile.autopilot import schedule
from reconcile.autopilot import setting as autopilot_setting
from reconcile.autopilot.risk import forecast
from reconcile.autopilot_summary import HeldDay, RunSummary
from reconcile.clock import Clock, as_santiago
from reconcile.db import transaction
from reconcile.db.models import AutopilotRun, Establishment, User
from reconcile.errors import UserError
from reconcile.es_cl import cantidad, fecha, fecha_hora
from reconcile.notify import digest
from reconcile.school import calendar_for, course_labels
from reconcile.sync import jobs, rules

log = logging.getLogger(__name__)
RUN_ACTION = "autopilot.run"
HELD_CAUSES_ES = {"caso_1": "Caso 1 (faltan estudiantes)", "caso_2": "Caso 2 (RUT no reconocido)",
                  "sin_registro": "sin registro de asistencia",
                  "no_conciliado": "no conciliado con la nómina",
                  "grado_retenido": "retenido con su grado (otra letra ya en SIGE no está lista)"}


def perform(session: Session, rbd: int, clock: Clock, *, kind: str, requester: str | None,
            dry_run: bool = False, hour: time | None = None) -> RunSummary:
    """One run of school ``rbd`` now (see the module's docstring). ``hour``: the run's
    hour (the school's for an automatic run; now for one asked for). Raises
    IntegrityError when the run of that date and kind was already claimed."""
    now = as_santiago(clock.now())
    run_date = now.date()
    row = None
    if not dry_run:  # the claim comes first: a second one stops here
        row = AutopilotRun(rbd=rbd, run_date=run_date, kind=kind, started_at=now,
                           requested_by=requester, queued=0, held=0)
        session.add(row)
        session.flush()
    user, blocked = _requester(session, requester)
    window = schedule.days_to_send(calendar_for(session, rbd), now, run_date,
                                   hour or now.time())
    queued, held = [], []
    if user is not None and window is not None:
        plan = rules.plan(session, user, rbd, *window, clock=clock, whole_month=True)
        queued = plan.queued
        labels = course_labels(session, rbd, window[0].year)
        held = [HeldDay(r.course, labels.get(r.course, r.course), r.day, r.cause)
                for r in plan.refused if r.cause in HELD_CAUSES_ES]
        blocked = [r.line_es() for r in plan.refused if r.course is None]
        if queued and not dry_run:
            jobs.create(session, rbd, plan.units, requester or "", None, now)
    summary = RunSummary(rbd, run_date, kind, now, requester, len(queued), len(held),
                         dict(Counter(day.reason for day in held)), tuple(held), dry_run,
                         blocked=tuple(blocked))
    if dry_run:
        return summary
    row.queued, row.held, row.detail = summary.queued, summary.held, _detail(summary, window)
    audit.record(session, clock, requester, RUN_ACTION, rbd=rbd, kind=kind,
                 queued=[f"{c.code} {d.isoformat()}" for c, d in queued],
                 held=[f"{h.course} {h.day.isoformat()} {h.reason}" for h in held],
                 blocked=blocked or None, **_window_detail(window))
    # the forecast need not reconcile again the days this run just read
    known = (*window, {(h.course, h.day) for h in held}) if queued or held else None
    _queue_digest(session, summary, clock, known)
    return summary


def run_now(session: Session, user: AuthUser, rbd: int, clock: Clock,
            dry_run: bool = False) -> RunSummary:
    """``autopilot run``: the same run, now, by a person who may send to SIGE (Director
    or Administrador de Asistencia of the school); once a day (``dry_run`` any time)."""
    if session.get(Establishment, rbd) is None:
        raise UserError(f"No existe el establecimiento RBD {rbd}.")
    authorize(user, "sync", rbd)
    today = as_santiago(clock.now()).date()
    earlier = _run_of(session, rbd, today, schedule.MANUAL)
    if earlier is not None and not dry_run:
        raise UserError(f"El envío automático a pedido de hoy ya se hizo "
                        f"({fecha_hora(earlier.started_at)}, por {earlier.requested_by}): "
                        "para enviar lo que quedó pendiente use Sincronización o «sync».")
    try:
        summary = perform(session, rbd, clock, kind=schedule.MANUAL, requester=user.username,
                          dry_run=dry_run)
    except IntegrityError:
        raise UserError("Otro envío a pedido de hoy se hizo recién: no se repite.") from None
    if summary.blocked and not summary.queued and not summary.held:
        raise UserError([*summary.blocked, "No se puso nada en cola para enviar a SIGE."])
    return summary


def run_due(clock: Clock, url: str | None = None) -> list[RunSummary]:
    """The worker's turn: every school whose automatic run is due now, each in a
    transaction of its own. A run another worker made (or is making) is skipped;
    one that failed is tried again at the next turn."""
    made = []
    for rbd in due_schools(clock, url):
        try:
            with transaction(url) as session:
                config = autopilot_setting.read(session, rbd)
                made.append(perform(session, rbd, clock, kind=schedule.AUTO,
                                    requester=config.enabled_by, hour=config.at))
        except IntegrityError:
            log.info("envío automático de RBD %s: ya lo hizo otro trabajador", rbd)
        except Exception:  # noqa: BLE001 - the next turn tries again; the other schools go on
            log.warning("falló el envío automático de RBD %s; se reintentará", rbd,
                        exc_info=True)
    for summary in made:
        log.info("envío automático de RBD %s: %d en cola, %d retenidos", summary.rbd,
                 summary.queued, summary.held)
    return made


def due_schools(clock: Clock, url: str | None = None) -> list[int]:
    """The schools whose automatic run is due now and not made: two queries for all."""
    now = as_santiago(clock.now())
    with transaction(url) as session:
        configs = {rbd: c for rbd, c in autopilot_setting.read_all(session).items() if c.enabled}
        if not configs:
            return []
        done = set(session.scalars(select(AutopilotRun.rbd).where(
            AutopilotRun.run_date == now.date(), AutopilotRun.kind == schedule.AUTO,
            AutopilotRun.rbd.in_(list(configs)))))
        return [rbd for rbd, config in configs.items()
                if schedule.due_date(config, calendar_for(session, rbd), now,
                                     rbd in done) is not None]


def next_due(clock: Clock, url: str | None = None) -> datetime | None:
    """The earliest automatic run of any school still to come or due (the worker's
    idle sleep wakes for it)."""
    now = as_santiago(clock.now())
    with transaction(url) as session:
        configs = {rbd: c for rbd, c in autopilot_setting.read_all(session).items() if c.enabled}
        if not configs:
            return None
        done = set(session.scalars(select(AutopilotRun.rbd).where(
            AutopilotRun.run_date == now.date(), AutopilotRun.kind == schedule.AUTO)))
        found = [schedule.next_run_after(config, calendar_for(session, rbd), now, rbd in done)
                 for rbd, config in configs.items()]
    found = [at for at in found if at is not None]
    return min(found) if found else None


def last_run(session: Session, rbd: int) -> RunSummary | None:
    """The school's latest run (automatic or asked for), as a summary."""
    row = session.scalar(select(AutopilotRun).where(AutopilotRun.rbd == rbd)
                         .order_by(AutopilotRun.started_at.desc(), AutopilotRun.id.desc())
                         .limit(1))
    return None if row is None else summary_of(row)


def summary_of(row: AutopilotRun) -> RunSummary:
    detail = row.detail or {}
    held = tuple(HeldDay(h["course"], h["label"], date.fromisoformat(h["date"]), h["reason"])
                 for h in detail.get("held_days", []))
    return RunSummary(row.rbd, row.run_date, row.kind, as_santiago(row.started_at),
                      row.requested_by, row.queued, row.held,
                      dict(detail.get("held_by_reason", {})), held,
                      blocked=tuple(detail.get("blocked", [])))


def lines_es(summary: RunSummary) -> list[str]:
    """The run in Spanish: what went, what is held and why (no RUT, no name)."""
    what = ("Simulación del envío automático" if summary.dry_run else
            "Envío automático" if summary.kind == "auto" else "Envío automático pedido ahora")
    lines = [f"{what} del {fecha_hora(summary.at)} (RBD {summary.rbd}): "
             f"{cantidad(summary.queued, 'día-curso')} en cola para SIGE, "
             f"{cantidad(summary.held, 'retenido')}."]
    lines += [f"  {reason}" for reason in summary.blocked]
    for reason, count in sorted(summary.held_by_reason.items()):
        lines.append(f"  Retenidos por {HELD_CAUSES_ES.get(reason, reason)}: {count}")
    lines += [f"    {h.label} {fecha(h.day)}" for h in summary.held_days]
    return lines


# --- pieces -------------------------------------------------------------------------


def _requester(session: Session, username: str | None) -> tuple[AuthUser | None, list[str]]:
    """The person a run sends as, or why there is none (the run holds everything)."""
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active:
        return None, [f"La persona que activó el envío automático ({username or 'nadie'}) ya "
                      "no tiene acceso: un Director(a) debe activarlo de nuevo."]
    return as_auth_user(user), []


def _run_of(session: Session, rbd: int, day: date, kind: str) -> AutopilotRun | None:
    return session.scalar(select(AutopilotRun).where(
        AutopilotRun.rbd == rbd, AutopilotRun.run_date == day, AutopilotRun.kind == kind))


def _window_detail(window: tuple[date, date] | None) -> dict:
    return {"from": window[0].isoformat(), "to": window[1].isoformat()} if window else {}


def _detail(summary: RunSummary, window: tuple[date, date] | None) -> dict:
    return {**_window_detail(window), "held_by_reason": summary.held_by_reason,
            "held_days": [{"course": h.course, "label": h.label, "date": h.day.isoformat(),
                           "reason": h.reason} for h in summary.held_days],
            "blocked": list(summary.blocked)}


def _queue_digest(session: Session, summary: RunSummary, clock: Clock,
                  known: tuple[date, date, set[tuple[str, date]]] | None) -> None:
    """The school's digest of this run, in the run's transaction (the mail side
    composes and delivers it)."""
    digest.queue_digest(session, summary.rbd, summary,
                        forecast(session, summary.rbd, clock, known), clock)
