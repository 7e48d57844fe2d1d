"""The backup archive: a zip of one JSON-lines member per table, a manifest and checksums.

Layout (backend independent: the same archive loads into SQLite or PostgreSQL)::

    manifest.json            format, schema version, created at, product, secrets
                             included, and per table (in foreign-key order) its
                             columns, their types, its row count and its sha256
    manifest.sha256          the sha256 of manifest.json
    tablas/<table>.jsonl     one JSON array per row, values in the manifest's column
                             order: dates "AAAA-MM-DD", instants ISO 8601 in UTC with
                             their offset, JSON columns as JSON, binary as base64

The writer streams rows into the zip (bounded memory) and writes a temporary file
(mode 0600) that replaces ``path`` only when complete. The reader verifies every
checksum and count before anything is loaded.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, LargeBinary, TypeDecorator

from reconcile.errors import UserError

FORMAT = "asistencia-sige-respaldo"
FORMAT_VERSION = 1
PRODUCT = "Asistencia SIGE: conciliación y sincronización"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
FILE_MODE = 0o600
_BATCH = 2000  # rows per write into the zip member


def member(table: str) -> str:
    return f"tablas/{table}.jsonl"


def type_name(column: Column) -> str:
    """The column's kind as the manifest says it (how its values are written)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, LargeBinary):
        return "binary"
    return kind.__class__.__name__.lower()


# --- values ---------------------------------------------------------------------------


def _instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("instante sin zona horaria")
    return value.astimezone(UTC).isoformat()


_ENCODERS: dict[str, Callable[[Any], Any]] = {
    "date": date.isoformat,
    "datetime": _instant,
    "binary": lambda value: base64.b64encode(value).decode("ascii"),
}
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "date": date.fromisoformat,
    "datetime": datetime.fromisoformat,
    "binary": base64.b64decode,
}


def row_encoder(kinds: list[str]) -> Callable[[Iterable[Any]], list[Any]]:
    """A row of Python values -> a JSON-ready list (None stays None)."""
    encoders = [_ENCODERS.get(kind) for kind in kinds]

    def encode(row: Iterable[Any]) -> list[Any]:
        return [value if fn is None or value is None else fn(value)
                for fn, value in zip(encoders, row, strict=True)]
    return encode


def row_decoder(kinds: list[str], json_as_text: bool = False) -> Callable[[list[Any]], list[Any]]:
    """A JSON row -> Python values (dates, aware UTC instants, bytes); with
    ``json_as_text`` a JSON column's value stays JSON text (for a COPY)."""
    decoders = [_DECODERS.get(kind) for kind in kinds]
    if json_as_text:
        decoders = [_json_text if kind == "json" else fn for kind, fn in zip(kinds, decoders)]

    def decode(row: list[Any]) -> list[Any]:
        return [value if fn is None or value is None else fn(value)
                for fn, value in zip(decoders, row, strict=True)]
    return decode


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- writing --------------------------------------------------------------------------


@dataclass
class TableEntry:
    name: str
    columns: list[str]
    types: list[str]
    rows: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "columns": self.columns, "types": self.types,
                "rows": self.rows, "sha256": self.sha256}


class ArchiveWriter:
    """Write an archive at ``path`` atomically: a temporary file beside it, mode 0600,
    renamed over ``path`` by ``finish``; on any failure the temporary file goes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tables: list[TableEntry] = []
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise UserError(f"No se puede escribir el respaldo {path}: la carpeta {folder} "
                            "no existe.")
        if path.is_dir():
            raise UserError(f"No se puede escribir el respaldo {path}: es una carpeta.")
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        self._temp = Path(temp)  # mkstemp makes it 0600: readable by its owner only
        self._file = os.fdopen(fd, "wb")
        self._zip = zipfile.ZipFile(self._file, "w", zipfile.ZIP_DEFLATED, compresslevel=6)

    def table(self, name: str, columns: list[str], types: list[str],
              rows: Iterable[Iterable[Any]]) -> int:
        """Stream ``rows`` (Python values in ``columns`` order) into the table's member."""
        encode = row_encoder(types)
        digest = hashlib.sha256()
        count = 0
        with self._zip.open(member(name), "w", force_zip64=True) as out:
            lines: list[str] = []
            for row in rows:
                lines.append(json.dumps(encode(row), ensure_ascii=False,
                                        separators=(",", ":")))
                if len(lines) >= _BATCH:
                    count += self._write(out, digest, lines)
            count += self._write(out, digest, lines)
        self.tables.append(TableEntry(name, columns, types, count, digest.hexdigest()))
        return count

    @staticmethod
    def _write(out, digest, lines: list[str]) -> int:  # noqa: ANN001
        if not lines:
            return 0
        chunk = ("\n".join(lines) + "\n").encode("utf-8")
        digest.update(chunk)
        out.write(chunk)
        written = len(lines)
        lines.clear()
        return written

    def finish(self, header: dict[str, Any]) -> int:
        """Write the manifest (``header`` plus the tables), close, rename; the size."""
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "product": PRODUCT,
                    **header, "tables": [t.as_json() for t in self.tables]}
        text = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        self._zip.writestr(MANIFEST, text)
        self._zip.writestr(MANIFEST_SUM, hashlib.sha256(text).hexdigest() + "\n")
        self._zip.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.chmod(self._temp, FILE_MODE)
        os.replace(self._temp, self.path)
        return self.path.stat().st_size

    def abort(self) -> None:
        for closing in (self._zip.close, self._file.close):
            try:
                closing()
            except Exception:  # noqa: BLE001,S110 - the temporary file goes anyway
                pass
        self._temp.unlink(missing_ok=True)


