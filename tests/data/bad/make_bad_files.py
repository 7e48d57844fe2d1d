"""Regenerates the corpus of bad files (run from this folder). Each file holds one or
two known problems; tests/test_import_bad_files.py lists what each must report."""
from __future__ import annotations

from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
SAMPLES = HERE.parent / "samples"
LONG = (SAMPLES / "libro_asistencia_larga.csv").read_bytes().decode("latin-1").splitlines()
NOMINA_HEADER = ("Año;RBD;Cod Tipo Enseñanza;Cod Grado;Desc Grado;Letra Curso;Run;Dígito Ver.;"
                 "Genero;Nombres;Apellido Paterno;Apellido Materno;Fecha Nacimiento;"
                 "Fecha Incorporación Curso;Fecha Retiro")
NOMINA_ROWS = [
    "2026;24875;110;1;1° Básico;A;23456789;6;F;Martina Ignacia;González;Muñoz;14-03-2019;01-03-2026;1",
    "2026;24875;110;1;1° Básico;A;23511402;K;M;Benjamín;Rojas;Díaz;02-07-2019;01-03-2026;0",
]


def write_latin1(name: str, lines: list[str]) -> None:
    (HERE / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))


def long_with(changes: dict[int, str], extra: list[str] = ()) -> list[str]:
    """The sample long file with some lines (0 = header) replaced and lines added."""
    lines = list(LONG)
    for index, line in changes.items():
        lines[index] = line
    return lines + list(extra)


def main() -> None:
    # nómina without the Run column
    header = NOMINA_HEADER.replace("Run;", "")
    rows = [r.replace(";23456789;", ";").replace(";23511402;", ";") for r in NOMINA_ROWS]
    (HERE / "nomina_sin_run.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    # nómina with an impossible date, an unreadable RUN and a bad year (UTF-8 with BOM)
    rows = [
        "2026;24875;110;1;1° Básico;A;23456789;6;F;Martina;González;Muñoz;14-03-2019;01-03-2026;31-02-2026",
        "20x6;24875;110;1;1° Básico;A;23511402;K;M;Benjamín;Rojas;Díaz;02-07-2019;01-03-2026;1",
        "2026;24875;110;1;1° Básico;A;12.5x1.909;2;M;Pedro;Soto;Vera;02-07-2019;01-03-2026;1",
    ]
    (HERE / "nomina_valores_malos.csv").write_bytes(
        "\n".join([NOMINA_HEADER, *rows]).encode("utf-8-sig"))
    # nómina .xlsx with a formula where a date should be
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Nómina"
    sheet.append(NOMINA_HEADER.split(";"))
    for row in NOMINA_ROWS:
        sheet.append([int(v) if v.isdigit() else v for v in row.split(";")])
    sheet["N3"] = "=TODAY()"
    book.save(HERE / "nomina_formula.xlsx")
    # SIGE XML that declares entities (refused before expansion)
    (HERE / "nomina_entidades.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE nomina [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<nomina rbd="24875" ano="2026"><tipo_ensenanza codigo="110"><curso grado="1" letra="A">'
        '<alumno run="23456789" digito_ve="6" nombres="&b;"/></curso></tipo_ensenanza></nomina>\n',
        encoding="utf-8")
    # Libro long: unknown course (line 5 = sheet row 6)
    bad = LONG[5].replace("1° Básico A", "3° Básico Z")
    write_latin1("libro_curso_desconocido.csv", long_with({5: bad}))
    # Libro long: a date outside the file's month and an unreadable date
    write_latin1("libro_fechas_malas.csv", long_with({
        3: LONG[3].replace("03-11-2026", "30-10-2026"),
        7: LONG[7].replace("05-11-2026", "45-11-2026")}))
    # Libro long: unknown mark, unreadable RUT and a bad hour
    write_latin1("libro_valores_malos.csv", long_with({
        2: LONG[2][:-1] + "J",
        4: LONG[4].replace("23.456.789-6", "23.4x6.789-6"),
        7: LONG[7].replace(";05-11-2026;1;", ";05-11-2026;tarde;")}))
    # Libro long: the same student, date and hour marked present and absent
    conflict = LONG[1][:-1] + "A"
    write_latin1("libro_marcas_contradictorias.csv", long_with({}, [LONG[1], conflict]))
    # Libro long without the attendance column
    write_latin1("libro_sin_asistencia.csv", [";".join(l.split(";")[:-1]) for l in LONG])
    # Libro long of another school
    write_latin1("libro_otro_rbd.csv", [LONG[0]] + [l.replace("24875", "11111", 1)
                                                   for l in LONG[1:]])
    # Libro wide: a mark on 31 November
    book = openpyxl.load_workbook(SAMPLES / "libro_control_subvenciones.xlsx")
    sheet = book.active
    sheet.cell(row=8, column=3 + 31).value = "•"  # day 31 is column AH (header already has 1..30)
    sheet.cell(row=7, column=3 + 31).value = "31"
    book.save(HERE / "libro_mensual_dia_31.xlsx")
    # Old Excel format
    (HERE / "libro_excel_antiguo.xls").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)


if __name__ == "__main__":
    main()
