"""A nómina replaces only the courses it lists (issue 8): a one-course file leaves the
other courses as they were; removing more than 10 % of a listed course is refused
(exit 2, nothing changed) unless --allow-removals; --whole-school empties the courses
the file does not list. On Cargar datos the same rule asks before saving."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from reconcile import rut, settings
from reconcile.db import session_factory, transaction
from reconcile.db.models import AuditLog, Course, Enrolment, Student
from reconcile.imports import import_sige
from reconcile.imports.nomina_scope import RemovalsNeedConfirmation
from tests.app_helpers import make_school, make_user, open_page
from tests.cli_helpers import run_cli, snapshot

SAMPLE = Path(__file__).parent / "data" / "samples" / "nomina_sige.xlsx"
RBD = 24875
NOW = {"RECONCILE_NOW": "2026-11-16T10:00"}
FIRST = ["Martina", "Benjamín", "Sofía", "Agustín", "Florencia", "Tomás", "Mateo", "Isidora",
         "Vicente", "Emilia"]
# 1° Básico A, 1° Básico B and 2° Básico A, ten students each
COURSES = [(1, "A"), (1, "B"), (2, "A")]


def student(course: int, number: int) -> tuple[int, int, str, int, str]:
    grado, letra = COURSES[course]
    run = 24_000_000 + course * 100 + number
    return grado, letra, FIRST[number], run, rut.calc_check_digit(run)


SCHOOL = [student(course, number) for course in range(3) for number in range(10)]


def write_nomina(path: Path, rows: list[tuple]) -> Path:
    """A SIGE nómina with the sample's columns (one row per student)."""
    book = openpyxl.load_workbook(SAMPLE)
    sheet = book["Nómina"]
    template = [cell.value for cell in sheet[2]]
    sheet.delete_rows(2, sheet.max_row)
    for grado, letra, nombre, run, dv in rows:
        row = list(template)
        row[3], row[4], row[5] = grado, f"{grado}° Básico", letra
        row[6], row[7], row[9], row[10], row[11] = run, dv, nombre, "Rojas", f"R{run % 1000}"
        row[19], row[20] = "01-03-2026", 1
        sheet.append(row)
    book.save(path)
    return path


def enrolments_by_course(url: str) -> dict[str, list[tuple]]:
    """Every enrolment row (all columns), by course code."""
    with session_factory(url)() as session:
        rows = session.execute(select(Course, Enrolment).join(
            Enrolment, Enrolment.course_id == Course.id)).all()
        found: dict[str, list[tuple]] = {}
        for course, row in rows:
            found.setdefault(course.code, []).append(
                (row.id, row.student_id, row.incorporated_on, row.withdrawn_on,
                 row.import_batch_id))
        return {code: sorted(items) for code, items in found.items()}


@pytest.fixture
def school(db_url, tmp_path):
    result = run_cli("import-sige", str(write_nomina(tmp_path / "completa.xlsx", SCHOOL)),
                     env=NOW)
    assert result.returncode == 0, result.stderr
    assert {code: len(rows) for code, rows in enrolments_by_course(db_url).items()} == \
        {"110-1-A": 10, "110-1-B": 10, "110-2-A": 10}
    return db_url


def test_a_one_course_nomina_changes_only_that_course(school, tmp_path):
    before = enrolments_by_course(school)
    one = [row for row in SCHOOL if row[:2] == (1, "B")]
    one.append((1, "B", "Josefa", 24_000_150, rut.calc_check_digit(24_000_150)))  # joins 1° B
    result = run_cli("import-sige", str(write_nomina(tmp_path / "1b.xlsx", one)), env=NOW)
    assert result.returncode == 0, result.stderr
    assert "1 nuevas, 0 modificadas, 0 eliminadas, 10 sin cambios" in result.stdout
    assert "Cursos reemplazados por la nómina: 1° Básico B (110-1-B)." in result.stdout
    assert "Los otros 2 cursos del establecimiento quedan sin cambios." in result.stdout
    after = enrolments_by_course(school)
    assert after["110-1-A"] == before["110-1-A"] and after["110-2-A"] == before["110-2-A"]
    assert len(after["110-1-B"]) == 11
    assert set(before["110-1-B"]) < set(after["110-1-B"])


def test_removing_at_most_the_share_needs_no_confirmation(school, tmp_path):
    one_gone = [row for row in SCHOOL if row[:2] == (2, "A")][1:]  # 1 of 10: exactly 10 %
    result = run_cli("import-sige", str(write_nomina(tmp_path / "2a.xlsx", one_gone)), env=NOW)
    assert result.returncode == 0, result.stderr
    assert len(enrolments_by_course(school)["110-2-A"]) == 9


def test_a_partial_nomina_is_refused_then_accepted_with_allow_removals(school, tmp_path):
    partial = [row for row in SCHOOL if row[:2] == (1, "A")][:8]  # Vicente and Emilia missing
    path = write_nomina(tmp_path / "1a_parcial.xlsx", partial)
    before = snapshot(school)
    refused = run_cli("import-sige", str(path), env=NOW)
    assert refused.returncode == 2, refused.stdout
    assert "1° Básico A (110-1-A): 2 de 10 estudiantes" in refused.stderr
    assert "Vicente Rojas R8" in refused.stderr and "Emilia Rojas R9" in refused.stderr
    assert "Martina" not in refused.stderr  # only those who would be removed are named
    assert "--allow-removals" in refused.stderr and "no se cargó nada" in refused.stderr
    assert snapshot(school) == before  # row by row, every table

    others = {code: rows for code, rows in enrolments_by_course(school).items()
              if code != "110-1-A"}
    allowed = run_cli("import-sige", str(path), "--allow-removals", env=NOW)
    assert allowed.returncode == 0, allowed.stderr
    assert "2 eliminadas" in allowed.stdout and "2 de 10 estudiantes" in allowed.stdout
    after = enrolments_by_course(school)
    assert len(after["110-1-A"]) == 8
    assert {code: rows for code, rows in after.items() if code != "110-1-A"} == others
    with session_factory(school)() as session:
        detail = session.scalars(select(AuditLog.detail).order_by(AuditLog.id.desc())).first()
        assert detail["allow_removals"] is True and detail["whole_school"] is False
        assert detail["large_removals"] == ["110-1-A"] and detail["removed"] == 2
        assert "Vicente" not in repr(detail)  # names never in the audit trail


