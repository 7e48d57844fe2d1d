"""Importers against hostile files (property-based): every file is imported or refused
cleanly, a refusal changes nothing, and memory stays bounded.

Good nómina (.xlsx, .csv, .xml) and Libro (.csv, .xlsx) files are mutated by hypothesis
(tests/hostile_files.py): truncated, overwritten with random bytes, re-encoded
(Latin-1, Windows-1252, UTF-16, BOMs), columns dropped, duplicated or added, huge
cells, formulas, empty sheets; .xlsx zip bombs and oversized archives; .xml entity
and depth bombs. Each case goes through the importers' library entry (what
``import-sige`` and ``import-libro`` call) on one SQLite database per module that
holds the samples. A case either succeeds (the database is then put back from a
copy) or raises ``UserError`` with Spanish reasons naming the file, and then every
table is exactly as before (a full ``iterdump``). Anything else fails the test.

``make test`` runs the ``importers-ci`` profile (500 cases, derandomized: the same
cases every run); ``make fuzz`` runs ``importers-long`` (``FUZZ_EXAMPLES`` cases,
default 20,000, a fresh random seed each run; a failure is saved in .hypothesis/ and
replayed first on the next run).
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from reconcile.clock import FixedClock
from reconcile.db import get_engine, transaction, upgrade
from reconcile.errors import UserError
from reconcile.imports import import_libro, import_sige
from reconcile.loaders import sources
from tests import hostile_files as hostile
from tests.cli_helpers import run_cli

_COMMON = dict(deadline=None, print_blob=True, suppress_health_check=list(HealthCheck))
settings.register_profile("importers-ci", max_examples=500, derandomize=True, database=None,
                          **_COMMON)
settings.register_profile("importers-long",
                          max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20000")), **_COMMON)
PROFILE = settings.get_profile(os.environ.get("IMPORT_FUZZ_PROFILE", "importers-ci"))

CLOCK = FixedClock(datetime(2026, 11, 16, 10, 0))
IMPORTERS = {hostile.NOMINA: import_sige, hostile.LIBRO: import_libro}
MAX_PEAK_BYTES = 96 * hostile.MB  # per case, Python allocations while importing
MAX_BOMB_PEAK_BYTES = 8 * hostile.MB  # a bomb is refused before it is inflated
# English that must never reach a user (an exception's own message)
ENGLISH = re.compile(r"\b(invalid|expected|not well-formed|unexpected|line \d+|column \d+|"
                     r"traceback|decompress\w*|field limit|error -\d)\b", re.IGNORECASE)


class School:
    """The module's database (the samples loaded) and its pristine copy."""

    def __init__(self, folder: Path):
        self.path, self.pristine = folder / "escuela.db", folder / "escuela_original.db"
        self.url = f"sqlite:///{self.path}"
        upgrade(self.url)
        with transaction(self.url) as session:
            import_sige(session, hostile.SAMPLES / "nomina_sige.xlsx", clock=CLOCK)
            import_libro(session, hostile.SAMPLES / "libro_asistencia_larga.csv", clock=CLOCK)
        get_engine(self.url).dispose()  # checkpoints the WAL: the file is the database
        shutil.copyfile(self.path, self.pristine)
        self.dump = self.current_dump()

    def current_dump(self) -> str:
        """Every table's schema and rows, as SQL text."""
        connection = sqlite3.connect(self.path)
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()

    def restore(self) -> None:
        get_engine(self.url).dispose()
        for leftover in (Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(self.pristine, self.path)


@pytest.fixture(scope="module")
def school(tmp_path_factory) -> School:
    school = School(tmp_path_factory.mktemp("fuzz"))
    yield school
    get_engine(school.url).dispose()


def attempt(school: School, case: hostile.Case) -> tuple[UserError | None, int]:
    """Import the case; returns the refusal (None on success) and the peak of Python
    memory allocated meanwhile. Fails on any exception other than ``UserError``."""
    tracemalloc.start()
    try:
        with transaction(school.url) as session:
            IMPORTERS[case.importer](session, case.data, filename=case.filename, clock=CLOCK)
        refused = None
    except UserError as error:
        refused = error
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return refused, peak


def check_refusal(refused: UserError, case: hostile.Case) -> None:
    text = "\n".join(refused.reasons)
    assert refused.reasons and all(isinstance(r, str) and r.strip() for r in refused.reasons)
    assert case.filename in text, text
    assert not ENGLISH.search(re.sub(r"«[^»]*»", "«»", text)), text  # values are the file's


def check_case(school: School, case: hostile.Case, max_peak: int = MAX_PEAK_BYTES):
    refused, peak = attempt(school, case)
    if refused is None:
        school.restore()
    else:
        check_refusal(refused, case)
        assert school.current_dump() == school.dump, "a refused file changed the database"
    assert peak <= max_peak, f"{peak / hostile.MB:.1f} MB"
    return refused, peak


@pytest.mark.slow  # ~40 s for the 500 cases of make test
@settings(PROFILE)
@given(case=hostile.cases())
@example(case=hostile.Case(hostile.NOMINA, "nomina.xml", hostile.billion_laughs(), "laughs"))
@example(case=hostile.Case(hostile.NOMINA, "nomina.xml", hostile.deep_nesting(100_000), "deep"))
def test_a_hostile_file_is_imported_or_refused_cleanly(school, case):
    check_case(school, case)


# ---- the bombs, one by one: refused before they are inflated, with their reason -------

BOMBS = {
    "sheet_2gb_declared": (lambda: hostile.sheet_bomb(1, declared=2**31),
                           "demasiado grande al descomprimirla (más de 300 MB"),
    "sheet_400mb": (lambda: hostile.sheet_bomb(400), "más de 300 MB: declara 400 MB"),
    "sheet_ratio": (lambda: hostile.sheet_bomb(64), "crece más de 100 veces"),
    "shared_strings_350mb": (lambda: hostile.shared_strings_bomb(350), "más de 300 MB"),
    "entries": (lambda: hostile.many_entries(1_200), "más de 1.000 partes"),
    "oversized": (lambda: hostile.seed_bytes("nomina_sige.xlsx") + b"\0" * (50 * hostile.MB),
                  "el máximo es 50 MB"),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_zip_bomb_is_refused_before_it_is_inflated(school, name):
    build, reason = BOMBS[name]
    case = hostile.Case(hostile.NOMINA, "nomina.xlsx", build(), name)
    started = time.perf_counter()
    refused, _ = check_case(school, case, max_peak=MAX_BOMB_PEAK_BYTES)
    assert time.perf_counter() - started < 2
    assert refused is not None and reason in refused.reasons[0], refused.reasons
    assert refused.reasons[0].startswith("nomina.xlsx: la planilla .xlsx") \
        or "el máximo es 50 MB" in refused.reasons[0]


XML_BOMBS = {
    "billion_laughs": (hostile.billion_laughs, "entidades o DTD"),
    "external_entity": (lambda: hostile.external_entity("file:///etc/passwd"), "entidades o DTD"),
    "parameter_entity": (lambda: hostile.parameter_entity("http://127.0.0.1:9/x.dtd"),
                         "entidades o DTD"),
    "deep_100k": (lambda: hostile.deep_nesting(100_000), "anida más de 100 niveles"),
}


@pytest.mark.parametrize("name", sorted(XML_BOMBS))
def test_an_xml_bomb_is_refused_unexpanded(school, name):
    build, reason = XML_BOMBS[name]
    case = hostile.Case(hostile.NOMINA, "nomina.xml", build(), name)
    refused, _ = check_case(school, case, max_peak=MAX_BOMB_PEAK_BYTES)
    assert refused is not None and reason in refused.reasons[0], refused.reasons


def test_a_sheet_declaring_16384_columns_is_read_as_written(school):
    """A declared width used to pad every row to it: a few bytes asked for gigabytes."""
    case = hostile.Case(hostile.NOMINA, "nomina.xlsx", hostile.wide_sheet(1_000), "wide")
    refused, peak = check_case(school, case, max_peak=16 * hostile.MB)
    assert refused is not None  # the added rows have no RUT


def test_a_value_in_the_last_column_is_refused_at_its_row(school):
    """Each row with a value at column XFD is 16,384 cells wide: refused at the first."""
    data = hostile.wide_sheet(100, declared=None, at_last_column=True)
    refused, _ = check_case(school, hostile.Case(hostile.NOMINA, "nomina.xlsx", data, "xfd"),
                            max_peak=16 * hostile.MB)
    assert refused.reasons[0] == ("nomina.xlsx: la hoja «Nómina» tiene datos más allá de la "
                                  "columna 1.024 (en la fila 10): la nómina y la asistencia "
                                  "tienen unas decenas de columnas.")


def test_a_sheet_over_the_cell_limit_is_refused(school, monkeypatch):
    monkeypatch.setattr(sources, "MAX_SHEET_CELLS", 100)  # the sample's sheet has 207
    data = hostile.seed_bytes("nomina_sige.xlsx")
    refused, _ = check_case(school, hostile.Case(hostile.NOMINA, "nomina.xlsx", data, "cells"))
    assert refused.reasons[0] == ("nomina.xlsx: la hoja «Nómina» tiene más de 100 celdas: "
                                  "divídala en archivos más pequeños.")


# ---- the crashes the fuzzing found, each as a plain regression -----------------------

def test_damage_inside_the_zip_is_a_damaged_file(school):
    """A byte flipped in a compressed part (zlib.error while reading rows), and a part
    cut short (an XML ParseError inside openpyxl), used to escape as tracebacks."""
    good = hostile.seed_bytes("libro_control_subvenciones.xlsx")
    flipped = bytearray(good)
    flipped[1500] ^= 0xFF  # inside the first sheet's deflated data
    cut = hostile.damaged_part_fixed(good, "xl/worksheets/sheet1.xml", lambda c: c[:len(c) // 2])
    for data in (bytes(flipped), cut):
        refused, _ = check_case(school, hostile.Case(hostile.LIBRO, "libro.xlsx", data, "zip"))
        assert refused is not None
        assert refused.reasons[0].startswith("libro.xlsx: "), refused.reasons


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_a_monthly_sheet_whose_rows_end_before_the_rut_is_refused(school, form):
    """Rows end at their last value: a body narrower than its header lost the RUT
    column (KeyError)."""
    (title, rows), = hostile.seeds()[2].sheets
    table = [list(row) for row in rows[:7]] + [[row[0]] for row in rows[7:]]  # only N°
    data = hostile.xlsx_bytes([(title, table)]) if form == "xlsx" else \
        hostile.csv_bytes(table, ";", "utf-8", "\n")
    refused, _ = check_case(school, hostile.Case(hostile.LIBRO, f"libro.{form}", data, "n°"))
    assert refused.reasons[0] == f"libro.{form}: el archivo no tiene marcas de asistencia."


def test_a_csv_cell_over_the_csv_field_limit_is_refused(school):
    data = hostile.seed_bytes("libro_asistencia_larga.csv").replace(
        b";", b";" + b"x" * 200_000 + b";", 1)
    refused, _ = check_case(school, hostile.Case(hostile.LIBRO, "libro.csv", data, "huge"))
    assert refused.reasons[0] == ("libro.csv: el archivo CSV no se pudo leer: tiene una celda de "
                                  "más de 131.072 caracteres.")


def test_malformed_xml_is_named_in_spanish(school):
    data = hostile.seed_bytes("nomina.xml").replace(b'<curso grado="2"', b'<curso grado="2" "', 1)
    refused, _ = check_case(school, hostile.Case(hostile.NOMINA, "nomina.xml", data, "bad"))
    assert refused.reasons[0] == "nomina.xml: XML mal formado en la línea 11, columna 22."


def test_a_utf16_csv_with_its_bom_is_read(school):
    """Excel's «Texto Unicode» (UTF-16 with a BOM, tab-separated) was read as Latin-1."""
    text = hostile.seed_bytes("libro_asistencia_larga.csv").decode("latin-1")
    data = text.replace(";", "\t").encode("utf-16")
    with transaction(school.url) as session:
        summary = import_libro(session, data, filename="libro.txt", clock=CLOCK)
    school.restore()
    assert summary.rows_read == 74 and not summary.changed_anything


@pytest.mark.parametrize("name", sorted(hostile.SEED_FILES))
def test_every_seed_imports_cleanly_and_changes_nothing(school, name):
    """The fuzzing starts from good files: each imports (the monthly sheet differs from
    the stored long Libro; every other seed matches what is stored)."""
    with transaction(school.url) as session:
        summary = IMPORTERS[hostile.SEED_FILES[name]](session, hostile.seed_bytes(name),
                                                      filename=name, clock=CLOCK)
    school.restore()
    assert summary.rows_read
    assert summary.changed_anything == (name == "libro_control_subvenciones.xlsx")


# ---- through the CLI: exit 2, Spanish, no traceback ----------------------------------

@pytest.mark.parametrize("name, data", [
    ("bomba.xlsx", lambda: hostile.sheet_bomb(1, declared=2**32 - 1)),
    ("bomba.xml", hostile.billion_laughs)])
def test_the_cli_refuses_a_bomb_with_exit_2(school, tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data())
    result = run_cli("import-sige", str(path), env={"DATABASE_URL": school.url})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{name}: "), result.stderr
    assert "Traceback" not in result.stderr and not ENGLISH.search(result.stderr)
    assert result.stdout == ""
    assert school.current_dump() == school.dump
