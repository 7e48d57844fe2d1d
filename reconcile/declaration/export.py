"""The declaration summary to download: a school's courses (CSV), the same with what blocks,
each course's students and the Director's overrides (XLSX), and a sostenedor's schools.

Text cells pass ``corrections.neutralise`` (no formula can hide in a name or a reason);
numbers are written as numbers in the XLSX and in es-CL (decimal comma) in the CSV.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from reconcile import spreadsheets
from reconcile import day_states as states
from reconcile.corrections import neutralise
from reconcile.declaration.detail import director_overrides, students_by_course
from reconcile.declaration.summary import CourseSummary, Declaration, SchoolSummary, Tally
from reconcile.es_cl import fecha, fecha_hora, rut_es
from reconcile.spreadsheets import Sheet

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COURSE_HEADERS = ("Curso", "Código", "Matrícula", "Días trabajados", "Días sincronizados",
                  "Presentes SIGE", "Ausentes SIGE", "Asistencia media SIGE",
                  "% asistencia SIGE", "Presentes Libro", "Ausentes Libro",
                  "Asistencia media Libro", "% asistencia Libro",
                  "Diferencia de asistencia media (Libro − SIGE)", "Lista para declarar")
COURSE_WIDTHS = (22, 10, 10, 10, 10, 10, 10, 12, 10, 10, 10, 12, 10, 16, 12)
BLOCK_HEADERS = ("Curso", "Código", "Fecha", "Estado", "Causa", "Qué hacer", "Dónde")
BLOCK_WIDTHS = (22, 10, 12, 24, 60, 60, 16)
STUDENT_HEADERS = ("RUT", "Nombre", "Días presente", "Días ausente", "% asistencia")
STUDENT_WIDTHS = (14, 40, 12, 12, 12)
OVERRIDE_HEADERS = ("Fecha y hora", "Quién", "Curso", "Código", "Día", "Motivo",
                    "Por qué no estaba listo")
OVERRIDE_WIDTHS = (17, 28, 22, 10, 12, 60, 50)
SCHOOL_HEADERS = ("Establecimiento", "RBD", "Lista para declarar", "Días-curso que impiden",
                  "Días trabajados", "Asistencia media SIGE", "Asistencia media Libro",
                  "Diferencia (Libro − SIGE)")
SCHOOL_WIDTHS = (40, 10, 12, 12, 10, 14, 14, 14)


def _round(value: float | None) -> float | str:
    return "" if value is None else round(value, 2)


def _es(value: float | str | int) -> str:
    """A number as a CSV cell in es-CL (decimal comma)."""
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def _sides(tally: Tally) -> list:
    unknown = tally.present is None
    return ["desconocido" if unknown else tally.present,
            "desconocido" if unknown else tally.absent,
            _round(tally.average), _round(tally.percent)]


def course_cells(course: CourseSummary) -> list:
    return [neutralise(course.label), course.course, course.enrolled, course.worked_days,
            course.synced_days, *_sides(course.sige), *_sides(course.libro),
            _round(course.difference), "Sí" if course.ready else "No"]


def school_cells(school: SchoolSummary) -> list:
    sige, libro = school.sige.average, school.libro.average
    return [neutralise(school.name), school.rbd, "Sí" if school.ready else "No",
            len(school.blocking), len(school.worked_days), _round(sige), _round(libro),
            _round(None if sige is None or libro is None else libro - sige)]


def _csv(headers: Sequence[str], rows: list[list]) -> bytes:
    return spreadsheets.csv_bytes(headers, ([_es(v) for v in row] for row in rows))


def school_csv(school: SchoolSummary) -> bytes:
    """The school's courses, one row each."""
    return _csv(COURSE_HEADERS, [course_cells(c) for c in school.courses])


def schools_csv(found: Declaration) -> bytes:
    """A sostenedor's schools, one row each."""
    return _csv(SCHOOL_HEADERS, [school_cells(s) for s in found.schools])


def schools_xlsx(found: Declaration) -> bytes:
    return spreadsheets.xlsx_book([Sheet("Establecimientos", SCHOOL_HEADERS,
                                         [school_cells(s) for s in found.schools],
                                         SCHOOL_WIDTHS)])


def school_xlsx(session: Session, school: SchoolSummary) -> bytes:
    """Sheets: «Resumen» (the courses), «Impiden declarar», one per course with each
    student's attendance over the month, and «Autorizaciones» (the Director's overrides)."""
    sheets = [Sheet("Resumen", COURSE_HEADERS, [course_cells(c) for c in school.courses],
                    COURSE_WIDTHS),
              Sheet("Impiden declarar", BLOCK_HEADERS,
                    [[neutralise(b.label), b.course, fecha(b.day), b.state_es, b.cause_es,
                      b.fix_es, b.where_es] for b in school.blocking], BLOCK_WIDTHS)]
    students = students_by_course(session, school.rbd, school.month)
    used = {"Resumen", "Impiden declarar", "Autorizaciones"}
    for course in school.courses:
        sheets.append(Sheet(
            sheet_name(course.label, used), STUDENT_HEADERS,
            [[rut_es(s.rut), neutralise(s.name), s.present, s.absent, _round(s.percent)]
             for s in students.get(course.course_id, [])], STUDENT_WIDTHS))
    sheets.append(Sheet("Autorizaciones", OVERRIDE_HEADERS, [
        [fecha_hora(o.at), neutralise(o.person), neutralise(o.label), neutralise(o.course),
         fecha(o.day), neutralise(o.reason),
         neutralise("; ".join(states.CAUSES_ES.get(h, h) for h in o.held))]
        for o in director_overrides(session, school.rbd, school.month)], OVERRIDE_WIDTHS))
    return spreadsheets.xlsx_book(sheets)


_NOT_IN_SHEET_NAMES = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_name(label: str, used: set[str]) -> str:
    """A sheet name Excel takes (31 characters, none of ``[]:*?/\\``), not yet in ``used``.

    >>> used = set(); sheet_name("1° Básico A", used), sheet_name("1° Básico A", used)
    ('1° Básico A', '1° Básico A (2)')
    """
    base = label.translate(_NOT_IN_SHEET_NAMES).strip("' ")[:31] or "Curso"
    name, n = base, 1
    while name.casefold() in {u.casefold() for u in used}:
        n += 1
        name = f"{base[:31 - len(str(n)) - 3]} ({n})"
    used.add(name)
    return name
