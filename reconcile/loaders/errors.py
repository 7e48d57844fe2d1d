"""Row-level problems found while reading a user's file, and the size limits.

Every loader collects all problems in one pass and returns them; nothing is
raised for bad content, so the page and the CLI can show the whole list.
"""
from __future__ import annotations

from dataclasses import dataclass

# Refuse anything bigger before parsing it (DESIGN: limits protect the shared server).
MAX_FILE_BYTES = 50 * 1024 * 1024
# Spreadsheets (.xlsx) with more data rows than this are refused.
MAX_SHEET_ROWS = 1_000_000
# ... and so are sheets with a value beyond this column, or with more cells than this
# in all (a row ends at its last value).
MAX_SHEET_COLUMNS = 1_024
MAX_SHEET_CELLS = 30_000_000

_MAX_SHOWN_VALUE = 60


@dataclass(frozen=True)
class RowError:
    """One problem, located as the user sees it: file, (sheet,) row, column, value.

    >>> str(RowError("nomina.xlsx", 7, "Fecha Retiro", "31-02-2026", "fecha no válida"))
    'nomina.xlsx, fila 7, columna «Fecha Retiro», valor «31-02-2026»: fecha no válida.'
    >>> str(RowError("libro.csv", None, "RUT", None, "falta la columna"))
    'libro.csv, columna «RUT»: falta la columna.'
    """

    file: str
    row: int | None
    column: str | None
    value: object
    reason: str
    sheet: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"hoja «{self.sheet}»")
        if self.row is not None:
            parts.append(f"fila {self.row}")
        if self.column:
            parts.append(f"columna «{self.column}»")
        shown = show_value(self.value)
        if shown is not None:
            parts.append(f"valor «{shown}»")
        reason = self.reason if self.reason.endswith(".") else self.reason + "."
        return f"{', '.join(parts)}: {reason}"


def show_value(value: object) -> str | None:
    """The value as it appears in a message (None when there is nothing to show)."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value.is_integer():
            value = int(value)
    text = str(value).strip()
    if not text:
        return None
    if len(text) > _MAX_SHOWN_VALUE:
        text = text[: _MAX_SHOWN_VALUE - 1] + "…"
    return text


def file_error(file: str, reason: str, column: str | None = None,
               value: object = None) -> RowError:
    return RowError(file, None, column, value, reason)


def sort_errors(errors: list[RowError]) -> list[RowError]:
    """File-level first, then by sheet and row, keeping the order found within a row."""
    return sorted(errors, key=lambda e: (e.row is not None, e.sheet or "", e.row or 0))
