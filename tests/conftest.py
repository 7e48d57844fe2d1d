"""Shared fixtures. Database tests run on SQLite always, and on PostgreSQL when
``TEST_DATABASE_URL`` is set (CI sets it): each test gets its own fresh schema."""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reconcile.clock import FixedClock
from reconcile.db import upgrade
from reconcile.db.engine import get_engine

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _postgres_schema_url(base_url: str, schema: str) -> str:
    url = make_url(base_url)
    query = dict(url.query)
    query["options"] = f"-csearch_path={schema}"
    return url.set(query=query).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path, monkeypatch) -> str:
    """A migrated, empty database; also exported as DATABASE_URL for CLI runs."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        monkeypatch.setenv("DATABASE_URL", url)
        yield url
        get_engine(url).dispose()
        return
    with postgres_schema(upgrade) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        yield url


@contextmanager
def postgres_schema(migrate: Callable[[str], None]) -> Iterator[str]:
    """A fresh schema of ``TEST_DATABASE_URL``'s database, brought up by
    ``migrate(url)``; dropped on the way out."""
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _postgres_schema_url(base, schema)
    try:
        migrate(url)
        yield url
    finally:
        get_engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """Mid-November 2026, SIGE's current month is November."""
    return FixedClock(datetime(2026, 11, 16, 10, 0))


@pytest.fixture(autouse=True)
def _mail_outside_the_project(tmp_path_factory, monkeypatch):
    """Mail written as .eml goes to a folder of the test's own (the demo's users have
    addresses, so a worker in a test delivers alerts): never into the project's data/."""
    monkeypatch.setenv("RECONCILE_MAIL_DIR", str(tmp_path_factory.mktemp("correo")))
