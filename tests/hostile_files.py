"""Hostile files for the importers: good seed files mutated, and zip, entity and depth bombs.

A case is ``(importer, filename, bytes)``. Seeds are the sample files (tests/data/samples)
and the nómina as .csv and .xml (tests/data/fuzz), all of which import cleanly into a
database that holds the samples. Hypothesis draws which seed, which mutations and how
the table is written back (.csv in several encodings, with or without a BOM, or .xlsx),
then optionally damages the bytes. Bombs are built without inflating them here: zip
entries are written as repeated raw-deflate blocks (each block flushed in full, so
copies of one block concatenate into a valid stream).
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import openpyxl
from hypothesis import strategies as st

DATA = Path(__file__).parent / "data"
SAMPLES, FUZZ = DATA / "samples", DATA / "fuzz"
NOMINA, LIBRO = "nomina", "libro"
MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    importer: str  # NOMINA or LIBRO
    filename: str
    data: bytes
    what: str  # how it was made, for the failure message

    def __repr__(self) -> str:
        return f"Case({self.importer}, {self.filename}, {len(self.data)} bytes: {self.what})"

    def _repr_pretty_(self, printer, cycle) -> None:  # noqa: ANN001 - what hypothesis prints
        printer.text(repr(self))


@dataclass(frozen=True)
class Seed:
    importer: str
    stem: str
    sheets: tuple[tuple[str, tuple[tuple, ...]], ...]  # (title, rows); the data sheet last


def _xlsx_rows(path: Path) -> tuple[tuple[str, tuple[tuple, ...]], ...]:
    book = openpyxl.load_workbook(path)
    return tuple((sheet.title, tuple(tuple(row) for row in sheet.iter_rows(values_only=True)))
                 for sheet in book.worksheets)


def _csv_rows(path: Path, encoding: str) -> tuple[tuple[str, tuple[tuple, ...]], ...]:
    text = path.read_text(encoding=encoding)
    return (("Hoja1", tuple(tuple(row) for row in csv.reader(io.StringIO(text),
                                                               delimiter=";"))),)


@lru_cache(maxsize=1)
def seeds() -> tuple[Seed, ...]:
    return (
        Seed(NOMINA, "nomina", _xlsx_rows(SAMPLES / "nomina_sige.xlsx")),
        Seed(LIBRO, "libro_larga", _csv_rows(SAMPLES / "libro_asistencia_larga.csv", "latin-1")),
        Seed(LIBRO, "libro_mensual", _xlsx_rows(SAMPLES / "libro_control_subvenciones.xlsx")),
    )


SEED_FILES = {  # the good files themselves, for byte-level damage
    "nomina_sige.xlsx": NOMINA, "libro_asistencia_larga.csv": LIBRO,
    "libro_control_subvenciones.xlsx": LIBRO, "nomina.csv": NOMINA, "nomina.xml": NOMINA,
}


def seed_bytes(name: str) -> bytes:
    folder = FUZZ if name in ("nomina.csv", "nomina.xml") else SAMPLES
    return (folder / name).read_bytes()


# ---- table mutations ---------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x.invalid\",\"ver\")", "=1+1",
            "=TODAY()", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "=" + "A" * 300]
_PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc"))  # what openpyxl can write
CELLS = st.one_of(
    st.none(), st.text(_PRINTABLE, max_size=30), st.integers(-2**63, 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.sampled_from(FORMULAS),
    st.sampled_from(["24875", "24875-3", "2026", "110", "A", "P", "A ", "•", "X", "1", "0",
                     "23.456.789-6", "23456789-6", "31-02-2026", "02-11-2026", "46082",
                     "2026-11", "Noviembre", "1° Básico A", "Total", "NaN", "", " "]),
    st.dates().map(lambda d: d.isoformat()))


@st.composite
def mutated_table(draw, rows: tuple[tuple, ...]) -> tuple[list[list], list[str]]:
    """The rows with a few structural mutations; returns them and what was done."""
    table = [list(row) for row in rows]
    done = []
    for _ in range(draw(st.integers(0, 4))):
        width = max((len(r) for r in table), default=0)
        kind = draw(st.sampled_from(["drop_column", "duplicate_column", "extra_column",
                                     "swap_columns", "huge_cell", "formula", "cell", "drop_rows",
                                     "duplicate_row", "empty", "blank_header"]))
        if kind == "empty":
            table = []
        elif not table or not width:
            continue
        elif kind == "drop_column":
            i = draw(st.integers(0, width - 1))
            table = [r[:i] + r[i + 1:] for r in table]
        elif kind == "duplicate_column":
            i, j = draw(st.integers(0, width - 1)), draw(st.integers(0, width))
            table = [r[:j] + [r[i] if i < len(r) else None] + r[j:] for r in table]
        elif kind == "extra_column":
            header = draw(st.one_of(st.text(_PRINTABLE, max_size=20),
                                    st.sampled_from(["RUT", "Run", "Fecha", "Curso", "RBD",
                                                     "Asistencia", "Letra", "Año"])))
            fill = draw(CELLS)
            at = draw(st.integers(0, width))
            table = [r[:at] + [header if n == 0 else fill] + r[at:] for n, r in enumerate(table)]
        elif kind == "swap_columns":
            i, j = draw(st.integers(0, width - 1)), draw(st.integers(0, width - 1))
            for r in table:
                r.extend([None] * (width - len(r)))
                r[i], r[j] = r[j], r[i]
        elif kind in ("huge_cell", "formula", "cell"):
            row = draw(st.integers(0, len(table) - 1))
            col = draw(st.integers(0, width - 1))
            table[row].extend([None] * (width - len(table[row])))
            if kind == "huge_cell":
                size = draw(st.sampled_from([1_000, 32_767, 200_000, 1_000_000]))
                table[row][col] = draw(st.sampled_from("x•Ñ9")) * size
            elif kind == "formula":
                table[row][col] = draw(st.sampled_from(FORMULAS))
            else:
                table[row][col] = draw(CELLS)
        elif kind == "drop_rows":
            start = draw(st.integers(0, len(table) - 1))
            table = table[:start] + table[start + draw(st.integers(1, 5)):]
        elif kind == "duplicate_row":
            row = draw(st.integers(0, len(table) - 1))
            table.insert(draw(st.integers(0, len(table))), list(table[row]))
        elif kind == "blank_header":
            table = [[None] * width] * draw(st.integers(1, 50)) + table
        done.append(kind)
    return table, done


# ---- writing a table ---------------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le", "utf-16-be"]


def csv_bytes(table: list[list], delimiter: str, encoding: str, newline: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    for row in table:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(sheets: list[tuple[str, list[list]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for n, (title, table) in enumerate(sheets):
        sheet = book.create_sheet(title=title or f"Hoja{n + 1}")
        for row in table:
            sheet.append([_writable(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return _without_clock(out.getvalue())


def zip_parts(parts: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``(name, content)`` parts, the same bytes every time (hypothesis
    replays a case by drawing again from them: no clock in them)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as book:
        for name, content in parts:
            book.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 1, 0, 0, 0)), content,
                          compress_type=method)
    return out.getvalue()


def _without_clock(data: bytes) -> bytes:
    """An .xlsx openpyxl wrote, its creation and save times fixed."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        parts = [(info.filename, book.read(info)) for info in book.infolist()]
    return zip_parts([(name, re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-11-01T00:00:00Z",
                                    content) if name == "docProps/core.xml" else content)
                      for name, content in parts])