# --- reading --------------------------------------------------------------------------


@dataclass
class Archive:
    """A verified archive: its manifest and a reader of each table's rows."""

    path: Path
    manifest: dict[str, Any]

    @property
    def schema_version(self) -> str:
        return self.manifest["schema_version"]

    @property
    def secrets_included(self) -> bool:
        return bool(self.manifest.get("secrets_included"))

    @property
    def tables(self) -> list[dict[str, Any]]:
        return self.manifest["tables"]

    def rows(self, table: dict[str, Any]) -> Iterator[list[Any]]:
        """The table's rows as JSON lists, streamed."""
        with zipfile.ZipFile(self.path) as archive, archive.open(member(table["name"])) as lines:
            for line in lines:
                yield json.loads(line)


def open_archive(path: Path) -> Archive:
    """The archive at ``path`` once every checksum and count matches; otherwise a
    UserError naming the file and what is wrong (nothing has been touched yet)."""
    if not path.exists():
        raise UserError(f"No se encontró el respaldo {path}.")
    if path.is_dir():
        raise UserError(f"{path} es una carpeta, no un archivo de respaldo.")
    try:
        return _verified(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
            TypeError, UnicodeDecodeError) as error:
        raise UserError(f"{path} no es un respaldo válido o está dañado o incompleto "
                        f"({_why(error)}). No se cambió nada.") from None


def _why(error: Exception) -> str:
    if isinstance(error, zipfile.BadZipFile) and "CRC" in str(error):
        return "un contenido no coincide con su código de control"
    if isinstance(error, zipfile.BadZipFile):
        return "no se lee como archivo de respaldo: ¿cortado, o es otro tipo de archivo?"
    if isinstance(error, _Damaged):
        return str(error)
    return "su contenido no se puede leer"


class _Damaged(ValueError):
    """A checksum or count that does not match (its text is Spanish)."""


def _verified(path: Path) -> Archive:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if MANIFEST not in names or MANIFEST_SUM not in names:
            raise _Damaged("le falta el manifiesto: no es un respaldo de este programa")
        text = archive.read(MANIFEST)
        if archive.read(MANIFEST_SUM).decode("ascii").strip() != hashlib.sha256(text).hexdigest():
            raise _Damaged("el manifiesto no coincide con su suma de verificación sha256")
        manifest = json.loads(text)
        if manifest.get("format") != FORMAT:
            raise _Damaged("no es un respaldo de este programa")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise _Damaged(f"formato de respaldo {manifest.get('format_version')} desconocido")
        expected = {MANIFEST, MANIFEST_SUM} | {member(t["name"]) for t in manifest["tables"]}
        if names != expected:
            raise _Damaged("sus partes no son las que el manifiesto declara")
        for table in manifest["tables"]:
            digest = hashlib.sha256()
            count = 0
            with archive.open(member(table["name"])) as content:
                while chunk := content.read(1 << 20):
                    digest.update(chunk)
                    count += chunk.count(b"\n")
            if digest.hexdigest() != table["sha256"]:
                raise _Damaged(f"la tabla {table['name']} no coincide con su suma de "
                               "verificación sha256")
            if count != table["rows"]:
                raise _Damaged(f"la tabla {table['name']} tiene {count} filas y el manifiesto "
                               f"dice {table['rows']}")
    return Archive(path, manifest)
