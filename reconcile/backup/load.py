"""Load a backup archive into an empty database of either backend (``restore FILE``).

Everything happens in one transaction: the checks, dropping what ``--replace`` replaces,
creating the schema with the project's migrations at the archive's version, the rows
(in foreign-key order: COPY on PostgreSQL, batched inserts on SQLite), the migrations
to the newest version when the archive is older, and PostgreSQL's id sequences moved
past the loaded ids. A refusal or a failure leaves the database as it was.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from alembic import command
from sqlalchemy import Connection, MetaData, column, func, literal, select, table, text
from sqlalchemy.exc import OperationalError

from reconcile.backup.archive import Archive, open_archive, row_decoder
from reconcile.backup.connection import (
    is_postgresql,
    open_engine,
    present_columns,
    revisions,
    stored_version,
)
from reconcile.db.engine import database_url, describe_url
from reconcile.db.migrate import alembic_config
from reconcile.db.models import Base
from reconcile.errors import UserError

_BATCH = 5000  # rows per insert on SQLite


@dataclass
class RestoreResult:
    path: Path
    schema_version: str  # the archive's
    migrated_to: str | None  # the newest version, when the archive was older
    secrets_included: bool
    replaced: bool
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)


def restore(path: Path, url: str | None = None, *, replace: bool = False) -> RestoreResult:
    """Load the archive at ``path`` into the database at ``url`` (default
    DATABASE_URL), which must be empty unless ``replace``."""
    url = url or database_url()
    started = time.monotonic()
    archive = open_archive(path)
    head, known = revisions()
    _check_fits(archive, head, known)
    engine = open_engine(url, write=True)
    try:
        with engine.connect() as connection, connection.begin():
            replaced = _clear(connection, archive, url, known, replace)
            _migrate(connection, url, archive.schema_version)
            rows = {entry["name"]: _load(connection, archive, entry) for entry in archive.tables}
            if archive.schema_version != head:
                _migrate(connection, url, head)
            if is_postgresql(connection):
                _move_sequences(connection)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")  # plans for the new rows at once
    except OperationalError as error:
        raise UserError(f"No se pudo restaurar {path} en {describe_url(url)}: "
                        f"{type(error.orig).__name__}. Revise DATABASE_URL. "
                        "No se cambió nada.") from None
    finally:
        engine.dispose()
    return RestoreResult(path, archive.schema_version,
                         head if archive.schema_version != head else None,
                         archive.secrets_included, replaced, time.monotonic() - started, rows)


def _check_fits(archive: Archive, head: str, known: set[str]) -> None:
    version = archive.schema_version
    if version not in known:
        raise UserError(f"{archive.path} es de una versión más nueva del programa (esquema "
                        f"{version}; esta versión llega hasta el {head}): actualice el programa "
                        "y restaure de nuevo. No se cambió nada.")
    for entry in archive.tables:
        model = Base.metadata.tables.get(entry["name"])
        unknown = [c for c in entry["columns"] if model is None or c not in model.c]
        if unknown:
            raise UserError(f"{archive.path}: la tabla {entry['name']} trae columnas que esta "
                            f"versión del programa no conoce ({', '.join(unknown)}). "
                            "No se cambió nada.")


def _clear(connection: Connection, archive: Archive, url: str, known: set[str],
           replace: bool) -> bool:
    """Refuse a database with data (unless ``replace``) or of a newer schema; drop the
    project's tables it has, so the migrations build them at the archive's version.
    True when there were rows."""
    version = stored_version(connection)
    if version is not None and version not in known:
        raise UserError(f"La base de datos {describe_url(url)} tiene un esquema más nuevo "
                        f"({version}) que esta versión del programa: no se restauró "
                        f"{archive.path}. No se cambió nada.")
    present = present_columns(connection)
    filled = [name for name in present
              if connection.execute(select(literal(1)).select_from(table(name)).limit(1))
              .first() is not None]
    if filled and not replace:
        raise UserError(f"La base de datos {describe_url(url)} no está vacía (tiene datos en "
                        f"{', '.join(sorted(filled))}): no se restauró {archive.path}. Para "
                        "borrar su contenido y cargar el respaldo, use --replace. "
                        "No se cambió nada.")
    drop = list(present) + (["alembic_version"] if version is not None else [])
    if drop:
        existing = MetaData()
        existing.reflect(connection, only=drop)
        existing.drop_all(connection)
    return bool(filled)


def _migrate(connection: Connection, url: str, version: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, version)


def _load(connection: Connection, archive: Archive, entry: dict) -> int:
    model = Base.metadata.tables[entry["name"]]
    names = entry["columns"]
    rows = archive.rows(entry)
    count = 0
    if is_postgresql(connection):
        decode = row_decoder(entry["types"], json_as_text=True)
        quoted = ", ".join(f'"{name}"' for name in names)
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
                f'COPY "{entry["name"]}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(decode(row))
                count += 1
        return count
    decode = row_decoder(entry["types"])
    # Only the archive's columns (no model defaults added), with the model's types
    # (instants stored as the model stores them).
    target = table(entry["name"], *(column(name, model.c[name].type) for name in names))
    insert = target.insert()
    while batch := list(islice(rows, _BATCH)):
        connection.execute(insert, [dict(zip(names, decode(row))) for row in batch])
        count += len(batch)
    return count


def _move_sequences(connection: Connection) -> None:
    """PostgreSQL: each id sequence continues after the largest loaded id."""
    for model in Base.metadata.sorted_tables:
        serial = model.autoincrement_column
        if serial is None:
            continue
        top = connection.execute(select(func.max(model.c[serial.name]))).scalar()
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, :column), :value, :called)"),
            {"table": f'"{model.name}"', "column": serial.name, "value": top or 1,
             "called": top is not None})