def _writable(value: object) -> object:
    if isinstance(value, str) and len(value) > 32_767:
        return value[:32_767]  # Excel's own limit for a cell; openpyxl refuses more
    return value


@st.composite
def table_cases(draw) -> Case:
    """A seed's data sheet, mutated, written as .csv or .xlsx."""
    seed = draw(st.sampled_from(seeds()))
    title, rows = seed.sheets[-1]
    table, done = draw(mutated_table(rows))
    form = draw(st.sampled_from(["csv", "xlsx"]))
    if form == "csv":
        encoding = draw(st.sampled_from(ENCODINGS))
        delimiter = draw(st.sampled_from([";", ",", "\t", "|"]))
        data = csv_bytes(table, delimiter, encoding, draw(st.sampled_from(["\r\n", "\n", "\r"])))
        done.append(f"csv {encoding} {delimiter!r}")
    else:
        sheets = [(t, [list(r) for r in rs]) for t, rs in seed.sheets[:-1]] + [(title, table)]
        for _ in range(draw(st.integers(0, 2))):  # empty sheets before or after
            sheets.insert(draw(st.integers(0, len(sheets))), (f"Vacía{len(sheets)}", []))
        data = xlsx_bytes(sheets)
        done.append(f"xlsx {len(sheets)} hojas")
    data, damage = draw(damaged(data))
    return Case(seed.importer, f"{seed.stem}.{form}", data, " ".join(done + damage))


