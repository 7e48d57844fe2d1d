"""The three sample files through the library and the command line: what they hold
ends up in the database (samples/README.md), re-imports change nothing, a corrected
file changes only what changed, and a synced day goes back to por_sincronizar."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reconcile import access, auth
from reconcile.db import transaction
from reconcile.db.models import (
    EN_PROCESO,
    POR_SINCRONIZAR,
    SINCRONIZADO,
    AttendanceMark,
    AuditLog,
    Course,
    CourseDay,
    Enrolment,
    ImportBatch,
    Student,
)
from reconcile.errors import PermissionDenied, UserError
from reconcile.imports import import_libro, import_sige
from tests.cli_helpers import run_cli, snapshot

SAMPLES = Path(__file__).parent / "data" / "samples"
NOMINA = SAMPLES / "nomina_sige.xlsx"
LONG = SAMPLES / "libro_asistencia_larga.csv"
WIDE = SAMPLES / "libro_control_subvenciones.xlsx"
RBD = 24875


def deciding(session, rut: str, day: date) -> bool | None:
    """The mark that counts for the subsidy: the 2nd hour when hours are given."""
    marks = dict(session.execute(
        select(AttendanceMark.hour, AttendanceMark.present)
        .join(Student, Student.id == AttendanceMark.student_id)
        .where(Student.rut == rut, AttendanceMark.day == day)).all())
    if not marks:
        return None
    return marks.get(2, marks[min(marks)])


def enrolment(session, rut: str) -> tuple[str, date | None, date | None]:
    course, row = session.execute(
        select(Course, Enrolment).join(Enrolment, Enrolment.course_id == Course.id)
        .join(Student, Enrolment.student_id == Student.id).where(Student.rut == rut)).one()
    return course.code, row.incorporated_on, row.withdrawn_on


def assert_sample_facts(url: str) -> None:
    with transaction(url) as s:
        courses = {c.code: c.desc_grado for c in s.scalars(select(Course))}
        assert courses == {"110-1-A": "1° Básico", "110-2-A": "2° Básico"}
        assert s.scalar(select(func.count()).select_from(Enrolment)) == 8
        # 1° Básico A: José Manuel is a provisional IPE in the Libro, a definitive RUN in SIGE
        ipe = s.scalar(select(Student).where(Student.rut == "100234567-2"))
        run = s.scalar(select(Student).where(Student.rut == "25123456-6"))
        assert (ipe.kind, run.kind) == ("provisional", "definitive")
        assert ipe.full_name == "José Manuel Hernández Castillo"
        assert enrolment(s, "25123456-6")[0] == "110-1-A"
        assert s.scalar(select(func.count()).select_from(Enrolment)
                        .where(Enrolment.student_id == ipe.id)) == 0
        assert deciding(s, "100234567-2", date(2026, 11, 2)) is True
        # Sofía is enrolled but has no mark at all
        assert enrolment(s, "23698041-3")[0] == "110-1-A"
        sofia = s.scalar(select(Student.id).where(Student.rut == "23698041-3"))
        assert s.scalar(select(func.count()).select_from(AttendanceMark)
                        .where(AttendanceMark.student_id == sofia)) == 0
        # Benjamín: present at the 1st hour, absent at the 2nd on 03-11: absent
        assert deciding(s, "23511402-K", date(2026, 11, 3)) is False
        assert deciding(s, "23511402-K", date(2026, 11, 2)) is True
        # Agustín withdrawn on 05-11
        assert enrolment(s, "23740118-2") == ("110-1-A", date(2026, 3, 1), date(2026, 11, 5))
        # 2° Básico A: Mateo (7-digit RUN) joined on 04-11; Tomás absent on 05-11
        assert enrolment(s, "9876543-3") == ("110-2-A", date(2026, 11, 4), None)
        assert s.scalar(select(Student.run).where(Student.rut == "9876543-3")) == 9876543
        assert deciding(s, "22876123-0", date(2026, 11, 5)) is False
        assert deciding(s, "22876123-0", date(2026, 11, 4)) is True
        # every worked day of both courses is ready to be sent
        states = set(s.scalars(select(CourseDay.state)))
        assert states == {POR_SINCRONIZAR}
        assert s.scalar(select(func.count()).select_from(CourseDay)) == 12


def test_samples_through_the_library(db_url, clock):
    with transaction(db_url) as s:
        sige = import_sige(s, NOMINA, clock=clock)
    assert (sige.added, sige.changed, sige.removed) == (8, 0, 0)
    assert sige.courses_created == ["110-1-A", "110-2-A"]
    with transaction(db_url) as s:
        long = import_libro(s, LONG, clock=clock)
    assert long.added == 74 and long.month == (2026, 11) and long.students_created == 1
    with transaction(db_url) as s:
        wide = import_libro(s, WIDE.read_bytes(), filename=WIDE.name, clock=clock)
    # the wide sheet holds the same deciding marks for 2° Básico A, without hours
    assert wide.course_days_changed == 0 and wide.added == 16
    assert_sample_facts(db_url)
    with transaction(db_url) as s:
        audits = s.execute(select(AuditLog.action, AuditLog.detail).order_by(AuditLog.id)).all()
        assert [a for a, _ in audits] == ["import_sige", "import_libro", "import_libro"]
        assert audits[0][1]["added"] == 8 and len(audits[0][1]["sha256"]) == 64
        assert "25123456" not in repr(audits)  # no RUTs in the audit trail
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 3


def test_samples_through_the_cli(db_url):
    for command, path in (("import-sige", NOMINA), ("import-libro", LONG),
                          ("import-libro", WIDE)):
        result = run_cli(command, str(path), env={"RECONCILE_NOW": "2026-11-16T10:00"})
        assert result.returncode == 0, result.stderr
        assert "cargada" in result.stdout
    assert_sample_facts(db_url)


def test_importing_twice_changes_no_data(db_url, clock):
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
        import_libro(s, LONG, clock=clock)
    before = snapshot(db_url)
    with transaction(db_url) as s:
        again = import_sige(s, NOMINA, clock=clock)
        marks = import_libro(s, LONG, clock=clock)
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 8)
    assert (marks.added, marks.changed, marks.removed, marks.unchanged) == (0, 0, 0, 74)
    after = snapshot(db_url)
    for table in before:
        if table not in ("import_batch", "audit_log"):  # the attempt itself is recorded
            assert after[table] == before[table], table
    assert len(after["audit_log"]) == len(before["audit_log"]) + 2


def test_a_corrected_file_changes_only_its_marks_and_reopens_synced_days(db_url, clock,
                                                                         tmp_path):
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
        import_libro(s, LONG, clock=clock)
        for day in s.scalars(select(CourseDay)):  # pretend SIGE accepted every day
            day.state, day.synced_hash = SINCRONIZADO, day.payload_hash
    text = LONG.read_bytes().decode("latin-1").splitlines()
    # Martina absent at the 2nd hour on 02-11 (was present); 1st hour changes too
    text[2] = text[2][:-1] + "A"
    text[1] = text[1][:-1] + "A"
    # Benjamín's 1st hour on 03-11: changes a mark, but not the deciding one
    text[15] = text[15][:-1] + "A"
    corrected = tmp_path / "libro_corregido.csv"
    corrected.write_bytes(("\n".join(text) + "\n").encode("latin-1"))
    with transaction(db_url) as s:
        summary = import_libro(s, corrected, clock=clock)
    assert (summary.added, summary.changed, summary.removed) == (0, 3, 0)
    assert summary.back_to_pending == [("110-1-A", date(2026, 11, 2))]
    with transaction(db_url) as s:
        states = {(cd.course.code, cd.day): cd.state for cd in s.scalars(select(CourseDay))}
        assert states.pop(("110-1-A", date(2026, 11, 2))) == POR_SINCRONIZAR
        assert set(states.values()) == {SINCRONIZADO}
        assert deciding(s, "23456789-6", date(2026, 11, 2)) is False


def test_a_change_while_in_process_reopens_the_day(db_url, clock, tmp_path):
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
        import_libro(s, LONG, clock=clock)
        for day in s.scalars(select(CourseDay)):
            day.state, day.sent_hash = EN_PROCESO, day.payload_hash
    text = LONG.read_bytes().decode("latin-1").splitlines()
    # drop Martina's rows for 09-11: her marks that day are removed
    kept = [line for line in text if not ("23.456.789-6" in line and "09-11-2026" in line)]
    smaller = tmp_path / "libro.csv"
    smaller.write_bytes(("\n".join(kept) + "\n").encode("latin-1"))
    with transaction(db_url) as s:
        summary = import_libro(s, smaller, clock=clock)
    assert summary.removed == 2 and summary.back_to_pending == [("110-1-A", date(2026, 11, 9))]


def test_a_later_nomina_removes_enrolments_but_keeps_attendance(db_url, clock, tmp_path):
    import openpyxl

    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
        import_libro(s, LONG, clock=clock)
    book = openpyxl.load_workbook(NOMINA)
    sheet = book["Nómina"]
    sheet.delete_rows(3)  # Benjamín leaves the nómina
    sheet["T2"] = "02-03-2026"  # Martina's incorporation date corrected
    later = tmp_path / "nomina_posterior.xlsx"
    book.save(later)
    marks_before = snapshot(db_url)["attendance_mark"]
    with transaction(db_url) as s:  # 1 of 1° Básico A's 5 students: over 10 %, confirmed
        summary = import_sige(s, later, clock=clock, allow_removals=True)
    assert (summary.added, summary.changed, summary.removed, summary.unchanged) == (0, 1, 1, 6)
    assert snapshot(db_url)["attendance_mark"] == marks_before
    with transaction(db_url) as s:
        assert enrolment(s, "23456789-6")[1] == date(2026, 3, 2)


def test_a_wrong_check_digit_is_kept_and_flagged(db_url, clock, tmp_path):
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
    text = LONG.read_bytes().decode("latin-1").replace("23.456.789-6", "23.456.789-5")
    path = tmp_path / "libro.csv"
    path.write_bytes(text.encode("latin-1"))
    with transaction(db_url) as s:
        import_libro(s, path, clock=clock)
    with transaction(db_url) as s:
        wrong = s.scalar(select(Student).where(Student.rut == "23456789-5"))
        assert wrong.kind == "invalid" and wrong.dv == "5"
        assert deciding(s, "23456789-5", date(2026, 11, 2)) is True


def test_users_import_only_their_own_school(db_url, clock):
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
        auth.add_user(s, "dora", access.DIRECTOR, [RBD], "una-clave-larga", clock=clock)
        auth.add_user(s, "pablo", access.PROFESOR, [RBD], "una-clave-larga", clock=clock)
    other = (Path(__file__).parent / "data" / "bad" / "libro_otro_rbd.csv")
    before = snapshot(db_url)
    with transaction(db_url) as s:  # a school the system never saw: who loads it first
        with pytest.raises(UserError) as refused:
            import_libro(s, other, user=auth.get_user(s, "dora"), clock=clock)
    assert "RBD 11111" in str(refused.value) and "administrador" in str(refused.value)
    with transaction(db_url) as s:
        with pytest.raises(PermissionDenied, match="Profesor"):
            import_libro(s, LONG, user=auth.get_user(s, "pablo"), clock=clock)
    assert snapshot(db_url) == before
    with transaction(db_url) as s:
        summary = import_libro(s, LONG, user=auth.get_user(s, "dora"), clock=clock)
    assert summary.added == 74
    with transaction(db_url) as s:
        assert s.scalar(select(AuditLog.username).where(AuditLog.action == "import_libro")) \
            == "dora"
    result = run_cli("import-libro", str(other), "--user", "dora")
    assert result.returncode == 2 and "RBD 11111" in result.stderr


def test_a_user_cannot_create_an_unknown_school(db_url, clock, tmp_path):
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
        auth.add_user(s, "dora", access.DIRECTOR, [RBD], "una-clave-larga", clock=clock)
    with transaction(db_url) as s:
        with pytest.raises(UserError):
            import_sige(s, b"RBD;Anio\n1;2\n", filename="x.csv", user=auth.get_user(s, "dora"))
