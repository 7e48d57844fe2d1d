"""Schools with courses and course-days in chosen sync states, written directly (what
imports and the worker would leave), for the sostenedor view's tests."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from reconcile.clock import FixedClock
from reconcile.db import transaction
from reconcile.db.models import Course, CourseDay, Establishment
from reconcile.school import calendar_for

# state_of(course number, day) -> a day state, or None for no stored course-day
StateOf = Callable[[int, date], str | None]


def worked_days(url: str, clock: FixedClock) -> list[date]:
    """SIGE's current month's worked days (Monday to Friday, not a holiday) so far."""
    with transaction(url) as session:
        calendar = calendar_for(session)
    today = clock.now().date()
    first = today.replace(day=1)
    days = [first + timedelta(n) for n in range((today - first).days + 1)]
    return [day for day in days if day.weekday() < 5 and calendar.holiday_name(day) is None]


def school_month(url: str, clock: FixedClock, rbd: int, name: str, courses: int,
                 state_of: StateOf) -> None:
    """A school with ``courses`` courses (1° to n° Básico A) and, on each worked day so
    far, each course-day in ``state_of(course, day)``."""
    days = worked_days(url, clock)
    with transaction(url) as session:
        session.add(Establishment(rbd=rbd, name=name, created_at=clock.now()))
        session.flush()  # the school before its courses (no ORM relationship orders them)
        for number in range(1, courses + 1):
            course = Course(rbd=rbd, year=clock.now().year, cod_ense=110, cod_grado=number,
                            letra="A", desc_grado=f"{number}° Básico")
            session.add(course)
            for day in days:
                state = state_of(number, day)
                if state is not None:
                    session.add(CourseDay(rbd=rbd, course=course, day=day, state=state,
                                          cause="caso_1" if state == "error" else None,
                                          updated_at=clock.now()))
