"""The summary to declare a month: per school and course, what SIGE accepted beside what the
Libro says now, and whether every worked day is in SIGE unchanged ("lista para declarar").

The words, as a school administrator reads them (DOMAIN.md):

- **Worked days** of a school: the days of the month on which the Libro Digital has attendance
  for any of its courses (the record, not the calendar, says a school worked: a winter break
  or a suspension has no record). Every course of the school is counted over those days.
- **Enrolled** (nómina): students enrolled in the course on the school's last worked day of
  the month (incorporated by then and not yet withdrawn): the class list SIGE shows then.
- **Asistencia media**: the students present summed over the worked days, divided by the
  worked days; **% de asistencia**: the present among the students marked (present and
  absent).
- **SIGE** counts only what SIGE accepted: the last accepted payload of each course-day
  (``synced_present``/``synced_absent``, migration 0006). A day accepted before those counts
  were kept is counted from the Libro's marks when its payload has not changed since (SIGE
  has exactly the Libro's payload); otherwise its counts are unknown, and so is the course's
  SIGE total (never a partial sum that looks like a figure): ``sige_unknown_days`` says how
  many, and the day blocks anyway (it changed since it was synced).
- **Lista para declarar**: every worked day of every course is ``sincronizado`` with the
  payload SIGE accepted equal to the Libro's now; nothing in error, nothing in process. Else
  each blocking course-day with its state and cause.

A fixed number of queries per school (marks as integer rows), whatever its size.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from reconcile import courses
from reconcile import day_states as states
from reconcile.clock import Clock, as_santiago
from reconcile.db import marks
from reconcile.db.models import (
    EN_PROCESO,
    ERROR,
    POR_SINCRONIZAR,
    SIN_REGISTRO,
    SINCRONIZADO,
    Course,
    CourseDay,
    Enrolment,
    Establishment,
    Student,
)
from reconcile.errors import UserError
from reconcile.es_cl import fecha
from reconcile.payload import active_corrections, deciding_rows
from reconcile.school import calendar_for
from reconcile.sige.causes import CASO_1, CASO_2, RECHAZADO
from reconcile.sige_calendar import Month

# Why a course-day blocks the declaration, beside the error causes of ``states.CAUSES_ES``.
SIN_ASISTENCIA = "sin_asistencia"  # a worked day of the school without the course's record
NO_ENVIADO = "no_enviado"  # por sincronizar, never accepted by SIGE
MODIFICADO = "modificado"  # SIGE accepted an earlier version: the Libro changed since
ESPERANDO = "esperando_resultado"  # en proceso: SIGE's report has not come
BLOCK_CAUSES_ES = {
    SIN_ASISTENCIA: "Sin asistencia en el Libro Digital ese día (el establecimiento sí tiene "
                    "asistencia de otros cursos)",
    NO_ENVIADO: "Aún no se envía a SIGE",
    MODIFICADO: "La asistencia cambió en el Libro después de sincronizar: SIGE tiene la "
                "versión anterior",
    ESPERANDO: "Enviado: SIGE aún no entrega su resultado",
}
FIX_ES = {
    SIN_ASISTENCIA: "Cargue la asistencia de ese día en «Cargar datos» (o regístrela en el "
                    "Libro Digital y vuelva a cargarla).",
    NO_ENVIADO: "Envíelo en «Sincronización»; si no está listo, allí se dice por qué (p. ej. "
                "un Caso 1 o 2, que se corrige en «Conciliación» o «Pendientes»).",
    MODIFICADO: "Vuelva a enviarlo en «Sincronización».",
    ESPERANDO: "Espere el resultado en «Estado» (se actualiza sola).",
}
WHERE_ES = {SIN_ASISTENCIA: "Cargar datos", NO_ENVIADO: "Sincronización",
            MODIFICADO: "Sincronización", ESPERANDO: "Estado", CASO_1: "Conciliación",
            CASO_2: "Pendientes"}


@dataclass(frozen=True)
class Tally:
    """Present and absent over a course's (or a school's) worked days; None: unknown."""

    present: int | None
    absent: int | None
    worked_days: int

    @property
    def average(self) -> float | None:
        """Asistencia media: present / worked days."""
        if self.present is None or not self.worked_days:
            return None
        return self.present / self.worked_days

    @property
    def percent(self) -> float | None:
        """% de asistencia: present among the marked (present and absent)."""
        if self.present is None or self.absent is None or not self.present + self.absent:
            return None
        return 100 * self.present / (self.present + self.absent)

    def as_json(self) -> dict:
        average = self.average
        return {"present": self.present, "absent": self.absent,
                "average": None if average is None else round(average, 2)}


@dataclass(frozen=True)
class Block:
    """A course-day that keeps the month from being ready to declare."""

    course: str  # ENSE-GRADO-LETRA
    label: str
    day: date
    state: str
    cause: str

    @property
    def state_es(self) -> str:
        return states.LABELS_ES[self.state]

    @property
    def cause_es(self) -> str:
        return BLOCK_CAUSES_ES.get(self.cause) or states.CAUSES_ES.get(self.cause, self.cause)

    @property
    def fix_es(self) -> str:
        return FIX_ES.get(self.cause) or states.FIX_ES.get(self.cause,
                                                           states.FIX_ES[RECHAZADO])

    @property
    def where_es(self) -> str:
        """The page where it is fixed."""
        return WHERE_ES.get(self.cause, "Estado")

    def as_json(self) -> dict:
        return {"course": self.course, "date": self.day.isoformat(), "state": self.state,
                "cause": self.cause}


@dataclass(frozen=True)
class CourseSummary:
    course: str  # ENSE-GRADO-LETRA
    label: str
    course_id: int
    enrolled: int
    worked_days: int
    synced_days: int  # course-days of the month SIGE holds an accepted payload of
    sige: Tally
    libro: Tally
    sige_unknown_days: int = 0  # accepted before 0006 and changed since: counts unknown
    blocking: int = 0  # its course-days that block the declaration

    @property
    def ready(self) -> bool:
        return self.worked_days > 0 and not self.blocking

    @property
    def difference(self) -> float | None:
        """Libro's asistencia media minus SIGE's (positive: SIGE would pay on less)."""
        if self.libro.average is None or self.sige.average is None:
            return None
        return self.libro.average - self.sige.average

    def as_json(self) -> dict:
        return {"course": self.course, "label": self.label, "enrolled": self.enrolled,
                "worked_days": self.worked_days, "synced_days": self.synced_days,
                "sige": self.sige.as_json(), "libro": self.libro.as_json()}


@dataclass(frozen=True)
class SchoolSummary:
    rbd: int
    name: str
    month: Month
    worked_days: tuple[date, ...]
    courses: list[CourseSummary]
    blocking: list[Block]  # by date, then course

    @property
    def ready(self) -> bool:
        """Lista para declarar: it has worked days and courses, and nothing blocks."""
        return bool(self.worked_days) and bool(self.courses) and not self.blocking

    def _total(self, side: str) -> Tally:
        tallies = [getattr(course, side) for course in self.courses]
        unknown = any(t.present is None for t in tallies)
        return Tally(None if unknown else sum(t.present for t in tallies),
                     None if unknown else sum(t.absent for t in tallies), len(self.worked_days))

    @property
    def sige(self) -> Tally:
        """The school's asistencia media as SIGE holds it (the sum over its courses)."""
        return self._total("sige")

    @property
    def libro(self) -> Tally:
        return self._total("libro")

    def status_es(self) -> str:
        """Lista or not, and why, in one line."""
        if not self.courses:
            return "No lista: no hay nómina SIGE ni asistencia cargada para este mes."
        if not self.worked_days:
            return f"No lista: aún no hay asistencia de {self.month.label_es} en el Libro Digital."
        if self.ready:
            return (f"Lista para declarar: SIGE tiene cada día trabajado de cada curso de "
                    f"{self.month.label_es}, tal como está en el Libro Digital.")
        n = len(self.blocking)
        return (f"No lista: {n} día-curso impide declarar." if n == 1 else
                f"No lista: {n} días-curso impiden declarar.")

    def as_json(self) -> dict:
        return {"rbd": self.rbd, "name": self.name, "ready": self.ready,
                "blocking": [block.as_json() for block in self.blocking],
                "courses": [course.as_json() for course in self.courses]}


