"""One validator per setting, the same for `config set` and the Configuración page: a
value the product cannot use is refused (exit 2, the reason in Spanish, the database
unchanged); the library's change is authorised and audited; a Director manages only the
users of their own school."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reconcile import auth, settings
from reconcile.db import transaction
from reconcile.db.models import AuditLog, Establishment, User
from reconcile.errors import PermissionDenied, UserError
from reconcile.school import calendar_for, overview
from reconcile.sige_calendar import Month
from tests.cli_helpers import run_cli, snapshot

RBD, OTHER = 24875, 30001


@pytest.fixture
def school(db_url, clock):
    with transaction(db_url) as session:
        session.add(Establishment(rbd=RBD, name="Escuela Los Aromos", created_at=clock.now()))
        for name, role, rbds in (("director", "director", [RBD]), ("ana", "asistencia", [RBD]),
                                 ("profesor", "profesor", [RBD])):
            auth.add_user(session, name, role, rbds, "clave-segura-123", clock=clock)
    return db_url


@pytest.mark.parametrize("args, reason", [
    # the two examples: accepted before, then Inicio and Conciliación broke
    (["calendar.default_close_working_day", "25"], "debe estar entre 1 y 10"),
    (["calendar.close.2026-11", "2026-10-01T17:00"], "debe caer dentro de diciembre 2026"),
    (["calendar.close.2026-11", "2026-11-20T17:00"], "debe caer dentro de diciembre 2026"),
    (["calendar.close.2026-11", "2026-12-04"], "falta la hora del cierre"),
    (["calendar.close.2026-08", "2026-09-06T00:30"], "no existe en Chile continental"),
    (["calendar.default_close_working_day", "0"], "debe estar entre 1 y 10"),
    (["calendar.default_close_time", "17:00 hrs"], "HH:MM"),
    (["sige.read_timeout", "nan"], "debe ser un número"),
    (["sige.connect_timeout", "inf"], "debe ser un número"),
    (["sync.concurrency", "1000"], "entre 1 y 32"),
    (["sync.lease_seconds", "0"], "entre 1 y 3.600"),
    (["sige.call_retries", "11"], "entre 0 y 10"),
    (["match.suggest_threshold", "0.1"], "entre 0,5 y 1"),
    (["rut.provisional_min_body", "99"], "entre 30.000.000 y 999.999.999"),
    (["auth.max_failed_logins", "1"], "entre 3 y 50"),
    (["sige.base_url", "http://sige example"], "http:// o https://"),
    (["sige.base_url", "https://sige.example.cl:0x50"], "puerto"),
    (["sige.convenio_token", "dos partes", "--rbd", "24875"], "espacios"),
    (["sige.base_url", "https://sige.example.cl", "--rbd", "24875"], "toda la instalación"),
])
def test_config_set_refuses_a_value_the_product_cannot_use(school, args, reason):
    before = snapshot(school)
    result = run_cli("config", "set", *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert reason in result.stderr and "Traceback" not in result.stderr
    assert "dos partes" not in result.stderr  # a refused secret is masked too
    assert snapshot(school) == before


def test_config_set_stores_a_good_value_and_audits_it_as_the_administrator(school):
    result = run_cli("config", "set", "calendar.close.2026-11", "2026-12-09T17:00")
    assert result.returncode == 0, result.stderr
    with transaction(school) as session:
        assert calendar_for(session).close_of(Month(2026, 11)).day == 9
        [entry] = session.scalars(select(AuditLog).where(
            AuditLog.action == settings.CHANGE_ACTION)).all()
        assert entry.username is None and entry.detail["key"] == "calendar.close.2026-11"
        assert entry.detail["scope"] == "instalación"


def test_every_default_passes_its_own_validator():
    for name, key in settings.KEYS.items():
        if key.default is not None:
            assert settings.normalise(name, key.default) == key.default, name


@pytest.mark.parametrize("name, value, stored", [
    ("match.suggest_threshold", "0,85", "0.85"),
    ("sync.report_poll_seconds", "0.2", "0.2"),  # the tests' fast waits stay possible
    ("sige.call_retries", "0", "0"),
    ("calendar.default_close_time", "9:30", "09:30"),
    ("calendar.close.2026-11", "2026-12-04T17:00-03:00", "2026-12-04T17:00:00-03:00"),
    ("sige.base_url", "https://sige.example.cl:8443/ws/", "https://sige.example.cl:8443/ws"),
])
def test_good_values_are_stored_in_one_form(name, value, stored):
    assert settings.normalise(name, value) == stored


def test_inicio_reads_the_calendar_a_director_sets(school, clock):
    with transaction(school) as session:
        director = auth.get_user(session, "director")
        settings.change(session, director, "calendar.close.2026-11", "2026-12-09T17:00", RBD,
                        clock)
    with transaction(school) as session:
        assert overview(session, RBD, clock).close_at.strftime("%d-%m") == "09-12"


def test_only_a_director_of_the_school_changes_it(school, clock):
    before = snapshot(school)
    with transaction(school) as session:
        for username in ("ana", "profesor"):
            with pytest.raises(PermissionDenied, match="no puede cambiar la configuración"):
                settings.change(session, auth.get_user(session, username),
                                "match.suggest_threshold", "0.9", RBD, clock)
        with pytest.raises(PermissionDenied, match="no tiene acceso"):
            settings.change(session, auth.get_user(session, "director"),
                            "match.suggest_threshold", "0.9", OTHER, clock)
    assert snapshot(school) == before


def test_a_change_is_all_or_nothing_and_names_every_reason(school, clock):
    before = snapshot(school)
    with transaction(school) as session:
        director = auth.get_user(session, "director")
        with pytest.raises(UserError) as refused:
            settings.change_many(session, director, {
                "match.suggest_threshold": "0.9", "sync.concurrency": "cero",
                "calendar.default_close_working_day": "25"}, RBD, clock)
    assert len(refused.value.reasons) == 2
    assert snapshot(school) == before


def test_school_values_are_the_schools_and_installation_values_need_a_sole_school(school,
                                                                                 clock):
    with transaction(school) as session:
        director = auth.get_user(session, "director")
        settings.change(session, director, "match.suggest_threshold", "0.9", RBD, clock)
        settings.change(session, director, "sync.concurrency", "4", RBD, clock)
    with transaction(school) as session:
        assert settings.stored_value(session, "match.suggest_threshold", RBD) == "0.9"
        assert settings.stored_value(session, "match.suggest_threshold") is None
        assert settings.stored_value(session, "sync.concurrency") == "4"
        entries = session.scalars(select(AuditLog).where(
            AuditLog.action == settings.CHANGE_ACTION).order_by(AuditLog.id)).all()
        assert [(e.username, e.rbd, e.detail["scope"]) for e in entries] == [
            ("director", RBD, "establecimiento"), ("director", RBD, "instalación")]
        session.add(Establishment(rbd=OTHER, name="Liceo Norte", created_at=clock.now()))
    before = snapshot(school)
    with transaction(school) as session:
        with pytest.raises(PermissionDenied, match="administrador del sistema"):
            settings.change(session, auth.get_user(session, "director"), "sync.concurrency",
                            "8", RBD, clock)
    assert snapshot(school) == before


def test_a_director_manages_only_their_schools_users_never_themselves(school, clock):
    with transaction(school) as session:
        session.add(Establishment(rbd=OTHER, name="Liceo Norte", created_at=clock.now()))
        auth.add_user(session, "slep", "sostenedor", [RBD, OTHER], "clave-segura-123",
                      clock=clock)
        auth.add_user(session, "otro", "profesor", [OTHER], "clave-segura-123", clock=clock)
    before = snapshot(school)
    with transaction(school) as session:
        director = auth.get_user(session, "director")
        with pytest.raises(PermissionDenied, match="su propio usuario"):
            auth.change_role(session, director, RBD, "director", "profesor", clock)
        with pytest.raises(PermissionDenied, match="su propio usuario"):
            auth.set_active(session, director, RBD, "director", False, clock)
        with pytest.raises(PermissionDenied, match="administrador del sistema"):
            auth.reset_password(session, director, RBD, "slep", clock)
        with pytest.raises(UserError, match="No existe el usuario «otro» en este"):
            auth.set_active(session, director, RBD, "otro", False, clock)
        with pytest.raises(PermissionDenied, match="no tiene acceso"):
            auth.reset_password(session, director, OTHER, "otro", clock)
        with pytest.raises(UserError, match="Rol no válido"):
            auth.create_school_user(session, director, RBD, "nuevo", "sostenedor", "", clock)
        with pytest.raises(UserError, match="Rol no válido"):
            auth.change_role(session, director, RBD, "ana", "sostenedor", clock)
        with pytest.raises(PermissionDenied, match="no puede cambiar la configuración"):
            auth.reset_password(session, auth.get_user(session, "ana"), RBD, "profesor", clock)
    assert snapshot(school) == before
    with transaction(school) as session:
        shown = {u.username: u.manageable for u in auth.school_users(
            session, auth.get_user(session, "director"), RBD)}
    assert shown == {"ana": True, "director": True, "profesor": True, "slep": False}


def test_disabling_ends_the_users_sessions(school, clock):
    from reconcile import sessions

    with transaction(school) as session:
        cookie = sessions.create(session, "ana", clock)
    with transaction(school) as session:
        auth.set_active(session, auth.get_user(session, "director"), RBD, "ana", False, clock)
    with transaction(school) as session:
        assert sessions.resolve(session, cookie, clock) is None
        assert not session.scalar(select(User.active).where(User.username == "ana"))