# ---- damage to bytes ---------------------------------------------------------------

BOMS = [codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE]


@st.composite
def damaged(draw, data: bytes, rounds: int = 2, least: int = 0) -> tuple[bytes, list[str]]:
    """``least`` to ``rounds`` byte-level damages (by default often none)."""
    done = []
    for _ in range(draw(st.integers(least, rounds))):
        kind = draw(st.sampled_from(["truncate", "overwrite", "insert", "cut", "bom",
                                     "zip_part"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "truncate":
            data = data[:at]
        elif kind == "overwrite":
            noise = draw(st.binary(min_size=1, max_size=16))
            data = data[:at] + noise + data[at + len(noise):]
        elif kind == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
        elif kind == "cut":
            data = data[:at] + data[at + draw(st.integers(1, 512)):]
        elif kind == "bom":
            data = draw(st.sampled_from(BOMS)) + data
        elif kind == "zip_part":
            data = draw(damaged_part(data))
        done.append(kind)
    return data, done


@st.composite
def damaged_part(draw, data: bytes) -> bytes:
    """An .xlsx rewritten with one part damaged (or dropped), its CRC correct: the
    damage reaches openpyxl's XML parsing instead of stopping at the zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            parts = [(info.filename, source.read(info)) for info in source.infolist()]
    except Exception:  # noqa: BLE001 - not a readable zip: leave the bytes as they are
        return data
    if not parts:
        return data
    index = draw(st.integers(0, len(parts) - 1))
    name, content = parts[index]
    kind = draw(st.sampled_from(["drop", "truncate", "overwrite", "empty", "entity"]))
    if kind == "drop":
        del parts[index]
    elif kind == "truncate":
        parts[index] = (name, content[:draw(st.integers(0, max(len(content) - 1, 0)))])
    elif kind == "overwrite" and content:
        at = draw(st.integers(0, len(content) - 1))
        noise = draw(st.binary(min_size=1, max_size=8))
        parts[index] = (name, content[:at] + noise + content[at + len(noise):])
    elif kind == "empty":
        parts[index] = (name, b"")
    elif kind == "entity":  # a billion-laughs prologue inside the workbook
        parts[index] = (name, LAUGHS_PROLOGUE + content.split(b"?>", 1)[-1])
    return zip_parts(parts)


def damaged_part_fixed(data: bytes, part: str, change) -> bytes:  # noqa: ANN001
    """The .xlsx with ``change(content)`` applied to one part (CRCs recomputed)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return zip_parts([(info.filename, change(source.read(info)) if info.filename == part
                           else source.read(info)) for info in source.infolist()])


@st.composite
def raw_cases(draw) -> Case:
    """A good file's own bytes, damaged (always at least once)."""
    name = draw(st.sampled_from(sorted(SEED_FILES)))
    data, done = draw(damaged(seed_bytes(name), rounds=3, least=1))
    return Case(SEED_FILES[name], name, data, " ".join(done))


# ---- XML ---------------------------------------------------------------------------

LAUGHS_PROLOGUE = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                   + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1
                                                             else b"&lol;") * 10)
                              for i in range(1, 10))
                   + b"]>\n")


