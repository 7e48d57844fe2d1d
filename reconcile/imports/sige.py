"""Writing a SIGE nómina: courses, students and enrolments of its RBD and year.

A nómina replaces the enrolment of the courses it lists: an enrolment of a listed
course that is missing from the file is removed (and counted as removed); the
school's other courses are left alone unless ``whole_school`` asks to empty them.
Removing more than ``import.max_removal_share`` of a listed course needs
``allow_removals`` (see ``nomina_scope``). Courses and students are never deleted,
and attendance is never touched: the Libro's marks stay, and the reconciliation
shows the gap.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.access import AuthUser
from reconcile.clock import Clock, default_clock
from reconcile.collector import collector_paused
from reconcile.corrections import close_unneeded
from reconcile.db.models import Course, Enrolment, Establishment, Student
from reconcile.errors import UserError
from reconcile.imports.advice import misplaced, unregistered_school
from reconcile.imports.common import (
    ImportSummary,
    Source,
    audit,
    check_school,
    insert_rows,
    new_batch,
    raise_if_errors,
    records,
    sha256,
    source_bytes,
)
from reconcile.imports.nomina_scope import RemovalsNeedConfirmation, SchoolScope, plan_school
from reconcile.loaders.identifiers import classify
from reconcile.loaders.nomina import read_nomina
from reconcile.loaders.progress import Progress, ProgressCallback

_READING = 0.6  # share of the progress bar for reading and validating the file
_STUDENT_FIELDS = ["run", "dv", "kind", "nombres", "ape_paterno", "ape_materno", "birth_date",
                   "gender"]


@collector_paused()  # cells, rows and dicts by the thousand: see reconcile.collector
def import_sige(session: Session, source: Source, *, filename: str | None = None,
                user: AuthUser | None = None, clock: Clock | None = None,
                progress: ProgressCallback | None = None, allow_removals: bool = False,
                whole_school: bool = False) -> ImportSummary:
    """Validate a nómina, then create or update its courses, students and enrolments.

    The caller owns the transaction (``with reconcile.db.transaction(url) as s``): on
    any problem this raises ``UserError`` with every reason before writing anything,
    and an exception rolls the caller's transaction back. ``user`` None is the
    administrator (CLI without --user), who may create a school's first record.
    ``progress(fraction, label)`` is called as the import goes (fractions rising to
    1.0, Spanish labels).

    Only the courses the file lists are replaced; ``whole_school`` also empties the
    school's other courses of the file's years. When a listed course would lose more
    than ``import.max_removal_share`` of its students, this raises
    ``RemovalsNeedConfirmation`` (names, counts) unless ``allow_removals``; the
    summary's ``large_removals`` lists the same courses, so a dry run with
    ``allow_removals=True`` shows what a save will need confirmed."""
    report = Progress(progress)
    report(0.0, "Leyendo archivo")
    now = (clock or default_clock()).now()
    data, name = source_bytes(source, filename)
    min_body = settings.get_int(session, "rut.provisional_min_body")
    nomina = read_nomina(None, data=data, filename=name, provisional_min_body=min_body,
                         progress=report.span(0.0, _READING))
    if nomina.belongs_in:
        raise misplaced(nomina.errors[0])
    rbds = sorted(int(r) for r in pd.unique(nomina.frame["rbd"]))
    for rbd in rbds:
        unknown = unregistered_school(session, user, rbd, name)
        if unknown is not None:
            raise unknown
        check_school(user, rbd, name)
    raise_if_errors(nomina.errors)
    if nomina.frame.empty:
        raise UserError(f"{name}: la nómina no tiene alumnos; no se cargó nada.")
    digest = sha256(data)
    summary = ImportSummary("sige_nomina", name, digest, rbds, rows_read=nomina.rows_read)
    summary.flags = {"allow_removals": allow_removals, "whole_school": whole_school}
    schools = [nomina.frame.loc[nomina.frame["rbd"] == rbd] for rbd in rbds]
    scopes = [plan_school(session, school, rbd,
                          settings.get_float(session, "import.max_removal_share", rbd),
                          whole_school) for rbd, school in zip(rbds, schools)]
    for scope in scopes:
        summary.add_scope(scope)
    if summary.large_removals and not allow_removals:  # before anything is written
        raise RemovalsNeedConfirmation(name, summary.large_removals,
                                       max(scope.share for scope in scopes))
    spans = report.span(_READING, 1.0).steps([len(school) for school in schools])
    for rbd, school, scope, span in zip(rbds, schools, scopes, spans):
        school_min = settings.get_int(session, "rut.provisional_min_body", rbd)
        if school_min != min_body:
            school = school.assign(kind=classify(school["run"], school["kind"], school_min))
        _ensure_school(session, rbd, user, now, name)
        _import_school(session, school, scope, name, digest, user, now, summary, span)
    close_unneeded(session, rbds, now, user.username if user else None)  # RUN updated in SIGE
    report(1.0, "Listo")
    return summary


def _ensure_school(session: Session, rbd: int, user: AuthUser | None, now, name: str) -> None:
    if session.get(Establishment, rbd) is not None:
        return
    if user is not None:
        raise UserError(f"{name}: el establecimiento RBD {rbd} no está registrado; "
                        "un administrador debe cargar su primera nómina.")
    session.add(Establishment(rbd=rbd, name=f"Establecimiento RBD {rbd}", created_at=now))
    session.flush()


def _import_school(session: Session, school: pd.DataFrame, scope: SchoolScope, name: str,
                   digest: str, user: AuthUser | None, now, summary: ImportSummary,
                   progress: Progress) -> None:
    rbd = scope.rbd
    progress(0.0, "Guardando cursos")
    batch = new_batch(session, "sige_nomina", rbd, name, digest, user, now, len(school))
    years = sorted(int(y) for y in pd.unique(school["year"]))
    course_ids, created = _courses(session, school, rbd, years)
    progress(0.2, "Guardando estudiantes")
    student_ids, new_students, changed_students = _students(session, school, rbd)
    progress(0.6, "Guardando matrículas")
    school = school.assign(
        course_id=[course_ids[k] for k in zip(school["year"], school["cod_ense"],
                                             school["cod_grado"], school["letra"])],
        student_id=school["rut"].map(student_ids))
    replaced = [course_ids[key] for key in scope.listed] + scope.emptied_ids
    added, changed, removed, unchanged = _enrolments(session, school, rbd, replaced,
                                                     changed_students, batch.id)
    progress(1.0, "Guardando matrículas")
    summary.count(batch, added, changed, removed, unchanged)
    summary.courses_created += created
    summary.students_created += new_students
    audit(session, "import_sige", rbd, user, now, {
        "filename": name, "sha256": digest, "batch_id": batch.id, "years": years,
        "rows_read": len(school), "added": added, "changed": changed, "removed": removed,
        "unchanged": unchanged, "courses_created": len(created),
        "students_created": new_students, **summary.flags,
        "courses_replaced": [f"{k[1]}-{k[2]}-{k[3]}" for k in scope.listed],
        "courses_emptied": [r.code for r in scope.emptied], "courses_left_alone": scope.left_alone,
        "large_removals": [r.code for r in scope.large]})


def _courses(session: Session, school: pd.DataFrame, rbd: int, years: list[int]):
    """Course ids by (year, ense, grado, letra); new courses created, Desc Grado kept
    up to date."""
    wanted = school.drop_duplicates(subset=["year", "cod_ense", "cod_grado", "letra"])
    existing = {(c.year, c.cod_ense, c.cod_grado, c.letra): c for c in session.scalars(
        select(Course).where(Course.rbd == rbd, Course.year.in_(years)))}
    created = []
    for row in wanted.itertuples(index=False):
        key = (int(row.year), int(row.cod_ense), int(row.cod_grado), row.letra)
        course = existing.get(key)
        if course is None:
            course = Course(rbd=rbd, year=key[0], cod_ense=key[1], cod_grado=key[2],
                            letra=key[3], desc_grado=row.desc_grado)
            session.add(course)
            existing[key] = course
            created.append(course.code)
        elif row.desc_grado and course.desc_grado != row.desc_grado:
            course.desc_grado = row.desc_grado
    session.flush()
    return {key: course.id for key, course in existing.items()}, sorted(created)


def _students(session: Session, school: pd.DataFrame, rbd: int):
    """Student ids by canonical RUT; SIGE's data (names, birth date, …) refreshed.
    Returns (ids, how many were created, set of RUTs whose data changed)."""
    people = school.drop_duplicates(subset=["rut"], keep="first")
    columns = [Student.id, Student.rut] + [getattr(Student, f) for f in _STUDENT_FIELDS]
    existing = {row.rut: row for row in session.execute(
        select(*columns).where(Student.rbd == rbd))}
    new_rows, updates, changed = [], [], set()
    for person in records(people, ["rut", *_STUDENT_FIELDS]):
        person = {k: (None if v is None or v != v else v) for k, v in person.items()}
        person["run"] = int(person["run"]) if person["run"] is not None else None
        found = existing.get(person["rut"])
        if found is None:
            new_rows.append({"rbd": rbd, **person})
        elif any(getattr(found, f) != person[f] for f in _STUDENT_FIELDS):
            updates.append({"id": found.id, **{f: person[f] for f in _STUDENT_FIELDS}})
            changed.add(person["rut"])
    _insert_dicts(session, Student.__table__, new_rows)
    if updates:
        session.execute(update(Student), updates)
    ids = dict(session.execute(select(Student.rut, Student.id).where(Student.rbd == rbd)).all())
    return ids, len(new_rows), changed


def _enrolments(session: Session, school: pd.DataFrame, rbd: int, replaced: list[int],
                changed_students: set[str], batch_id: int):
    """Insert new enrolments, update changed dates, remove those of the ``replaced``
    courses that the file no longer lists."""
    existing = {(row.course_id, row.student_id): row for row in session.execute(
        select(Enrolment.id, Enrolment.course_id, Enrolment.student_id,
               Enrolment.incorporated_on, Enrolment.withdrawn_on)
        .where(Enrolment.rbd == rbd, Enrolment.course_id.in_(replaced)))}
    wanted = records(school, ["course_id", "student_id", "incorporated_on", "withdrawn_on",
                              "rut"])
    seen, new_rows, updates, unchanged = set(), [], [], 0
    for item in wanted:
        key = (int(item["course_id"]), int(item["student_id"]))
        seen.add(key)
        found = existing.get(key)
        dates = {"incorporated_on": item["incorporated_on"], "withdrawn_on": item["withdrawn_on"]}
        if found is None:
            new_rows.append({"rbd": rbd, "course_id": key[0], "student_id": key[1],
                             "import_batch_id": batch_id, **dates})
        elif (found.incorporated_on, found.withdrawn_on) != (dates["incorporated_on"],
                                                              dates["withdrawn_on"]):
            updates.append({"id": found.id, "import_batch_id": batch_id, **dates})
        elif item["rut"] in changed_students:
            updates.append({"id": found.id, "import_batch_id": batch_id})
        else:
            unchanged += 1
    gone = [row.id for key, row in existing.items() if key not in seen]
    _insert_dicts(session, Enrolment.__table__, new_rows)
    if updates:
        session.execute(update(Enrolment), updates)
    for start in range(0, len(gone), 5000):
        session.execute(delete(Enrolment).where(Enrolment.id.in_(gone[start:start + 5000])))
    return len(new_rows), len(updates), len(gone), unchanged


def _insert_dicts(session: Session, table, rows: list[dict]) -> None:
    """Rows that all have the same keys, inserted through the driver in bulk."""
    if rows:
        insert_rows(session, table, {key: [row[key] for row in rows] for key in rows[0]})
