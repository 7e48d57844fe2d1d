"""The demo school: a realistic, fictional school and the files it would have.

>>> from datetime import date
>>> from reconcile.demo import generate_school, write_files
>>> school = generate_school((2026, 11), today=date(2026, 11, 20))
>>> len(school.worked_days), len(school.courses)
(15, 36)

``write_files(school, folder)`` then writes the SIGE nómina, the Libro Digital
files and ``manifest.json`` (what was planted) into ``folder``.
"""
from reconcile.demo.files import DemoFiles, write_files, write_nomina
from reconcile.demo.school import (
    DemoCourse,
    DemoEnrolment,
    DemoMark,
    DemoSchool,
    DemoStudent,
    Manifest,
    generate_school,
    worked_days,
)

__all__ = [
    "DemoCourse", "DemoEnrolment", "DemoFiles", "DemoMark", "DemoSchool", "DemoStudent",
    "Manifest", "generate_school", "worked_days", "write_files", "write_nomina",
]
