"""Connections for backup and restore: one real transaction, DDL included, on each backend.

SQLite's Python driver starts a transaction only before a data change, so a backup's
reads would see several moments and a restore's ``CREATE TABLE`` would commit at once.
Here every ``begin()`` is an explicit ``BEGIN`` (``BEGIN IMMEDIATE`` to write): a
backup reads one snapshot, and a failed restore leaves the database as it was, new
tables included. PostgreSQL's transactions already hold DDL.
"""
from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from reconcile.db.migrate import alembic_config
from reconcile.db.models import Base


def open_engine(url: str, write: bool) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, poolclass=NullPool)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.isolation_level = None  # the driver starts no transaction itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def stored_version(connection: Connection) -> str | None:
    """The database's schema version (Alembic's), None when it has no schema."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def revisions() -> tuple[str, set[str]]:
    """The newest schema version this code knows, and every version it knows."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return scripts.get_current_head(), {script.revision for script in scripts.walk_revisions()}


def present_columns(connection: Connection) -> dict[str, list[str]]:
    """The project's tables in the database and their columns."""
    inspector = inspect(connection)
    names = set(inspector.get_table_names())
    return {name: [column["name"] for column in inspector.get_columns(name)]
            for name in Base.metadata.tables if name in names}
