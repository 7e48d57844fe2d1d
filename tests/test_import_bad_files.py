"""The corpus of bad files (tests/data/bad, made by make_bad_files.py): each one gives
its expected row-level reasons, exits 2 through the CLI, and leaves every table
exactly as it was, on SQLite and PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.db import transaction
from reconcile.errors import UserError
from reconcile.imports import import_libro, import_sige
from tests.cli_helpers import run_cli, snapshot

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"

# file -> fragments every expected reason must contain, one tuple per reason
EXPECTED = {
    "nomina_sin_run.csv": [("fila 1", "columna «Run»", "falta esta columna")],
    "nomina_valores_malos.csv": [
        ("fila 2", "«Fecha Retiro»", "«31-02-2026»", "fecha no válida"),
        ("fila 3", "«Año»", "«20x6»", "no válido"),
        ("fila 4", "«Run»", "«12.5x1.909-2»", "RUT no reconocible")],
    "nomina_formula.xlsx": [("fila 3", "«Fecha Incorporación Curso»", "«=TODAY()»", "fórmula")],
    "nomina_entidades.xml": [("nomina_entidades.xml:", "entidades o DTD")],
    "libro_curso_desconocido.csv": [("fila 6", "«Curso»", "«3° Básico Z»", "curso desconocido")],
    "libro_fechas_malas.csv": [
        ("fila 4", "«Fecha»", "«30-10-2026»", "fuera del mes del archivo"),
        ("fila 8", "«Fecha»", "«45-11-2026»", "fecha no válida")],
    "libro_valores_malos.csv": [
        ("fila 3", "«Asistencia»", "«J»", "marca de asistencia desconocida"),
        ("fila 5", "«RUT»", "«23.4x6.789-6»", "RUT no reconocible"),
        ("fila 8", "«Hora»", "«tarde»", "hora de clase no válida")],
    "libro_marcas_contradictorias.csv": [("fila 77", "fila 2", "contradictoria")],
    "libro_sin_asistencia.csv": [("fila 1", "«Asistencia»", "falta esta columna")],
    "libro_mensual_dia_31.xlsx": [("fila 8", "columna «31»", "no tiene día 31")],
    "libro_excel_antiguo.xls": [(".xls) no se admite",)],
}


def importer(name: str):
    return import_sige if name.startswith("nomina") else import_libro


@pytest.fixture
def loaded(db_url, clock):
    """A school with its nómina and a month of attendance already stored."""
    samples = DATA / "samples"
    with transaction(db_url) as s:
        import_sige(s, samples / "nomina_sige.xlsx", clock=clock)
        import_libro(s, samples / "libro_asistencia_larga.csv", clock=clock)
    return db_url


def check(reasons: list[str], name: str) -> None:
    problems = [r for r in reasons if not r.startswith("No se cargó nada")]
    expected = EXPECTED[name]
    assert len(problems) == len(expected), reasons
    for reason, fragments in zip(problems, expected):
        assert reason.startswith(name), reason
        for fragment in fragments:
            assert fragment in reason, (fragment, reason)
    assert reasons[-1].startswith("No se cargó nada")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_refused_with_its_reasons_and_changes_nothing(loaded, clock, name):
    before = snapshot(loaded)
    with pytest.raises(UserError) as refused:
        with transaction(loaded) as s:
            importer(name)(s, BAD / name, clock=clock)
    check(refused.value.reasons, name)
    assert snapshot(loaded) == before


@pytest.mark.parametrize("name", ["nomina_valores_malos.csv", "libro_valores_malos.csv",
                                  "libro_mensual_dia_31.xlsx"])
def test_bad_file_through_the_cli_exits_2_with_every_reason(loaded, name):
    before = snapshot(loaded)
    command = "import-sige" if name.startswith("nomina") else "import-libro"
    result = run_cli(command, str(BAD / name))
    assert result.returncode == 2
    check(result.stderr.strip().splitlines(), name)
    assert snapshot(loaded) == before


def test_every_bad_file_is_listed():
    on_disk = {p.name for p in BAD.iterdir() if p.suffix != ".py"}
    # a school without a nómina is advice, not bad rows: test_import_wrong_place.py
    assert on_disk == set(EXPECTED) | {"libro_otro_rbd.csv"}
