"""read_libro: the long table and the wide monthly sheet, matched to SIGE's courses."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from reconcile.loaders import CourseCatalog, CourseRef, read_libro
from reconcile.payload import deciding_marks
from reconcile.loaders.libro import FRAME_COLUMNS

SAMPLES = Path(__file__).parent / "data" / "samples"
RBD = 24875
CATALOG = CourseCatalog([
    CourseRef(1, RBD, 2026, 110, 1, "A", "1° Básico"),
    CourseRef(2, RBD, 2026, 110, 2, "A", "2° Básico"),
    CourseRef(3, RBD, 2026, 310, 2, "B", None),  # from the XML export: no Desc Grado
])


def write(tmp_path, lines: list[str], name="libro.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_the_long_sample():
    libro = read_libro(SAMPLES / "libro_asistencia_larga.csv", CATALOG)
    assert libro.errors == [] and libro.layout == "larga" and libro.month == (2026, 11)
    assert list(libro.frame.columns) == FRAME_COLUMNS
    frame = libro.frame
    assert len(frame) == 74 and libro.rbds == {RBD}
    benjamin = frame[(frame.rut == "23511402-K") & (frame.day == date(2026, 11, 3))]
    assert sorted(zip(benjamin.hour, benjamin.present)) == [(1, True), (2, False)]
    jose = frame[frame.rut == "100234567-2"].iloc[0]
    assert (jose.kind, jose.course_id, jose.full_name) == (
        "provisional", 1, "José Manuel Hernández Castillo")
    decided = deciding_marks(frame)
    assert len(decided) == 37
    row = decided[(decided.rut == "23511402-K") & (decided.day == date(2026, 11, 3))]
    assert row.present.tolist() == [False]


def test_the_wide_sample():
    libro = read_libro(SAMPLES / "libro_control_subvenciones.xlsx", CATALOG)
    assert libro.errors == [] and libro.layout == "mensual" and libro.month == (2026, 11)
    frame = libro.frame
    assert set(frame.course_id) == {2} and set(frame.hour) == {0}
    tomas = frame[frame.rut == "22876123-0"].set_index("day").present
    assert tomas[date(2026, 11, 5)] is False or not tomas[date(2026, 11, 5)]
    assert tomas[date(2026, 11, 4)]
    mateo = frame[frame.rut == "9876543-3"]
    assert min(mateo.day) == date(2026, 11, 4)  # blank before he joined: no record
    assert len(frame) == 16


@pytest.mark.parametrize("present,absent", [("P", "A"), ("•", "X"), ("1", "0"),
                                            ("Presente", "Ausente"), ("p", "x")])
def test_marks_as_people_write_them(tmp_path, present, absent):
    path = write(tmp_path, ["RUT;Curso;Fecha;Asistencia",
                            f"23511402-k;1º  basico a;2026-11-02;{present}",
                            f"23511402-k;1° Básico A;03/11/2026;{absent}"], encoding="cp1252")
    libro = read_libro(path, CATALOG)
    assert libro.errors == []
    assert libro.frame.present.tolist() == [True, False]
    assert libro.frame.hour.tolist() == [0, 0] and libro.frame.rut.tolist() == ["23511402-K"] * 2


def test_courses_by_codes_and_by_derived_names(tmp_path):
    path = write(tmp_path, ["RBD,RUT,Curso,Fecha,Asistencia",
                            "24875,23511402-K,110-1-A,02-11-2026,P",
                            "24875,23511402-K,2º Medio B,02-11-2026,P",
                            "24875,23511402-K,2 medio b,03-11-2026,P"])
    libro = read_libro(path, CATALOG)
    assert libro.errors == []
    assert libro.frame.course_id.tolist() == [1, 3, 3]
    separate = write(tmp_path, ["RUT;Cod Tipo Enseñanza;Cod Grado;Letra Curso;Fecha;Hora;Estado",
                                "23511402-K;310;2;b;02-11-2026;2;A"], name="codigos.csv")
    libro = read_libro(separate, CATALOG)
    assert libro.errors == [] and libro.frame.course_id.tolist() == [3]


def test_every_problem_in_one_pass(tmp_path):
    path = write(tmp_path, ["RUT;Curso;Fecha;Hora;Asistencia",
                            "23511402-K;1° Básico A;02-11-2026;1;P",
                            "23511402-K;1° Básico A;02-11-2026;1;P",   # exact repeat: fine
                            "23511402-K;1° Básico A;02-11-2026;2;P",
                            "23511402-K;1° Básico A;02-11-2026;2;A",   # conflicts with row 4
                            "23511402-K;5° Básico C;02-11-2026;1;P",   # unknown course
                            "23511402-K;1° Básico A;02-12-2026;1;P",   # another month
                            "23511402-K;1° Básico A;02-11-2026;1;R",   # unknown mark
                            "2351;1° Básico A;02-11-2026;1;P",         # unreadable RUT
                            "23511402-5;1° Básico A;03-11-2026;1;P"])  # wrong DV: kept
    libro = read_libro(path, CATALOG)
    found = {(e.row, e.column) for e in libro.errors}
    assert found == {(5, "Asistencia"), (6, "Curso"), (7, "Fecha"), (8, "Asistencia"),
                     (9, "RUT")}
    conflict = next(e for e in libro.errors if e.row == 5)
    assert "fila 4" in conflict.reason
    wrong = libro.frame[libro.frame.rut == "23511402-5"]
    assert wrong.kind.tolist() == ["invalid"]


def test_missing_columns_are_named(tmp_path):
    path = write(tmp_path, ["RUT;Fecha;Asistencia", "23511402-K;02-11-2026;P"])
    libro = read_libro(path, CATALOG)
    assert [e.column for e in libro.errors] == ["Curso"]


def test_a_row_with_more_columns_names_its_line_in_spanish(tmp_path):
    path = write(tmp_path, ["RBD;RUT;Curso;Fecha;Asistencia",
                            f"{RBD};23511402-K;1° Básico A;02-11-2026;P",
                            f"{RBD};23511402-K;1° Básico A;03-11-2026;P;x;y"])
    libro = read_libro(path, CATALOG)
    assert libro.frame.empty
    message = str(libro.errors[0])
    assert "la línea 3 tiene 7, se esperaban 5" in message
    assert "Error" not in message and "tokenizing" not in message


def test_a_school_without_nomina_is_named(tmp_path):
    path = write(tmp_path, ["RBD;RUT;Curso;Fecha;Asistencia",
                            "99999;23511402-K;1° Básico A;02-11-2026;P"])
    libro = read_libro(path, CATALOG)
    assert libro.rbds == {99999}
    assert "RBD 99999" in str(libro.errors[0])


def test_ambiguous_names_ask_for_the_code(tmp_path):
    catalog = CourseCatalog([CourseRef(1, RBD, 2026, 310, 3, "A", None),
                             CourseRef(2, RBD, 2026, 410, 3, "A", None)])
    path = write(tmp_path, ["RUT;Curso;Fecha;Asistencia", "23511402-K;3° Medio A;02-11-2026;P"])
    libro = read_libro(path, catalog)
    assert "310-3-A, 410-3-A" in str(libro.errors[0])


def test_wide_sheet_with_date_headers_and_a_total_row(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Control de Subvenciones"])
    sheet.append(["RBD:", "24875-3"])
    sheet.append(["Curso", "1° Básico", None])
    sheet.append(["Letra", "A"])
    sheet.append(["Mes", "Noviembre de 2026"])
    sheet.append(["N°", "Run", "Nombre", datetime(2026, 11, 2), datetime(2026, 11, 3)])
    sheet.append([1, "23511402-k", "Rojas Díaz, Benjamín", "•", "X"])
    sheet.append([None, "Total presentes", None, "=COUNTIF(D7:D7,\"•\")", 0])
    path = tmp_path / "mensual.xlsx"
    book.save(path)
    libro = read_libro(path, CATALOG)
    assert libro.errors == []
    assert libro.frame[["day", "present"]].values.tolist() == [
        [date(2026, 11, 2), True], [date(2026, 11, 3), False]]


def test_deciding_mark_falls_back_to_the_lowest_hour():
    frame = pd.DataFrame({"course_id": [1, 1, 1, 1], "rut": ["a", "a", "b", "b"],
                          "day": [date(2026, 11, 2)] * 4, "hour": [3, 1, 0, 0],
                          "present": [False, True, True, True]})
    decided = deciding_marks(frame).set_index("rut")
    assert decided.loc["a", "hour"] == 1 and bool(decided.loc["a", "present"])


def test_catalog_from_the_database(db_url, clock):
    from reconcile.db import transaction
    from reconcile.imports import import_sige

    with transaction(db_url) as s:
        import_sige(s, SAMPLES / "nomina_sige.xlsx", clock=clock)
        catalog = CourseCatalog.from_session(s, RBD)
    assert catalog.rbds == {RBD} and len(catalog.courses) == 2
    found, reason = catalog.resolve(RBD, 2026, "2 básico a")
    assert reason is None and found.code == "110-2-A"
    assert catalog.resolve(RBD, 2025, "2 básico a")[0] is None
