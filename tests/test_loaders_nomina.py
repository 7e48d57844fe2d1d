"""read_nomina: SIGE's .xlsx as exported, CSVs however they are saved, the XML export,
and the limits."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from reconcile.loaders import MAX_FILE_BYTES, RowError, read_nomina
from reconcile.loaders.nomina import FRAME_COLUMNS

SAMPLES = Path(__file__).parent / "data" / "samples"
HEADER = ["Año", "RBD", "Cod Tipo Enseñanza", "Cod Grado", "Desc Grado", "Letra Curso", "Run",
          "Dígito Ver.", "Genero", "Nombres", "Apellido Paterno", "Apellido Materno",
          "Fecha Nacimiento", "Fecha Incorporación Curso", "Fecha Retiro"]
ROWS = [
    ["2026", "24875", "110", "1", "1° Básico", "A", "23511402", "k", "M", "Benjamín", "Rojas",
     "Díaz", "02/07/2019", "01-03-2026", "1"],
    ["2026", "24875", "310", "2", "2° Medio", "B", "9876543", "3", "F", "Ñandú", "Peña", "Muñoz",
     "12-06-2010", "46082", "0"],
]


def by_rut(nomina):
    return {row["rut"]: row for row in nomina.frame.to_dict("records")}


def test_the_sample_xlsx_on_its_second_sheet():
    nomina = read_nomina(SAMPLES / "nomina_sige.xlsx")
    assert nomina.errors == []
    assert list(nomina.frame.columns) == FRAME_COLUMNS
    rows = by_rut(nomina)
    assert len(rows) == 8
    jose = rows["25123456-6"]
    assert (jose["row"], jose["kind"], jose["run"], jose["dv"]) == (5, "definitive", 25123456, "6")
    assert (jose["desc_grado"], jose["letra"], jose["cod_ense"]) == ("1° Básico", "A", 110)
    assert jose["incorporated_on"] == date(2026, 4, 8)  # text date
    assert rows["23456789-6"]["incorporated_on"] == date(2026, 3, 1)  # Excel serial
    assert rows["23456789-6"]["withdrawn_on"] is None  # the "1" placeholder
    assert rows["23740118-2"]["withdrawn_on"] == date(2026, 11, 5)
    assert rows["9876543-3"]["birth_date"] == date(2018, 6, 12)


@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ";"), ("utf-8-sig", ","),
                                                ("latin-1", ";"), ("cp1252", "\t")])
def test_csv_encodings_and_delimiters_are_sniffed(tmp_path, encoding, delimiter):
    title = f"Nómina de alumnos{delimiter}\nRBD 24875{delimiter}\n\n"  # a title block
    header = [h.upper().replace(" ", "  ") for h in HEADER]  # case and spacing do not matter
    body = "\n".join(delimiter.join(r) for r in [header, *ROWS])
    path = tmp_path / "nomina.csv"
    path.write_bytes((title + body + "\n").encode(encoding))
    nomina = read_nomina(path)
    assert nomina.errors == []
    rows = by_rut(nomina)
    assert rows["23511402-K"]["row"] == 5
    assert rows["9876543-3"]["nombres"] == "Ñandú"
    assert rows["9876543-3"]["incorporated_on"] == date(2026, 3, 1)
    assert rows["9876543-3"]["withdrawn_on"] is None


def test_uploaded_bytes_with_a_filename():
    data = (SAMPLES / "nomina_sige.xlsx").read_bytes()
    nomina = read_nomina(None, data=data, filename="subida.xlsx")
    assert nomina.filename == "subida.xlsx" and len(nomina.frame) == 8


def test_the_xml_export(tmp_path):
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<nomina rbd="24875" ano="2026">
  <tipo_ensenanza codigo="110">
    <curso grado="3" letra="A">
      <alumno run="23511402" digito_ve="K" genero="M" nombres="Benjamín" ape_paterno="Rojas"
              ape_materno="Díaz" fecha_nacimiento="2017-07-02"
              fecha_incorporacion_curso="2026-03-01" fecha_retiro=""/>
      <alumno run="100234567" digito_ve="2" genero="M" nombres="José" ape_paterno="Hernández"
              ape_materno="Castillo" fecha_nacimiento="2017-05-09"
              fecha_incorporacion_curso="2026-03-01" fecha_retiro="2026-11-05"/>
    </curso>
  </tipo_ensenanza>
  <tipo_ensenanza codigo="310">
    <curso grado="2" letra="B">
      <alumno run="9876543" digito_ve="4" nombres="Ana" fecha_incorporacion_curso="1/3/2026"/>
    </curso>
  </tipo_ensenanza>
</nomina>
"""
    path = tmp_path / "nomina.xml"
    path.write_text(xml, encoding="utf-8")
    nomina = read_nomina(path)
    assert [str(e) for e in nomina.errors] == []
    rows = by_rut(nomina)
    benjamin = rows["23511402-K"]
    assert (benjamin["row"], benjamin["year"], benjamin["rbd"]) == (5, 2026, 24875)
    assert (benjamin["cod_ense"], benjamin["cod_grado"], benjamin["letra"]) == (110, 3, "A")
    assert benjamin["desc_grado"] is None and benjamin["withdrawn_on"] is None
    assert rows["100234567-2"]["kind"] == "provisional"
    assert rows["100234567-2"]["withdrawn_on"] == date(2026, 11, 5)
    # a wrong check digit is not a file error: kept and flagged
    assert rows["9876543-4"]["kind"] == "invalid"
    assert rows["9876543-4"]["incorporated_on"] == date(2026, 3, 1)


