"""Marks carry course and student ids with no database key check (migration 0004):
the Libro import is their only writer and must only ever write ids that exist, of
the mark's own school; and a database migrated with marks in it keeps them all."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from reconcile.db import get_engine, transaction, upgrade
from reconcile.db.marks import mark_rows
from reconcile.db.migrate import alembic_config
from reconcile.imports import import_libro, import_sige
from tests.conftest import BACKENDS, postgres_schema

SAMPLES = Path(__file__).parent / "data" / "samples"
NOMINA = SAMPLES / "nomina_sige.xlsx"
LONG, WIDE = SAMPLES / "libro_asistencia_larga.csv", SAMPLES / "libro_control_subvenciones.xlsx"

ORPHANS = text("""
    SELECT COUNT(*) FROM attendance_mark m
    LEFT JOIN course c ON c.id = m.course_id
    LEFT JOIN student s ON s.id = m.student_id
    WHERE c.id IS NULL OR s.id IS NULL OR c.rbd <> m.rbd OR s.rbd <> m.rbd""")
MARKS = text("SELECT course_id, student_id, day, hour, present FROM attendance_mark "
             "ORDER BY course_id, day, student_id, hour")


def _import_samples(url: str, clock) -> None:
    with transaction(url) as s:
        import_sige(s, NOMINA, clock=clock)
    with transaction(url) as s:
        import_libro(s, LONG, clock=clock)  # creates a student only the Libro knows
    with transaction(url) as s:
        import_libro(s, WIDE.read_bytes(), filename=WIDE.name, clock=clock)


ENROLMENT_ORPHANS = text("""
    SELECT COUNT(*) FROM enrolment e
    JOIN course c ON c.id = e.course_id
    LEFT JOIN import_batch b ON b.id = e.import_batch_id
    WHERE c.rbd <> e.rbd OR b.id IS NULL OR b.rbd <> e.rbd""")


def test_every_mark_names_a_course_and_student_of_its_school(db_url, clock):
    _import_samples(db_url, clock)
    with transaction(db_url) as s:
        assert s.scalar(text("SELECT COUNT(*) FROM attendance_mark")) > 0
        assert s.scalar(ORPHANS) == 0
        # enrolments' school and batch are plain columns too
        assert s.scalar(text("SELECT COUNT(*) FROM enrolment")) > 0
        assert s.scalar(ENROLMENT_ORPHANS) == 0


@pytest.fixture(params=BACKENDS)
def at_0003(request, tmp_path):
    """A database migrated only up to revision 0003 (marks with key checks)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        command.upgrade(alembic_config(url), "0003")
        yield url
        get_engine(url).dispose()
        return
    with postgres_schema(lambda url: command.upgrade(alembic_config(url), "0003")) as url:
        yield url


def test_migrating_a_database_with_marks_keeps_every_mark(at_0003, clock):
    # today's import code needs today's schema: the samples go in at the newest revision,
    # then the database is taken back to 0003, where marks had their key checks
    upgrade(at_0003)
    _import_samples(at_0003, clock)
    command.downgrade(alembic_config(at_0003), "0003")
    with transaction(at_0003) as s:
        before = s.execute(MARKS).all()
        rbd = s.scalar(text("SELECT MIN(rbd) FROM attendance_mark"))
        read_before = mark_rows(s, rbd, date(2026, 11, 1), date(2026, 11, 30))
    upgrade(at_0003)
    with transaction(at_0003) as s:
        assert s.execute(MARKS).all() == before
        read_after = mark_rows(s, rbd, date(2026, 11, 1), date(2026, 11, 30))
    assert len(before) > 0
    assert sorted(map(tuple, read_after.tolist())) == sorted(map(tuple, read_before.tolist()))
    # and the import still diffs against the migrated table: the last file again is unchanged
    with transaction(at_0003) as s:
        again = import_libro(s, WIDE.read_bytes(), filename=WIDE.name, clock=clock)
    assert again.added == again.changed == again.removed == 0
    # and the way back: 0003's keys hold for what the import wrote
    command.downgrade(alembic_config(at_0003), "0003")
    with transaction(at_0003) as s:
        assert s.execute(MARKS).all() == before