def test_the_share_is_a_setting(school, tmp_path, clock):
    one_gone = [row for row in SCHOOL if row[:2] == (2, "A")][1:]
    with transaction(school) as session:
        settings.set_value(session, "import.max_removal_share", "0.05")
    before = snapshot(school)
    with pytest.raises(RemovalsNeedConfirmation) as refused, transaction(school) as session:
        import_sige(session, write_nomina(tmp_path / "2a.xlsx", one_gone), clock=clock)
    assert [r.code for r in refused.value.removals] == ["110-2-A"]
    assert refused.value.removals[0].names == ("Martina Rojas R200",)
    assert "más del 5 %" in str(refused.value)
    assert snapshot(school) == before


def test_whole_school_empties_the_unlisted_courses(school, tmp_path):
    only_1a = [row for row in SCHOOL if row[:2] == (1, "A")]
    path = write_nomina(tmp_path / "1a.xlsx", only_1a)
    before = enrolments_by_course(school)
    result = run_cli("import-sige", str(path), "--whole-school", env=NOW)
    assert result.returncode == 0, result.stderr
    assert "20 eliminadas" in result.stdout
    assert "Cursos vaciados (no venían en el archivo): 1° Básico B (110-1-B), 10 estudiantes; " \
           "2° Básico A (110-2-A), 10 estudiantes." in result.stdout
    after = enrolments_by_course(school)
    assert after == {"110-1-A": before["110-1-A"]}
    with session_factory(school)() as session:  # courses and students are kept
        assert len(session.scalars(select(Course)).all()) == 3
        assert len(session.scalars(select(Student)).all()) == 30
        detail = session.scalars(select(AuditLog.detail).order_by(AuditLog.id.desc())).first()
        assert detail["whole_school"] is True
        assert detail["courses_emptied"] == ["110-1-B", "110-2-A"]


# --- Cargar datos ---------------------------------------------------------------------------

@pytest.fixture
def page_school(school, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    make_user(school, "asistencia", "asistencia", [RBD])
    return school


def upload_nomina(at, path: Path):
    at.tabs[0].get("file_uploader")[0].upload(path.name, path.read_bytes())
    return at.run()


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_page_warns_with_names_and_saves_only_when_confirmed(page_school, tmp_path):
    partial = [row for row in SCHOOL if row[:2] == (1, "A")][:8]
    at = open_page("asistencia", "pages/cargar_datos.py")
    before = snapshot(page_school)
    at = upload_nomina(at, write_nomina(tmp_path / "1a_parcial.xlsx", partial))
    assert not at.exception
    warning = at.warning[0].value
    assert "1° Básico A (110-1-A): 2 de 10 estudiantes" in warning
    assert "Vicente Rojas R8" in warning and "Emilia Rojas R9" in warning
    assert at.button(key="save_nomina").disabled  # the ordinary button alone cannot save
    assert snapshot(page_school) == before  # the preview stored nothing
    at.checkbox(key="confirm_removals_nomina_0").check()
    at = at.run()
    assert not at.button(key="save_nomina").disabled
    at.button(key="save_nomina").click()
    at = at.run()
    assert not at.exception
    assert len(enrolments_by_course(page_school)["110-1-A"]) == 8
    # after the save only the result is on screen, once, and a way to load another file
    assert [s.value for s in at.success] == ["Guardado."]
    assert markdown_text(at).count("2 eliminadas") == 1
    assert not [b for b in at.button if b.key == "save_nomina"] and not at.warning
    assert len(at.tabs[0].get("file_uploader")) == 0
    at.button(key="another_nomina").click()
    at = at.run()
    assert not at.success and len(at.tabs[0].get("file_uploader")) == 1


def test_emptying_unlisted_courses_has_its_own_confirmation(page_school, tmp_path):
    only_1a = [row for row in SCHOOL if row[:2] == (1, "A")]
    at = open_page("asistencia", "pages/cargar_datos.py")
    at = upload_nomina(at, write_nomina(tmp_path / "1a.xlsx", only_1a))
    assert not at.exception
    assert "Los otros 2 cursos del establecimiento quedan sin cambios." in markdown_text(at)
    assert not at.warning and not [b for b in at.button if b.key == "save_nomina"]  # no change
    at.checkbox(key="whole_school_0").check()
    at = at.run()
    assert "se vaciarán 2 cursos que el archivo no trae (20 estudiantes)" in at.warning[0].value
    assert at.button(key="save_nomina").disabled
    assert set(enrolments_by_course(page_school)) == {"110-1-A", "110-1-B", "110-2-A"}
    at.checkbox(key="confirm_whole_school_nomina_0").check()
    at = at.run()
    at.button(key="save_nomina").click()
    at = at.run()
    assert not at.exception
    assert set(enrolments_by_course(page_school)) == {"110-1-A"}
    assert [s.value for s in at.success] == ["Guardado."]
