"""init-db, user and config through the real command line: exit codes, Spanish reasons,
and no change on bad input."""
from __future__ import annotations

import pytest

from reconcile import access, auth
from reconcile.db import transaction
from reconcile.db.models import Establishment, Setting
from tests.cli_helpers import ROOT, run_cli, snapshot


@pytest.fixture
def school(db_url, clock):
    with transaction(db_url) as session:
        session.add(Establishment(rbd=24875, name="Escuela Los Aromos", created_at=clock.now()))
    return db_url


def test_init_db_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'nueva.db'}"
    for _ in range(2):
        result = run_cli("init-db", env={"DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        assert "Base de datos lista" in result.stdout


def test_init_db_on_an_unreachable_server_is_a_clear_error():
    result = run_cli("init-db", env={
        "DATABASE_URL": "postgresql+psycopg://nadie:secreto@127.0.0.1:1/x"})
    assert result.returncode == 2
    assert "No se pudo abrir la base de datos" in result.stderr
    assert "secreto" not in result.stderr
    assert "Traceback" not in result.stderr


def test_user_add_list_and_passwd(school):
    added = run_cli("user", "add", "ana", "--role", "asistencia", "--rbd", "24875",
                    "--password-stdin", stdin="una-clave-larga\n")
    assert added.returncode == 0, added.stderr
    listed = run_cli("user", "list")
    assert "ana" in listed.stdout and "Administrador(a) de Asistencia" in listed.stdout
    assert "una-clave-larga" not in listed.stdout
    changed = run_cli("user", "passwd", "ana", "--password-stdin", stdin="otra-clave-larga\n")
    assert changed.returncode == 0, changed.stderr


@pytest.mark.parametrize("args, stdin, reason", [
    (["user", "add", "ana", "--role", "asistencia", "--rbd", "99999", "--password-stdin"],
     "una-clave-larga\n", "No existe el establecimiento RBD 99999"),
    (["user", "add", "ana", "--role", "asistencia", "--rbd", "24875", "--password-stdin"],
     "corta\n", "al menos 8 caracteres"),
    (["user", "add", "Ana Pérez", "--role", "director", "--rbd", "24875", "--password-stdin"],
     "una-clave-larga\n", "Nombre de usuario no válido"),
    (["user", "add", "ana", "--role", "director", "--rbd", "24875", "--rbd", "1",
      "--password-stdin"], "una-clave-larga\n", "Solo un sostenedor"),
    (["user", "add", "ana", "--role", "rector", "--rbd", "24875", "--password-stdin"],
     "una-clave-larga\n", "argumentos no válidos"),
    (["user", "add", "ana", "--role", "director", "--rbd", "24875", "--password-stdin"],
     "", "No se recibió ninguna contraseña"),
    (["user", "add", "ana", "--role", "director", "--rbd", "24875"], "x\n",
     "use --password-stdin"),
    (["user", "passwd", "nadie", "--password-stdin"], "una-clave-larga\n",
     "No existe el usuario «nadie»"),
    (["config", "set", "sync.concurrency", "muchos"], None, "«muchos»: debe ser un número"),
    (["config", "set", "sige.base_url", "ftp://x"], None, "http:// o https://"),
    (["config", "set", "no.existe", "1"], None, "Clave de configuración desconocida"),
    (["config", "set", "calendar.close.2026-11", "mañana"], None, "fecha y hora ISO"),
    (["config", "set", "sige.convenio_token", "abc123456"], None, "indique --rbd"),
    (["config", "set", "sige.convenio_token", "abc123456", "--rbd", "5"], None,
     "No existe el establecimiento RBD 5"),
    (["config", "get", "no.existe"], None, "Clave de configuración desconocida"),
    (["comando-inexistente"], None, "argumentos no válidos"),
])
def test_bad_input_exits_2_in_spanish_and_changes_nothing(school, args, stdin, reason):
    before = snapshot(school)
    result = run_cli(*args, stdin=stdin)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert reason in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(school) == before


def test_a_duplicate_user_is_refused(school):
    first = run_cli("user", "add", "ana", "--role", "director", "--rbd", "24875",
                    "--password-stdin", stdin="una-clave-larga\n")
    assert first.returncode == 0
    before = snapshot(school)
    again = run_cli("user", "add", "ana", "--role", "director", "--rbd", "24875",
                    "--password-stdin", stdin="una-clave-larga\n")
    assert again.returncode == 2 and "ya existe" in again.stderr
    assert snapshot(school) == before


def test_config_secrets_are_never_printed_back_in_full(school):
    result = run_cli("config", "set", "sige.convenio_token", "TOKEN-MUY-SECRETO-9876",
                     "--rbd", "24875")
    assert result.returncode == 0, result.stderr
    assert "TOKEN-MUY-SECRETO" not in result.stdout and "9876" in result.stdout
    shown = run_cli("config", "get", "sige.convenio_token", "--rbd", "24875")
    assert "TOKEN-MUY-SECRETO" not in shown.stdout and shown.stdout.strip().endswith("9876")
    listed = run_cli("config", "list", "--rbd", "24875")
    assert "TOKEN-MUY-SECRETO" not in listed.stdout


def test_config_school_value_overrides_the_global_one(school):
    assert run_cli("config", "set", "match.suggest_threshold", "0,9").returncode == 0
    assert run_cli("config", "get", "match.suggest_threshold").stdout.strip() == "0.9"
    assert run_cli("config", "set", "match.suggest_threshold", "0.7",
                   "--rbd", "24875").returncode == 0
    assert run_cli("config", "get", "match.suggest_threshold",
                   "--rbd", "24875").stdout.strip() == "0.7"
    assert run_cli("config", "get", "match.suggest_threshold").stdout.strip() == "0.9"


def test_calendar_close_setting_is_stored_in_santiago_time(school):
    result = run_cli("config", "set", "calendar.close.2026-11", "2026-12-04T17:00")
    assert result.returncode == 0, result.stderr
    assert "2026-12-04T17:00:00-03:00" in result.stdout


def test_commands_migrate_a_fresh_database_on_the_way(tmp_path):
    url = f"sqlite:///{tmp_path / 'nueva.db'}"
    nomina = str(ROOT / "tests" / "data" / "samples" / "nomina_sige.xlsx")
    result = run_cli("import-sige", nomina, env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr


def test_user_passwd_ends_the_users_open_sessions(school, clock):
    from reconcile import auth, sessions

    with transaction(school) as session:
        auth.add_user(session, "ana", "asistencia", [24875], "una-clave-larga")
        cookie = sessions.create(session, "ana", clock)
    changed = run_cli("user", "passwd", "ana", "--password-stdin", stdin="otra-clave-larga\n",
                      env={"RECONCILE_NOW": clock.now().isoformat()})
    assert changed.returncode == 0, changed.stderr
    with transaction(school) as session:
        assert sessions.resolve(session, cookie, clock) is None


def test_the_session_signing_secret_is_not_a_config_key(school, clock):
    from reconcile import sessions

    with transaction(school) as session:
        sessions.create(session, "nadie", clock)  # creates the installation's secret
        secret = session.get(Setting, (sessions.SECRET_KEY, 0)).value
    for args in (["config", "list"], ["config", "get", sessions.SECRET_KEY]):
        result = run_cli(*args)
        assert secret not in result.stdout + result.stderr
    refused = run_cli("config", "set", sessions.SECRET_KEY, "x" * 60)
    assert refused.returncode == 2 and "desconocida" in refused.stderr


def test_user_add_without_a_role_makes_the_least_privileged_one(school):
    added = run_cli("user", "add", "luis", "--rbd", "24875", "--password-stdin",
                    stdin="una-clave-larga\n")
    assert added.returncode == 0, added.stderr
    assert "Usuario luis creado (Profesor(a), RBD 24875)." in added.stdout
    with transaction(school) as session:
        assert auth.get_user(session, "luis").role == access.PROFESOR
