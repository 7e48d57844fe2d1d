"""A sostenedor's schools side by side: SIGE's month, school by day, the share of
course-days SIGE has, the errors, and the time left to each school's close.

Read across the user's schools with a fixed number of set-based queries (one
GROUP BY over ``course_day`` for every school at once), never one school at a
time, so twenty schools cost what one does. Only the user's own schools are read:
a school outside their scope is never named.

The counts follow the Estado page (``reconcile.sync.status``): every course of
the school's year on every worked day so far (and on any day with a record) is
one course-day; a course-day without a Libro record is ``sin registro``.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.access import AuthUser
from reconcile.clock import Clock
from reconcile.db.models import (
    EN_PROCESO,
    ERROR,
    POR_SINCRONIZAR,
    SIN_REGISTRO,
    SINCRONIZADO,
    Course,
    CourseDay,
    Establishment,
    Setting,
)
from reconcile.es_cl import cantidad, duracion, fecha, fecha_hora, numero
from reconcile.sige.causes import RECHAZADO
from reconcile.sige_calendar import Month, SigeCalendar
from reconcile import day_states
from reconcile.sync.status import _is_worked as is_worked
from reconcile.sync.status import WORST_FIRST, month_notice

RECORDED = (POR_SINCRONIZAR, EN_PROCESO, SINCRONIZADO, ERROR)  # a day with a Libro record
NEAR_CLOSE = timedelta(days=3)  # nothing sent this close to the close puts a school at risk


@dataclass(frozen=True)
class DayCounts:
    """One school on one day: its course-days by state."""

    courses: int  # course-days that day (every course of the school's year)
    synced: int = 0
    pending: int = 0  # por sincronizar
    in_process: int = 0
    errors: int = 0

    @property
    def with_record(self) -> int:
        return self.synced + self.pending + self.in_process + self.errors

    @property
    def not_synced(self) -> int:
        """With a record, and SIGE does not have it yet."""
        return self.pending + self.in_process + self.errors

    @property
    def no_record(self) -> int:
        return max(self.courses - self.with_record, 0)

    @property
    def share_synced(self) -> float | None:
        """Synced over the course-days with a record; None when there is none."""
        return self.synced / self.with_record if self.with_record else None

    @property
    def state(self) -> str:
        """The state the day shows, as on Estado and Sincronización: the worst of its
        course-days with a record (any error makes it an error day); ``sin_registro``
        when none has one."""
        found = {ERROR: self.errors, EN_PROCESO: self.in_process,
                 POR_SINCRONIZAR: self.pending, SINCRONIZADO: self.synced}
        return next((state for state in WORST_FIRST if found.get(state)),
                    SIN_REGISTRO)


@dataclass(frozen=True)
class SchoolMonth:
    rbd: int
    name: str
    courses: int
    close_at: datetime  # this school's close of the month (a school may have its own)
    now: datetime
    notice: str | None  # why the month cannot be sent now, in plain words
    days: dict[date, DayCounts]  # the days this school works (or has a record)
    error_causes: tuple[tuple[str, int], ...] = ()  # (cause, course-days), most first

    def _total(self, field: str) -> int:
        return sum(getattr(counts, field) for counts in self.days.values())

    @property
    def synced(self) -> int:
        return self._total("synced")

    @property
    def with_record(self) -> int:
        return self._total("with_record")

    @property
    def not_synced(self) -> int:
        return self._total("not_synced")

    @property
    def errors(self) -> int:
        return self._total("errors")

    @property
    def in_process(self) -> int:
        return self._total("in_process")

    @property
    def no_record(self) -> int:
        return self._total("no_record")

    @property
    def missing(self) -> int:
        """Course-days SIGE does not have yet: not synced, or not even recorded."""
        return self.not_synced + self.no_record

    @property
    def sent(self) -> int:
        """Course-days that went to SIGE at some point: synced, on their way or failed."""
        return self.synced + self.in_process + self.errors

    @property
    def time_left(self) -> timedelta:
        return max(self.close_at - self.now, timedelta(0))

    @property
    def all_failing(self) -> bool:
        """Every send failed: errors, and nothing SIGE took or is taking."""
        return self.errors > 0 and self.synced == 0 and self.in_process == 0

    @property
    def nothing_sent(self) -> bool:
        return self.sent == 0 and self.missing > 0

    @property
    def risk(self) -> int:
        """0: every send fails; 1: nothing sent and the close is near; 2: the rest."""
        if self.all_failing:
            return 0
        if self.nothing_sent and self.time_left <= NEAR_CLOSE:
            return 1
        return 2

    @property
    def at_risk(self) -> bool:
        """Every send fails, or nothing is sent and the close is near (``risk`` 0 or 1)."""
        return self.risk < 2

    def aviso_es(self) -> str:
        """Why this school needs attention, in plain words ("—" when it does not)."""
        if not self.courses:
            return "Sin nómina SIGE cargada."
        if self.notice:
            return self.notice
        cause = ""
        if self.error_causes:
            code = self.error_causes[0][0]
            cause = day_states.CAUSES_ES.get(code, code)
        if self.all_failing:
            return (f"Todos los envíos fallan ({cantidad(self.errors, 'día-curso')} con "
                    f"error): {cause}.")
        if self.nothing_sent:
            left = (f"quedan {duracion(self.time_left)} para el cierre" if self.time_left
                    else "la declaración ya cerró")
            return f"Nada enviado a SIGE y {left}."
        if self.errors:
            return f"{cantidad(self.errors, 'día-curso')} con error: {cause}."
        if self.not_synced:
            return f"{cantidad(self.not_synced, 'día-curso')} por sincronizar o en proceso."
        return "—"

    def close_line_es(self) -> str:
        if self.time_left <= timedelta(0):
            return f"Cerró el {fecha_hora(self.close_at)}."
        return f"Quedan {duracion(self.time_left)} (cierre el {fecha_hora(self.close_at)})."


@dataclass(frozen=True)
class SchoolsOverview:
    month: Month
    now: datetime
    days: list[date]  # the columns: worked days so far and any day with a record
    schools: list[SchoolMonth]  # the schools at risk first (``risk_key``)

    def school(self, rbd: int) -> SchoolMonth | None:
        return next((school for school in self.schools if school.rbd == rbd), None)

    def summary_es(self) -> str:
        """The heatmap in one line, for whoever cannot see it: each school, at risk
        first, with what SIGE has and its warning."""
        parts = []
        for school in self.schools:
            aviso = school.aviso_es()
            parts.append(f"{school.name}: SIGE tiene {numero(school.synced)} de "
                         f"{cantidad(school.with_record, 'día-curso')} con registro"
                         + (f" ({aviso.rstrip('.')})" if aviso != "—" else ""))
        return (f"{cantidad(len(self.schools), 'establecimiento')} por "
                f"{cantidad(len(self.days), 'día')}. " + "; ".join(parts) + ".")


def risk_key(school: SchoolMonth) -> tuple:
    """A school whose every send fails first, then one that has sent nothing with
    the close near (the nearest close first); then most course-days SIGE does not
    have (not synced or without a record), most errors, and by name."""
    return (school.risk, school.time_left if school.risk < 2 else timedelta(0),
            -school.missing, -school.errors, school.name, school.rbd)


def schools_overview(session: Session, user: AuthUser, clock: Clock,
                     month: Month | None = None) -> SchoolsOverview:
    """SIGE's month (the current one by default) for every school of ``user``."""
    now = clock.now()
    rbds = sorted(set(user.rbds))
    calendars = _calendars(session, rbds)
    month = month or calendars[settings.GLOBAL].current_month(now)
    names = dict(session.execute(select(Establishment.rbd, Establishment.name)
                                 .where(Establishment.rbd.in_(rbds))).all()) if rbds else {}
    rbds = [rbd for rbd in rbds if rbd in names]
    n_courses = dict(session.execute(
        select(Course.rbd, func.count()).where(Course.rbd.in_(rbds), Course.year == month.year)
        .group_by(Course.rbd)).all()) if rbds else {}
    states: dict[tuple[int, date], Counter] = defaultdict(Counter)
    causes: dict[int, Counter] = defaultdict(Counter)  # the errors' causes, per school
    if rbds:
        for rbd, day, state, cause, count in session.execute(
                select(CourseDay.rbd, CourseDay.day, CourseDay.state, CourseDay.cause,
                       func.count())
                .join(Course, Course.id == CourseDay.course_id)
                .where(CourseDay.rbd.in_(rbds), Course.year == month.year,
                       CourseDay.day.between(month.first_day, month.last_day),
                       CourseDay.state.in_(RECORDED))
                .group_by(CourseDay.rbd, CourseDay.day, CourseDay.state, CourseDay.cause)):
            states[(rbd, day)][state] += count
            if state == ERROR:
                causes[rbd][cause or RECHAZADO] += count
    until = min(now.date(), month.last_day)
    so_far = [month.first_day + timedelta(n) for n in range((until - month.first_day).days + 1)]
    days = sorted({day for day in so_far if is_worked(calendars[settings.GLOBAL], day)}
                  | {day for _, day in states})
    schools = []
    for rbd in rbds:
        calendar = calendars.get(rbd, calendars[settings.GLOBAL])
        counts = {}
        for day in days:
            found = states.get((rbd, day))
            if found is None and not (day <= until and is_worked(calendar, day)):
                continue  # not a school day for this school
            found = found or Counter()
            counts[day] = DayCounts(n_courses.get(rbd, 0), found[SINCRONIZADO],
                                    found[POR_SINCRONIZAR], found[EN_PROCESO], found[ERROR])
        schools.append(SchoolMonth(rbd, names[rbd], n_courses.get(rbd, 0),
                                   calendar.close_of(month), now,
                                   month_notice(calendar, month, now), counts,
                                   tuple(causes[rbd].most_common())))
    return SchoolsOverview(month, now, days, sorted(schools, key=risk_key))


