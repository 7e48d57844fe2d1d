"""Refuses an .xlsx whose zip archive is a bomb or too big, from its directory alone.

An .xlsx is a zip of XML parts. Before openpyxl inflates anything, the archive's
central directory is read (a few bytes per entry) and the file is refused when it
holds too many entries, when its entries together declare more inflated bytes
than the limit, or when a large entry compresses far beyond what a spreadsheet
does (a zip bomb). Python's ``zipfile`` never returns more bytes than an entry
declares (and fails on a CRC mismatch), so declared sizes bound what openpyxl
can inflate afterwards.
"""
from __future__ import annotations

import io
import zipfile

from reconcile.loaders.errors import file_error

MAX_ENTRIES = 1_000  # a workbook has a few dozen parts; a few per sheet
MAX_INFLATED_BYTES = 300 * 1024 * 1024  # every part together, once inflated
MAX_RATIO = 100  # inflated / compressed, for entries over RATIO_FROM_BYTES
RATIO_FROM_BYTES = 1024 * 1024

_MB = 1024 * 1024
_DIRECTORY_ENTRY = b"PK\x01\x02"


def archive_problem(data: bytes, name: str):
    """The file-level ``RowError`` refusing ``data`` (an .xlsx's bytes), or None when
    its zip directory is within the limits. A zip that cannot be opened is left to
    the reader, which says the file is damaged."""
    # Every entry of the directory starts with this signature: its count bounds the
    # entries zipfile would parse (and hold in memory) before anything else is known.
    if data.count(_DIRECTORY_ENTRY) > MAX_ENTRIES:
        return file_error(name, f"la planilla .xlsx está dañada o no es una planilla: su "
                                f"archivo comprimido tiene más de {MAX_ENTRIES:,} partes"
                                .replace(",", "."))
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception:  # noqa: BLE001 - a damaged zip: the reader says so, naming the file
        return None
    inflated = sum(entry.file_size for entry in entries)
    if inflated > MAX_INFLATED_BYTES:
        return file_error(name, _too_big(f"más de {MAX_INFLATED_BYTES // _MB} MB: declara "
                                         f"{inflated / _MB:,.0f} MB".replace(",", ".")))
    for entry in entries:
        if entry.file_size > RATIO_FROM_BYTES and \
                entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            return file_error(name, _too_big(
                f"su parte «{entry.filename[:80]}» crece más de {MAX_RATIO} veces al "
                "descomprimirla, como un archivo malicioso"))
    return None


def _too_big(detail: str) -> str:
    return (f"la planilla .xlsx está dañada o es demasiado grande al descomprimirla "
            f"({detail}); no se abrió")