@dataclass(frozen=True)
class Declaration:
    month: Month
    now: datetime
    schools: list[SchoolSummary] = field(default_factory=list)

    def school(self, rbd: int) -> SchoolSummary | None:
        return next((school for school in self.schools if school.rbd == rbd), None)

    def as_json(self) -> dict:
        """The ``declaration --json`` object."""
        return {"month": str(self.month), "schools": [s.as_json() for s in self.schools]}


# --- input ---------------------------------------------------------------------------------


def parse_month(text: str, now: datetime) -> Month:
    """The month asked for, refusing what is not ``AAAA-MM`` and a month still to come.

    >>> from reconcile.clock import as_santiago
    >>> now = as_santiago(datetime(2026, 11, 16, 10))
    >>> str(parse_month("2026-10", now))
    '2026-10'
    >>> try:
    ...     parse_month("2026-12", now)
    ... except UserError as refused:
    ...     print(refused.reasons[0])
    Mes futuro en --month: «2026-12»: diciembre 2026 aún no llega (hoy es 16-11-2026).
    """
    try:
        month = Month.parse(text)
    except ValueError:
        raise UserError(f"Mes no válido en --month: «{text}»: use AAAA-MM, p. ej. "
                        "2026-11.") from None
    today = as_santiago(now).date()
    if month > Month.of(today):
        raise UserError(f"Mes futuro en --month: «{text}»: {month.label_es} aún no llega "
                        f"(hoy es {fecha(today)}).")
    return month


