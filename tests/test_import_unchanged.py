"""Re-importing a Libro file: an unchanged one writes no mark and no day, and one that
was already imported and then overwritten by another file is diffed in full (the
course-day payload hash covers only the deciding mark, so it cannot prove that the
other hours are unchanged)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from reconcile.db import transaction
from reconcile.db.models import AttendanceMark, Student
from reconcile.imports import import_libro, import_sige
from tests.cli_helpers import snapshot

SAMPLES = Path(__file__).parent / "data" / "samples"
NOMINA, LONG = SAMPLES / "nomina_sige.xlsx", SAMPLES / "libro_asistencia_larga.csv"
LINES = LONG.read_bytes().decode("latin-1").splitlines()
# line 1: Martina's 1st hour on 02-11-2026, present (not the deciding mark)
MARTINA, FIRST_HOUR, DAY = "23456789-6", 1, date(2026, 11, 2)


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path


def counts(summary) -> tuple[int, int, int, int]:
    return summary.added, summary.changed, summary.removed, summary.unchanged


def first_hour(url: str) -> bool | None:
    with transaction(url) as s:
        return s.scalar(select(AttendanceMark.present).join(
            Student, Student.id == AttendanceMark.student_id).where(
            Student.rut == MARTINA, AttendanceMark.day == DAY,
            AttendanceMark.hour == FIRST_HOUR))


def imported(url: str, clock, *files: Path):
    summaries = []
    for path in files:
        with transaction(url) as s:
            if path == NOMINA:
                import_sige(s, path, clock=clock)
            else:
                summaries.append(import_libro(s, path, clock=clock))
    return summaries[-1] if summaries else None


def test_an_unchanged_file_writes_only_its_batch_and_audit(db_url, clock):
    imported(db_url, clock, NOMINA, LONG, LONG)  # the 2nd import is unchanged too
    before = snapshot(db_url)
    summary = imported(db_url, clock, LONG)
    assert counts(summary) == (0, 0, 0, 74) and summary.course_days_changed == 0
    after = snapshot(db_url)
    assert {t for t in before if after[t] != before[t]} == {"import_batch", "audit_log"}
    assert len(after["import_batch"]) == len(before["import_batch"]) + 1


def test_a_file_imported_again_after_another_changed_a_non_deciding_mark(db_url, clock,
                                                                         tmp_path):
    flipped = write(tmp_path, "libro_b.csv", [*LINES[:1], LINES[1][:-1] + "A", *LINES[2:]])
    changed = imported(db_url, clock, NOMINA, LONG, flipped)
    assert counts(changed) == (0, 1, 0, 73) and changed.course_days_changed == 0
    assert first_hour(db_url) is False
    # the same day hash as before, but the 1st hour differs: the file's mark comes back
    back = imported(db_url, clock, LONG)
    assert counts(back) == (0, 1, 0, 73)
    assert first_hour(db_url) is True


def test_a_file_imported_again_after_another_removed_or_added_a_mark(db_url, clock,
                                                                    tmp_path):
    fewer = write(tmp_path, "libro_menos.csv", [LINES[0], *LINES[2:]])
    assert counts(imported(db_url, clock, NOMINA, LONG, fewer)) == (0, 0, 1, 73)
    assert first_hour(db_url) is None
    assert counts(imported(db_url, clock, LONG)) == (1, 0, 0, 73)
    assert first_hour(db_url) is True
    # a 3rd hour only another file gives: the original file removes it again
    third = LINES[2].replace(";2;", ";3;")
    more = write(tmp_path, "libro_mas.csv", [*LINES, third])
    assert counts(imported(db_url, clock, more)) == (1, 0, 0, 74)
    assert counts(imported(db_url, clock, LONG)) == (0, 0, 1, 74)
    assert counts(imported(db_url, clock, LONG)) == (0, 0, 0, 74)
