"""What we would send SIGE for a course-day, and its hash: the one definition.

The deciding mark of a student and day is the 2nd class hour (the one the subsidy
counts), else a mark without hour, else the earliest hour given. The approved RUT
corrections then replace the Libro's RUTs, and the course-day's payload is its
Presentes and Ausentes as RUNs. The importers, the corrections, the sync rules and
the worker all call this module, so the hash the import stores, the hash a
correction recomputes and the hash of what the worker sends are the same thing.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from reconcile import day_states
from reconcile.db.models import AttendanceMark, Course, CourseDay, RutCorrection, Student
from reconcile.sige.envelopes import AttendanceRecord, CourseAttendance, Run

_CHUNK = 500  # course-days per query when re-hashing many


def deciding_rows(keys: list[np.ndarray], hour: np.ndarray) -> np.ndarray:
    """Positions of the deciding marks among rows identified by integer ``keys``
    (e.g. course, student, day codes: one mark per distinct key tuple survives),
    ordered by those keys. The rule: the 2nd hour, else hour 0 (the source gave no
    hour), else the earliest hour.

    >>> deciding_rows([np.array([1, 1, 1, 1]), np.array([5, 5, 5, 6])],
    ...               np.array([1, 2, 3, 0])).tolist()
    [1, 3]
    """
    hour = np.asarray(hour, dtype=np.int64)
    if not len(hour):
        return np.zeros(0, dtype=np.int64)
    priority = np.where(hour == 2, -1, hour)
    order = np.lexsort((priority, *reversed(keys)))
    first = np.zeros(len(order), dtype=bool)
    first[0] = True
    for column in keys:  # a row starts a new key tuple when any key changes
        ranked = np.asarray(column)[order]
        first[1:] |= ranked[1:] != ranked[:-1]
    return order[first]


def deciding_marks(frame: pd.DataFrame, course: str = "course_id") -> pd.DataFrame:
    """One mark per course, student (``rut``) and ``day``: the one that counts
    (``deciding_rows``). Rows come ordered by course, RUT and day.

    >>> f = pd.DataFrame({"course_id": [1, 1, 1], "rut": ["1-9"] * 3,
    ...                   "day": [date(2026, 11, 3)] * 3, "hour": [1, 2, 3],
    ...                   "present": [True, False, True]})
    >>> deciding_marks(f)[["hour", "present"]].values.tolist()
    [[2, False]]
    """
    if frame.empty:
        return frame
    # integer ranks of the distinct values: much faster than sorting text and dates
    codes = [pd.factorize(frame[c], sort=True)[0] for c in (course, "rut", "day")]
    return frame.iloc[deciding_rows(codes, frame["hour"].fillna(0).to_numpy())]


@dataclass(frozen=True)
class CoursePayload:
    """One course-day as SIGE gets it: canonical RUTs (``BODY-DV``), sorted."""

    presentes: tuple[str, ...]
    ausentes: tuple[str, ...]

    @property
    def hash(self) -> str:
        """Order-independent content hash (the course-day's ``payload_hash``).

        >>> CoursePayload(('12531909-2',), ('12667869-K',)).hash[:12]
        'dff85557d2dd'
        """
        return _digest(sorted([_line(rut, True) for rut in self.presentes]
                              + [_line(rut, False) for rut in self.ausentes]))

    def runs(self) -> tuple[tuple[Run, ...], tuple[Run, ...]]:
        """Presentes and Ausentes as SIGE RUNs. A RUT that cannot be written as a
        RUN at all (no number) cannot be sent; SIGE will then report the enrolled
        child as missing, which the reconciliation already showed (Caso 1)."""
        return _runs(self.presentes), _runs(self.ausentes)


def _line(rut: str, present: bool) -> str:
    """One child's line in the hashed text of a course-day: ``RUT:1`` or ``RUT:0``."""
    return f"{rut}:{int(present)}"


def _digest(lines: list[str]) -> str:
    """The hash of a course-day's lines, already sorted."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _runs(ruts: Iterable[str]) -> tuple[Run, ...]:
    found = []
    for rut in ruts:
        body, _, dv = rut.partition("-")
        if body.isdigit() and int(body) > 0 and len(dv) == 1 and dv in "0123456789K":
            found.append(Run(int(body), dv))
    return tuple(found)


def course_payload(marks: Iterable[tuple[str, bool]],
                   corrections: Mapping[str, str] | None = None) -> CoursePayload | None:
    """The payload of one course-day from its deciding marks ``(rut, present)``,
    with approved corrections applied; None when there is no mark (no record).
    A child written twice (once under a corrected RUT) counts present if either
    mark says so.

    >>> course_payload([('100234567-2', True), ('23456789-6', False)],
    ...                {'100234567-2': '25123456-6'})
    CoursePayload(presentes=('25123456-6',), ausentes=('23456789-6',))
    """
    fixes = corrections or {}
    present: dict[str, bool] = {}
    for rut, mark in marks:
        rut = fixes.get(rut, rut)
        present[rut] = present.get(rut, False) or bool(mark)
    if not present:
        return None
    return CoursePayload(tuple(sorted(r for r, p in present.items() if p)),
                         tuple(sorted(r for r, p in present.items() if not p)))


def payload_hash(marks: Iterable[tuple[str, bool]],
                 corrections: Mapping[str, str] | None = None) -> str | None:
    """``course_payload(...).hash``, None without marks."""
    payload = course_payload(marks, corrections)
    return payload.hash if payload is not None else None


def payload_hashes(groups: np.ndarray, ruts: np.ndarray, rut_codes: np.ndarray,
                   present: np.ndarray, corrections: Mapping[str, str] | None = None
                   ) -> list[str]:
    """``payload_hash`` of many course-days at once, the same strings: row i is the
    deciding mark ``(ruts[rut_codes[i]], present[i])`` of course-day ``groups[i]``
    (codes 0..g-1, every code used; one hash per code, in code order). Corrections
    are looked up once per distinct RUT, each line's place in the sort once per
    distinct line; only the joining and hashing is done per course-day (a month of
    a school is ~900 of them).

    >>> payload_hashes(np.array([0, 0]), np.array(['12667869-K', '12531909-2']),
    ...                np.array([0, 1]), np.array([False, True]))[0][:12]
    'dff85557d2dd'
    """
    fixes = corrections or {}
    fixed_codes, fixed = pd.factorize(pd.Series([fixes.get(r, r) for r in ruts.tolist()],
                                                dtype=object))
    rut = fixed_codes[rut_codes]
    # A child written twice in a course-day (once under a corrected RUT) is one line,
    # present if either mark says so.
    key = groups.astype(np.int64) * len(fixed) + rut
    keys, where = np.unique(key, return_inverse=True)
    marked = np.zeros(len(keys), dtype=bool)
    np.logical_or.at(marked, where, np.asarray(present, dtype=bool))
    group, rut = keys // len(fixed), keys % len(fixed)
    # Every possible line ('RUT:1' / 'RUT:0') ranked as Python sorts the strings.
    lines = np.asarray([_line(r, p) for r in fixed.tolist() for p in (False, True)],
                       dtype=object)
    rank = np.empty(len(lines), dtype=np.int64)
    rank[np.argsort(lines, kind="stable")] = np.arange(len(lines))
    line = rut * 2 + marked
    order = np.lexsort((rank[line], group))
    texts = lines[line[order]].tolist()
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    return [_digest(texts[a:b])
            for a, b in zip([0, *bounds.tolist()], [*bounds.tolist(), len(texts)])]


# --- from the database ------------------------------------------------------------------


def active_corrections(session: Session, rbd: int) -> dict[str, str]:
    """Libro RUT -> SIGE RUT for every correction of the school neither undone nor
    closed by a later load."""
    rows = session.execute(select(RutCorrection.from_rut, RutCorrection.to_rut).where(
        RutCorrection.rbd == rbd, RutCorrection.revoked_at.is_(None),
        RutCorrection.resolved_at.is_(None)))
    return dict(rows.all())


def stored_payloads(session: Session, rbd: int, keys: Iterable[tuple[int, date]],
                    corrections: Mapping[str, str] | None = None
                    ) -> dict[tuple[int, date], CoursePayload | None]:
    """(course id, date) -> the payload of the stored marks (None: no record), with
    the school's active corrections unless ``corrections`` is given."""
    keys = sorted(set(keys))
    fixes = active_corrections(session, rbd) if corrections is None else corrections
    rows = []
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        rows += session.execute(
            select(AttendanceMark.course_id, Student.rut, AttendanceMark.day,
                   AttendanceMark.hour, AttendanceMark.present)
            .join(Student, Student.id == AttendanceMark.student_id)
            .where(AttendanceMark.rbd == rbd,
                   # course ids and the date range: the (course, day, ...) unique key's reach
                   AttendanceMark.course_id.in_(sorted({c for c, _ in chunk})),
                   AttendanceMark.day.between(min(d for _, d in chunk), max(d for _, d in chunk)),
                   tuple_(AttendanceMark.course_id, AttendanceMark.day).in_(chunk))).all()
    result: dict[tuple[int, date], CoursePayload | None] = {key: None for key in keys}
    if not rows:
        return result
    # a few course-days at a time (a send, a correction): integer keys, no frames
    keys_of = {key: n for n, key in enumerate(keys)}
    key_codes = np.fromiter((keys_of[(r.course_id, r.day)] for r in rows), np.int64, len(rows))
    rut_codes, ruts = pd.factorize(np.fromiter((r.rut for r in rows), object, len(rows)))
    hours = np.fromiter((r.hour for r in rows), np.int64, len(rows))
    grouped: dict[int, list[tuple[str, bool]]] = {}
    for position in deciding_rows([key_codes, rut_codes], hours).tolist():
        grouped.setdefault(int(key_codes[position]), []).append(
            (rows[position].rut, bool(rows[position].present)))
    for code, marks in grouped.items():
        result[keys[code]] = course_payload(marks, fixes)
    return result


def refresh_course_days(session: Session, rbd: int, keys: Iterable[tuple[int, date]],
                        now: datetime) -> list[CourseDay]:
    """Re-hash the given course-days from the stored marks and let the state rule
    move each one (a synced day whose payload changed goes back to
    ``por_sincronizar``). Returns the days that were synced or in process and went
    back."""
    payloads = stored_payloads(session, rbd, keys)
    back = []
    days = _course_days(session, rbd, payloads)
    for key, payload in payloads.items():
        day = days.get(key)
        if day is None:
            continue  # never imported: nothing to move
        if day_states.on_payload_changed(day, payload.hash if payload else None, now):
            back.append(day)
    return back


def _course_days(session: Session, rbd: int, keys: Iterable[tuple[int, date]]
                 ) -> dict[tuple[int, date], CourseDay]:
    keys = sorted(set(keys))
    found = {}
    for start in range(0, len(keys), _CHUNK):
        for day in session.scalars(select(CourseDay).where(
                CourseDay.rbd == rbd,
                tuple_(CourseDay.course_id, CourseDay.day).in_(keys[start:start + _CHUNK]))):
            found[(day.course_id, day.day)] = day
    return found


def course_days_of_student(session: Session, rbd: int, rut: str) -> list[tuple[int, date]]:
    """Every (course id, date) on which the Libro has a mark for ``rut``."""
    return [tuple(row) for row in session.execute(
        select(AttendanceMark.course_id, AttendanceMark.day).distinct()
        .join(Student, Student.id == AttendanceMark.student_id)
        .where(Student.rbd == rbd, Student.rut == rut, AttendanceMark.rbd == rbd))]


def build_record(session: Session, rbd: int, day: date, courses: list[Course]
                 ) -> tuple[AttendanceRecord | None, dict[int, str]]:
    """The addAsistencia record for one date and grade, from the stored marks of
    ``courses`` (all of one tipo de enseñanza and grado), and each course's payload
    hash. Courses without a record that day are left out; None when none has one."""
    payloads = stored_payloads(session, rbd, [(c.id, day) for c in courses])
    sent, hashes = [], {}
    for course in sorted(courses, key=lambda c: c.letra):
        payload = payloads.get((course.id, day))
        if payload is None:
            continue
        presentes, ausentes = payload.runs()
        sent.append(CourseAttendance(course.letra, presentes, ausentes))
        hashes[course.id] = payload.hash
    if not sent:
        return None, {}
    first = courses[0]
    return AttendanceRecord(first.year, rbd, first.cod_ense, first.cod_grado, day,
                            tuple(sent)), hashes