def billion_laughs() -> bytes:
    return LAUGHS_PROLOGUE + b'<nomina rbd="24875" ano="2026"><alumno run="&lol9;"/></nomina>'


def external_entity(target: str) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE nomina [<!ENTITY x SYSTEM "{target}">]>\n'
            f'<nomina rbd="24875" ano="2026"><alumno run="1" nombres="&x;"/></nomina>').encode()


def parameter_entity(target: str) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE nomina [<!ENTITY % p SYSTEM "{target}"> %p;]>\n'
            '<nomina rbd="24875" ano="2026"/>').encode()


def deep_nesting(depth: int, tag: str = "alumno") -> bytes:
    """``depth`` nested elements (each ``alumno``: every one a student of all above)."""
    return (b'<nomina rbd="24875" ano="2026">' + (b'<%s run="1">' % tag.encode()) * depth
            + (b"</%s>" % tag.encode()) * depth + b"</nomina>")


@st.composite
def xml_cases(draw) -> Case:
    text = seed_bytes("nomina.xml").decode("utf-8")
    kind = draw(st.sampled_from(["laughs", "external", "parameter", "deep", "drop_attribute",
                                 "duplicate_attribute", "huge_attribute", "encoding",
                                 "formula", "many_attributes", "comment_cdata", "dtd_plain"]))
    if kind == "laughs":
        data = billion_laughs()
    elif kind == "external":
        data = external_entity(draw(st.sampled_from(
            ["file:///etc/passwd", "http://127.0.0.1:9/x", "nomina.csv", "file:///dev/zero"])))
    elif kind == "parameter":
        data = parameter_entity(draw(st.sampled_from(["http://127.0.0.1:9/x.dtd",
                                                      "file:///etc/passwd"])))
    elif kind == "deep":
        depth = draw(st.sampled_from([99, 100, 101, 1_000, 100_000]))
        data = deep_nesting(depth, draw(st.sampled_from(["alumno", "curso", "x"])))
    elif kind == "dtd_plain":
        data = ('<?xml version="1.0"?>\n<!DOCTYPE nomina SYSTEM "nomina.dtd">\n'
                + text.split("?>", 1)[1]).encode()
    else:
        attributes = ["run", "digito_ve", "nombres", "fecha_retiro", "grado", "letra", "codigo",
                      "rbd", "ano", "fecha_incorporacion_curso"]
        attribute = draw(st.sampled_from(attributes))
        if kind == "drop_attribute":
            text = _drop_first_attribute(text, attribute)
        elif kind == "duplicate_attribute":
            text = text.replace(f' {attribute}="', f' {attribute}="1" {attribute}="', 1)
        elif kind == "huge_attribute":
            size = draw(st.sampled_from([1_000, 200_000, 5_000_000]))
            text = text.replace(f' {attribute}="', f' {attribute}="{"9" * size}', 1)
        elif kind == "formula":
            text = text.replace(f' {attribute}="', f' {attribute}="=cmd|\' /C calc\'!A0', 1)
        elif kind == "many_attributes":
            extra = " ".join(f'a{i}="{i}"' for i in range(draw(st.sampled_from([10, 10_000]))))
            text = text.replace("<alumno ", f"<alumno {extra} ", 1)
        elif kind == "comment_cdata":
            text = text.replace("<curso ", "<!-- x --><![CDATA[<alumno run='1'/>]]><?pi x?><curso ",
                                1)
        data = text.encode("utf-8")
        if kind == "encoding":
            encoding = draw(st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-16-le"]))
            declared = draw(st.sampled_from(["UTF-8", "ISO-8859-1", "UTF-16", "ascii", "x-nada"]))
            data = text.replace('encoding="UTF-8"', f'encoding="{declared}"').encode(
                encoding, errors="replace")
    data, done = draw(damaged(data, rounds=1))
    return Case(NOMINA, "nomina.xml", data, " ".join([kind, *done]))


def _drop_first_attribute(text: str, attribute: str) -> str:
    start = text.find(f" {attribute}=\"")
    if start < 0:
        return text
    end = text.index('"', text.index('"', start) + 1)
    return text[:start] + text[end + 1:]


# ---- zip bombs and oversized archives ------------------------------------------------

def _deflate_block(chunk: bytes) -> bytes:
    """``chunk`` as raw deflate, flushed in full: copies of it concatenate."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)


_FINAL_BLOCK = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)


@lru_cache(maxsize=8)
def repeated_part(prefix: bytes, chunk: bytes, copies: int, suffix: bytes,
                  with_crc: bool = True) -> tuple[bytes, int, int]:
    """``prefix + chunk * copies + suffix`` as raw deflate, (compressed, crc, size),
    built without holding the inflated part."""
    body = _deflate_block(chunk)
    compressed = (_deflate_block(prefix) + body * copies + _deflate_block(suffix)
                  + _FINAL_BLOCK)
    crc = zlib.crc32(prefix)
    if with_crc:
        for _ in range(copies):
            crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(suffix, crc)
    return compressed, crc & 0xFFFFFFFF, len(prefix) + len(chunk) * copies + len(suffix)


def raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already-deflated entries ``(name, compressed, crc, declared size)``:
    the declared size is written as given (it may lie)."""
    out, directory = io.BytesIO(), []
    for name, compressed, crc, size in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc,
                              len(compressed), size, len(encoded), 0) + encoded)
        out.write(compressed)
        directory.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc,
                                     len(compressed), size, len(encoded), 0, 0, 0, 0, 0, offset)
                         + encoded)
    start = out.tell()
    for entry in directory:
        out.write(entry)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(directory), len(directory),
                          out.tell() - start, start, 0))
    return out.getvalue()


