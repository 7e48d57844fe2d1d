"""Which enrolments a nómina replaces, and when that needs the user's confirmation.

SIGE's nómina is often exported one course at a time, so a nómina replaces the
enrolment of the courses it lists (course = year, RBD, tipo de enseñanza, grado,
letra) and leaves the school's other courses alone. Emptying those other courses
(of the years the file holds) is asked for explicitly (``whole_school``). Removing
more than ``import.max_removal_share`` of a listed course's students is refused
unless the caller allows it: the refusal names each course, how many of how many
students would go, and who (the user must see whom they remove; log lines never
get these names).

Everything here is computed before anything is written, so a dry run can show
exactly what a save would need confirmed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.db.models import Course, Enrolment, Student
from reconcile.errors import UserError
from reconcile.es_cl import cantidad, numero, rut_es
from reconcile.loaders.courses import derived_name
from reconcile.school import student_names

CourseKey = tuple[int, int, int, str]  # year, cod_ense, cod_grado, letra


def course_name(cod_ense: int, cod_grado: int, letra: str, desc_grado: str | None) -> str:
    """The course as people write it: ``1° Básico A`` (the code when there is no name).

    >>> course_name(110, 1, "A", None), course_name(310, 2, "B", "2° Medio")
    ('1° Básico A', '2° Medio B')
    >>> course_name(999, 1, "C", "")
    '999-1-C'
    """
    grade = desc_grado or derived_name(cod_ense, cod_grado)
    return f"{grade} {letra}" if grade else f"{cod_ense}-{cod_grado}-{letra}"


@dataclass(frozen=True)
class CourseRemoval:
    """Students a nómina would take out of one course."""

    rbd: int
    year: int
    code: str  # 110-1-A
    name: str  # 1° Básico A
    enrolled: int  # students enrolled in the course now
    names: tuple[str, ...]  # those the import removes, sorted

    @property
    def removed(self) -> int:
        return len(self.names)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"

    def count_es(self) -> str:
        return f"{self.label}: {numero(self.removed)} de {numero(self.enrolled)} estudiantes"


@dataclass
class SchoolScope:
    """What a nómina does to one school's courses of the years it holds."""

    rbd: int
    share: float  # import.max_removal_share for this school
    replaced: list[str] = field(default_factory=list)  # labels of the listed courses
    listed: list[CourseKey] = field(default_factory=list)
    emptied: list[CourseRemoval] = field(default_factory=list)  # unlisted, whole_school
    emptied_ids: list[int] = field(default_factory=list)
    left_alone: int = 0  # unlisted courses kept as they are
    large: list[CourseRemoval] = field(default_factory=list)  # listed, over the share


def share_es(share: float) -> str:
    """0.1 -> '10 %'.

    >>> share_es(0.1), share_es(0.125)
    ('10 %', '12,5 %')
    """
    return f"{round(share * 100, 2):g}".replace(".", ",") + " %"


def plan_school(session: Session, school: pd.DataFrame, rbd: int, share: float,
                whole_school: bool) -> SchoolScope:
    """Compare one school's rows of the nómina with its stored enrolments."""
    scope = SchoolScope(rbd, share)
    keys = list(zip(school["year"].astype(int).tolist(), school["cod_ense"].astype(int).tolist(),
                    school["cod_grado"].astype(int).tolist(), school["letra"].tolist()))
    in_file: dict[CourseKey, set[str]] = {}
    file_names: dict[CourseKey, str | None] = {}
    for key, rut, desc in zip(keys, school["rut"], school["desc_grado"]):
        in_file.setdefault(key, set()).add(rut)
        file_names.setdefault(key, desc if isinstance(desc, str) and desc else None)
    years = sorted({key[0] for key in in_file})
    courses = {(c.year, c.cod_ense, c.cod_grado, c.letra): c for c in session.scalars(
        select(Course).where(Course.rbd == rbd, Course.year.in_(years)))}
    enrolled: dict[int, list[str]] = {}
    for course_id, rut in session.execute(
            select(Enrolment.course_id, Student.rut)
            .join(Student, Student.id == Enrolment.student_id)
            .where(Enrolment.rbd == rbd,
                   Enrolment.course_id.in_([c.id for c in courses.values()]))):
        enrolled.setdefault(course_id, []).append(rut)

    def removal(course: Course, current: list[str], gone: list[str]) -> CourseRemoval:
        names = student_names(session, rbd, gone)
        return CourseRemoval(rbd, course.year, course.code,
                             course_name(course.cod_ense, course.cod_grado, course.letra,
                                         course.desc_grado),
                             len(current), tuple(sorted(names.get(r) or rut_es(r) for r in gone)))

    for key in sorted(in_file):  # keys of ints: 110-2-A before 110-10-A
        scope.listed.append(key)
        course = courses.get(key)
        name = course_name(*key[1:], file_names[key] or (course.desc_grado if course else None))
        scope.replaced.append(f"{name} ({key[1]}-{key[2]}-{key[3]})")
        current = enrolled.get(course.id, []) if course else []
        gone = [rut for rut in current if rut not in in_file[key]]
        if current and len(gone) > share * len(current) + 1e-9:
            scope.large.append(removal(course, current, gone))
    for key in sorted(set(courses) - set(in_file)):
        course = courses[key]
        current = enrolled.get(course.id, [])
        if not whole_school:
            scope.left_alone += 1
        elif current:
            scope.emptied.append(removal(course, current, current))
            scope.emptied_ids.append(course.id)
    return scope


class RemovalsNeedConfirmation(UserError):
    """The nómina would remove more than the allowed share of some listed courses.
    ``removals`` lists them (course, how many of how many, names) for the page."""

    def __init__(self, filename: str, removals: list[CourseRemoval], share: float):
        self.removals = removals
        self.share = share
        reasons = [f"{filename}: la carga retiraría más del {share_es(share)} de los "
                   f"estudiantes de {cantidad(len(removals), 'curso')} que trae el archivo; no se "
                   "cargó nada."]
        for item in removals:
            reasons.append(f"{item.count_es()} se retirarían: {', '.join(item.names)}.")
        reasons.append("Si esos retiros son correctos, vuelva a cargar el archivo "
                       "confirmándolos (en la línea de comandos: --allow-removals). Si el "
                       "archivo quedó incompleto, exporte de nuevo la nómina desde SIGE.")
        super().__init__(reasons)
