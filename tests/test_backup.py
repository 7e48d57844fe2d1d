"""``backup`` and ``restore``: a month on SQLite (imports, a correction, sends through the
worker and the SIGE emulator, audit, users, a login) backed up and restored into a new
PostgreSQL database (and a new SQLite file) gives every table equal, a working login
and the same ``status --json``; the archive is 0600, ``--without-secrets`` holds no hash
or token, and a restore refuses a non-empty database, a damaged archive and a newer
schema, changing nothing."""
from __future__ import annotations

import json
import os
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from reconcile import auth, corrections, sessions
from reconcile.backup import backup, restore
from reconcile.backup.archive import MANIFEST, MANIFEST_SUM
from reconcile.db import transaction, upgrade
from reconcile.db.engine import get_engine
from reconcile.db.models import Base
from reconcile.demo_setup import DEMO_CREDENTIALS
from reconcile.errors import UserError
from tests.cli_helpers import run_cli, snapshot
from tests.sync_helpers import NOW_ISO, PASSWORD, build_school, emulator_for, queue, run_worker

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> dict:
    """The small school's month on SQLite, sent to the emulator; its backup."""
    folder = tmp_path_factory.mktemp("mes")
    url = f"sqlite:///{folder / 'mes.db'}"
    upgrade(url)
    small = build_school(url, folder / "archivos")
    typo = small.school.manifest.check_digit_typos[0]
    with transaction(url) as session:
        corrections.approve(session, small.user("director"), small.rbd, typo["libro_rut"],
                            typo["sige_rut"], "check_digit", clock=small.clock)
        sessions.create(session, "asistencia", small.clock)
    auth.login("director", PASSWORD, small.clock, url)
    with emulator_for(small, folder):
        queue(small, "asistencia")
        run_worker(url)
    archive = folder / "respaldo.zip"
    backup(archive, url)
    yield {"url": url, "archive": archive, "folder": folder, "small": small}
    get_engine(url).dispose()


@pytest.fixture
def postgres_database():
    """A brand-new PostgreSQL database of this test's own, dropped after it."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("sin TEST_DATABASE_URL")
    name = f"test_backup_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def rows(url: str) -> dict[str, list[tuple]]:
    """Every table's rows as the program reads them (instants in UTC), sorted."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: sorted((tuple(_plain(v) for v in row)
                                    for row in conn.execute(select(t))), key=repr)
                    for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def _plain(value):  # noqa: ANN001, ANN202
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def status_json(url: str) -> dict:
    shown = run_cli("status", "--json", env={"DATABASE_URL": url, "RECONCILE_NOW": NOW_ISO})
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_a_month_moves_from_sqlite_to_postgresql(month, postgres_database):
    original = rows(month["url"])
    assert original["sync_job"] and original["rut_correction"] and original["login_session"]
    assert any(day[5] == "sincronizado" for day in original["course_day"])

    done = run_cli("restore", str(month["archive"]), env={"DATABASE_URL": postgres_database})
    assert done.returncode == 0, done.stderr
    assert "restaurado" in done.stdout

    assert rows(postgres_database) == original
    assert auth.login("director", PASSWORD, month["small"].clock, postgres_database).username \
        == "director"
    with transaction(postgres_database) as session:  # new ids follow the loaded ones
        sessions.create(session, "director", month["small"].clock)
    assert status_json(postgres_database) == status_json(month["url"])
    if run_cli("declaration", "--help").returncode == 0:
        env = {"RECONCILE_NOW": NOW_ISO}
        ours = run_cli("declaration", "--json", env={**env, "DATABASE_URL": month["url"]})
        theirs = run_cli("declaration", "--json", env={**env, "DATABASE_URL": postgres_database})
        assert ours.returncode == 0, ours.stderr
        assert json.loads(theirs.stdout) == json.loads(ours.stdout)


def test_the_archive_is_its_owners_and_streams_back_into_a_new_sqlite_file(month, tmp_path):
    assert stat.S_IMODE(month["archive"].stat().st_mode) == 0o600
    target = f"sqlite:///{tmp_path / 'nueva' / 'restaurada.db'}"
    restore(month["archive"], target)
    assert rows(target) == rows(month["url"])
    # a second backup of the copy has the same content
    again = tmp_path / "otra.zip"
    backup(again, target)
    with zipfile.ZipFile(month["archive"]) as first, zipfile.ZipFile(again) as second:
        tables = [t for t in json.loads(first.read(MANIFEST))["tables"]]
        assert [t["sha256"] for t in tables] == \
            [t["sha256"] for t in json.loads(second.read(MANIFEST))["tables"]]
    get_engine(target).dispose()