def _content_types() -> bytes:
    with zipfile.ZipFile(seed_bytes_io("nomina_sige.xlsx")) as book:
        return book.read("[Content_Types].xml")


def _deflated(name: str, content: bytes) -> tuple[str, bytes, int, int]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (name, compressor.compress(content) + compressor.flush(),
            zlib.crc32(content) & 0xFFFFFFFF, len(content))


def _good_parts(name: str = "nomina_sige.xlsx") -> list[tuple[str, bytes, int, int]]:
    with zipfile.ZipFile(io.BytesIO(seed_bytes(name))) as book:
        return [_deflated(info.filename, book.read(info)) for info in book.infolist()]


def xlsx_with_part(part: str, prefix: bytes, chunk: bytes, copies: int, suffix: bytes,
                   declared: int | None = None) -> bytes:
    """The sample nómina with ``part`` replaced by a repeated (bomb) part; ``declared``
    overrides the size its directory states."""
    compressed, crc, size = repeated_part(prefix, chunk, copies, suffix,
                                          with_crc=declared is None)
    entries = [e for e in _good_parts() if e[0] != part]
    if part == "xl/sharedStrings.xml":  # openpyxl finds it through the content types
        types = next(e for e in entries if e[0] == "[Content_Types].xml")
        entries = [_deflated(types[0], _content_types().replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))
            if e is types else e for e in entries]
    entries.append((part, compressed, crc, size if declared is None else declared))
    return raw_zip(entries)


