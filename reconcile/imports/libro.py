"""Writing Libro Digital attendance: marks, course-day hashes, batch and audit.

The file is the full picture of the course-days it contains: for each (course,
date) in the file, marks are added, changed or removed to match it; course-days
the file does not mention are left alone. Each affected course-day gets the hash
of its deciding marks (2nd hour, see ``loaders.libro.deciding_marks``), and the
day-state rule in ``reconcile.sync.states`` moves it (a synced day whose marks
changed becomes ``por_sincronizar``).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.auth import AuthUser
from reconcile.clock import Clock, default_clock
from reconcile.db.models import SIN_REGISTRO, AttendanceMark, Course, CourseDay, Student
from reconcile.errors import UserError
from reconcile.imports.common import (
    ImportSummary,
    Source,
    audit,
    bulk_insert,
    fast_insert,
    check_school,
    new_batch,
    raise_if_errors,
    records,
    sha256,
    source_bytes,
)
from reconcile.loaders.courses import CourseCatalog
from reconcile.loaders.identifiers import classify
from reconcile.loaders.libro import deciding_marks, read_libro
from reconcile.sync import states

_KEY = ["course_id", "student_id", "day_n", "hour"]
_COURSE_DAY_COLUMNS = ["rbd", "course_id", "day", "marks_hash", "state", "cause", "updated_at"]


def import_libro(session: Session, source: Source, *, filename: str | None = None,
                 user: AuthUser | None = None, clock: Clock | None = None,
                 rbd: int | None = None) -> ImportSummary:
    """Validate a Libro Digital attendance file, then bring the stored marks of its
    course-days in line with it. Same transaction contract as ``import_sige``.
    ``rbd`` is the school to assume when the file does not name one (default: the
    user's only school)."""
    now = (clock or default_clock()).now()
    data, name = source_bytes(source, filename)
    if rbd is None and user is not None and len(user.rbds) == 1:
        rbd = user.rbds[0]
    min_body = settings.get_int(session, "rut.provisional_min_body")
    catalog = CourseCatalog.from_session(session)
    libro = read_libro(None, catalog, data=data, filename=name, rbd=rbd,
                       provisional_min_body=min_body)
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
    for school_rbd in rbds:
        marks = libro.frame.loc[libro.frame["rbd"] == school_rbd]
        school_min = settings.get_int(session, "rut.provisional_min_body", school_rbd)
        if school_min != min_body:
            marks = marks.assign(kind=classify(marks["run"], marks["kind"], school_min))
        _import_school(session, marks, school_rbd, name, digest, user, now, summary, codes,
                       libro.layout)
    return summary


def _import_school(session: Session, marks: pd.DataFrame, rbd: int, name: str, digest: str,
                   user: AuthUser | None, now, summary: ImportSummary, codes: dict,
                   layout: str | None) -> None:
    batch = new_batch(session, "libro", rbd, name, digest, user, now, len(marks))
    ids, created = _students(session, marks, rbd)
    marks = marks.assign(student_id=marks["rut"].map(ids).astype("int64"),
                         course_id=marks["course_id"].astype("int64"),
                         day_n=_day_numbers(marks["day"]))
    added, changed, removed, unchanged = _marks(session, marks, rbd, batch.id)
    days_changed, back = _course_days(session, marks, rbd, now, codes)
    batch.rows_added, batch.rows_changed, batch.rows_removed = added, changed, removed
    summary.added += added
    summary.changed += changed
    summary.removed += removed
    summary.unchanged += unchanged
    summary.students_created += created
    summary.course_days_changed += days_changed
    summary.back_to_pending += back
    summary.batch_ids.append(batch.id)
    audit(session, "import_libro", rbd, user, now, {
        "filename": name, "sha256": digest, "batch_id": batch.id, "layout": layout,
        "month": f"{summary.month[0]}-{summary.month[1]:02d}" if summary.month else None,
        "rows_read": len(marks), "added": added, "changed": changed, "removed": removed,
        "unchanged": unchanged, "students_created": created,
        "course_days_changed": days_changed, "back_to_pending": len(back)})


def _day_numbers(days: pd.Series) -> np.ndarray:
    """Dates as ordinal integers (fast keys for merging), once per distinct date."""
    codes, uniques = pd.factorize(days)
    return np.asarray([d.toordinal() for d in uniques], dtype=np.int64)[codes]


def _students(session: Session, marks: pd.DataFrame, rbd: int) -> tuple[dict, int]:
    """Student ids by canonical RUT; students only the Libro knows are created, and
    the Libro's spelling of the name is kept in ``full_name``."""
    people = marks.drop_duplicates(subset=["rut"], keep="first")
    existing = {row.rut: row for row in session.execute(
        select(Student.id, Student.rut, Student.full_name).where(Student.rbd == rbd))}
    new_rows, renamed = [], []
    for person in records(people, ["rut", "run", "dv", "kind", "full_name"]):
        found = existing.get(person["rut"])
        if found is None:
            new_rows.append({"rbd": rbd, "rut": person["rut"], "run": int(person["run"]),
                             "dv": person["dv"], "kind": person["kind"],
                             "full_name": person["full_name"]})
        elif person["full_name"] and found.full_name != person["full_name"]:
            renamed.append({"id": found.id, "full_name": person["full_name"]})
    bulk_insert(session, Student, new_rows)
    if renamed:
        session.execute(update(Student), renamed)
    ids = dict(session.execute(select(Student.rut, Student.id).where(Student.rbd == rbd)).all())
    return ids, len(new_rows)


def _existing_marks(session: Session, marks: pd.DataFrame, rbd: int) -> pd.DataFrame:
    """Stored marks of the course-days the file covers, read through the driver's
    cursor (a month of a school is ~50,000 rows; result-row objects would dominate)."""
    first, last = date.fromordinal(int(marks["day_n"].min())), \
        date.fromordinal(int(marks["day_n"].max()))
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (f"SELECT id, course_id, student_id, day, hour, present FROM attendance_mark "
           f"WHERE rbd = {mark} AND day BETWEEN {mark} AND {mark}")
    params = (rbd, first.isoformat(), last.isoformat()) if sqlite else (rbd, first, last)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    names = ["id", "course_id", "student_id", "day", "hour", "present"]
    columns = list(zip(*rows)) or [()] * len(names)
    stored = pd.DataFrame({name: pd.Series(values, dtype=object if name == "day" else "int64")
                           for name, values in zip(names, columns)})
    if stored.empty:
        return stored.assign(day_n=pd.Series(dtype="int64"))
    codes, uniques = pd.factorize(stored["day"])
    days = [date.fromisoformat(d) if isinstance(d, str) else d for d in uniques]
    stored["day_n"] = np.asarray([d.toordinal() for d in days], dtype=np.int64)[codes]
    stored["present"] = stored["present"].astype(bool)
    scope = marks[["course_id", "day_n"]].drop_duplicates()
    return stored.merge(scope, on=["course_id", "day_n"], how="inner")


def _marks(session: Session, marks: pd.DataFrame, rbd: int, batch_id: int):
    """Diff the file against the stored marks of its course-days, in bulk."""
    stored = _existing_marks(session, marks, rbd)
    new = marks[_KEY + ["present", "day"]]
    both = new.merge(stored[_KEY + ["id", "present"]].rename(columns={"present": "was"}),
                     on=_KEY, how="outer", indicator=True)
    to_add = both.loc[both["_merge"] == "left_only"]
    to_remove = both.loc[both["_merge"] == "right_only", "id"].astype("int64").tolist()
    matched = both.loc[both["_merge"] == "both"]
    to_change = matched.loc[matched["present"].astype(bool) != matched["was"].astype(bool)]
    table = AttendanceMark.__table__
    columns = ["rbd", "course_id", "student_id", "day", "hour", "present", "import_batch_id"]
    added = to_add.assign(rbd=rbd, import_batch_id=batch_id,
                          present=to_add["present"].astype(bool))
    fast_insert(session, table, added, columns)
    if len(to_change):
        statement = (update(table).where(table.c.id == bindparam("mark_id"))
                     .values(present=bindparam("new_present"), import_batch_id=batch_id))
        session.execute(statement, [{"mark_id": int(i), "new_present": bool(p)} for i, p in
                                    zip(to_change["id"], to_change["present"])])
    for start in range(0, len(to_remove), 5000):
        session.execute(delete(table).where(table.c.id.in_(to_remove[start:start + 5000])))
    return len(to_add), len(to_change), len(to_remove), len(matched) - len(to_change)


def _course_days(session: Session, marks: pd.DataFrame, rbd: int, now, codes: dict):
    """Hash each course-day's deciding marks and let the state rule move the day."""
    deciding = deciding_marks(marks).sort_values(["course_id", "day_n"], kind="stable")
    hashes: dict[tuple[int, int], str] = {}
    course_col = deciding["course_id"].to_numpy()
    day_col = deciding["day_n"].to_numpy()
    pairs = list(zip(deciding["rut"].tolist(), deciding["present"].astype(bool).tolist()))
    bounds = np.flatnonzero((np.diff(course_col) != 0) | (np.diff(day_col) != 0)) + 1
    starts = np.concatenate([[0], bounds]) if len(pairs) else np.array([], dtype=int)
    ends = np.concatenate([bounds, [len(pairs)]]) if len(pairs) else np.array([], dtype=int)
    for start, end in zip(starts, ends):
        key = (int(course_col[start]), int(day_col[start]))
        hashes[key] = states.marks_hash(pairs[start:end])
    course_ids = sorted({c for c, _ in hashes})
    first = date.fromordinal(min(d for _, d in hashes))
    last = date.fromordinal(max(d for _, d in hashes))
    existing = {(cd.course_id, cd.day.toordinal()): cd for cd in session.scalars(
        select(CourseDay).where(CourseDay.rbd == rbd, CourseDay.course_id.in_(course_ids),
                                CourseDay.day.between(first, last)))}
    changed, back, fresh = 0, [], []
    for key, new_hash in hashes.items():
        course_day = existing.get(key)
        if course_day is None:
            # a transient row: the state rule runs on it, then it is inserted in bulk
            course_day = CourseDay(rbd=rbd, course_id=key[0], day=date.fromordinal(key[1]),
                                   state=SIN_REGISTRO)
            fresh.append(course_day)
        elif course_day.marks_hash == new_hash and course_day.state != SIN_REGISTRO:
            continue
        changed += 1
        if states.on_marks_changed(course_day, new_hash, now):
            back.append((codes.get(key[0]) or _code(session, key[0]), date.fromordinal(key[1])))
    bulk_insert(session, CourseDay.__table__, [
        {column: getattr(day, column) for column in _COURSE_DAY_COLUMNS} for day in fresh])
    session.flush()
    return changed, sorted(back, key=lambda item: (item[1], item[0]))


def _code(session: Session, course_id: int) -> str:
    return session.get(Course, course_id).code
