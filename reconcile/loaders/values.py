"""Cell values as spreadsheets and CSVs deliver them, turned into typed values.

Every parser takes one raw cell (str, int, float, datetime, None) and returns
``(value, reason)``: ``reason`` is a Spanish explanation when the cell cannot be
read. ``map_unique`` applies a parser once per distinct value of a column, which
keeps large files fast (a month of attendance has ~22 distinct dates).
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (with Excel's leap-year quirk)
_MIN_SERIAL, _MAX_SERIAL = 2, 80_000  # 1900-01-01 .. 2119: anything else is not a date here
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d")
_ISO_WITH_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")

MONTHS_ES = {"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6,
             "julio": 7, "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10,
             "noviembre": 11, "diciembre": 12}

Parsed = tuple[object, str | None]


def is_blank(value: object) -> bool:
    """None, NaN and whitespace-only text are all "no value".

    >>> is_blank(None), is_blank(float("nan")), is_blank("  "), is_blank(0)
    (True, True, True, False)
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    return value is pd.NaT


def cell_text(value: object) -> str:
    """A cell as text: integers without ``.0``, dates as ISO, blanks as ``''``.

    >>> cell_text(23456789.0), cell_text(" A "), cell_text(None), cell_text(date(2026, 11, 2))
    ('23456789', 'A', '', '2026-11-02')
    """
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if not value.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def fold(text: str) -> str:
    """Lower-case ASCII without accents, for tolerant comparisons.

    >>> fold("  Fecha Incorporación  CURSO ")
    'fecha incorporacion  curso'
    """
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def header_key(text: object) -> str:
    """A header reduced to its letters and digits, so case, accents, spacing and
    punctuation do not matter.

    >>> header_key("Dígito Ver."), header_key("Cod Tipo  Enseñanza"), header_key("%Asistenca")
    ('digitover', 'codtipoensenanza', 'asistenca')
    """
    return re.sub(r"[^0-9a-z]", "", fold(cell_text(text)))


def is_formula(value: object) -> bool:
    """A spreadsheet formula as openpyxl returns it when not evaluating (``=SUM(...)``).
    Formulas are never evaluated nor trusted as data."""
    return isinstance(value, str) and value.startswith("=") and len(value) > 1


def parse_date(value: object) -> Parsed:
    """Excel serials, ``dd-mm-aaaa``, ``dd/mm/aaaa``, ISO, or a date cell.

    >>> parse_date(46082), parse_date("01-03-2026"), parse_date("2026-11-04 00:00:00")
    ((datetime.date(2026, 3, 1), None), (datetime.date(2026, 3, 1), None), (datetime.date(2026, 11, 4), None))
    >>> parse_date("31-02-2026")
    (None, 'fecha no válida (use dd-mm-aaaa)')
    >>> parse_date(None)
    (None, None)
    """
    if is_blank(value):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_serial(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{1,5}(\.0+)?", text):
        return _from_serial(float(text))
    match = _ISO_WITH_TIME.match(text)
    if match:
        text = match.group(1)
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date(), None
        except ValueError:
            continue
    return None, "fecha no válida (use dd-mm-aaaa)"


def _from_serial(number: float) -> Parsed:
    if not float(number).is_integer() or not _MIN_SERIAL <= number <= _MAX_SERIAL:
        return None, "fecha no válida (use dd-mm-aaaa)"
    return _EXCEL_EPOCH + timedelta(days=int(number)), None


def parse_withdrawal(value: object) -> Parsed:
    """Like ``parse_date``, but SIGE's ``1`` or ``0`` placeholder means "no date".

    >>> parse_withdrawal(1), parse_withdrawal("0"), parse_withdrawal(46331)
    ((None, None), (None, None), (datetime.date(2026, 11, 5), None))
    """
    if cell_text(value) in ("0", "1"):
        return None, None
    return parse_date(value)


def parse_int(value: object, low: int, high: int, what: str) -> Parsed:
    """A whole number within [low, high].

    >>> parse_int("110", 1, 999, "código"), parse_int(2.0, 1, 99, "grado")
    ((110, None), (2, None))
    >>> parse_int("1b", 1, 99, "el grado")
    (None, 'valor no válido para el grado (se espera un número entero)')
    >>> parse_int("9" * 5000, 1990, 2100, "el año")
    (None, 'valor fuera de rango para el año (1990 a 2100)')
    """
    text = cell_text(value)
    if not text:
        return None, f"falta {what}"
    if not re.fullmatch(r"\d+", text):
        return None, f"valor no válido para {what} (se espera un número entero)"
    # int() refuses over 4,300 digits; that many digits are out of any range here
    number = int(text) if len(text.lstrip("0")) <= len(str(high)) else high + 1
    if not low <= number <= high:
        return None, f"valor fuera de rango para {what} ({low} a {high})"
    return number, None


def parse_rbd(value: object) -> Parsed:
    """An RBD, with or without its check digit (``24875-3`` -> 24875).

    >>> parse_rbd("24875-3"), parse_rbd(24875), parse_rbd("x")
    ((24875, None), (24875, None), (None, 'RBD no válido'))
    """
    text = cell_text(value).replace(".", "").replace(" ", "")
    match = re.fullmatch(r"(\d{1,6})(-[\dkK])?", text)
    if not match:
        return None, "RBD no válido" if text else "falta el RBD"
    return int(match.group(1)), None


_PRESENT = {"p", "presente", "•", "●", "1", "si", "s", "true", "verdadero"}
_ABSENT = {"a", "ausente", "x", "0", "no", "n", "false", "falso"}


def parse_mark(value: object) -> Parsed:
    """Present (True) or absent (False). Blank is "no record" (None, no error).

    >>> [parse_mark(v)[0] for v in ("P", "•", "x", 1, 0.0, "Ausente", "presente", None)]
    [True, True, False, True, False, False, True, None]
    >>> parse_mark("J")
    (None, 'marca de asistencia desconocida (use P/A, •/X, 1/0 o Presente/Ausente)')
    """
    text = fold(cell_text(value))
    if not text:
        return None, None
    if text in _PRESENT:
        return True, None
    if text in _ABSENT:
        return False, None
    return None, "marca de asistencia desconocida (use P/A, •/X, 1/0 o Presente/Ausente)"


def parse_hour(value: object) -> Parsed:
    """A class hour: 1, "2", "2°", "2da". Blank means "no hour given" (0).

    >>> parse_hour("2°"), parse_hour(None), parse_hour("1ra"), parse_hour("tarde")
    ((2, None), (0, None), (1, None), (None, 'hora de clase no válida (se espera 1, 2, 3…)'))
    """
    text = fold(cell_text(value))
    if not text:
        return 0, None
    match = re.fullmatch(r"(\d{1,2})\s*(°|º|ª|a|ra|da|ta|er|ro|do|to|va|na|mo)?(\s*hora)?", text)
    if not match or not 1 <= int(match.group(1)) <= 20:
        return None, "hora de clase no válida (se espera 1, 2, 3…)"
    return int(match.group(1)), None


def parse_month(value: object) -> tuple[tuple[int, int] | None, str | None]:
    """A month as written in a sheet's header block: ``2026-11``, ``11-2026``,
    ``Noviembre 2026``, ``noviembre de 2026`` or a date cell.

    >>> parse_month("2026-11"), parse_month("Noviembre de 2026"), parse_month("11/2026")
    (((2026, 11), None), ((2026, 11), None), ((2026, 11), None))
    """
    if isinstance(value, (datetime, date)):
        return (value.year, value.month), None
    text = fold(cell_text(value))
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})", text)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    else:
        match = re.fullmatch(r"(\d{1,2})[-/.](\d{4})", text)
        if match:
            month, year = int(match.group(1)), int(match.group(2))
        else:
            match = re.fullmatch(r"([a-z]+)(\s+de)?\s+(\d{4})", text)
            if not match or match.group(1) not in MONTHS_ES:
                return None, "mes no válido (use aaaa-mm, p. ej. 2026-11)"
            month, year = MONTHS_ES[match.group(1)], int(match.group(3))
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None, "mes no válido (use aaaa-mm, p. ej. 2026-11)"
    return (year, month), None


