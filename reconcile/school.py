"""What the landing page shows about a school: name, SIGE month, time to the close."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.clock import Clock
from reconcile.db.models import Course, Enrolment, Establishment
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
                          calendar.time_left(now), courses or 0, students or 0)


def schools(session: Session, rbds: list[int] | tuple[int, ...]) -> list[Establishment]:
    return list(session.scalars(select(Establishment).where(Establishment.rbd.in_(rbds))
                                .order_by(Establishment.rbd)))
