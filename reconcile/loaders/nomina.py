"""The SIGE nómina de alumnos: .xlsx (as SIGE exports it), .csv, or the SIGE .xml.

``read_nomina`` returns every valid row as a canonical frame and every problem
as a ``RowError``; it never writes anywhere. The XML export is parsed in
``nomina_xml``, handed the columns below (only this module knows them); both go
through the same validation here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reconcile import rut as rutlib
from reconcile.loaders.errors import RowError, file_error, sort_errors
from reconcile.loaders.headers import Column, find_header
from reconcile.loaders.progress import Progress, ProgressCallback
from reconcile.loaders.identifiers import join_rut, parse_ruts
from reconcile.loaders.libro_layout import looks_like_libro
from reconcile.loaders.nomina_xml import xml_records
from reconcile.loaders.report import Reporter
from reconcile.loaders.sources import RawSheet, SourceProblem, kind_of, read_bytes, read_sheets
from reconcile.loaders.values import (
    cell_text,
    guarded,
    map_unique,
    parse_date,
    parse_int,
    parse_rbd,
    parse_withdrawal,
)
from reconcile.loaders.wrong_tab import LIBRO, belongs_in

COLUMNS = [
    Column("year", "Año", ("Agno", "Anio", "Año Escolar", "Anio Escolar")),
    Column("rbd", "RBD", ()),
    Column("cod_ense", "Cod Tipo Enseñanza", ("Código Tipo Enseñanza", "Cod Ense",
                                              "CodigoTipoEnsenanza", "Tipo Enseñanza")),
    Column("cod_grado", "Cod Grado", ("Código Grado", "CodigoGrado")),
    Column("desc_grado", "Desc Grado", ("Descripción Grado", "Grado")),
    Column("letra", "Letra Curso", ("Letra", "Let Cur", "LetraCurso")),
    Column("run", "Run", ("RUT", "Run Alumno", "Rut Alumno", "Numero")),
    Column("dv", "Dígito Ver.", ("Dígito Verificador", "DV", "Digito Ve", "Dgv")),
    Column("gender", "Genero", ("Género", "Sexo")),
    Column("nombres", "Nombres", ("Nombre",)),
    Column("ape_paterno", "Apellido Paterno", ("Ape Paterno",)),
    Column("ape_materno", "Apellido Materno", ("Ape Materno",)),
    Column("birth_date", "Fecha Nacimiento", ("Fecha de Nacimiento",)),
    Column("incorporated_on", "Fecha Incorporación Curso", ("Fecha Incorporación",
                                                            "Fecha de Incorporación")),
    Column("withdrawn_on", "Fecha Retiro", ("Fecha de Retiro",)),
]
LABELS = {c.field: c.label for c in COLUMNS}
REQUIRED = ("year", "rbd", "cod_ense", "cod_grado", "letra", "run")
FRAME_COLUMNS = ["row", "year", "rbd", "cod_ense", "cod_grado", "desc_grado", "letra", "rut",
                 "run", "dv", "kind", "nombres", "ape_paterno", "ape_materno", "gender",
                 "birth_date", "incorporated_on", "withdrawn_on"]
_TEXT_FIELDS = ("nombres", "ape_paterno", "ape_materno")


@dataclass
class NominaFile:
    filename: str
    frame: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    belongs_in: str | None = None  # "libro": the file is the Libro's attendance instead

    @property
    def ok(self) -> bool:
        return not self.errors


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in FRAME_COLUMNS})


def read_nomina(path: Path | str | None, data: bytes | None = None,
                filename: str | None = None,
                provisional_min_body: int = rutlib.DEFAULT_PROVISIONAL_MIN_BODY,
                progress: ProgressCallback | None = None) -> NominaFile:
    """Read a SIGE nómina (.xlsx, .csv or .xml). ``data`` are uploaded bytes (then
    ``path`` may be None and ``filename`` names the file in messages).
    ``progress(fraction, label)`` follows the reading and the validation."""
    report = Progress(progress)
    report(0.0, "Leyendo archivo")
    name = filename or (Path(path).name if path is not None else "nomina")
    try:
        data, name = read_bytes(path, data, filename)
        if kind_of(data, name) == "xml":
            raw, written = xml_records(data, name, COLUMNS)
            sheet = None
        else:
            raw, written, sheet = _tabular_records(data, name)
    except _Misplaced as problem:
        return NominaFile(name, empty_frame(), [problem.error], belongs_in=problem.kind)
    except SourceProblem as problem:
        return NominaFile(name, empty_frame(), getattr(problem, "errors", [problem.error]))
    report(0.7, "Validando filas")
    frame, errors = validate(raw, written, name, sheet, provisional_min_body)
    report(1.0, "Archivo validado")
    return NominaFile(name, frame, sort_errors(errors), rows_read=len(raw))


def _tabular_records(data: bytes, name: str) -> tuple[pd.DataFrame, dict[str, str], str | None]:
    """The sheet holding the nómina (SIGE often puts it on the second sheet), its
    rows as a frame of raw cells by field, and the headers as written."""
    sheets = read_sheets(data, name)
    best = None
    for sheet in sheets:
        header = find_header(sheet.top, COLUMNS, set(REQUIRED), minimum=3)
        if header and (best is None or len(header.positions) > len(best[1].positions)):
            best = (sheet, header)
    if best is None and looks_like_libro(sheets):
        raise _Misplaced(name, LIBRO)
    if best is None:
        raise SourceProblem(file_error(name, "no se encontró la fila de encabezados de la "
                                             "nómina (Año, RBD, Cod Tipo Enseñanza, Cod Grado, "
                                             "Letra Curso, Run, …)"))
    sheet, header = best
    missing = [f for f in REQUIRED if f not in header.positions]
    if missing and looks_like_libro(sheets):
        raise _Misplaced(name, LIBRO)
    if missing:
        problems = [RowError(name, header.row_number, LABELS[f], None,
                             "falta esta columna en el encabezado", sheet.name if len(sheets) > 1
                             else None) for f in missing]
        raise _Many(problems)
    body = sheet.body(header.index)
    raw = pd.DataFrame({f: body[p] if p in body.columns else pd.Series(None, index=body.index,
                                                                        dtype=object)
                        for f, p in header.positions.items()}, index=body.index)
    return raw, header.written, sheet.name if len(sheets) > 1 else None


def looks_like_nomina(sheets: list[RawSheet]) -> bool:
    """Whether a sheet has the nómina's header: every column a nómina needs."""
    for sheet in sheets:
        header = find_header(sheet.top, COLUMNS, set(REQUIRED), minimum=len(REQUIRED))
        if header and set(REQUIRED) <= header.positions.keys():
            return True
    return False


