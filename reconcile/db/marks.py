"""A school's attendance marks as plain integer rows, read at the driver's speed.

A month of a large school is ~50,000 marks and a sostenedor's many times that:
result-row objects and date objects per row would cost more than the query, so
the database packs date, hour and mark into one integer and the rows come back
as one numpy array.
"""
from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy.orm import Session

_HOURS = 1024  # packing base for class hours (they are 0..20)
# A school's marks in a date range, through its courses: the marks' unique key leads
# with (course, day), so each course is one range of that index (marks keep no
# index of their own by school: one fewer to maintain on every bulk insert).
_OF_SCHOOL = ("course_id IN (SELECT id FROM course WHERE rbd = {mark}) "
              "AND day BETWEEN {mark} AND {mark}")
ID, COURSE, STUDENT, DAY, HOUR, PRESENT = range(6)  # the columns of ``mark_rows``


def mark_rows(session: Session, rbd: int, first: date, last: date) -> np.ndarray:
    """The school's marks dated ``first``..``last`` as an (n, 6) int64 array:
    id, course id, student id, date ordinal, hour, present (0/1)."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":  # dates are ISO text; julianday(0001-01-01) is 1721425.5
        ordinal, present, mark = "CAST(julianday(day) AS INTEGER) - 1721424", "present", "?"
    else:
        ordinal, present, mark = "(day - DATE '0001-01-01') + 1", "present::int", "%s"
    sql = (f"SELECT id, course_id, student_id, (({ordinal}) * {_HOURS} + hour) * 2 + {present} "
           f"FROM attendance_mark WHERE {_OF_SCHOOL.format(mark=mark)}")
    params = (rbd, first.isoformat(), last.isoformat()) if dialect == "sqlite" \
        else (rbd, first, last)
    rows = _fetch(connection, sql, params)
    packed = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    day_hour, present_bit = np.divmod(packed[:, 3], 2)
    day, hour = np.divmod(day_hour, _HOURS)
    return np.column_stack([packed[:, :3], day, hour, present_bit])


def dates(ordinals: np.ndarray) -> np.ndarray:
    """Date objects for ordinals, made once per distinct date."""
    distinct, codes = np.unique(ordinals, return_inverse=True)
    return np.asarray([date.fromordinal(int(d)) for d in distinct], dtype=object)[codes]


def course_day_tallies(session: Session, rbd: int, first: date, last: date) -> np.ndarray:
    """Per course-day of the school dated ``first``..``last``, counted by the database
    (no mark crosses the wire): an (n, 5) int64 array of course id, date ordinal,
    marks, lowest and highest ``import_batch_id`` (-1 for none)."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        ordinal, mark = "CAST(julianday(day) AS INTEGER) - 1721424", "?"
        params = (rbd, first.isoformat(), last.isoformat())
    else:
        ordinal, mark, params = "(day - DATE '0001-01-01') + 1", "%s", (rbd, first, last)
    batch = "COALESCE(import_batch_id, -1)"
    sql = (f"SELECT course_id, {ordinal}, COUNT(*), MIN({batch}), MAX({batch}) "
           f"FROM attendance_mark WHERE {_OF_SCHOOL.format(mark=mark)} "
           "GROUP BY course_id, day")
    rows = _fetch(connection, sql, params)
    return np.asarray(rows, dtype=np.int64).reshape(-1, 5)


def _fetch(connection, sql: str, params: tuple) -> list[tuple]:  # noqa: ANN001
    """Rows straight from the driver's cursor (no result-row objects)."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()
