"""The foundation's promises: migrations match the models, the audit log is append-only,
instants survive DST on every backend, the library never imports Streamlit, and the
role rules."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reconcile import access, auth
from reconcile.audit import record
from reconcile.clock import SANTIAGO, FixedClock
from reconcile.db import get_engine, session_factory, transaction, upgrade
from reconcile.db.models import AuditLog, Base, Establishment
from reconcile.errors import PermissionDenied
from tests.cli_helpers import ROOT


def test_migrations_build_exactly_the_models(db_url):
    with get_engine(db_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    upgrade(db_url)  # a second upgrade is a no-op


def test_the_audit_log_is_append_only(db_url, clock):
    with transaction(db_url) as session:
        record(session, clock, "director", "login")
    with pytest.raises(PermissionError), transaction(db_url) as session:
        entry = session.query(AuditLog).one()
        entry.action = "otra cosa"
    with pytest.raises(PermissionError), transaction(db_url) as session:
        session.delete(session.query(AuditLog).one())
    with session_factory(db_url)() as session:
        assert session.query(AuditLog).one().action == "login"


@pytest.mark.parametrize("wall", [
    datetime(2026, 4, 4, 23, 30),  # the night DST ends (clocks go back at midnight)
    datetime(2026, 9, 6, 1, 30),  # the morning after DST starts
    datetime(2026, 11, 16, 17, 0),
])
def test_instants_keep_their_santiago_time_on_every_backend(db_url, wall):
    moment = FixedClock(wall).now()
    with transaction(db_url) as session:
        session.add(Establishment(rbd=1, name="x", created_at=moment))
    with session_factory(db_url)() as session:
        stored = session.get(Establishment, 1).created_at
    assert stored == moment and stored.tzinfo == SANTIAGO
    assert stored.utcoffset() == moment.utcoffset()


def test_the_library_never_imports_streamlit():
    code = ("import pkgutil, importlib, sys, reconcile\n"
            "for m in pkgutil.walk_packages(reconcile.__path__, 'reconcile.'):\n"
            "    if '.migrations' not in m.name and m.name != 'reconcile.__main__':\n"
            "        importlib.import_module(m.name)\n"
            "print('streamlit' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


ROLES_THAT_MAY = {
    "view": {"director", "asistencia", "profesor", "sostenedor"},
    "import": {"director", "asistencia"},
    "correct": {"director", "asistencia"},
    "sync": {"director", "asistencia"},
    "configure": {"director"},
}


@pytest.mark.parametrize("action", sorted(ROLES_THAT_MAY))
@pytest.mark.parametrize("role", sorted(access.ROLES))
def test_who_may_do_what(role, action):
    user = access.AuthUser("u", "u", role, (24875,))
    if role in ROLES_THAT_MAY[action]:
        access.authorize(user, action, 24875)
        assert user.can(action, 24875)
    else:
        with pytest.raises(PermissionDenied, match="no puede"):
            access.authorize(user, action, 24875)
    with pytest.raises(PermissionDenied, match="no tiene acceso al establecimiento RBD 1"):
        access.authorize(access.AuthUser("u", "u", "director", (24875,)), "view", 1)


def test_a_sostenedor_sees_each_of_its_schools_and_no_other(db_url, clock):
    with transaction(db_url) as session:
        for rbd in (100, 200, 300):
            session.add(Establishment(rbd=rbd, name=f"E{rbd}", created_at=clock.now()))
        session.flush()
        user = auth.add_user(session, "slep", "sostenedor", [100, 200], "clave-larga-1")
    assert user.rbds == (100, 200)
    access.authorize(user, "view", 200)
    with pytest.raises(PermissionDenied):
        access.authorize(user, "view", 300)
    with pytest.raises(PermissionDenied, match="no puede sincronizar"):
        access.authorize(user, "sync", 100)


def test_upgrading_from_the_first_schema_keeps_the_marks(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from reconcile.db.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'antigua.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO establishment (rbd, name, created_at) "
                          "VALUES (1, 'E', '2026-11-02 10:00:00')"))
        conn.execute(text("INSERT INTO course (rbd, year, cod_ense, cod_grado, letra) "
                          "VALUES (1, 2026, 110, 1, 'A')"))
        conn.execute(text("INSERT INTO student (rbd, rut, kind) VALUES (1, '12531909-2', "
                          "'definitive')"))
        conn.execute(text("INSERT INTO attendance_mark (rbd, course_id, student_id, day, hour, "
                          "present) VALUES (1, 1, 1, '2026-11-02', 2, 1)"))
    upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM attendance_mark")).scalar() == 1
    engine.dispose()