def known_schools(session: Session, rbds: list[int] | None) -> dict[int, str]:
    """RBD -> name of the schools asked for (every school when ``rbds`` is None), by RBD;
    an RBD the database does not hold is refused."""
    query = select(Establishment.rbd, Establishment.name).order_by(Establishment.rbd)
    if rbds is not None:
        query = query.where(Establishment.rbd.in_(sorted(set(rbds))))
    names = dict(session.execute(query).all())
    unknown = [rbd for rbd in rbds or () if rbd not in names]
    if unknown:
        raise UserError([f"No existe el establecimiento RBD {rbd} en la base de datos."
                         for rbd in unknown])
    return names


# --- the summary ---------------------------------------------------------------------------


def declaration(session: Session, clock: Clock, rbds: list[int] | None = None,
                month: Month | None = None) -> Declaration:
    """The summary of ``month`` (by default SIGE's current month: the school's own when one
    school is asked for, else the global calendar's) for ``rbds`` (None: every school)."""
    now = clock.now()
    names = known_schools(session, rbds)
    if month is None:
        month = calendar_for(session, rbds[0] if rbds and len(rbds) == 1 else None
                             ).current_month(now)
    elif month > Month.of(as_santiago(now).date()):
        raise UserError(f"{month.label_es} aún no llega.")
    if not names:
        return Declaration(month, now)
    days = _course_days(session, list(names), month)
    return Declaration(month, now, [school_summary(session, rbd, name, month, days[rbd])
                                    for rbd, name in names.items()])


@dataclass(frozen=True)
class _Day:
    state: str
    cause: str | None
    payload_hash: str | None
    synced_hash: str | None
    synced_present: int | None
    synced_absent: int | None


def _course_days(session: Session, rbds: list[int], month: Month
                 ) -> dict[int, dict[tuple[int, date], _Day]]:
    """rbd -> (course id, day) -> the stored course-day of the month: one query."""
    found: dict[int, dict[tuple[int, date], _Day]] = {rbd: {} for rbd in rbds}
    for row in session.execute(
            select(CourseDay.rbd, CourseDay.course_id, CourseDay.day, CourseDay.state,
                   CourseDay.cause, CourseDay.payload_hash, CourseDay.synced_hash,
                   CourseDay.synced_present, CourseDay.synced_absent)
            .where(CourseDay.rbd.in_(rbds),
                   CourseDay.day.between(month.first_day, month.last_day))):
        found[row.rbd][(row.course_id, row.day)] = _Day(*row[3:])
    return found


def libro_lines(session: Session, rbd: int, month: Month) -> pd.DataFrame:
    """The Libro's month as SIGE would get it: one row per course, day and child (RUT with
    the approved corrections applied), ``present`` from the deciding mark (a child written
    twice, once under a corrected RUT, is present if either mark says so), as
    ``reconcile.payload`` builds each course-day's payload. Columns ``course_id``,
    ``day`` (date ordinal), ``rut``, ``present``."""
    rows = marks.mark_rows(session, rbd, month.first_day, month.last_day)
    if not len(rows):
        return pd.DataFrame({"course_id": [], "day": [], "rut": [], "present": []})
    rows = rows[deciding_rows([rows[:, marks.COURSE], rows[:, marks.STUDENT],
                               rows[:, marks.DAY]], rows[:, marks.HOUR])]
    fixes = active_corrections(session, rbd)
    wanted = np.unique(rows[:, marks.STUDENT]).tolist()
    ruts: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        ruts.update(session.execute(select(Student.id, Student.rut).where(
            Student.id.in_(wanted[start:start + 500]))).all())
    frame = pd.DataFrame({
        "course_id": rows[:, marks.COURSE], "day": rows[:, marks.DAY],
        "rut": [fixes.get(ruts[s], ruts[s]) for s in rows[:, marks.STUDENT].tolist()],
        "present": rows[:, marks.PRESENT].astype(bool)})
    return frame.groupby(["course_id", "day", "rut"], as_index=False, sort=False)["present"].max()


def libro_counts(lines: pd.DataFrame) -> dict[tuple[int, date], tuple[int, int]]:
    """(course id, day) -> (present, absent) of ``libro_lines``."""
    if lines.empty:
        return {}
    per_day = lines.groupby(["course_id", "day"])["present"].agg(["sum", "count"])
    return {(int(c), date.fromordinal(int(d))): (int(p), int(n - p))
            for (c, d), (p, n) in zip(per_day.index, per_day.to_numpy().tolist())}


