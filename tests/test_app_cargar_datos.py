"""Cargar datos through AppTest: check first, then save; bad rows shown, nothing stored;
only Director and Administrador de Asistencia may import."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from reconcile.db import session_factory, transaction
from reconcile.db.models import AttendanceMark, Enrolment
from reconcile.imports import import_sige
from tests.app_helpers import make_school, make_user, open_page
from tests.cli_helpers import snapshot

SAMPLES = Path(__file__).parent / "data" / "samples"
PAGE = "pages/cargar_datos.py"


@pytest.fixture
def school(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    make_school(db_url, clock)
    make_user(db_url, "asistencia", "asistencia", [24875])
    make_user(db_url, "profesor", "profesor", [24875])
    return db_url


def upload(at, tab: int, name: str, data: bytes):
    at.tabs[tab].get("file_uploader")[0].upload(name, data)
    return at.run()


def count(url: str, model) -> int:
    with session_factory(url)() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_nomina_is_checked_first_and_saved_only_on_confirmation(school):
    at = open_page("asistencia", PAGE)
    before = snapshot(school)
    at = upload(at, 0, "nomina_sige.xlsx", (SAMPLES / "nomina_sige.xlsx").read_bytes())
    assert not at.exception
    assert "sin errores" in at.success[0].value
    assert "8 nuevas" in at.markdown[-1].value or any("8 nuevas" in m.value for m in at.markdown)
    assert snapshot(school) == before  # the check stored nothing
    at.button(key="save_nomina").click()
    at = at.run()
    assert not at.exception
    assert at.success[-1].value == "Guardado."
    assert count(school, Enrolment) == 8


def test_libro_after_nomina_stores_the_marks(school):
    at = open_page("asistencia", PAGE)
    at = upload(at, 0, "nomina_sige.xlsx", (SAMPLES / "nomina_sige.xlsx").read_bytes())
    at.button(key="save_nomina").click()
    at = at.run()
    at = upload(at, 1, "libro_asistencia_larga.csv",
                (SAMPLES / "libro_asistencia_larga.csv").read_bytes())
    assert not at.exception
    at.button(key="save_libro").click()
    at = at.run()
    assert [s.value for s in at.success] == ["Guardado.", "Guardado."]  # one per tab
    assert count(school, AttendanceMark) > 0
    # after a save only the result stays: no preview, no save button, the summary once
    assert not [b for b in at.button if b.key in ("save_nomina", "save_libro")]
    assert sum("Días-curso con cambios" in m.value for m in at.markdown) == 1
    assert {b.key for b in at.button} >= {"another_nomina", "another_libro"}


def test_a_bad_file_shows_every_problem_and_stores_nothing(school):
    with transaction(school) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx")
    at = open_page("asistencia", PAGE)
    before = snapshot(school)
    bad = ("RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia\n"
           "24875;1° Básico A;23.456.789-6;Martina;31-02-2026;2;P\n"
           "24875;9° Básico Z;23.511.402-K;Benjamín;03-11-2026;2;P\n"
           "24875;1° Básico A;23.511.402-K;Benjamín;03-11-2026;2;Q\n").encode("utf-8")
    at = upload(at, 1, "malo.csv", bad)
    assert not at.exception
    assert "no se guardó nada" in at.error[0].value
    table = at.dataframe[0].value
    assert {"Fila", "Columna", "Valor", "Problema"} <= set(table.columns)
    assert len(table) >= 3
    assert "31-02-2026" in set(table["Valor"])
    assert not at.button  or all(b.key != "save_libro" for b in at.button)
    assert snapshot(school) == before


def test_a_profesor_cannot_import(school):
    at = open_page("profesor", PAGE)
    assert not at.exception
    assert "Solo Director(a) o Administrador(a) de Asistencia" in at.info[0].value
    assert len(at.get("file_uploader")) == 0


def error_texts(at) -> str:
    return "\n".join(e.value for e in at.error)


@pytest.mark.parametrize(("tab", "name", "goes_to"), [
    (0, "libro_asistencia_larga.csv", "«Asistencia del Libro Digital» (o con import-libro)"),
    (0, "libro_control_subvenciones.xlsx", "«Asistencia del Libro Digital» (o con import-libro)"),
    (1, "nomina_sige.xlsx", "«Nómina SIGE» (o con import-sige)")])
def test_a_file_in_the_wrong_tab_says_which_tab_takes_it(school, tab, name, goes_to):
    at = open_page("asistencia", PAGE)
    before = snapshot(school)
    at = upload(at, tab, name, (SAMPLES / name).read_bytes())
    assert not at.exception
    assert goes_to in error_texts(at) and "este archivo parece" in error_texts(at)
    # no list of the columns the other layout lacks, no advice to fix the file
    assert not at.dataframe and "falta esta columna" not in error_texts(at)
    assert "Corrija" not in error_texts(at)
    assert [b.key for b in at.button if b.key == f"save_{'nomina' if tab == 0 else 'libro'}"] \
        == []
    assert f"«{at.tabs[1 - tab].label}»" in goes_to  # the other tab, named as it reads
    assert snapshot(school) == before


def test_a_libro_before_the_schools_nomina_says_to_load_the_nomina_first(school):
    at = open_page("asistencia", PAGE)
    before = snapshot(school)
    at = upload(at, 1, "libro_asistencia_larga.csv",
                (SAMPLES / "libro_asistencia_larga.csv").read_bytes())
    assert not at.exception
    text = error_texts(at)
    assert "RBD 24875 (Escuela Los Aromos) aún no tiene nómina SIGE del año 2026" in text
    assert "carga primero su nómina SIGE (Cargar datos › Nómina SIGE, o import-sige)" in text
    assert "Corrija" not in text and not at.dataframe  # one piece of advice, no course list
    assert snapshot(school) == before


def test_a_long_problem_is_shown_whole_not_cut_in_a_cell(school):
    """The problems of the whole file are sentences under the headline; each row's
    problem is also written out in full under the table (a cell cuts it at 1366 px)."""
    with transaction(school) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx")
    at = open_page("asistencia", PAGE)
    lines = ["RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia"]
    lines += [f"24875;1° Básico A;23.456.789-6;Martina;0{d}-11-2026;2;P" for d in range(2, 7)]
    lines.insert(4, "24875;1° Básico A;23.456.789-6;Martina;04-11-2026;2;P;sobra;sobra")
    at = upload(at, 1, "columnas_de_mas.csv", "\n".join(lines).encode("utf-8"))
    assert not at.exception
    assert ("El archivo CSV tiene filas con más columnas que el encabezado: la línea 5 tiene 9, "
            "se esperaban 7.") in at.error[0].value
    assert not at.dataframe  # nothing cut: no table for a problem of the whole file
    long_reason = ("marca contradictoria: la fila 2 registra Presente para el mismo "
                   "estudiante, fecha y hora")
    contradictory = ("RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia\n"
                     "24875;1° Básico A;23.456.789-6;Martina;03-11-2026;2;P\n"
                     "24875;1° Básico A;23.456.789-6;Martina;03-11-2026;2;A\n")
    at = upload(at, 1, "contradictorio.csv", contradictory.encode("utf-8"))
    assert not at.exception
    assert long_reason in set(at.dataframe[0].value["Problema"])
    full = [e for e in at.expander if "Texto completo" in e.label]
    assert full and long_reason in full[0].markdown[0].value
