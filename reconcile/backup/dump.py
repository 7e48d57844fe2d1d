"""Write every table of a database into one backup archive (``backup FILE``)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from reconcile.backup import without_secrets
from reconcile.backup.archive import ArchiveWriter, type_name
from reconcile.backup.connection import is_postgresql, open_engine, present_columns, stored_version
from reconcile.clock import Clock, default_clock
from reconcile.db.engine import database_url, describe_url
from reconcile.db.models import Base
from reconcile.errors import UserError

_STREAM = 5000  # rows fetched at a time: memory stays bounded however large a table is


@dataclass
class BackupResult:
    path: Path
    size: int
    schema_version: str
    secrets_included: bool
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)


def backup(path: Path, url: str | None = None, *, with_secrets: bool = True,
           clock: Clock | None = None) -> BackupResult:
    """Write the database at ``url`` (default DATABASE_URL) to ``path``: one snapshot,
    every table in foreign-key order, streamed; ``path`` appears only when complete."""
    url = url or database_url()
    clock = clock or default_clock()
    started = time.monotonic()
    engine = open_engine(url, write=False)
    try:
        with engine.connect() as connection:
            if is_postgresql(connection):  # every table from one snapshot
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                version = stored_version(connection)
                if version is None:
                    raise UserError(f"La base de datos {describe_url(url)} no tiene el esquema "
                                    "del programa: no hay nada que respaldar.")
                present = present_columns(connection)
                writer = ArchiveWriter(path)
                try:
                    for table in Base.metadata.sorted_tables:
                        columns = [c for c in table.columns if c.name in present.get(table.name, ())]
                        if not columns:
                            continue
                        chosen = [(None if with_secrets else
                                   without_secrets.column_value(table, c.name)) for c in columns]
                        query = select(*(c if value is None else value.label(c.name)
                                         for c, value in zip(columns, chosen)))
                        kept = None if with_secrets else without_secrets.row_filter(table)
                        if kept is not None:
                            query = query.where(kept)
                        query = query.order_by(*table.primary_key.columns)
                        rows = connection.execution_options(yield_per=_STREAM).execute(query)
                        writer.table(table.name, [c.name for c in columns],
                                     [type_name(c) for c in columns], rows)
                    size = writer.finish({
                        "schema_version": version,
                        "created_at": clock.now().isoformat(),
                        "source_backend": connection.dialect.name,
                        "secrets_included": with_secrets,
                        "left_out": [] if with_secrets else without_secrets.LEFT_OUT})
                except BaseException:
                    writer.abort()
                    raise
    finally:
        engine.dispose()
    return BackupResult(path, size, version, with_secrets, time.monotonic() - started,
                        {t.name: t.rows for t in writer.tables})