def test_row_errors_name_file_row_column_and_value(tmp_path):
    rows = [list(ROWS[0]), list(ROWS[1])]
    rows[0][14] = "31-02-2026"
    rows[1][6] = ""
    path = tmp_path / "nomina.csv"
    path.write_text("\n".join(";".join(r) for r in [HEADER, *rows]), encoding="utf-8")
    nomina = read_nomina(path)
    assert [str(e) for e in nomina.errors] == [
        "nomina.csv, fila 2, columna «Fecha Retiro», valor «31-02-2026»: fecha no válida "
        "(use dd-mm-aaaa).",
        "nomina.csv, fila 3, columna «Run»: falta el RUT.",
    ]
    assert nomina.frame.empty


def test_exact_repeats_count_once_and_conflicting_repeats_are_errors(tmp_path):
    changed = list(ROWS[0])
    changed[13] = "02-03-2026"
    path = tmp_path / "nomina.csv"
    lines = [HEADER, ROWS[0], ROWS[0], ROWS[1], changed]
    path.write_text("\n".join(";".join(r) for r in lines), encoding="utf-8")
    nomina = read_nomina(path)
    assert len(nomina.errors) == 1
    assert nomina.errors[0].row == 5 and "ver fila 2" in nomina.errors[0].reason


def test_no_header_is_a_file_error(tmp_path):
    path = tmp_path / "otra.csv"
    path.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    nomina = read_nomina(path)
    assert len(nomina.errors) == 1 and nomina.errors[0].row is None
    assert "encabezados" in str(nomina.errors[0])


def test_files_over_the_limit_are_refused_before_reading(tmp_path):
    path = tmp_path / "grande.csv"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    nomina = read_nomina(path)
    assert "máximo es 50 MB" in str(nomina.errors[0])


def test_sheets_over_the_row_limit_are_refused(tmp_path, monkeypatch):
    from reconcile.loaders import sources

    monkeypatch.setattr(sources, "MAX_SHEET_ROWS", 5)
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for _ in range(50):
        book.active.append(ROWS[0])
    path = tmp_path / "larga.xlsx"
    book.save(path)
    nomina = read_nomina(path)
    assert "más de 5 filas" in str(nomina.errors[0])


def test_row_error_text():
    error = RowError("nomina.xlsx", 7, "Fecha Retiro", "31-02-2026", "fecha no válida",
                     sheet="Nómina")
    assert str(error) == ("nomina.xlsx, hoja «Nómina», fila 7, columna «Fecha Retiro», "
                          "valor «31-02-2026»: fecha no válida.")