SHEET_START = (b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.'
               b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_END = b"</sheetData></worksheet>"


def sheet_bomb(inflated_mb: int, declared: int | None = None) -> bytes:
    """A sheet that inflates to ``inflated_mb`` MB of blanks (valid XML)."""
    return xlsx_with_part("xl/worksheets/sheet2.xml", SHEET_START, b" " * MB, inflated_mb,
                          SHEET_END, declared)


def shared_strings_bomb(inflated_mb: int) -> bytes:
    """Shared strings that inflate to ``inflated_mb`` MB: one string repeated."""
    return _shared_strings((b"<si><t>" + b"x" * 1009 + b"</t></si>") * (MB // 1024),
                           inflated_mb)


def many_shared_strings(count: int) -> bytes:
    """``count`` distinct shared strings (about as compressible as real text): within
    the limits, so openpyxl reads them all."""
    return _shared_strings(b"".join(b"<si><t>%07d</t></si>" % i for i in range(count)), 1)


def _shared_strings(chunk: bytes, copies: int) -> bytes:
    return xlsx_with_part("xl/sharedStrings.xml",
                          b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                          b'spreadsheetml/2006/main">', chunk, copies, b"</sst>")


def many_entries(count: int) -> bytes:
    with zipfile.ZipFile(seed_bytes_io("nomina_sige.xlsx")) as good:
        parts = [(info.filename, good.read(info)) for info in good.infolist()]
    return zip_parts(parts + [(f"xl/media/relleno{i}.bin", b"") for i in range(count)],
                     zipfile.ZIP_STORED)


def seed_bytes_io(name: str) -> io.BytesIO:
    return io.BytesIO(seed_bytes(name))


def wide_sheet(rows: int, declared: str | None = "A1:XFD{rows}", at_last_column: bool = False,
               ) -> bytes:
    """The nómina's data sheet with a declared (or real) width of 16,384 columns."""
    with zipfile.ZipFile(seed_bytes_io("nomina_sige.xlsx")) as good:
        parts = {info.filename: good.read(info) for info in good.infolist()}
    sheet = parts["xl/worksheets/sheet2.xml"]
    if declared:
        sheet = sheet.replace(b'<dimension ref="A1:W9" />', b'<dimension ref="%s"/>'
                              % declared.format(rows=rows).encode())
    extra = b"".join(b'<row r="%d"><c r="%sA%d" t="inlineStr"><is><t>x</t></is></c></row>'
                     % (n, b"XFD" if at_last_column else b"", n)
                     for n in range(10, 10 + rows))
    extra = extra.replace(b'r="XFDA', b'r="XFD')
    parts["xl/worksheets/sheet2.xml"] = sheet.replace(b"</sheetData>", extra + b"</sheetData>")
    return zip_parts(list(parts.items()))


@st.composite
def bomb_cases(draw) -> Case:
    kind = draw(st.sampled_from(["sheet", "sheet_lying", "shared_strings", "entries", "wide",
                                 "oversized"]))
    if kind == "sheet":
        data = sheet_bomb(draw(st.sampled_from([2, 64, 400])))
    elif kind == "sheet_lying":  # a small part whose directory claims gigabytes
        data = sheet_bomb(1, declared=draw(st.sampled_from([301 * MB, 2**31, 2**32 - 1])))
    elif kind == "shared_strings":
        data = shared_strings_bomb(draw(st.sampled_from([2, 350]))) if draw(st.booleans()) \
            else many_shared_strings(draw(st.sampled_from([10, 5_000])))
    elif kind == "entries":
        data = many_entries(draw(st.sampled_from([10, 1_200])))
    elif kind == "wide":
        data = wide_sheet(draw(st.sampled_from([1, 20, 200])),
                          at_last_column=draw(st.booleans()))
    else:
        data = seed_bytes("nomina_sige.xlsx") + b"\0" * (50 * MB)
    importer = draw(st.sampled_from([NOMINA, LIBRO]))
    return Case(importer, "bomba.xlsx", data, kind)


def cases() -> st.SearchStrategy[Case]:
    return st.one_of(table_cases(), raw_cases(), xml_cases(), bomb_cases())