def looks_like_nomina_xml(data: bytes, name: str) -> bool:
    """Whether an .xml is one this reader takes: SIGE's export, with ``alumno`` records."""
    try:
        raw, _ = xml_records(data, name, COLUMNS)
    except SourceProblem:
        return False
    return len(raw) > 0


class _Misplaced(SourceProblem):
    """The file is of the other kind (``kind``): one problem, saying where it goes."""

    def __init__(self, name: str, kind: str):
        super().__init__(belongs_in(name, kind))
        self.kind = kind


class _Many(SourceProblem):
    def __init__(self, errors: list[RowError]):
        super().__init__(errors[0])
        self.errors = errors


def validate(raw: pd.DataFrame, written: dict[str, str], name: str, sheet: str | None,
             provisional_min_body: int) -> tuple[pd.DataFrame, list[RowError]]:
    """Raw cells by field (index = row number) -> the canonical frame and every problem."""
    reporter = Reporter(name)
    n = len(raw)
    rows = raw.index.to_numpy()
    bad = np.zeros(n, dtype=bool)

    def column(field_name: str) -> pd.Series:
        if field_name in raw.columns:
            return raw[field_name]
        return pd.Series([None] * n, index=raw.index, dtype=object)

    def report(field_name: str, reasons: np.ndarray, values: pd.Series | None = None) -> None:
        nonlocal bad
        shown = (values if values is not None else column(field_name)).to_numpy()
        label = written.get(field_name, LABELS.get(field_name, field_name))
        sheets = None if sheet is None else np.full(n, sheet, dtype=object)
        bad |= reporter.column(rows, label, shown, reasons, sheets)

    out = pd.DataFrame(index=raw.index)
    out["row"] = rows
    parsers = {
        "year": lambda v: parse_int(v, 1990, 2100, "el año"),
        "rbd": parse_rbd,
        "cod_ense": lambda v: parse_int(v, 1, 999, "el código de tipo de enseñanza"),
        "cod_grado": lambda v: parse_int(v, 0, 99, "el código de grado"),
        "birth_date": parse_date,
        "incorporated_on": parse_date,
        "withdrawn_on": parse_withdrawal,
    }
    for field_name, parser in parsers.items():
        values, reasons = map_unique(column(field_name), guarded(parser))
        out[field_name] = values
        report(field_name, reasons)
    letters, reasons = map_unique(column("letra"), guarded(_parse_letter))
    out["letra"] = letters
    report("letra", reasons)
    out["desc_grado"] = map_unique(column("desc_grado"), _text_or_none)[0]
    for field_name in _TEXT_FIELDS:
        out[field_name], reasons = map_unique(column(field_name), guarded(_text_or_none))
        report(field_name, reasons)
    out["gender"] = map_unique(column("gender"), _gender)[0]
    rut_text = pd.Series([join_rut(b, d) for b, d in zip(column("run"), column("dv"))],
                         index=raw.index, dtype=object)
    ruts, reasons = parse_ruts(rut_text, provisional_min_body)
    for key in ("rut", "run", "dv", "kind"):
        out[key] = ruts[key]
    report("run", reasons, rut_text)
    out = out.loc[~bad]
    errors = reporter.errors + _duplicate_errors(out, name, sheet)
    out = out.drop_duplicates(subset=[c for c in FRAME_COLUMNS if c != "row"])
    return out[FRAME_COLUMNS].reset_index(drop=True), errors


def _duplicate_errors(out: pd.DataFrame, name: str, sheet: str | None) -> list[RowError]:
    """The same student twice in the same course with different data (exact repeats
    are fine: they count once)."""
    key = ["rbd", "year", "cod_ense", "cod_grado", "letra", "rut"]
    distinct = out.drop_duplicates(subset=[c for c in FRAME_COLUMNS if c != "row"])
    clash = distinct[distinct.duplicated(subset=key, keep=False)]
    errors = []
    for _, group in clash.groupby(key, sort=False):
        rows = sorted(int(r) for r in group["row"])
        for row in rows[1:]:
            errors.append(RowError(name, row, None, group["rut"].iloc[0],
                                   f"el mismo estudiante aparece otra vez en el mismo curso con "
                                   f"datos distintos (ver fila {rows[0]})", sheet))
    return errors


def _parse_letter(value: object) -> tuple[object, str | None]:
    text = cell_text(value).upper()
    if not text:
        return None, "falta la letra del curso"
    if len(text) > 5:
        return None, "letra de curso no válida"
    return text, None


def _text_or_none(value: object) -> tuple[object, None]:
    text = " ".join(cell_text(value).split())
    return (text or None), None


def _gender(value: object) -> tuple[object, None]:
    text = cell_text(value).upper()
    return (text[0] if text[:1].isalpha() else None), None
