"""Lists to download as the people who fix the sources open them: CSV with ``;`` in UTF-8
with a BOM (what Excel in Chile opens without asking) and XLSX with every cell text.
The cells come already neutralised against formulas (``corrections.neutralise``)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheet_name: str, headers: Sequence[str], rows: Iterable[Sequence[str]],
               widths: Sequence[int]) -> bytes:
    """One sheet, bold frozen headers, each cell written as text (never a formula or URL)."""
    return xlsx_book([Sheet(sheet_name, headers, rows, widths)])


@dataclass
class Sheet:
    """One sheet of a workbook: its name (at most 31 characters), headers, rows and
    column widths. A cell is text, or a number (an ``int`` or ``float``: written as a
    number, which no formula can hide in)."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[str | int | float]]
    widths: Sequence[int]


def xlsx_book(sheets: Sequence[Sheet]) -> bytes:
    """Several sheets in one workbook, each as ``xlsx_bytes`` writes its one."""
    import xlsxwriter  # only the downloads need it

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    for one in sheets:
        sheet = book.add_worksheet(one.name)
        for col, header in enumerate(one.headers):
            sheet.write_string(0, col, header, bold)
        for line, cells in enumerate(one.rows, start=1):
            for col, value in enumerate(cells):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(line, col, value)
                else:
                    sheet.write_string(line, col, value)
        for col, width in enumerate(one.widths):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