def school_summary(session: Session, rbd: int, name: str, month: Month,
                   stored: dict[tuple[int, date], _Day]) -> SchoolSummary:
    """One school's summary from its stored course-days of the month (``_course_days``)."""
    libro_days = libro_counts(libro_lines(session, rbd, month))
    worked = sorted({day for _, day in libro_days})
    last = worked[-1] if worked else month.last_day
    enrolled = _enrolled(session, rbd, month, last)
    rows = session.execute(select(Course.id, Course.cod_ense, Course.cod_grado, Course.letra,
                                  Course.desc_grado)
                           .where(Course.rbd == rbd, Course.year == month.year)).all()
    with_record = {course_id for course_id, _ in libro_days}
    synced = {course_id for (course_id, _), day in stored.items() if day.synced_hash}
    kept = [row for row in rows
            if row.id in enrolled or row.id in with_record or row.id in synced]
    codes = {row.id: courses.code(row.cod_ense, row.cod_grado, row.letra) for row in kept}
    labels = courses.labels((codes[row.id], row.desc_grado) for row in kept)
    by_code = {code: course_id for course_id, code in codes.items()}
    of_course: dict[int, dict[date, _Day]] = defaultdict(dict)
    for (course_id, day), row in stored.items():
        of_course[course_id][day] = row
    summaries, blocking = [], []
    for code, label in labels.items():
        course_id = by_code[code]
        days = of_course[course_id]
        blocks = [block for day in worked
                  if (block := _block(code, label, day, days.get(day))) is not None]
        blocking += blocks
        summaries.append(_course_summary(code, label, course_id, enrolled.get(course_id, 0),
                                         worked, days, libro_days, len(blocks)))
    blocking.sort(key=lambda b: (b.day, courses.sort_key(b.course)))
    return SchoolSummary(rbd, name, month, tuple(worked), summaries, blocking)


def _course_summary(code: str, label: str, course_id: int, enrolled: int, worked: list[date],
                    stored: dict[date, _Day],
                    libro_days: dict[tuple[int, date], tuple[int, int]],
                    blocking: int) -> CourseSummary:
    libro = [libro_days[(course_id, day)] for day in worked if (course_id, day) in libro_days]
    sige_present = sige_absent = synced_days = unknown = 0
    for day, row in stored.items():
        if not row.synced_hash:
            continue
        synced_days += 1
        if row.synced_present is not None and row.synced_absent is not None:
            counts = (row.synced_present, row.synced_absent)
        elif row.synced_hash == row.payload_hash and (course_id, day) in libro_days:
            counts = libro_days[(course_id, day)]  # SIGE holds exactly the Libro's payload
        else:
            unknown += 1
            continue
        sige_present += counts[0]
        sige_absent += counts[1]
    n = len(worked)
    return CourseSummary(
        code, label, course_id, enrolled, n, synced_days,
        Tally(None if unknown else sige_present, None if unknown else sige_absent, n),
        Tally(sum(p for p, _ in libro), sum(a for _, a in libro), n), unknown, blocking)


def _block(code: str, label: str, day: date, row: _Day | None) -> Block | None:
    """The course-day's reason to block the declaration, or None when SIGE has it as the
    Libro has it now."""
    if row is None or row.state == SIN_REGISTRO:
        return Block(code, label, day, SIN_REGISTRO, SIN_ASISTENCIA)
    if row.state == SINCRONIZADO and row.payload_hash == row.synced_hash:
        return None
    if row.state == ERROR:
        return Block(code, label, day, ERROR, row.cause or RECHAZADO)
    if row.state == EN_PROCESO:
        return Block(code, label, day, EN_PROCESO, ESPERANDO)
    state = POR_SINCRONIZAR if row.state == SINCRONIZADO else row.state
    return Block(code, label, day, state, MODIFICADO if row.synced_hash else NO_ENVIADO)


def _enrolled(session: Session, rbd: int, month: Month, on: date) -> dict[int, int]:
    """Course id -> students enrolled on ``on`` (incorporated by then, not withdrawn)."""
    return dict(session.execute(
        select(Enrolment.course_id, func.count(func.distinct(Enrolment.student_id)))
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.rbd == rbd, Course.year == month.year,
               or_(Enrolment.incorporated_on.is_(None), Enrolment.incorporated_on <= on),
               or_(Enrolment.withdrawn_on.is_(None), Enrolment.withdrawn_on > on))
        .group_by(Enrolment.course_id)).all())


def blocking_by_course(school: SchoolSummary) -> dict[str, list[Block]]:
    """Course code -> its blocking course-days (courses in the school's order)."""
    found: dict[str, list[Block]] = defaultdict(list)
    for block in school.blocking:
        found[block.course].append(block)
    return {c.course: found[c.course] for c in school.courses if found[c.course]}
