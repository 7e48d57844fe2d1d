"""The database side of the reconciliation: load one school's frames for a date
range with a few set-based queries, apply the approved corrections and the
settings, and hand the frames to the pure engine.

Courses are named ``ENSE-GRADO-LETRA`` (``110-1-A``), RUTs as stored (canonical).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.courses import code as course_code
from reconcile.db.models import Course, Enrolment, Establishment, Student
from reconcile.errors import UserError
from reconcile.matching.engine import Reconciliation, reconcile
from reconcile.db.marks import COURSE, DAY, HOUR, PRESENT, STUDENT, dates, mark_rows
from reconcile.payload import active_corrections, deciding_rows

COURSE_CODE = re.compile(r"^(\d{1,4})-(\d{1,2})-([A-Za-zÑñ0-9]{1,5})$")
MAX_RANGE_DAYS = 366
PEOPLE_COLUMNS = ["nombres", "ape_paterno", "ape_materno", "full_name", "birth_date", "gender"]


@dataclass(frozen=True)
class Frames:
    enrolment: pd.DataFrame  # course, rut, incorporated_on, withdrawn_on
    marks: pd.DataFrame  # course, rut, day, present (the deciding mark)
    people: pd.DataFrame  # indexed by rut: PEOPLE_COLUMNS


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _with_code(frame: pd.DataFrame) -> pd.DataFrame:
    codes = [course_code(e, g, letter) for e, g, letter in
             zip(frame["cod_ense"], frame["cod_grado"], frame["letra"], strict=True)]
    return frame.drop(columns=["cod_ense", "cod_grado", "letra"]).assign(course=codes)


def load_frames(session: Session, rbd: int, start: date, end: date) -> Frames:
    """Enrolment of the school years the range touches, the deciding marks of the
    range, and the people behind every RUT of the school. The marks are read as
    integer rows and decided on integers; text (course codes, RUTs) is attached to
    the deciding marks only."""
    years = range(start.year, end.year + 1)
    enrolment = _with_code(_frame(session.execute(
        select(Course.cod_ense, Course.cod_grado, Course.letra, Student.rut,
               Enrolment.incorporated_on, Enrolment.withdrawn_on)
        .join(Course, Course.id == Enrolment.course_id)
        .join(Student, Student.id == Enrolment.student_id)
        .where(Enrolment.rbd == rbd, Course.year.in_(list(years)))).all(),
        ["cod_ense", "cod_grado", "letra", "rut", "incorporated_on", "withdrawn_on"]))
    people = _frame(session.execute(
        select(Student.id, Student.rut, Student.nombres, Student.ape_paterno,
               Student.ape_materno, Student.full_name, Student.birth_date, Student.gender)
        .where(Student.rbd == rbd)).all(), ["id", "rut", *PEOPLE_COLUMNS])
    rows = mark_rows(session, rbd, start, end)
    rows = rows[deciding_rows([rows[:, COURSE], rows[:, STUDENT], rows[:, DAY]], rows[:, HOUR])]
    codes = {course_id: course_code(e, g, letra) for course_id, e, g, letra in session.execute(
        select(Course.id, Course.cod_ense, Course.cod_grado, Course.letra)
        .where(Course.rbd == rbd))}
    marks = pd.DataFrame({
        "course": _lookup(rows[:, COURSE], codes),
        "rut": _lookup(rows[:, STUDENT], dict(zip(people["id"], people["rut"]))),
        "day": dates(rows[:, DAY]),
        "present": rows[:, PRESENT].astype(bool)})
    return Frames(enrolment, marks, people.drop(columns="id").set_index("rut"))


def _lookup(ids: np.ndarray, names: dict[int, str]) -> np.ndarray:
    """The text of each id, looked up once per distinct id."""
    distinct, positions = np.unique(ids, return_inverse=True)
    return np.asarray([names[int(i)] for i in distinct], dtype=object)[positions]


def resolve_rbd(session: Session, rbd: int | None) -> int:
    """The school to check: the one given, or the only one in the database."""
    if rbd is not None:
        if session.get(Establishment, rbd) is None:
            raise UserError(f"No existe el establecimiento RBD {rbd} en la base de datos.")
        return rbd
    known = list(session.scalars(select(Establishment.rbd).order_by(Establishment.rbd)))
    if not known:
        raise UserError("No hay establecimientos en la base de datos: cargue primero la "
                        "nómina SIGE (import-sige) o cree la demostración (demo).")
    if len(known) > 1:
        raise UserError(f"Hay {len(known)} establecimientos en la base de datos; indique cuál "
                        f"con --rbd (uno de: {', '.join(map(str, known))}).")
    return known[0]


def check_course(session: Session, rbd: int, code: str) -> str:
    """Validate a course code ``ENSE-GRADO-LETRA`` against the school's courses."""
    match = COURSE_CODE.match(code.strip())
    if not match:
        raise UserError(f"Curso no válido: «{code}»: use ENSEÑANZA-GRADO-LETRA, p. ej. 110-1-A.")
    ense, grado, letra = int(match[1]), int(match[2]), match[3].upper()
    exists = session.scalar(select(Course.id).where(
        Course.rbd == rbd, Course.cod_ense == ense, Course.cod_grado == grado,
        Course.letra == letra).limit(1))
    if exists is None:
        raise UserError(f"El curso «{code}» no existe en el establecimiento RBD {rbd}.")
    return course_code(ense, grado, letra)


def check_range(start: date, end: date) -> None:
    if end < start:
        raise UserError(f"El rango de fechas no es válido: --to ({end.isoformat()}) es anterior "
                        f"a --from ({start.isoformat()}).")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise UserError(f"El rango de fechas es demasiado largo: máximo {MAX_RANGE_DAYS} días.")


def run_check(session: Session, rbd: int, start: date, end: date,
              course: str | None = None) -> Reconciliation:
    """Reconcile one school over [start, end] with its approved corrections and its
    settings (``match.suggest_threshold``, ``rut.provisional_min_body``). With
    ``course`` the whole school is still reconciled (a pair may cross courses);
    only that course's entries are kept."""
    check_range(start, end)
    frames = load_frames(session, rbd, start, end)
    result = reconcile(
        frames.enrolment, frames.marks, frames.people,
        corrections=active_corrections(session, rbd),
        threshold=settings.get_float(session, "match.suggest_threshold", rbd),
        provisional_min_body=settings.get_int(session, "rut.provisional_min_body", rbd))
    return result.only_course(course) if course else result


def check_report(session: Session, rbd: int, start: date, end: date,
                 course: str | None = None) -> dict:
    """The ``check --json`` object of DESIGN.md."""
    result = run_check(session, rbd, start, end, course)
    return {"rbd": rbd, "from": start.isoformat(), "to": end.isoformat(),
            "course_days": result.entries()}