def guarded(parser: Callable[[object], Parsed]) -> Callable[[object], Parsed]:
    """The parser, but a formula cell is an error: formulas are never evaluated and
    their cached results are not trusted as data.

    >>> guarded(parse_date)("=TODAY()")
    (None, 'la celda contiene una fórmula: pegue solo valores')
    """
    def parse(value: object) -> Parsed:
        if is_formula(value):
            return None, "la celda contiene una fórmula: pegue solo valores"
        return parser(value)
    return parse


def parse_unique(column: pd.Series | np.ndarray, parser: Callable[[object], Parsed]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply ``parser`` once per distinct value: (codes, values, reasons), where
    ``values[codes]`` and ``reasons[codes]`` line up with ``column``. A missing cell
    has code -1, which picks the last slot (the parse of None).

    >>> codes, values, reasons = parse_unique(pd.Series(["2", None, "2", "x"]), parse_hour)
    >>> values[codes].tolist(), [r is None for r in reasons[codes]]
    ([2, 0, 2, None], [True, True, True, False])
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = np.empty(len(uniques) + 1, dtype=object)
    reasons = np.empty(len(uniques) + 1, dtype=object)
    for i, unique in enumerate(uniques):
        values[i], reasons[i] = parser(unique)
    values[-1], reasons[-1] = parser(None)
    return codes, values, reasons


def map_unique(column: pd.Series, parser: Callable[[object], Parsed]) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``parser`` once per distinct value; return (values, reasons) arrays
    aligned with ``column`` (reasons hold None where the cell was fine)."""
    codes, values, reasons = parse_unique(column, parser)
    return values[codes], reasons[codes]


def group_codes(*columns: np.ndarray) -> np.ndarray:
    """One integer per distinct combination of integer code columns (-1 allowed), in
    order of first appearance; never overflows, whatever the number of codes.

    >>> group_codes(np.array([0, 1, 0, 0]), np.array([5, 5, 5, -1])).tolist()
    [0, 1, 0, 2]
    """
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for codes in columns:
        codes = np.asarray(codes, dtype=np.int64)
        if not len(codes):
            return key
        span = int(codes.max()) + 2  # -1 becomes 0
        key, _ = pd.factorize(key * span + (codes + 1))  # compress: key < rows after each step
        key = key.astype(np.int64, copy=False)
    return key
