"""What SIGE does with an accepted send once its turn comes, and when that is.

Pure functions: the enrolment and the send in, the report out.

>>> from datetime import datetime, timedelta
>>> close = datetime(2026, 12, 3, 17, 0)
>>> processing_delay(10.0, close - timedelta(days=20), close)
10.0
>>> processing_delay(10.0, close, close)   # at the close: (1 + rush_factor) times slower
40.0
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reconcile.clock import as_santiago
from reconcile.sige.emulator.truth import CourseKey, Enrolment

# Report codes (SIGE_PROTOCOL.md section 3).
PROCESSED = 1
REJECTED = 2
OBSERVATIONS = 3

FALTANTE = "FALTANTE"
NO_EXISTE = "NO EXISTE EN SIGE"
NO_PERTENECE = "NO PERTENECE AL CURSO"


@dataclass(frozen=True)
class Report:
    code: int
    groups: list[tuple[str, list[str]]]  # (Titulo, [Mensaje, ...]) per failing course
    clean: list[str]  # letters of the courses SIGE now holds


def processing_delay(base_seconds: float, now: datetime, close: datetime,
                     rush_window: timedelta = timedelta(days=5), rush_factor: float = 3.0) -> float:
    """Seconds SIGE takes to process a send received at ``now``: ``base_seconds``
    far from the close, growing linearly over the last ``rush_window`` up to
    ``base_seconds * (1 + rush_factor)`` at the close (SIGE is overloaded then)."""
    left = (as_santiago(close) - as_santiago(now)).total_seconds()
    window = rush_window.total_seconds()
    closeness = 0.0 if window <= 0 else min(max(1.0 - left / window, 0.0), 1.0)
    return base_seconds * (1.0 + rush_factor * closeness)


def _who(run: int, dv: str, name: str = "") -> str:
    return f"RUN {run}-{dv}" + (f" {name}" if name else "")


def evaluate(enrolment: Enrolment, rbd: int, year: int, cod_ense: int, cod_grado: int, day: date,
             courses: list[dict]) -> Report:
    """Check each sent course against who SIGE has enrolled in it on ``day``.

    ``courses``: [{"letra", "presentes": ["RUN-DV", ...], "ausentes": [...]}].
    Enrolled students in neither list are FALTANTE; listed RUNs SIGE does not know
    at all are NO EXISTE EN SIGE; known but not in this course that day, NO
    PERTENECE AL CURSO. Report 1 if every course is clean; 2 if no sent course
    exists in SIGE; else 3 with one title per failing course.
    """
    groups: list[tuple[str, list[str]]] = []
    clean: list[str] = []
    existing = 0
    for course in courses:
        key: CourseKey = (rbd, year, cod_ense, cod_grado, course["letra"])
        label = enrolment.course_label(key)
        if not enrolment.course_exists(key):
            groups.append((f"Curso {label}",
                           [f"El curso {cod_ense}-{cod_grado}-{course['letra']} no está registrado "
                            f"en SIGE para el año {year} en el RBD {rbd}."]))
            continue
        existing += 1
        enrolled = enrolment.enrolled(key, day)
        listed = [_split(text) for text in course["presentes"] + course["ausentes"]]
        messages = []
        for (run, dv), record in sorted(enrolled.items()):
            if (run, dv) not in listed:
                messages.append(f"{_who(run, dv, record.display_name)}: {FALTANTE}")
        for run, dv in listed:
            if (run, dv) in enrolled:
                continue
            known = enrolment.find(run, dv)
            if known is None:
                messages.append(f"{_who(run, dv)}: {NO_EXISTE}")
            else:
                messages.append(f"{_who(run, dv, known.display_name)}: {NO_PERTENECE}")
        if messages:
            groups.append((f"Curso {label}", messages))
        else:
            clean.append(course["letra"])
    if not groups:
        return Report(PROCESSED, [], clean)
    if existing == 0:
        return Report(REJECTED, groups, clean)
    return Report(OBSERVATIONS, groups, clean)


def _split(text: str) -> tuple[int, str]:
    body, _, dv = text.partition("-")
    return int(body), dv
