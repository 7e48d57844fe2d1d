"""A file in the wrong place, through the command line: a Libro file given as nómina
(or the reverse) says which tab and command take it; a Libro file of a school without
a nómina says who loads that nómina first, and how. Exit 2, Spanish, nothing changed."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from reconcile import access, auth
from reconcile.db import transaction
from reconcile.db.models import Establishment
from reconcile.imports import import_sige
from tests.cli_helpers import run_cli, snapshot

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "samples"
OTHER_SCHOOL = DATA / "bad" / "libro_otro_rbd.csv"  # the samples' Libro, RBD 11111
NOMINA_XML = """<?xml version="1.0" encoding="UTF-8"?>
<nomina rbd="24875" ano="2026"><tipo_ensenanza codigo="110"><curso grado="3" letra="A">
<alumno run="23511402" digito_ve="K" nombres="Benjamín" ape_paterno="Rojas"
        fecha_incorporacion_curso="2026-03-01"/>
</curso></tipo_ensenanza></nomina>
"""


def refused(db_url: str, *args: str) -> list[str]:
    """Run the command, check it was refused in Spanish and changed nothing; its lines."""
    before = snapshot(db_url)
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert snapshot(db_url) == before
    return result.stderr.strip().splitlines()


@pytest.mark.parametrize("name", ["libro_asistencia_larga.csv", "libro_control_subvenciones.xlsx"])
def test_a_libro_file_given_as_nomina_says_where_it_goes(db_url, name):
    lines = refused(db_url, "import-sige", str(SAMPLES / name))
    assert lines == [f"{name}: este archivo parece la asistencia del Libro Digital, no la "
                     "nómina SIGE: cárguelo en «Asistencia del Libro Digital» (o con "
                     "import-libro).", "No se cargó nada."]


def test_a_nomina_given_as_libro_says_where_it_goes(db_url, tmp_path):
    with transaction(db_url) as s:  # a school with its nómina: not a missing nómina
        import_sige(s, SAMPLES / "nomina_sige.xlsx")
    xml = tmp_path / "nomina.xml"
    xml.write_text(NOMINA_XML, encoding="utf-8")
    for path in (SAMPLES / "nomina_sige.xlsx", xml):
        lines = refused(db_url, "import-libro", str(path))
        assert lines == [f"{path.name}: este archivo parece la nómina SIGE, no la asistencia "
                         "del Libro Digital: cárguelo en «Nómina SIGE» (o con import-sige).",
                         "No se cargó nada."]


def test_a_file_of_its_own_kind_with_a_column_missing_still_names_the_column(db_url, tmp_path):
    nomina = tmp_path / "nomina.csv"  # no «Letra Curso»: a nómina, not a Libro
    nomina.write_text("Año;RBD;Cod Tipo Enseñanza;Cod Grado;Run;Dígito Ver.\n"
                      "2026;24875;110;1;23456789;6\n", encoding="utf-8")
    lines = refused(db_url, "import-sige", str(nomina))
    assert "columna «Letra Curso»: falta esta columna" in lines[0]
    assert not any("parece" in line for line in lines)


def test_a_libro_of_a_school_the_system_never_saw_says_the_administrator_loads_its_nomina(
        db_url):
    with transaction(db_url) as s:
        import_sige(s, SAMPLES / "nomina_sige.xlsx")
        auth.add_user(s, "dora", access.DIRECTOR, [24875], "una-clave-larga")
    lines = refused(db_url, "import-libro", str(OTHER_SCHOOL))
    assert lines[0] == ("libro_otro_rbd.csv: el establecimiento RBD 11111 aún no está "
                        "registrado en el sistema ni tiene nómina SIGE; no se cargó nada.")
    assert lines[1] == ("Cargue primero su nómina SIGE (python -m reconcile import-sige "
                        "ARCHIVO) y después esta asistencia.")
    assert len(lines) == 2  # one piece of advice, not one line per course
    lines = refused(db_url, "import-libro", str(OTHER_SCHOOL), "--user", "dora")
    assert "la carga el administrador del sistema" in lines[1]
    assert "import-sige ARCHIVO (sin --user)" in lines[1]
    assert lines[2] == ("Pida al administrador del sistema que cargue la nómina del RBD 11111 "
                        "y que le dé acceso a ese establecimiento.")
    assert not any("corrija" in line.lower() for line in lines)


def test_a_nomina_of_a_school_the_system_never_saw_loaded_by_a_user(db_url):
    with transaction(db_url) as s:
        s.add(Establishment(rbd=11111, name="Escuela Vecina", created_at=_now()))
        s.flush()
        auth.add_user(s, "vera", access.ASISTENCIA, [11111], "una-clave-larga")
    lines = refused(db_url, "import-sige", str(SAMPLES / "nomina_sige.xlsx"), "--user", "vera")
    assert lines[0] == ("nomina_sige.xlsx: el establecimiento RBD 24875 aún no está registrado "
                        "en el sistema; no se cargó nada.")
    assert "import-sige ARCHIVO (sin --user)" in lines[1]
    assert lines[2] == ("Pida al administrador del sistema que cargue esta nómina y que le dé "
                        "acceso al RBD 24875.")


def test_a_libro_of_a_registered_school_without_nomina_says_who_loads_it(db_url):
    with transaction(db_url) as s:
        s.add(Establishment(rbd=24875, name="Escuela Los Aromos", created_at=_now()))
        s.add(Establishment(rbd=11111, name="Escuela Vecina", created_at=_now()))
        s.flush()
        auth.add_user(s, "dora", access.DIRECTOR, [24875], "una-clave-larga")
        auth.add_user(s, "vera", access.ASISTENCIA, [11111], "una-clave-larga")
    libro = str(SAMPLES / "libro_asistencia_larga.csv")
    lines = refused(db_url, "import-libro", libro, "--user", "dora")
    assert lines == [
        "libro_asistencia_larga.csv: el establecimiento RBD 24875 (Escuela Los Aromos) aún no "
        "tiene nómina SIGE del año 2026; no se cargó nada. Los cursos del Libro se reconocen "
        "con ella.",
        "Un(a) Director(a) o Administrador(a) de Asistencia de ese establecimiento carga "
        "primero su nómina SIGE (Cargar datos › Nómina SIGE, o import-sige) y después esta "
        "asistencia."]
    # a user of another school also hears whom to ask
    lines = refused(db_url, "import-libro", libro, "--user", "vera")
    assert lines[2] == ("Usted no tiene acceso al RBD 24875: pida a la Dirección de ese "
                        "establecimiento que cargue la nómina y esta asistencia, o al "
                        "administrador del sistema que le dé acceso.")
    # a role that may not load files hears that, as before
    with transaction(db_url) as s:
        auth.add_user(s, "pablo", access.PROFESOR, [24875], "una-clave-larga")
    lines = refused(db_url, "import-libro", libro, "--user", "pablo")
    assert lines == ["El rol Profesor(a) no puede cargar archivos: solo Director(a) o "
                     "Administrador(a) de Asistencia."]


def test_a_libro_before_its_nomina_also_lists_its_own_problems(db_url, tmp_path):
    bad = tmp_path / "malo.csv"
    bad.write_text("RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia\n"
                   "24875;1° Básico A;23.456.789-6;Martina;03-11-2026;2;Q\n", encoding="utf-8")
    with transaction(db_url) as s:
        s.add(Establishment(rbd=24875, name="Escuela Los Aromos", created_at=_now()))
    lines = refused(db_url, "import-libro", str(bad))
    assert "aún no tiene nómina SIGE del año 2026" in lines[0]
    assert lines[2:] == ["Además, el archivo tiene estos problemas:",
                         "malo.csv, fila 2, columna «Asistencia», valor «Q»: marca de asistencia "
                         "desconocida (use P/A, •/X, 1/0 o Presente/Ausente)."]


def _now() -> datetime:
    return datetime(2026, 11, 16, 13, 0, tzinfo=timezone.utc)
