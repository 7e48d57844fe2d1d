"""Writing Libro Digital attendance: marks, course-day hashes, batch and audit.

The file is the full picture of the course-days it contains: for each (course,
date) in the file, marks are added, changed or removed to match it; course-days
the file does not mention are left alone. Each affected course-day gets the hash
of the payload SIGE would get (``reconcile.payload``), and the
day-state rule in ``reconcile.day_states`` moves it (a synced day whose marks
changed becomes ``por_sincronizar``).

A month of a large school is ~50,000 marks, so everything here works on whole
columns of integer keys (course id, student id, date as an ordinal, hour): the
stored marks are read as plain integer rows, compared with the file's as sets,
and only the difference is written, straight through the driver.

An unchanged file costs a read: when every course-day of the file holds exactly
the marks an earlier import of the same bytes wrote (``_written_by_this_file``),
no stored mark is read and none is written; only the batch and the audit entry
are, and the day hashes are compared as always.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile import day_states as states
from reconcile.access import AuthUser
from reconcile.clock import Clock, default_clock
from reconcile.collector import collector_paused
from reconcile.corrections import close_unneeded
from reconcile.db.marks import course_day_tallies, dates, mark_rows
from reconcile.db.models import (
    SIN_REGISTRO,
    AttendanceMark,
    Course,
    CourseDay,
    ImportBatch,
    Student,
)
from reconcile.errors import UserError
from reconcile.imports.advice import misplaced, nomina_first
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
    update_rows,
)
from reconcile.loaders.courses import CourseCatalog
from reconcile.loaders.identifiers import classify
from reconcile.loaders.libro import read_libro
from reconcile.loaders.progress import Progress, ProgressCallback
from reconcile.loaders.values import group_codes
from reconcile.payload import active_corrections, deciding_rows, payload_hashes

_READING = 0.35  # share of the progress bar for reading and validating the file
_COURSE_DAY_COLUMNS = ["rbd", "course_id", "day", "payload_hash", "state", "cause", "updated_at"]
_DELETE_CHUNK = 5000


@collector_paused()  # cells, rows and dicts by the thousand: see reconcile.collector
def import_libro(session: Session, source: Source, *, filename: str | None = None,
                 user: AuthUser | None = None, clock: Clock | None = None,
                 rbd: int | None = None,
                 progress: ProgressCallback | None = None) -> ImportSummary:
    """Validate a Libro Digital attendance file, then bring the stored marks of its
    course-days in line with it. Same transaction contract as ``import_sige``.
    ``rbd`` is the school to assume when the file does not name one (default: the
    user's only school). ``progress(fraction, label)`` is called as the import
    goes (fractions rising to 1.0, Spanish labels)."""
    report = Progress(progress)
    report(0.0, "Leyendo archivo")
    now = (clock or default_clock()).now()
    data, name = source_bytes(source, filename)
    if rbd is None and user is not None and len(user.rbds) == 1:
        rbd = user.rbds[0]
    min_body = settings.get_int(session, "rut.provisional_min_body")
    catalog = CourseCatalog.from_session(session)
    libro = read_libro(None, catalog, data=data, filename=name, rbd=rbd,
                       provisional_min_body=min_body, progress=report.span(0.0, _READING))
    if libro.belongs_in:
        raise misplaced(libro.errors[0])
    if libro.without_nomina:  # before the scope: it says whom to ask
        raise nomina_first(session, user, libro.without_nomina, name, libro.errors)
    for school_rbd in sorted(libro.rbds):
        check_school(user, school_rbd, name)
    raise_if_errors(libro.errors)
    if libro.frame.empty:
        raise UserError(f"{name}: el archivo no tiene marcas de asistencia; no se cargó nada.")
    digest = sha256(data)
    rbds = sorted(int(r) for r in pd.unique(libro.frame["rbd"]))
    summary = ImportSummary("libro", name, digest, rbds, rows_read=libro.rows_read,
                            month=libro.month)
    codes = {c.id: c.code for c in catalog.courses}
    frame = libro.frame
    schools = [frame if len(rbds) == 1 else frame.loc[frame["rbd"] == school_rbd]
               for school_rbd in rbds]
    spans = report.span(_READING, 1.0).steps([len(marks) for marks in schools])
    for school_rbd, marks, span in zip(rbds, schools, spans):
        school_min = settings.get_int(session, "rut.provisional_min_body", school_rbd)
        if school_min != min_body:
            marks = marks.assign(kind=classify(marks["run"], marks["kind"], school_min))
        _import_school(session, marks, school_rbd, name, digest, user, now, summary, codes,
                       libro.layout, span)
    close_unneeded(session, rbds, now, user.username if user else None)  # fixed in the Libro
    report(1.0, "Listo")
    return summary


@dataclass
class _Marks:
    """A school's marks from the file as integer columns (one entry per mark)."""

    course: np.ndarray  # course id
    student: np.ndarray  # student id
    day: np.ndarray  # date ordinal
    hour: np.ndarray
    present: np.ndarray  # bool
    rut_codes: np.ndarray  # into ``ruts``
    ruts: np.ndarray  # distinct canonical RUTs


def _import_school(session: Session, marks: pd.DataFrame, rbd: int, name: str, digest: str,
                   user: AuthUser | None, now, summary: ImportSummary, codes: dict,
                   layout: str | None, progress: Progress) -> None:
    progress(0.0, "Guardando estudiantes")
    batch = new_batch(session, "libro", rbd, name, digest, user, now, len(marks))
    rut_codes, ruts = pd.factorize(marks["rut"])
    ruts = np.asarray(ruts, dtype=object)
    student_ids, created = _students(session, marks, rut_codes, ruts, rbd)
    day_codes, days = pd.factorize(marks["day"])
    ordinals = np.asarray([d.toordinal() for d in days], dtype=np.int64)
    file = _Marks(course=marks["course_id"].to_numpy(dtype=np.int64),
                  student=student_ids[rut_codes], day=ordinals[day_codes],
                  hour=marks["hour"].to_numpy(dtype=np.int64),
                  present=marks["present"].to_numpy(dtype=bool), rut_codes=rut_codes, ruts=ruts)
    progress(0.1, "Comparando con lo guardado")
    if _written_by_this_file(session, file, rbd, digest, batch.id):
        added, changed, removed, unchanged = 0, 0, 0, len(file.course)
    else:
        added, changed, removed, unchanged = _marks(session, file, rbd, batch.id,
                                                    progress.span(0.2, 0.85))
    progress(0.85, "Actualizando días")
    days_changed, back = _course_days(session, file, rbd, now, codes)
    progress(1.0, "Actualizando días")
    summary.count(batch, added, changed, removed, unchanged)
    summary.students_created += created
    summary.course_days_changed += days_changed
    summary.back_to_pending += back
    audit(session, "import_libro", rbd, user, now, {
        "filename": name, "sha256": digest, "batch_id": batch.id, "layout": layout,
        "month": f"{summary.month[0]}-{summary.month[1]:02d}" if summary.month else None,
        "rows_read": len(marks), "added": added, "changed": changed, "removed": removed,
        "unchanged": unchanged, "students_created": created,
        "course_days_changed": days_changed, "back_to_pending": len(back)})


def _students(session: Session, marks: pd.DataFrame, rut_codes: np.ndarray, ruts: np.ndarray,
              rbd: int) -> tuple[np.ndarray, int]:
    """Student ids, one per distinct RUT (aligned with ``ruts``); students only the
    Libro knows are created, and the Libro's spelling of the name is kept in
    ``full_name``."""
    firsts = np.unique(rut_codes, return_index=True)[1]  # first row of each distinct RUT
    people = marks.iloc[firsts]
    existing = {row.rut: row for row in session.execute(
        select(Student.id, Student.rut, Student.full_name).where(Student.rbd == rbd))}
    new_rows, renamed = [], []
    for person in records(people, ["rut", "run", "dv", "kind", "full_name"]):
        found = existing.get(person["rut"])
        if found is None:
            new_rows.append((person["rut"], int(person["run"]), person["dv"], person["kind"],
                             person["full_name"]))
        elif person["full_name"] and found.full_name != person["full_name"]:
            renamed.append((found.id, person["full_name"]))
    if new_rows:
        columns = list(zip(*new_rows))
        insert_rows(session, Student.__table__, {
            "rbd": rbd, "rut": list(columns[0]), "run": list(columns[1]),
            "dv": list(columns[2]), "kind": list(columns[3]), "full_name": list(columns[4])})
    if renamed:
        update_rows(session, Student.__table__, ["full_name"], renamed)
    ids = dict(session.execute(select(Student.rut, Student.id).where(Student.rbd == rbd)).all())
    return np.asarray([ids[rut] for rut in ruts], dtype=np.int64), len(new_rows)


def _written_by_this_file(session: Session, file: _Marks, rbd: int, digest: str,
                          batch_id: int) -> bool:
    """True when the stored marks of every course-day of the file are known to be the
    file's own: each course-day holds as many marks as the file gives it, and every
    one of them was written by an earlier import of these same bytes (``sha256``).
    Such an import made those course-days equal to the file (it is their full
    picture); since then nothing was added or changed there (either would carry
    another batch id) and nothing was removed (the count would drop). A payload
    hash alone would not do: it covers only the deciding mark of each student."""
    earlier = set(session.scalars(select(ImportBatch.id).where(
        ImportBatch.rbd == rbd, ImportBatch.kind == "libro", ImportBatch.sha256 == digest,
        ImportBatch.id != batch_id)))
    if not earlier:
        return False
    first, last = date.fromordinal(int(file.day.min())), date.fromordinal(int(file.day.max()))
    tallies = course_day_tallies(session, rbd, first, last)
    keys, counts = np.unique((file.day << 32) | file.course, return_counts=True)
    stored = pd.Series(np.arange(len(tallies)),
                       index=(tallies[:, 1] << 32) | tallies[:, 0])
    at = stored.reindex(keys).to_numpy()
    if np.isnan(at).any():
        return False  # a course-day with no stored mark
    found = tallies[at.astype(np.int64)]
    return bool((found[:, 2] == counts).all() and (found[:, 3] == found[:, 4]).all()
                and np.isin(found[:, 3], list(earlier)).all())


def _stored_marks(session: Session, file: _Marks, rbd: int) -> np.ndarray:
    """The stored marks of the course-days the file covers, as integer rows (id,
    course, student, date ordinal, hour, present)."""
    first, last = date.fromordinal(int(file.day.min())), date.fromordinal(int(file.day.max()))
    stored = mark_rows(session, rbd, first, last)
    # only the course-days the file holds: (date, course) packed in one integer
    file_days = np.unique((file.day << 32) | file.course)
    return stored[np.isin((stored[:, 3] << 32) | stored[:, 1], file_days)]


def _marks(session: Session, file: _Marks, rbd: int, batch_id: int, progress: Progress):
    """Diff the file against the stored marks of its course-days, as sets of integer
    keys, and write only the difference."""
    stored = _stored_marks(session, file, rbd)
    n = len(file.course)
    table = AttendanceMark.__table__
    if len(stored):
        keys = group_codes(*(np.concatenate([ours, stored[:, i]]) for ours, i in
                             ((file.course, 1), (file.student, 2), (file.day, 3),
                              (file.hour, 4))))
        position = pd.Index(keys[n:]).get_indexer(keys[:n])  # stored keys are unique
    else:
        position = np.full(n, -1, dtype=np.int64)
    new = position < 0
    matched = np.flatnonzero(~new)
    was = stored[position[matched], 5].astype(bool) if len(matched) else np.zeros(0, bool)
    differs = was != file.present[matched]
    seen = np.zeros(len(stored), dtype=bool)
    seen[position[matched]] = True
    to_remove = stored[~seen, 0].tolist()
    adding = np.flatnonzero(new)
    # in the order of the unique index (course, day, student, hour): cheaper B-tree inserts
    adding = adding[np.lexsort((file.hour[adding], file.student[adding], file.day[adding],
                                file.course[adding]))]
    progress(0.0, "Guardando marcas")
    insert_rows(session, table, {
        "rbd": rbd, "course_id": file.course[adding], "student_id": file.student[adding],
        "day": dates(file.day[adding]),
        "hour": file.hour[adding], "present": file.present[adding],
        "import_batch_id": batch_id}, progress=progress.span(0.0, 0.9), label="Guardando marcas")
    changing = matched[differs]
    if len(changing):
        update_rows(session, table, ["present", "import_batch_id"], list(zip(
            stored[position[changing], 0].tolist(), file.present[changing].tolist(),
            [batch_id] * len(changing))))
    for start in range(0, len(to_remove), _DELETE_CHUNK):
        session.execute(delete(table).where(table.c.id.in_(to_remove[start:start +
                                                                      _DELETE_CHUNK])))
    progress(1.0, "Guardando marcas")
    return len(adding), len(changing), len(to_remove), len(matched) - len(changing)


def _course_days(session: Session, file: _Marks, rbd: int, now, codes: dict):
    """Hash each course-day's deciding marks and let the state rule move the day."""
    hashes = _deciding_hashes(file, active_corrections(session, rbd))
    course_ids = sorted({c for c, _ in hashes})
    first = date.fromordinal(min(d for _, d in hashes))
    last = date.fromordinal(max(d for _, d in hashes))
    stored = {(row.course_id, row.day.toordinal()): row for row in session.execute(
        select(CourseDay.id, CourseDay.course_id, CourseDay.day, CourseDay.payload_hash,
               CourseDay.state)
        .where(CourseDay.rbd == rbd, CourseDay.course_id.in_(course_ids),
               CourseDay.day.between(first, last)))}
    moved = [key for key, new_hash in hashes.items() if key not in stored
             or stored[key].payload_hash != new_hash or stored[key].state == SIN_REGISTRO]
    # only the days that move are loaded as objects, for the state rule
    loaded = {}
    ids = [stored[key].id for key in moved if key in stored]
    for start in range(0, len(ids), _DELETE_CHUNK):
        for day in session.scalars(select(CourseDay).where(
                CourseDay.id.in_(ids[start:start + _DELETE_CHUNK]))):
            loaded[(day.course_id, day.day.toordinal())] = day
    back, fresh = [], []
    for key in moved:
        course_day = loaded.get(key)
        if course_day is None:
            # a new day: the state rule runs on a plain record, then it is inserted in bulk
            course_day = states.Day(rbd, key[0], date.fromordinal(key[1]))
            fresh.append(course_day)
        if states.on_payload_changed(course_day, hashes[key], now):
            back.append((codes.get(key[0]) or _code(session, key[0]), date.fromordinal(key[1])))
    insert_rows(session, CourseDay.__table__, {
        column: [getattr(day, column) for day in fresh] for column in _COURSE_DAY_COLUMNS})
    session.flush()
    return len(moved), sorted(back, key=lambda item: (item[1], item[0]))


def _deciding_hashes(file: _Marks, corrections: dict[str, str]) -> dict[tuple[int, int], str]:
    """(course id, date ordinal) -> the payload hash of that course-day (the one
    definition in ``reconcile.payload``: deciding marks, corrections applied),
    in (course, date) order."""
    deciding = deciding_rows([file.course, file.day, file.rut_codes], file.hour)
    if not len(deciding):
        return {}
    course, day = file.course[deciding], file.day[deciding]
    starts = np.zeros(len(deciding), dtype=bool)
    starts[0] = True
    starts[1:] = (np.diff(course) != 0) | (np.diff(day) != 0)
    hashes = payload_hashes(np.cumsum(starts) - 1, file.ruts, file.rut_codes[deciding],
                            file.present[deciding], corrections)
    return {(int(course[start]), int(day[start])): digest
            for start, digest in zip(np.flatnonzero(starts).tolist(), hashes, strict=True)}


def _code(session: Session, course_id: int) -> str:
    return session.get(Course, course_id).code