def _calendars(session: Session, rbds: list[int]) -> dict[int, SigeCalendar]:
    """Each school's declaration calendar (its own values over the global ones), read
    in one query; key ``settings.GLOBAL`` holds the global calendar."""
    values = {name: key.default for name, key in settings.KEYS.items()
              if name.startswith("calendar.")}
    scoped: dict[int, dict[str, str]] = defaultdict(dict)
    for key, rbd, value in session.execute(
            select(Setting.key, Setting.rbd, Setting.value)
            .where(Setting.key.like("calendar.%"), Setting.rbd.in_([settings.GLOBAL, *rbds]))):
        scoped[rbd][key] = value
    common = {**values, **scoped[settings.GLOBAL]}
    calendars = {settings.GLOBAL: SigeCalendar.from_settings(common)}
    for rbd in rbds:
        calendars[rbd] = (SigeCalendar.from_settings({**common, **scoped[rbd]})
                          if scoped.get(rbd) else calendars[settings.GLOBAL])
    return calendars


def percent(share: float) -> str:
    """A share rounded down, so 100% only when every course-day is in.

    >>> percent(35 / 36), percent(1.0), percent(0.0)
    ('97%', '100%', '0%')
    """
    return f"{int(share * 100 + 1e-9)}%"


def describe(school: SchoolMonth, day: date) -> list[str]:
    """The lines a person reads about one school on one day (hover text)."""
    counts = school.days.get(day)
    lines = [school.name, fecha(day)]
    if counts is None:
        return lines + ["Sin clases ese día."]
    if counts.with_record:
        lines.append(f"Sincronizados: {numero(counts.synced)} de {numero(counts.with_record)} "
                     f"días-curso con registro ({percent(counts.share_synced)})")
    lines += [f"{label}: {numero(value)}" for label, value in (
        ("Por sincronizar", counts.pending), ("En proceso", counts.in_process),
        ("Con error", counts.errors), ("Sin registro en el Libro", counts.no_record))
        if value]
    return lines
