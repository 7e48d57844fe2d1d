"""Lists to download as the people who fix the sources open them: CSV with ``;`` in UTF-8
with a BOM (what Excel in Chile opens without asking) and XLSX with every cell text.
The cells come already neutralised against formulas (``corrections.neutralise``)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheet_name: str, headers: Sequence[str], rows: Iterable[Sequence[str]],
               widths: Sequence[int]) -> bytes:
    """One sheet, bold frozen headers, each cell written as text (never a formula or URL)."""
    import xlsxwriter  # only the downloads need it

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet(sheet_name)
    bold = book.add_format({"bold": True})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, bold)
    for line, cells in enumerate(rows, start=1):
        for col, value in enumerate(cells):
            sheet.write_string(line, col, value)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
