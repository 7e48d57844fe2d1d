"""PostgreSQL's binary COPY rows built column-wise (``reconcile.db.copy_binary``):
what goes in comes back the same as through the driver's own row-by-row COPY, and
whatever the format cannot carry (a missing value, text, an out-of-range number)
is left to that path."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from sqlalchemy import select, text

from reconcile.db import transaction
from reconcile.db.copy_binary import binary_rows
from reconcile.db.models import AttendanceMark, Enrolment, Student
from reconcile.imports.common import insert_rows

MARKS = AttendanceMark.__table__
DAYS = [date(2026, 11, 2), date(1999, 12, 31), date(2000, 1, 1), date(2026, 3, 1)]


def _marks(n: int) -> dict:
    rng = np.random.default_rng(7)
    return {"rbd": 12345, "course_id": rng.integers(1, 2**31 - 1, n),
            "student_id": rng.integers(1, 50, n), "day": [DAYS[i % 4] for i in range(n)],
            "hour": np.arange(n) % 3, "present": rng.random(n) < 0.5, "import_batch_id": 9}


def _stored(session) -> list[tuple]:
    c = MARKS.c
    return [tuple(r) for r in session.execute(select(
        c.rbd, c.course_id, c.student_id, c.day, c.hour, c.present, c.import_batch_id)
        .order_by(c.id))]


def _expected(columns: dict, n: int) -> list[tuple]:
    def at(value, i):
        return value[i] if isinstance(value, (list, np.ndarray)) else value
    return [tuple(int(v) if isinstance(v, np.integer) else bool(v) if isinstance(v, np.bool_)
                  else v for v in (at(columns[c], i) for c in columns)) for i in range(n)]


def test_marks_come_back_as_written(db_url):
    columns = _marks(25_003)  # not a multiple of the chunk: a last short chunk
    assert binary_rows(MARKS, columns, 25_003) is not None  # PostgreSQL takes the binary path
    with transaction(db_url) as session:
        assert insert_rows(session, MARKS, columns, chunk=1_000) == 25_003
    with transaction(db_url) as session:
        assert _stored(session) == _expected(columns, 25_003)


@pytest.mark.parametrize("change, why", [
    ({"import_batch_id": [None, 9, 9]}, "a missing value"),
    ({"course_id": np.array([2**31, 1, 1])}, "a number beyond the column"),
    ({"present": np.array([1, 0, 1])}, "a flag that is not a boolean"),
    ({"day": [datetime(2026, 11, 2, 8), date(2026, 11, 2), date(2026, 11, 2)]}, "a timestamp"),
])
def test_what_the_format_cannot_carry_is_left_to_the_driver(change, why):
    columns = {**_marks(3), **change}
    assert binary_rows(MARKS, columns, 3) is None, why


def test_text_columns_are_left_to_the_driver():
    assert binary_rows(Student.__table__, {"rbd": 1, "rut": ["1-9"]}, 1) is None


def test_a_missing_value_still_goes_in_through_the_driver(db_url):
    columns = {**_marks(3), "import_batch_id": [None, 9, None]}
    with transaction(db_url) as session:
        insert_rows(session, MARKS, columns)
    with transaction(db_url) as session:
        assert [row[-1] for row in _stored(session)] == [None, 9, None]


def test_enrolment_dates_with_gaps_go_in(db_url):
    with transaction(db_url) as session:
        session.execute(text("INSERT INTO establishment (rbd, name, created_at) "
                             "VALUES (1, 'x', CURRENT_TIMESTAMP)"))
        session.execute(text("INSERT INTO course (id, rbd, year, cod_ense, cod_grado, letra) "
                             "VALUES (1, 1, 2026, 110, 1, 'A')"))
        session.execute(text("INSERT INTO student (id, rbd, rut, kind) VALUES "
                             "(1, 1, '1-9', 'definitive'), (2, 1, '2-7', 'definitive')"))
        insert_rows(session, Enrolment.__table__, {
            "rbd": 1, "course_id": [1, 1], "student_id": [1, 2],
            "incorporated_on": [date(2026, 3, 1), None], "withdrawn_on": [None, None]})
    with transaction(db_url) as session:
        c = Enrolment.__table__.c
        assert [tuple(r) for r in session.execute(select(
            c.student_id, c.incorporated_on).order_by(c.student_id))] == [
            (1, date(2026, 3, 1)), (2, None)]
