"""Will a school's month be final in SIGE before the declaration closes? The forecast
from the times SIGE really took, and the level the worker records (an alert when it
turns riesgo or vencido).

The forecast, for SIGE's current month at ``now``:

- ``p90``: the 90th percentile (nearest rank) of send -> final report over the
  school's last ``OBSERVED`` finished jobs; over the installation's when the school
  has fewer than ``MIN_OBSERVED``; ``autopilot.default_minutes`` (120) while the
  installation has fewer too.
- ``pending``: the month's course-days with a record up to today that SIGE does not
  have yet (por sincronizar, error) and are ready, plus those in process;
  ``held``: those not ready (the reconciliation's Caso 1, Caso 2), which no run sends.
- ``units``: the SIGE units (date, tipo de enseñanza, grado) the pending days make;
  the worker keeps ``sync.concurrency`` of them in flight, so they are final after
  ``ceil(units / concurrency)`` waves of ``p90`` each:
  ``forecast_final = now + ceil(units / concurrency) * p90`` (None: nothing left).
  A pessimistic bound: a wave need not wait for the previous one's reports.
- ``riesgo`` when ``forecast_final > close - autopilot.risk_margin_hours`` (24 h),
  or when held days remain and 3 worked days or fewer are left before the close;
  ``vencido`` for ``VENCIDO_FOR`` after a close that left course-days SIGE never got
  (then ``close`` is that past close and ``pending`` those days); ``ok`` otherwise.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconcile import courses, settings
from reconcile.autopilot.schedule import is_run_day
from reconcile.autopilot_summary import OK, RIESGO, VENCIDO, Risk
from reconcile.clock import Clock, as_santiago
from reconcile.db import transaction
from reconcile.db.models import (
    EN_PROCESO,
    ERROR,
    POR_SINCRONIZAR,
    Course,
    CourseDay,
    Establishment,
    SchoolRisk,
)
from reconcile.es_cl import cantidad, fecha_hora
from reconcile.matching.store import run_check
from reconcile.notify import digest
from reconcile.school import calendar_for
from reconcile.sige_calendar import Month, SigeCalendar
from reconcile.sync import jobs

log = logging.getLogger(__name__)
OBSERVED = 50  # the last jobs whose time counts
MIN_OBSERVED = 10  # fewer: the installation's, then the stated default
HELD_WORKED_DAYS = 3  # held days this close to the close are a risk
VENCIDO_FOR = timedelta(days=7)  # a close missed is announced this long, then the open month
REFRESH_EVERY = timedelta(minutes=5)  # the worker re-forecasts a school at most this often


def p90_minutes(session: Session, rbd: int) -> tuple[float, int]:
    """SIGE's send -> final report time, 90th percentile, in minutes, and how many
    observations it stands on (0: the stated default)."""
    times = jobs.report_times(session, rbd, OBSERVED)
    if len(times) < MIN_OBSERVED:
        times = jobs.report_times(session, None, OBSERVED)
    if len(times) < MIN_OBSERVED:
        return settings.get_float(session, "autopilot.default_minutes"), 0
    ordered = sorted(t.total_seconds() for t in times)
    return ordered[math.ceil(0.9 * len(ordered)) - 1] / 60, len(ordered)


def forecast(session: Session, rbd: int, clock: Clock,
             known: tuple[date, date, set[tuple[str, date]]] | None = None) -> Risk:
    """The school's close risk now (the module's docstring has the formula). ``known``:
    (first, last, not ready) from a run just planned: the days of [first, last] are
    not reconciled again (the run's own reading of them stands)."""
    now = as_santiago(clock.now())
    calendar = calendar_for(session, rbd)
    p90, _ = p90_minutes(session, rbd)
    month = calendar.current_month(now)
    previous = month.previous()
    missed_close = calendar.close_of(previous)
    if now - missed_close < VENCIDO_FOR:
        unsent = _unsent(session, rbd, previous.first_day, previous.last_day)
        if unsent:
            return Risk(VENCIDO, len(unsent), 0, None, missed_close, p90)
    close = calendar.close_of(month)
    rows = _unsent(session, rbd, month.first_day, min(month.last_day, now.date()))
    to_send = [row for row in rows if row.state != EN_PROCESO]
    held = _not_ready(session, rbd, to_send, known)
    pending = [row for row in rows if _key(row) not in held]
    units = len({(row.day, row.cod_ense, row.cod_grado) for row in pending})
    concurrency = settings.get_int(session, "sync.concurrency")
    final = now + math.ceil(units / concurrency) * timedelta(minutes=p90) if units else None
    margin = timedelta(hours=settings.get_float(session, "autopilot.risk_margin_hours", rbd))
    late = final is not None and final > close - margin
    short = bool(held) and worked_days_left(calendar, now.date(), close) <= HELD_WORKED_DAYS
    return Risk(RIESGO if late or short else OK, len(pending), len(held), final, close, p90)


def worked_days_left(calendar: SigeCalendar, today: date, close: datetime) -> int:
    """Run days after ``today`` up to the close's date."""
    last = as_santiago(close).date()
    return sum(is_run_day(calendar, today + timedelta(n))
               for n in range(1, (last - today).days + 1))


def lines_es(risk: Risk) -> list[str]:
    """The risk in Spanish, with its numbers (Inicio, the alert; never a RUT)."""
    month = Month.of(as_santiago(risk.close).date()).previous().label_es
    if risk.level == VENCIDO:
        return [f"El período de declaración de {month} cerró el {fecha_hora(risk.close)} con "
                f"{cantidad(risk.pending, 'día-curso')} que SIGE no recibió."]
    lines = []
    if risk.forecast_final is not None:
        lines.append(f"{'Queda' if risk.pending == 1 else 'Quedan'} "
                     f"{cantidad(risk.pending, 'día-curso')} por enviar o en proceso: el último "
                     f"resultado de SIGE se espera hacia el {fecha_hora(risk.forecast_final)} "
                     f"({_pace(risk.p90_minutes)}).")
    if risk.held:
        lines.append(f"{cantidad(risk.held, 'día-curso retenido', 'días-curso retenidos')} "
                     "(no están listos): revíselos en "
                     "Conciliación.")
    head = {RIESGO: f"Riesgo de no completar {month} antes del cierre",
            OK: f"{month.capitalize()} va a tiempo para el cierre"}[risk.level]
    return [f"{head} ({fecha_hora(risk.close)}).", *lines]


# --- the worker's refresh -------------------------------------------------------------


def _pace(p90_minutes: float) -> str:
    """How long SIGE takes per send, as people say it (never «0 min»)."""
    if p90_minutes < 1:
        return "SIGE responde en menos de un minuto por envío"
    return f"SIGE tarda hasta {round(p90_minutes)} min por envío"


def refresh(session: Session, rbd: int, clock: Clock) -> tuple[Risk, bool]:
    """Forecast and record the school's level; returns it and whether it *turned*
    riesgo or vencido now (then the alert is queued here, in this transaction, once)."""
    now = clock.now()
    risk = forecast(session, rbd, clock)
    row = session.get(SchoolRisk, rbd, with_for_update=True)
    before = row.level if row is not None else OK
    if row is None:
        row = SchoolRisk(rbd=rbd, level=risk.level, changed_at=now, checked_at=now)
        session.add(row)
    elif row.level != risk.level:
        row.level, row.changed_at = risk.level, now
    row.checked_at, row.detail = now, risk.as_json()
    turned = risk.level != before and risk.level in (RIESGO, VENCIDO)
    if turned:
        digest.queue_alert(session, rbd, risk.level, lines_es(risk), clock)
    return risk, turned


def refresh_due(clock: Clock, url: str | None = None,
                every: timedelta = REFRESH_EVERY) -> list[int]:
    """Re-forecast each school not checked within ``every``, each in a transaction of
    its own; returns the schools that turned riesgo or vencido."""
    now = clock.now()
    with transaction(url) as session:
        checked = dict(session.execute(select(SchoolRisk.rbd, SchoolRisk.checked_at)).all())
        rbds = [rbd for rbd in session.scalars(select(Establishment.rbd).order_by(
            Establishment.rbd)) if rbd not in checked or now - checked[rbd] >= every]
    turned = []
    for rbd in rbds:
        try:
            with transaction(url) as session:
                if refresh(session, rbd, clock)[1]:
                    turned.append(rbd)
        except IntegrityError:  # another worker recorded it first
            log.info("riesgo de RBD %s: ya lo registró otro trabajador", rbd)
        except Exception:  # noqa: BLE001 - the next turn tries again
            log.warning("no se pudo calcular el riesgo de RBD %s", rbd, exc_info=True)
    return turned


# --- queries --------------------------------------------------------------------------


def _unsent(session: Session, rbd: int, first: date, last: date) -> list:
    """Course-days with a record in [first, last] that SIGE does not have (yet)."""
    if last < first:
        return []
    return list(session.execute(
        select(CourseDay.day, CourseDay.state, Course.cod_ense, Course.cod_grado, Course.letra)
        .join(Course, Course.id == CourseDay.course_id)
        .where(CourseDay.rbd == rbd, CourseDay.day.between(first, last),
               CourseDay.state.in_((POR_SINCRONIZAR, EN_PROCESO, ERROR)))))


def _key(row) -> tuple[str, date]:  # noqa: ANN001
    return courses.code(row.cod_ense, row.cod_grado, row.letra), row.day


def _not_ready(session: Session, rbd: int, rows: Iterable,
               known: tuple[date, date, set[tuple[str, date]]] | None = None
               ) -> set[tuple[str, date]]:
    """(course code, date) of the rows the reconciliation does not find ready."""
    wanted = {_key(row) for row in rows}
    found = set()
    if known is not None:
        first, last, not_ready = known
        decided = {key for key in wanted if first <= key[1] <= last}
        found, wanted = decided & not_ready, wanted - decided
    if not wanted:
        return found
    days = [day for _, day in wanted]
    check = run_check(session, rbd, min(days), max(days))
    ready = {(row.course, row.day) for row in check.course_days.itertuples(index=False)
             if row.ready}
    return found | (wanted - ready)
