"""Bytes -> sheets of raw cells: .xlsx (every sheet), .csv (sniffed), with limits.

A ``RawSheet`` exposes its first rows (to find a header row below a title block)
and, once the header is known, the body as a DataFrame of raw cells whose index
is the row number the user sees in Excel or a text editor. Formulas are read as
their text (``=...``), never evaluated nor taken from a cached result.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reconcile.loaders.errors import (
    MAX_FILE_BYTES,
    MAX_SHEET_CELLS,
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    RowError,
    file_error,
)
from reconcile.loaders.values import is_blank
from reconcile.loaders.zip_limits import archive_problem

TOP_ROWS = 40  # the header row must be within the first rows of a sheet
_DELIMITERS = (";", ",", "\t", "|")


class SourceProblem(Exception):
    """A file that cannot be read at all; carries the file-level RowError."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


@dataclass
class RawSheet:
    name: str | None
    top: list[list[object]]  # the first TOP_ROWS rows, row i is sheet row i + 1
    _rows: list[tuple] | None = None  # xlsx: every row
    _csv: dict | None = None  # csv: how to read the body with pandas
    extra: dict = field(default_factory=dict)

    def body(self, header_index: int) -> pd.DataFrame:
        """Rows below ``header_index`` (0-based), columns by position, index = sheet row
        number; rows with no value at all are dropped. The body is at least as wide as
        the header row (rows end at their last value: a header's columns may all be
        blank below it)."""
        header_width = len(self.top[header_index]) if header_index < len(self.top) else 0
        if self._rows is not None:
            rows = self._rows[header_index + 1:]
            width = max(max((len(r) for r in rows), default=0), header_width)
            rows = [r if len(r) == width else (*r, *(None,) * (width - len(r))) for r in rows]
            frame = pd.DataFrame.from_records(rows, columns=range(width)) if rows else \
                pd.DataFrame(columns=range(width))
            frame = frame.astype(object)
        else:
            frame = _read_csv_body(self._csv, header_index)
            for position in range(len(frame.columns), header_width if len(frame) else 0):
                frame[position] = None
        frame.index = pd.RangeIndex(header_index + 2, header_index + 2 + len(frame))
        return _drop_empty(frame)


