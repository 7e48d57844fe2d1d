"""Conciliación through AppTest on the samples: the problems show, and a correction
approved on the page changes the next `check --json`."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from reconcile.db import transaction
from reconcile.imports import import_libro, import_sige
from tests.app_helpers import app, log_in, make_user, open_page
from tests.cli_helpers import run_cli

SAMPLES = Path(__file__).parent / "data" / "samples"
PAGE = "pages/conciliacion.py"


@pytest.fixture
def samples(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    with transaction(db_url) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock)
        import_libro(session, SAMPLES / "libro_asistencia_larga.csv", clock=clock)
        import_libro(session, SAMPLES / "libro_control_subvenciones.xlsx", clock=clock)
    make_user(db_url, "asistencia", "asistencia", [24875])
    make_user(db_url, "profesor", "profesor", [24875])
    return db_url


def shown(at) -> str:
    return "\n".join(str(el.value) for el in (*at.markdown, *at.caption, *at.metric,
                                              *at.success, *at.warning))


def approve_first_pair(at):  # noqa: ANN001, ANN201
    """Press "Aplicar corrección" on the first suggested pair and confirm it."""
    at.button(key="approve_0").click()
    at = at.run()
    at.button(key="confirm_pair").click()
    return at.run()


def check_json() -> dict:
    result = run_cli("check", "--from", "2026-11-02", "--to", "2026-11-09", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_samples_problems_stand_out(samples):
    at = open_page("asistencia", PAGE)
    assert not at.exception
    grid = at.dataframe[0].value
    assert grid.loc["110-1-A"].str.startswith("✖").all()  # every 1° Básico A day has problems
    assert (grid.loc["110-2-A"].replace("", "✔") == "✔").all()
    text = shown(at)
    assert "100.234.567-2" in text and "25.123.456-6" in text  # the IPE and its RUN
    assert "RUT provisorio" in text
    missing = at.dataframe[2].value
    assert "23.698.041-3" in set(missing["RUT"])  # Sofía
    assert "Sofía Antonia Pérez Soto" in set(missing["Nombre"])


def test_a_correction_approved_on_the_page_changes_the_next_check(samples):
    before = check_json()
    day = next(e for e in before["course_days"] if e["course"] == "110-1-A")
    assert "100234567-2" in day["unknown_to_sige"]
    at = approve_first_pair(open_page("asistencia", PAGE))
    assert not at.exception
    assert "Deshacer" in [b.label for b in at.button]
    after = check_json()
    for entry in after["course_days"]:
        assert "100234567-2" not in entry["unknown_to_sige"]
        assert "25123456-6" not in entry["missing_in_libro"]
        assert entry["suggested_pairs"] == []
    assert any(e["course"] == "110-1-A" and e["missing_in_libro"] == ["23698041-3"]
               for e in after["course_days"])


def test_the_landing_page_names_the_files_loaded(samples):
    at = log_in(app().run(), "profesor")
    assert not at.exception
    assert "«nomina_sige.xlsx»" in shown(at)
    assert "«libro_control_subvenciones.xlsx»" in shown(at)


def test_a_profesor_sees_the_problems_but_cannot_correct(samples):
    at = open_page("profesor", PAGE)
    assert not at.exception
    assert not any(b.key and b.key.startswith("approve_") for b in at.button)
    assert "Solo Director(a) o Administrador(a) de Asistencia" in shown(at)


def test_a_student_enrolled_in_another_course_is_pointed_out(samples, clock):
    moved = ("RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia\n"
             "24875;1° Básico A;22.987.654-6;Florencia Silva Reyes;10-11-2026;2;P\n")
    with transaction(samples) as session:
        import_libro(session, moved.encode("utf-8"), filename="cambio.csv", clock=clock)
    at = open_page("asistencia", PAGE)
    at.selectbox(key="fix_day").set_value(date(2026, 11, 10))
    at = at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("22.987.654-6" in w and "2° Básico A (110-2-A)" in w for w in warnings), warnings


def test_an_undone_correction_brings_the_pair_back(samples):
    at = approve_first_pair(open_page("asistencia", PAGE))
    undo = next(b for b in at.button if b.label == "Deshacer")
    undo.click()
    at = at.run()
    assert not at.exception
    assert "Aún no hay correcciones." in [c.value for c in at.caption]
    day = next(e for e in check_json()["course_days"] if e["course"] == "110-1-A")
    assert day["suggested_pairs"][0]["libro"] == "100234567-2"


def test_cancel_in_the_dialog_changes_nothing(samples):
    at = open_page("asistencia", PAGE)
    at.button(key="approve_0").click()
    at = at.run()
    at.button(key="cancel_pair").click()
    at = at.run()
    assert not at.exception
    assert "Aún no hay correcciones." in [c.value for c in at.caption]