def test_without_secrets_holds_no_hash_or_token_and_users_must_reset(month, tmp_path):
    archive = tmp_path / "sin_secretos.zip"
    made = run_cli("backup", str(archive), "--without-secrets",
                   env={"DATABASE_URL": month["url"]})
    assert made.returncode == 0, made.stderr
    assert "user passwd" in made.stdout
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    original = rows(month["url"])
    secrets = ([u[5] for u in original["app_user"]] + [s[1] for s in original["login_session"]]
               + list(DEMO_CREDENTIALS.values()))
    with zipfile.ZipFile(archive) as content:
        everything = b"".join(content.read(name) for name in content.namelist())
    assert b"argon2" not in everything
    assert not [s for s in secrets if s.encode() in everything]

    target = f"sqlite:///{tmp_path / 'sin.db'}"
    restore(archive, target)
    with pytest.raises(auth.LoginFailed):
        auth.login("director", PASSWORD, month["small"].clock, target)
    with transaction(target) as session:
        auth.set_password(session, "director", PASSWORD)
    assert auth.login("director", PASSWORD, month["small"].clock, target).username == "director"
    get_engine(target).dispose()


def _flipped(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:  # a byte in the middle of the marks
        info = archive.getinfo("tablas/attendance_mark.jsonl")
    data[info.header_offset + 100 + info.compress_size // 2] ^= 0x01
    target.write_bytes(bytes(data))
    return target


def _resummed(source: Path, target: Path, version: str) -> Path:
    """The archive with another schema version and a manifest checksum that matches."""
    import hashlib

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            if item.filename in (MANIFEST, MANIFEST_SUM):
                continue
            new.writestr(item, old.read(item.filename))
        manifest = json.loads(old.read(MANIFEST))
        manifest["schema_version"] = version
        text_ = json.dumps(manifest).encode()
        new.writestr(MANIFEST, text_)
        new.writestr(MANIFEST_SUM, hashlib.sha256(text_).hexdigest())
    return target


def test_restore_refuses_and_changes_nothing(month, tmp_path):
    target = f"sqlite:///{tmp_path / 'ocupada.db'}"
    restore(month["archive"], target)
    with transaction(target) as session:  # a change of its own, which a refusal keeps
        auth.set_password(session, "profesor", "Otra-clave-2026")
    before = snapshot(target)
    archive = month["archive"]
    cut = tmp_path / "cortado.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    not_zip = tmp_path / "planilla.zip"
    not_zip.write_text("rut;nombre\n", encoding="utf-8")
    cases = {
        "no está vacía": archive,
        "dañado": _flipped(archive, tmp_path / "volteado.zip"),
        "incompleto": cut,
        "no es un respaldo válido": not_zip,
        "versión más nueva": _resummed(archive, tmp_path / "futuro.zip", "9999"),
    }
    for reason, path in cases.items():
        with pytest.raises(UserError) as refused:
            restore(path, target)
        assert reason in str(refused.value) and str(path) in str(refused.value)
        assert snapshot(target) == before, path
    refused = run_cli("restore", str(cut), env={"DATABASE_URL": target})
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert str(cut) in refused.stderr
    assert snapshot(target) == before

    replaced = run_cli("restore", str(archive), "--replace", env={"DATABASE_URL": target})
    assert replaced.returncode == 0, replaced.stderr
    assert rows(target) == rows(month["url"])
    get_engine(target).dispose()


def test_an_older_archive_is_brought_to_the_newest_schema(tmp_path):
    old = f"sqlite:///{tmp_path / 'vieja.db'}"
    from reconcile.db.migrate import alembic_config
    from alembic import command

    config = alembic_config(old)
    with get_engine(old).begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        conn.execute(text("INSERT INTO establishment (rbd, name, created_at) "
                          "VALUES (10234, 'Escuela', '2026-11-02 12:00:00')"))
    get_engine(old).dispose()
    archive = tmp_path / "vieja.zip"
    assert backup(archive, old).schema_version == "0005"
    target = f"sqlite:///{tmp_path / 'nueva.db'}"
    done = restore(archive, target)
    assert done.migrated_to is not None
    with transaction(target) as session:
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            == done.migrated_to
        assert session.execute(text("SELECT name FROM establishment")).scalar() == "Escuela"
    get_engine(target).dispose()