def _drop_empty(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    # Only rows whose first cell is blank can be wholly blank: check those alone, and
    # judge each distinct first cell once (fast).
    codes, uniques = pd.factorize(frame[frame.columns[0]].to_numpy(dtype=object),
                                  use_na_sentinel=True)
    blank = np.fromiter((is_blank(v) for v in uniques), dtype=bool, count=len(uniques))
    first_blank = np.append(blank, True)[codes]  # code -1 (missing) is blank
    if not first_blank.any():
        return frame
    candidates = frame.loc[first_blank]
    if candidates.empty:
        return frame
    blank = candidates.apply(lambda row: all(is_blank(v) for v in row), axis=1)
    return frame.drop(index=blank[blank].index)


def read_bytes(path: Path | str | None, data: bytes | None, filename: str | None) -> tuple[bytes, str]:
    """The file's bytes and the name used in messages; refuses files over the limit
    before reading them."""
    name = filename or (Path(path).name if path is not None else "archivo")
    if data is None:
        if path is None:
            raise SourceProblem(file_error(name, "no se indicó un archivo"))
        target = Path(path)
        if not target.is_file():
            raise SourceProblem(file_error(name, "no existe el archivo o no se puede leer"))
        if target.stat().st_size > MAX_FILE_BYTES:
            raise SourceProblem(file_error(name, _too_big(target.stat().st_size)))
        data = target.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise SourceProblem(file_error(name, _too_big(len(data))))
    if not data.strip():
        raise SourceProblem(file_error(name, "el archivo está vacío"))
    return data, name


def _too_big(size: int) -> str:
    return (f"el archivo pesa {size / 1_048_576:.1f} MB y el máximo es "
            f"{MAX_FILE_BYTES // 1_048_576} MB: divídalo (por ejemplo, por curso o por mes)")


def kind_of(data: bytes, name: str) -> str:
    """'xlsx', 'xml' or 'csv', by content first and extension second."""
    lower = name.lower()
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or lower.endswith(".xls"):
        raise SourceProblem(file_error(name, "el formato Excel antiguo (.xls) no se admite: "
                                             "guárdelo como .xlsx o .csv"))
    head = data[:200].lstrip(codecs.BOM_UTF8).lstrip()
    if head.startswith(b"<") or lower.endswith(".xml"):
        return "xml"
    return "csv"


def read_sheets(data: bytes, name: str) -> list[RawSheet]:
    kind = kind_of(data, name)
    if kind == "xlsx":
        return _xlsx_sheets(data, name)
    if kind == "csv":
        return [_csv_sheet(data, name)]
    raise SourceProblem(file_error(name, "se esperaba una planilla .xlsx o .csv"))


def _xlsx_sheets(data: bytes, name: str) -> list[RawSheet]:
    import openpyxl  # uses defusedxml for the workbook's XML when it is installed

    refused = archive_problem(data, name)  # a zip bomb is refused before it is inflated
    if refused is not None:
        raise SourceProblem(refused)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as problem:  # noqa: BLE001 - openpyxl on a damaged file raises anything
        raise SourceProblem(file_error(name, "no se pudo abrir como planilla .xlsx "
                                             f"({type(problem).__name__})")) from None
    try:
        return [_xlsx_sheet(sheet, name) for sheet in book.worksheets]
    except SourceProblem:
        raise
    except Exception as problem:  # noqa: BLE001 - a part damaged inside the zip
        raise SourceProblem(file_error(name, "la planilla .xlsx está dañada y no se pudo leer "
                                             f"({type(problem).__name__})")) from None
    finally:
        book.close()


def _xlsx_sheet(sheet, name: str) -> RawSheet:  # noqa: ANN001 - openpyxl's read-only sheet
    """One sheet's rows, each as long as its last value. The sheet's declared size
    is not trusted: a declared width would pad every row to it (a few bytes of XML
    could ask for gigabytes), so rows are read as written, up to their last value,
    and their width and cells are counted."""
    declared = sheet.max_row or 0
    if declared > MAX_SHEET_ROWS + TOP_ROWS:
        raise SourceProblem(file_error(name, _too_many_rows(sheet.title)))
    sheet.reset_dimensions()
    rows, cells = [], 0
    for row in sheet.iter_rows(values_only=True):
        if row and row[-1] is None:
            end = len(row)
            while end and row[end - 1] is None:
                end -= 1
            row = row[:end]
        if len(row) > MAX_SHEET_COLUMNS:
            raise SourceProblem(file_error(name, f"la hoja «{sheet.title}» tiene datos más allá "
                                           f"de la columna {MAX_SHEET_COLUMNS:,}"
                                           .replace(",", ".") + " (en la fila "
                                           f"{len(rows) + 1}): la nómina y la asistencia "
                                           "tienen unas decenas de columnas"))
        rows.append(row)
        cells += len(row)
        if len(rows) > MAX_SHEET_ROWS + TOP_ROWS:
            raise SourceProblem(file_error(name, _too_many_rows(sheet.title)))
        if cells > MAX_SHEET_CELLS:
            raise SourceProblem(file_error(name, f"la hoja «{sheet.title}» tiene más de "
                                           f"{MAX_SHEET_CELLS:,} celdas".replace(",", ".")
                                           + ": divídala en archivos más pequeños"))
    while rows and all(is_blank(v) for v in rows[-1]):
        rows.pop()
    top = [list(r) for r in rows[:TOP_ROWS]]
    return RawSheet(sheet.title, top, _rows=rows)


def _too_many_rows(title: str) -> str:
    return (f"la hoja «{title}» tiene más de {MAX_SHEET_ROWS:,} filas".replace(",", ".")
            + ": divídala en archivos más pequeños")


def decode(data: bytes) -> tuple[str, str]:
    """Sniff the encoding: UTF-8 with BOM, UTF-16 with BOM (Excel's «Texto Unicode»),
    UTF-8, else Windows-1252 (Latin-1 plus the bullet ``•`` and typographic quotes
    that Excel writes)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most of the first lines into the most fields."""
    best, best_score = ";", -1
    for delimiter in _DELIMITERS:
        counts = sorted(len(next(csv.reader([line], delimiter=delimiter))) - 1
                        for line in lines if line.strip())
        if not counts:
            continue
        score = counts[len(counts) // 2] * 1000 + counts[-1]  # median first, then max
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_sheet(data: bytes, name: str) -> RawSheet:
    text, encoding = decode(data)
    head_lines = text[:200_000].splitlines()[:TOP_ROWS]
    try:
        delimiter = _sniff_delimiter(head_lines)
        top = [list(row) for row in csv.reader(head_lines, delimiter=delimiter)]
    except csv.Error as problem:  # e.g. a cell over csv's field limit in the first rows
        raise SourceProblem(file_error(name, _unreadable_csv(str(problem)))) from None
    return RawSheet(None, top, _csv={"text": text, "sep": delimiter, "name": name})


def _unreadable_csv(problem: str) -> str:
    """Python's csv message in Spanish.

    >>> _unreadable_csv('field larger than field limit (131072)')
    'el archivo CSV no se pudo leer: tiene una celda de más de 131.072 caracteres'
    """
    found = re.search(r"field larger than field limit \((\d+)\)", problem)
    if found is not None:
        limit = f"{int(found.group(1)):,}".replace(",", ".")
        return f"el archivo CSV no se pudo leer: tiene una celda de más de {limit} caracteres"
    return "el archivo CSV no se pudo leer: no tiene el formato de una planilla CSV"


def _read_csv_body(spec: dict, header_index: int) -> pd.DataFrame:
    try:
        # dtype=object keeps plain Python strings: no Arrow round trip (2-3x faster)
        return pd.read_csv(io.StringIO(spec["text"]), sep=spec["sep"], header=None,
                           skiprows=header_index + 1, dtype=object, keep_default_na=False,
                           na_filter=False, skip_blank_lines=False, quotechar='"',
                           engine="c")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except pd.errors.ParserError as problem:
        raise SourceProblem(file_error(spec["name"], _too_many_fields(str(problem)))) from None


def _too_many_fields(problem: str) -> str:
    """pandas' tokenizer message in Spanish (its line number is the file's own line).

    >>> _too_many_fields('Error tokenizing data. C error: Expected 7 fields in line 43, saw 10')
    'el archivo CSV tiene filas con más columnas que el encabezado: la línea 43 tiene 10, se esperaban 7'
    """
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", problem)
    text = "el archivo CSV tiene filas con más columnas que el encabezado"
    if found is None:
        return text
    expected, line, seen = (int(g) for g in found.groups())
    return f"{text}: la línea {line} tiene {seen}, se esperaban {expected}"
