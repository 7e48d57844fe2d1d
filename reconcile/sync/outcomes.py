"""Which course of a send each of SIGE's report lines is about.

A report with observations has one ``Titulo`` per failing course and one
``Mensaje`` per student (SIGE_PROTOCOL.md), but the words are free text. A line is
given to a course of the job by, in order: the course letter ending its title
("Curso 1° Básico A"); the student it names, enrolled in (or marked in) one of the
job's courses; otherwise to every course of the job, so nothing SIGE said is lost.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from reconcile.db.models import AttendanceMark, Enrolment, Student, SyncJob
from reconcile.sige.causes import Finding, normalise

OUTCOME_ACTION = "sync.outcome"  # the audit entry of what SIGE answered about a send


def per_course(session: Session, job: SyncJob, findings: tuple[Finding, ...]
               ) -> dict[int, list[Finding]]:
    """course id -> the findings about it (only courses with at least one)."""
    courses = {c.course_id: c.course for c in job.courses}
    by_letter = {normalise(c.letra): course_id for course_id, c in courses.items()}
    owners = _owners(session, job, {f.run for f in findings if f.run})
    found: dict[int, list[Finding]] = defaultdict(list)
    for finding in findings:
        words = normalise(finding.titulo).split()
        course_id = by_letter.get(words[-1]) if words else None
        if course_id is None and finding.run in owners and len(owners[finding.run]) == 1:
            course_id = next(iter(owners[finding.run]))
        targets = [course_id] if course_id is not None else list(courses)
        for target in targets:
            found[target].append(finding)
    return dict(found)


def _owners(session: Session, job: SyncJob, runs: set[str]) -> dict[str, set[int]]:
    """RUT -> the job's courses that enrol it (SIGE's side) or mark it that day."""
    if not runs:
        return {}
    ids = [c.course_id for c in job.courses]
    enrolled = (select(Student.rut, Enrolment.course_id)
                .join(Student, Student.id == Enrolment.student_id)
                .where(Enrolment.course_id.in_(ids), Student.rut.in_(runs)))
    marked = (select(Student.rut, AttendanceMark.course_id)
              .join(Student, Student.id == AttendanceMark.student_id)
              .where(AttendanceMark.course_id.in_(ids), AttendanceMark.day == job.day,
                     Student.rut.in_(runs)))
    owners: dict[str, set[int]] = defaultdict(set)
    for rut, course_id in session.execute(union(enrolled, marked)):
        owners[rut].add(course_id)
    return owners
