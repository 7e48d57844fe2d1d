"""When a school's envío automático runs, and which days a run sends.

A run is due once on each run day (a weekday that is not a public holiday of the
school's region) at the school's hour, America/Santiago: from that instant on,
until it is made, so a worker started after the hour still makes that day's run,
and a past day's run is never made late. An hour that came before the envío
automático was turned on does not count (turned on at 10:00 with 07:00: the first
run is the next run day's).

A run sends SIGE's current month (``reconcile.sige_calendar``: during the first
days of a month SIGE is still on the previous one) up to the day before the run's
date, and the run's own date too when its hour is 18:00 or later (the day's
classes are over and recorded).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.autopilot import setting as autopilot_setting
from reconcile.clock import SANTIAGO, Clock, as_santiago
from reconcile.db.models import AutopilotRun
from reconcile.school import calendar_for
from reconcile.sige_calendar import SigeCalendar

AUTO = "auto"  # at the school's hour
MANUAL = "manual"  # asked for now by a person (``autopilot run``)
EVENING = time(18, 0)  # from this hour a run also sends its own date
_SEARCH_DAYS = 40  # a run day always comes within this many days


def is_run_day(calendar: SigeCalendar, day: date) -> bool:
    """A weekday that is not a public holiday (regional ones included)."""
    return day.weekday() < 5 and calendar.holiday_name(day) is None


def run_instant(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=SANTIAGO)


def _utc(moment: datetime) -> datetime:
    return as_santiago(moment).astimezone(timezone.utc)


def due_date(config: autopilot_setting.AutopilotSetting, calendar: SigeCalendar,
             now: datetime, done_today: bool) -> date | None:
    """Today's date when its automatic run is due now and not made yet, else None."""
    today = as_santiago(now).date()
    if not config.enabled or done_today or not is_run_day(calendar, today):
        return None
    at = run_instant(today, config.at)
    if _utc(now) < _utc(at) or (config.since is not None and _utc(config.since) > _utc(at)):
        return None
    return today


def next_run(session: Session, rbd: int, clock: Clock) -> datetime | None:
    """When the school's next automatic run is (or was: due, not made yet, the worker
    makes it at its next turn); None when the envío automático is off."""
    config = autopilot_setting.read(session, rbd)
    if not config.enabled:
        return None
    now = as_santiago(clock.now())
    today = now.date()
    done = session.scalar(select(AutopilotRun.id).where(
        AutopilotRun.rbd == rbd, AutopilotRun.run_date == today,
        AutopilotRun.kind == AUTO)) is not None
    return next_run_after(config, calendar_for(session, rbd), now, done)


def next_run_after(config: autopilot_setting.AutopilotSetting, calendar: SigeCalendar,
                   now: datetime, done_today: bool) -> datetime | None:
    if not config.enabled:
        return None
    today = as_santiago(now).date()
    for n in range(_SEARCH_DAYS):
        day = today + timedelta(days=n)
        if not is_run_day(calendar, day):
            continue
        at = run_instant(day, config.at)
        if n == 0 and (done_today or (config.since is not None
                                      and _utc(config.since) > _utc(at))):
            continue
        return at
    return None


def days_to_send(calendar: SigeCalendar, now: datetime, run_date: date,
                 hour: time) -> tuple[date, date] | None:
    """The first and last date a run sends: SIGE's current month up to the day
    before ``run_date`` (up to ``run_date`` when ``hour`` is 18:00 or later)."""
    month = calendar.current_month(now)
    last = run_date if hour >= EVENING else run_date - timedelta(days=1)
    end = min(month.last_day, last)
    return (month.first_day, end) if end >= month.first_day else None
