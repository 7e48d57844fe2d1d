"""A school small enough to count by hand, for the declaration summary's tests: two letters of
1° Básico (three children in A, two in B), 2 to 4 November, imported as a user would."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from reconcile.demo import generate_school
from reconcile.demo.school import REGULAR, DemoMark, DemoSchool, Manifest

A, B = "110-1-A", "110-1-B"
DAYS = [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)]
NOV_5 = date(2026, 11, 5)
# Each child's marks on 2, 3 and 4 November: P present, A absent; "p" present at the 1st
# hour only (the 2nd hour decides: absent); "-" no mark (enrolled, missing from the Libro).
MARKS = {A: ["PPP", "PpP", "AAP"], B: ["PPP", "PPA"]}


def tiny_school(marks: dict[str, list[str]] = MARKS, today: date = DAYS[-1]) -> DemoSchool:
    base = generate_school((2026, 11), today=today)
    students = []
    for code, rows in marks.items():
        students += [s for s in base.students if s.course == code and s.role == REGULAR
                     and s.withdrawn is None and s.incorporated <= DAYS[0]][:len(rows)]
    ruts = {s.sige_rut for s in students}
    made = []
    for code, rows in marks.items():
        children = [s for s in students if s.course == code]
        for child, row in zip(children, rows, strict=True):
            for day, mark in zip([*DAYS, NOV_5], row):
                if mark != "-":
                        made.append(DemoMark(code, child.libro_rut, day, mark in "Pp", mark == "P"))
    return replace(base, today=today, worked_days=sorted({m.day for m in made}),
                   courses=[c for c in base.courses if c.code in marks],
                   students=students,
                   enrolments=[e for e in base.enrolments if e.rut in ruts],
                   marks=made, manifest=Manifest(wide_course=B))
