"""Conciliación through AppTest on the samples: the problems show, a click on the
grid opens a course-day, every pair of the range is approved from one list, and a
correction approved (or undone, after its confirmation) changes the next `check --json`."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from reconcile import auth
from reconcile.db import transaction
from reconcile.imports import import_libro, import_sige
from tests.app_helpers import PASSWORD, app, log_in, make_user, open_page
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
    with transaction(db_url) as session:
        auth.add_user(session, "asistencia", "asistencia", [24875], PASSWORD,
                      display_name="Ana Rojas")
    make_user(db_url, "profesor", "profesor", [24875])
    return db_url


# 2° Básico A on 10-11: Tomás Andrés Morales Araya written with a wrong check digit.
TYPO_IN_SECOND_GRADE = (
    "RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia\n"
    "24875;2° Básico A;22.987.654-6;Florencia Silva Reyes;10-11-2026;2;P\n"
    "24875;2° Básico A;22.876.123-1;Tomás Andrés Morales Araya;10-11-2026;2;P\n"
    "24875;2° Básico A;9.876.543-3;Mateo Tapia Cortés;10-11-2026;2;P\n")


def shown(at) -> str:
    return "\n".join(str(el.value) for el in (*at.markdown, *at.caption, *at.metric,
                                              *at.success, *at.warning))


JOSE = "José Manuel Hernández Castillo"  # the samples' IPE (Libro) and RUN (SIGE)


def approve_button(at, name: str = JOSE):  # noqa: ANN001, ANN201
    """The "Aprobar par de …" button of the child called ``name`` in the list of the range."""
    return next(b for b in at.button if b.label == f"Aprobar par de {name}")


def approve_pair(at, name: str = JOSE):  # noqa: ANN001, ANN201
    """Press "Aprobar par de …" on the suggested pair of the child called ``name`` (by
    default the samples' IPE) in the list of the range, and confirm it."""
    approve_button(at, name).click()
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
    grid = at.dataframe(key="glance").value
    assert grid.loc["1° Básico A"].str.startswith("✖").all()  # every day has problems
    assert (grid.loc["2° Básico A"].replace("", "✔") == "✔").all()
    text = shown(at)
    assert "100.234.567-2" in text and "25.123.456-6" in text  # the IPE and its RUN
    assert "RUT provisorio" in text
    missing = at.table[0].value
    assert "23.698.041-3" in set(missing["RUT"])  # Sofía
    assert "Sofía Antonia Pérez Soto" in set(missing["Nombre"])


def test_a_correction_approved_on_the_page_changes_the_next_check(samples):
    before = check_json()
    day = next(e for e in before["course_days"] if e["course"] == "110-1-A")
    assert "100234567-2" in day["unknown_to_sige"]
    at = approve_pair(open_page("asistencia", PAGE))
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
    assert any("22.987.654-6" in w and "en 2° Básico A, no" in w for w in warnings), warnings


def test_undo_asks_first_and_the_undone_correction_stays_listed(samples):
    at = approve_pair(open_page("asistencia", PAGE))
    undo = next(b for b in at.button if b.label == "Deshacer")
    undo.click()
    at = at.run()
    assert not at.exception
    assert at.button(key="confirm_undo")  # the dialog asks; nothing undone yet
    day = next(e for e in check_json()["course_days"] if e["course"] == "110-1-A")
    assert "100234567-2" not in day["unknown_to_sige"]
    at.button(key="confirm_undo").click()
    at = at.run()
    assert not at.exception
    assert "Deshacer" not in [b.label for b in at.button]
    listed = [m.value for m in at.markdown if "100.234.567-2 → " in m.value]
    assert len(listed) == 1 and "Deshecha" in listed[0], listed
    assert "Aprobada por Ana Rojas" in listed[0] and "por Ana Rojas el" in listed[0]
    assert "asistencia" not in listed[0]  # people's names, never login names
    day = next(e for e in check_json()["course_days"] if e["course"] == "110-1-A")
    assert day["suggested_pairs"][0]["libro"] == "100234567-2"


def test_cancelling_an_undo_keeps_the_correction(samples):
    at = approve_pair(open_page("asistencia", PAGE))
    next(b for b in at.button if b.label == "Deshacer").click()
    at = at.run()
    at.button(key="cancel_undo").click()
    at = at.run()
    assert not at.exception
    assert "Deshacer" in [b.label for b in at.button]
    assert not any("Deshecha" in m.value for m in at.markdown)


def test_the_pair_list_approves_a_pair_of_another_course(samples, clock):
    with transaction(samples) as session:
        import_libro(session, TYPO_IN_SECOND_GRADE.encode("utf-8"), filename="segundo.csv",
                     clock=clock)
    at = open_page("asistencia", PAGE)
    assert at.selectbox(key="fix_course").value == "110-1-A"  # the first problem course
    pair = next(m.value for m in at.markdown if "**22.876.123-1**" in m.value)
    assert "2° Básico A" in pair and "Dígito verificador" in pair
    assert "nacimiento: 03-09-2018" in pair  # SIGE's birth date as evidence
    at = approve_pair(at, "Tomás Andrés Morales Araya")
    assert not at.exception
    result = run_cli("check", "--from", "2026-11-10", "--to", "2026-11-10", "--json")
    day = next(e for e in json.loads(result.stdout)["course_days"] if e["course"] == "110-2-A")
    assert day["unknown_to_sige"] == [] and day["ready"], day
    assert approve_button(at)  # the other course's pair is still there


def test_a_click_on_a_problem_cell_opens_that_course_day(samples):
    at = open_page("asistencia", PAGE)
    grid = at.dataframe(key="glance").value
    row = list(grid.index).index("1° Básico A")
    at.session_state["glance"] = {"selection": {"rows": [], "columns": [],
                                                "cells": [[row, "05"]]}}
    at = at.run()
    assert not at.exception
    assert at.selectbox(key="fix_course").value == "110-1-A"
    assert at.selectbox(key="fix_day").value == date(2026, 11, 5)
    assert "**1° Básico A, 05-11-2026**" in [m.value for m in at.markdown]


def test_a_rut_no_one_can_explain_says_what_to_do(samples, clock):
    stranger = ("RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia\n"
                "24875;2° Básico A;22.987.654-6;Florencia Silva Reyes;10-11-2026;2;P\n"
                "24875;2° Básico A;22.876.123-0;Tomás Andrés Morales Araya;10-11-2026;2;P\n"
                "24875;2° Básico A;9.876.543-3;Mateo Tapia Cortés;10-11-2026;2;P\n"
                "24875;2° Básico A;11.111.111-1;Ignacio Lagos Paz;10-11-2026;2;P\n")
    with transaction(samples) as session:
        import_libro(session, stranger.encode("utf-8"), filename="nuevo.csv", clock=clock)
    at = open_page("asistencia", PAGE)
    at.selectbox(key="fix_course").set_value("110-2-A")
    at = at.run()
    assert not at.exception
    caso_2 = at.table[-1].value
    row = caso_2[caso_2["RUT"] == "11.111.111-1"].iloc[0]
    assert "Libro Digital" in row["Qué hacer"] and "nómina SIGE" in row["Qué hacer"]
    assert "otro curso o establecimiento" in row["Qué hacer"]


def test_cancel_in_the_dialog_changes_nothing(samples):
    at = open_page("asistencia", PAGE)
    approve_button(at).click()
    at = at.run()
    at.button(key="cancel_pair").click()
    at = at.run()
    assert not at.exception
    assert "Aún no hay correcciones." in [c.value for c in at.caption]


@pytest.fixture
def reversed_samples(db_url, clock, monkeypatch, tmp_path):
    """SIGE still enrols José under his IPE; the Libro has his definitive RUN."""
    from tests.test_worklist import libro_csv, nomina_with_ipe

    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    with transaction(db_url) as session:
        import_sige(session, nomina_with_ipe(tmp_path), clock=clock)
        import_libro(session, libro_csv(with_run=True), filename="libro.csv", clock=clock)
        auth.add_user(session, "asistencia", "asistencia", [24875], PASSWORD,
                      display_name="Ana Rojas")
    return db_url


def test_a_reversed_pair_says_to_update_sige_not_the_libro(reversed_samples):
    at = open_page("asistencia", PAGE)
    pair = next(m.value for m in at.markdown if "**25.123.456-6**" in m.value
                and "Evidencia" in m.value)
    assert "SIGE aún tiene el RUT provisorio (IPE)" in pair
    assert "Dónde corregir: SIGE" in pair and "No cambie el Libro Digital" in pair
    assert "IPE) en el Libro" not in pair
    approve_button(at).click()
    at = at.run()
    assert not at.exception
    said = "\n".join(str(e.value) for e in (*at.markdown, *at.caption))
    assert "Dónde corregir: SIGE" in said and "Corrija también el RUT en el Libro" not in said
    at.button(key="confirm_pair").click()
    at = at.run()
    listed = [m.value for m in at.markdown if "25.123.456-6 → " in m.value]
    assert len(listed) == 1 and "Dónde corregir: SIGE" in listed[0], listed


def test_a_correction_closed_by_a_new_load_says_so(reversed_samples, clock):
    approve_pair(open_page("asistencia", PAGE))
    with transaction(reversed_samples) as session:  # SIGE updated José's RUN
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock, allow_removals=True)
    at = open_page("asistencia", PAGE)
    assert not at.exception
    listed = [m.value for m in at.markdown if "25.123.456-6 → " in m.value]
    assert len(listed) == 1 and "resuelta por una nueva carga el 16-11-2026 (nómina)" in listed[0]
    assert "Deshacer" not in [b.label for b in at.button]


def test_a_click_on_a_problem_cell_scrolls_to_its_detail(samples):
    at = open_page("asistencia", PAGE)
    assert not [h for h in at.get("html") if "scrollIntoView" in h.proto.body]
    grid = at.dataframe(key="glance").value
    at.session_state["glance"] = {"selection": {"rows": [], "columns": [], "cells": [
        [list(grid.index).index("1° Básico A"), "05"]]}}
    at = at.run()
    [script] = [h for h in at.get("html") if "scrollIntoView" in h.proto.body]
    assert "que-corregir" in script.proto.body
    assert [h.value for h in at.subheader if h.proto.anchor == "que-corregir"] == [
        "Qué corregir"]
