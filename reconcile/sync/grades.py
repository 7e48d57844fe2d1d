"""A grade's letters travel together: one addAsistencia carries every letter of the
grade that SIGE may keep, so a resend of one letter can never erase the others.

SIGE's documentation does not say whether a call keeps the letters it leaves out or
replaces the whole grade-day with what it carries; the providers whose code is public
always send every letter. With ``sige.send_whole_grade`` on (the default) a queued
grade-day (date, tipo de enseñanza, grado) also carries each other letter of the
grade that day that is:

- ``sincronizado`` and unchanged: it rides along with the payload SIGE already has
  and stays ``sincronizado`` (``SyncPlan.unchanged``);
- ready by the reconciliation though not asked for: it is sent too.

A letter without a record, or not ready and never accepted by SIGE, stays out: SIGE
holds nothing of it to erase. A letter that is not ready but that SIGE **did**
accept before holds the whole grade-day (sending without it could erase it at SIGE),
until it is fixed or a Director sends it anyway with a written reason.

The plan shows the riders; the worker picks them again at send time
(``synced_siblings``): every letter SIGE accepted before rides, also one synced
meanwhile or one whose marks changed since (with its marks as they are now: left
out, a SIGE that replaces the grade-day would erase it). Two jobs of one
grade-day never race: the later waits until the earlier is over
(``jobs.earlier_in_grade``) and then carries its letters.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import courses as course_names
from reconcile.db.models import SIN_REGISTRO, SINCRONIZADO, Course
from reconcile.es_cl import fecha
from reconcile.sync.refusals import Refusal

if TYPE_CHECKING:
    from reconcile.sync.rules import SyncPlan

SETTING = "sige.send_whole_grade"
GRADE_HELD = "grado_retenido"  # a Refusal's cause: a sibling letter holds the grade-day

Unit = tuple[date, int, int]  # (date, tipo de enseñanza, grado)


def add_whole_grades(session: Session, rbd: int, plan: SyncPlan,
                     stored: dict[tuple[int, date], Any], busy: set[tuple[int, date]],
                     verdicts: dict[tuple[str, date], tuple[bool, list[str]]]) -> None:
    """Complete each queued grade-day of ``plan`` with its sibling letters, or hold it
    (see the module's docstring). ``stored``: the school's course-days of the range
    (state, payload and synced hashes); ``busy``: (course id, date) in an active job;
    ``verdicts``: (course code, date) -> (ready, Casos)."""
    units = plan.units
    siblings = _grade_courses(session, rbd, {(d.year, e, g) for d, e, g in units})
    held: dict[Unit, list[str]] = {}
    riders: list[tuple[Course, date, bool]] = []  # (course, day, unchanged)
    for unit, sent in units.items():
        day, ense, grado = unit
        in_unit = {course.id for course in sent}
        blockers, unit_riders = [], []
        for course in siblings.get((day.year, ense, grado), []):
            row = stored.get((course.id, day))
            if course.id in in_unit or row is None or row.state == SIN_REGISTRO:
                continue
            name = _name(course)
            if (course.id, day) in busy:
                continue  # its own job goes first; this one waits for it and carries it
            if row.state == SINCRONIZADO and row.payload_hash == row.synced_hash:
                unit_riders.append((course, day, True))
            elif verdicts.get((course.code, day), (False, []))[0]:
                unit_riders.append((course, day, False))
            elif row.synced_hash is not None:  # SIGE has an older version of it
                if plan.override_reason is not None:
                    unit_riders.append((course, day, False))
                    plan.overridden.append((course.code, day, verdicts.get(
                        (course.code, day), (False, []))[1]))
                else:
                    blockers.append(f"{name} ya está en SIGE y ahora no está listo")
        if blockers:
            held[unit] = blockers
        else:
            riders += unit_riders
    _hold(plan, held)
    plan.refused = [r for r in plan.refused  # a rider is not refused: it goes
                    if not (r.day is not None and r.course is not None
                            and any((c.code, d) == (r.course, r.day) for c, d, _ in riders))]
    plan.riding = [(course, day) for course, day, _ in riders]
    plan.unchanged = {(course.id, day) for course, day, unchanged in riders if unchanged}


def synced_siblings(session: Session, job: Any) -> list[int]:
    """At send time: the course ids of the job's grade-day letters that SIGE holds
    (accepted before: ``synced_hash`` set) and that no active job holds; they ride
    along with the call (the plan only showed them: by now an earlier job of the
    grade may have synced more). Mostly ``sincronizado`` and unchanged; one whose
    marks changed since the request goes too, with its marks as they are now (left
    out, a SIGE that replaces the grade-day would erase it while we still believed
    it held, and it would show synced again once its marks changed back)."""
    from reconcile.db.models import CourseDay, SyncJob, SyncJobCourse

    in_job = {c.course_id for c in job.courses}
    held = select(SyncJobCourse.course_id).join(SyncJob, SyncJob.id == SyncJobCourse.job_id)\
        .where(SyncJob.rbd == job.rbd, SyncJobCourse.day == job.day, SyncJobCourse.active)
    rows = session.execute(
        select(CourseDay.course_id).join(Course, Course.id == CourseDay.course_id)
        .where(CourseDay.rbd == job.rbd, CourseDay.day == job.day,
               Course.cod_ense == job.cod_ense, Course.cod_grado == job.cod_grado,
               Course.year == job.day.year, CourseDay.state != SIN_REGISTRO,
               CourseDay.synced_hash.is_not(None), CourseDay.course_id.not_in(held)))
    return sorted(course_id for course_id, in rows if course_id not in in_job)


def _hold(plan: SyncPlan, held: dict[Unit, list[str]]) -> None:
    """Take the held grade-days' letters out of the queue, each refused with why."""
    if not held:
        return
    kept = []
    for course, day in plan.queued:
        blockers = held.get((day, course.cod_ense, course.cod_grado))
        if blockers is None:
            kept.append((course, day))
            continue
        plan.refused.append(Refusal(
            f"retenido con su grado: {'; '.join(blockers)}. Enviar el grado sin esa letra "
            "podría borrarla en SIGE. Corríjala (vea «Pendientes»); el Director(a) puede "
            "enviar el grado completo indicando un motivo.",
            course.code, day, GRADE_HELD))
    plan.queued = kept
    plan.overridden = [o for o in plan.overridden if (o[1], *_grade(o[0])) not in held]


def _grade(code: str) -> tuple[int, int]:
    ense, grado, _ = code.split("-", 2)
    return int(ense), int(grado)


def _grade_courses(session: Session, rbd: int, grades: set[tuple[int, int, int]]
                   ) -> dict[tuple[int, int, int], list[Course]]:
    """(year, tipo de enseñanza, grado) -> the school's courses of that grade."""
    if not grades:
        return {}
    found: dict[tuple[int, int, int], list[Course]] = defaultdict(list)
    for course in session.scalars(select(Course).where(
            Course.rbd == rbd, Course.year.in_(sorted({y for y, _, _ in grades})),
            Course.cod_grado.in_(sorted({g for _, _, g in grades})))):
        if (course.year, course.cod_ense, course.cod_grado) in grades:
            found[(course.year, course.cod_ense, course.cod_grado)].append(course)
    for letters in found.values():
        letters.sort(key=lambda c: c.letra)
    return dict(found)


def _name(course: Course) -> str:
    return course_names.label(course.cod_ense, course.cod_grado, course.letra,
                              course.desc_grado)


def describe(plan: SyncPlan) -> list[str]:
    """The riders as a person reads them: «3° Básico B 05-11-2026 (sin cambios)»."""
    return [f"{_name(course)} {fecha(day)}"
            + (" (sin cambios)" if (course.id, day) in plan.unchanged else "")
            for course, day in plan.riding]
