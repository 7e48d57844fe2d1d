"""The Libro Digital's two layouts, told by their headers: the long table's columns and
the monthly sheet's.

The Libro's reader (``libro``) reads a file by these headers, and the nómina's
reader asks ``looks_like_libro`` to send a Libro file to its tab; so they sit
here, below both, and the two readers never import each other both ways.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from reconcile.loaders.headers import Column, Header, find_header, match_row
from reconcile.loaders.sources import RawSheet
from reconcile.loaders.values import cell_text

LONG_COLUMNS = [
    Column("rbd", "RBD", ()),
    Column("course", "Curso", ("Nombre Curso", "Curso Nombre", "Nivel")),
    Column("cod_ense", "Cod Tipo Enseñanza", ("Código Tipo Enseñanza", "Tipo Enseñanza",
                                              "Cod Ense", "CodigoTipoEnsenanza")),
    Column("cod_grado", "Cod Grado", ("Código Grado", "CodigoGrado")),
    Column("letra", "Letra Curso", ("Letra",)),
    Column("rut", "RUT", ("RUN", "RUT Alumno", "RUN Alumno", "RUT Estudiante", "Rut Estudiante")),
    Column("dv", "DV", ("Dígito Verificador", "Dígito Ver.")),
    Column("full_name", "Nombre", ("Nombre Alumno", "Alumno", "Estudiante", "Nombre Completo",
                                   "Nombre Estudiante")),
    Column("day", "Fecha", ("Fecha Asistencia", "Día", "Fecha Clase")),
    Column("hour", "Hora", ("Hora de Clase", "Bloque", "Hora Pedagógica", "Hora Clase")),
    Column("mark", "Asistencia", ("Estado", "Marca", "Registro", "Presente", "Asistencia Alumno")),
]
LONG_LABELS = {c.field: c.label for c in LONG_COLUMNS}
LONG_REQUIRED = ("rut", "day", "mark")  # a long table without one of these is no table
WIDE_COLUMNS = [c for c in LONG_COLUMNS if c.field in ("rut", "dv", "full_name")]


def long_header(top: list[list[object]]) -> Header | None:
    """The long table's header row, when a row names at least three of its columns."""
    return find_header(top, LONG_COLUMNS, set(LONG_REQUIRED), minimum=3)


@dataclass
class WideHeader:
    """The monthly sheet's header row: RUT (and name) columns, then one per day."""

    header_index: int
    positions: dict[str, int]
    written: dict[str, str]
    days: dict[int, object]  # column position -> day number (int) or date
    day_labels: dict[int, str]


def wide_header(top: list[list[object]]) -> WideHeader | None:
    """The first row naming the RUT column and at least one day column."""
    for index, row in enumerate(top):
        positions, written = match_row(row, WIDE_COLUMNS)
        if "rut" not in positions:
            continue
        days, labels = {}, {}
        for position, cell in enumerate(row):
            if position in positions.values():
                continue
            value = _day_header(cell)
            if value is not None:
                days[position], labels[position] = value, cell_text(cell)
        if days:
            return WideHeader(index, positions, written, days, labels)
    return None


def _day_header(cell: object) -> int | date | None:
    if isinstance(cell, date):
        return cell if not hasattr(cell, "date") else cell.date()
    text = cell_text(cell)
    if re.fullmatch(r"\d{1,2}", text) and 1 <= int(text) <= 31:
        return int(text)
    return None


def looks_like_libro(sheets: list[RawSheet]) -> bool:
    """Whether a sheet has a Libro layout: the long table's RUT, Fecha and Asistencia,
    or the monthly sheet's RUT and a column per day."""
    for sheet in sheets:
        header = long_header(sheet.top)
        if header and set(LONG_REQUIRED) <= header.positions.keys():
            return True
        if wide_header(sheet.top) is not None:
            return True
    return False
