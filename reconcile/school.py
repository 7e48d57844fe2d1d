"""What the pages show about a school: name, SIGE month, time to the close, what the
database holds of that month (and what it lacks), course names, people's names."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reconcile import courses, settings
from reconcile.clock import Clock
from reconcile.db.models import (
    AttendanceMark,
    Course,
    Enrolment,
    Establishment,
    ImportBatch,
    Student,
    User,
)
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
    n_courses = session.scalar(select(func.count()).select_from(Course)
                               .where(Course.rbd == rbd, Course.year == month.year))
    students = session.scalar(
        select(func.count(func.distinct(Enrolment.student_id)))
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.rbd == rbd, Course.year == month.year))
    return SchoolOverview(rbd, school.name, month, calendar.close_of(month),
                          calendar.time_left(now), n_courses or 0, students or 0,
                          last_imports(session, rbd))


def last_imports(session: Session, rbd: int) -> dict[str, ImportBatch]:
    latest = {}
    for batch in session.scalars(select(ImportBatch).where(ImportBatch.rbd == rbd)
                                 .order_by(ImportBatch.created_at, ImportBatch.id)):
        latest[batch.kind] = batch
    return latest


@dataclass(frozen=True)
class LastLoad:
    kind: str  # "sige_nomina" or "libro"
    filename: str
    at: datetime
    by: str | None  # the person's name; None when loaded from the CLI without --user


@dataclass(frozen=True)
class MonthRecord:
    """What the database holds of SIGE's current month, and the gap so far.

    ``days`` maps each day with attendance to how many courses have a record that
    day. The gap is counted on worked days (Monday to Friday, not a holiday) up to
    ``until`` (today, or the month's last day): ``missing_days`` have no record at
    all; ``course_gaps`` are the courses without a record on a worked day other
    courses have; ``silent_courses`` have no record in the whole month."""

    month: Month
    until: date
    labels: dict[str, str]  # every course of the nómina's year: code -> name
    enrolled: list[str]  # the courses with students in the nómina
    days: dict[date, int]
    course_days: int
    missing_days: list[date]
    course_gaps: dict[str, list[date]]
    silent_courses: list[str]
    last_loads: dict[str, LastLoad]

    @property
    def courses_with_record(self) -> int:
        return len(self.enrolled) - len(self.silent_courses)


def month_record(session: Session, rbd: int, clock: Clock) -> MonthRecord:
    """The attendance stored for SIGE's current month, by course and day (one
    set-based query: the distinct course-days of the month), and what is missing."""
    calendar = calendar_for(session, rbd)
    month = calendar.current_month(clock.now())
    until = min(clock.now().date(), month.last_day)
    code = courses.code
    enrolled = sorted({code(*row) for row in session.execute(
        select(Course.cod_ense, Course.cod_grado, Course.letra)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(Course.rbd == rbd, Course.year == month.year).distinct())}, key=courses.sort_key)
    recorded: dict[date, set[str]] = {}
    for ense, grado, letra, day in session.execute(
            select(Course.cod_ense, Course.cod_grado, Course.letra, AttendanceMark.day)
            .join(Course, Course.id == AttendanceMark.course_id)
            # through the school's courses: marks are keyed by (course, day, ...)
            .where(Course.rbd == rbd,
                   AttendanceMark.day.between(month.first_day, month.last_day)).distinct()):
        recorded.setdefault(day, set()).add(code(ense, grado, letra))

    def worked(day: date) -> bool:
        return day.weekday() < 5 and calendar.holiday_name(day) is None

    so_far = [month.first_day + timedelta(days=n)
              for n in range((until - month.first_day).days + 1)]
    with_record = set().union(*recorded.values()) if recorded else set()
    gaps: dict[str, list[date]] = {}
    for day in sorted(recorded):
        if worked(day):
            for course in enrolled:
                if course in with_record and course not in recorded[day]:
                    gaps.setdefault(course, []).append(day)
    return MonthRecord(
        month=month, until=until, labels=course_labels(session, rbd, month.year),
        enrolled=enrolled, days={day: len(recorded[day]) for day in sorted(recorded)},
        course_days=sum(len(codes) for codes in recorded.values()),
        missing_days=[day for day in so_far if worked(day) and day not in recorded],
        course_gaps={course: gaps[course] for course in sorted(gaps, key=courses.sort_key)},
        silent_courses=[course for course in enrolled if course not in with_record],
        last_loads=last_loads(session, rbd))


def last_loads(session: Session, rbd: int) -> dict[str, LastLoad]:
    """The latest import of each kind, with the name of the person who loaded it."""
    loads = {}
    for kind in ("sige_nomina", "libro"):
        row = session.execute(
            select(ImportBatch.filename, ImportBatch.created_at, ImportBatch.username,
                   User.display_name)
            .outerjoin(User, User.username == ImportBatch.username)
            .where(ImportBatch.rbd == rbd, ImportBatch.kind == kind)
            .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(1)).first()
        if row is not None:
            filename, at, username, display = row
            loads[kind] = LastLoad(kind, filename, at, display or username)
    return loads


def display_names(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """Login name -> the person's name (the login name when the user has none)."""
    wanted = sorted({name for name in usernames if name})
    found = dict(session.execute(select(User.username, User.display_name)
                                 .where(User.username.in_(wanted))).all()) if wanted else {}
    return {name: found.get(name) or name for name in wanted}


def schools(session: Session, rbds: list[int] | tuple[int, ...]) -> list[Establishment]:
    return list(session.scalars(select(Establishment).where(Establishment.rbd.in_(rbds))
                                .order_by(Establishment.rbd)))


def course_labels(session: Session, rbd: int, year: int) -> dict[str, str]:
    """``110-1-A`` -> ``1° Básico A`` for the school's courses of ``year``, in the
    order people read them (``reconcile.courses.labels``)."""
    return courses.labels(
        (courses.code(ense, grado, letra), desc) for ense, grado, letra, desc in session.execute(
            select(Course.cod_ense, Course.cod_grado, Course.letra, Course.desc_grado)
            .where(Course.rbd == rbd, Course.year == year)))


@dataclass(frozen=True)
class StudentInfo:
    name: str  # as SIGE or the Libro wrote it
    birth_date: date | None


def student_details(session: Session, rbd: int, ruts: Iterable[str]) -> dict[str, StudentInfo]:
    """Canonical RUT -> name and birth date, for the RUTs the school has."""
    wanted = sorted(set(ruts))
    found: dict[str, StudentInfo] = {}
    for start in range(0, len(wanted), 500):  # stay under every backend's parameter limit
        rows = session.execute(select(Student.rut, Student.nombres, Student.ape_paterno,
                                      Student.ape_materno, Student.full_name,
                                      Student.birth_date)
                               .where(Student.rbd == rbd,
                                      Student.rut.in_(wanted[start:start + 500])))
        for rut, nombres, paterno, materno, full_name, birth_date in rows:
            parts = [p for p in (nombres, paterno, materno) if p]
            found[rut] = StudentInfo(" ".join(parts) if parts else (full_name or ""), birth_date)
    return found


def student_names(session: Session, rbd: int, ruts: Iterable[str]) -> dict[str, str]:
    """Canonical RUT -> the student's name as SIGE or the Libro wrote it."""
    return {rut: info.name for rut, info in student_details(session, rbd, ruts).items()}
