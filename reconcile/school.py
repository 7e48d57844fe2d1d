"""What the landing page shows about a school: name, SIGE month, time to the close."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.clock import Clock
from reconcile.db.models import Course, Enrolment, Establishment, ImportBatch, Student
from reconcile.sige_calendar import Month, SigeCalendar


@dataclass(frozen=True)
class SchoolOverview:
    rbd: int
    name: str
    sige_month: Month
    close_at: datetime
    time_left: timedelta
    courses: int
    students: int
    last_imports: dict[str, ImportBatch]  # kind ("sige_nomina", "libro") -> latest batch


def calendar_for(session: Session, rbd: int | None = None) -> SigeCalendar:
    """The declaration calendar from the settings (school values over global ones)."""
    return SigeCalendar.from_settings(settings.calendar_values(session, rbd))


def overview(session: Session, rbd: int, clock: Clock) -> SchoolOverview:
    school = session.get(Establishment, rbd)
    if school is None:
        raise LookupError(rbd)
    now = clock.now()
    calendar = calendar_for(session, rbd)
    month = calendar.current_month(now)
    courses = session.scalar(select(func.count()).select_from(Course)
                             .where(Course.rbd == rbd, Course.year == month.year))
    students = session.scalar(
        select(func.count(func.distinct(Enrolment.student_id)))
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.rbd == rbd, Course.year == month.year))
    return SchoolOverview(rbd, school.name, month, calendar.close_of(month),
                          calendar.time_left(now), courses or 0, students or 0,
                          last_imports(session, rbd))


def last_imports(session: Session, rbd: int) -> dict[str, ImportBatch]:
    latest = {}
    for batch in session.scalars(select(ImportBatch).where(ImportBatch.rbd == rbd)
                                 .order_by(ImportBatch.created_at, ImportBatch.id)):
        latest[batch.kind] = batch
    return latest


def schools(session: Session, rbds: list[int] | tuple[int, ...]) -> list[Establishment]:
    return list(session.scalars(select(Establishment).where(Establishment.rbd.in_(rbds))
                                .order_by(Establishment.rbd)))


def course_labels(session: Session, rbd: int, year: int) -> dict[str, str]:
    """``110-1-A`` -> ``1° Básico A (110-1-A)``, in the order people read them."""
    from reconcile.matching.engine import course_sort_key

    rows = session.scalars(select(Course).where(Course.rbd == rbd, Course.year == year))
    labels = {c.code: (f"{c.desc_grado} {c.letra} ({c.code})" if c.desc_grado else c.code)
              for c in rows}
    return {code: labels[code] for code in sorted(labels, key=course_sort_key)}


def student_names(session: Session, rbd: int, ruts: Iterable[str]) -> dict[str, str]:
    """Canonical RUT -> the student's name as SIGE or the Libro wrote it."""
    wanted = sorted(set(ruts))
    names: dict[str, str] = {}
    for start in range(0, len(wanted), 500):  # stay under every backend's parameter limit
        rows = session.execute(select(Student.rut, Student.nombres, Student.ape_paterno,
                                      Student.ape_materno, Student.full_name)
                               .where(Student.rbd == rbd,
                                      Student.rut.in_(wanted[start:start + 500])))
        for rut, nombres, paterno, materno, full_name in rows:
            parts = [p for p in (nombres, paterno, materno) if p]
            names[rut] = " ".join(parts) if parts else (full_name or "")
    return names
