"""Settings that depend on each other are checked together when one is set (the library
behind `config set` and Configuración): a conflict names both keys and both values, in
Spanish, and changes nothing; set together they pass. A school first seen in a nómina
gets a name its Director or the administrator can change (`school rename`)."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from reconcile import auth, school_name, settings
from reconcile.clock import FixedClock
from reconcile.db import transaction
from reconcile.db.models import AuditLog, Establishment
from reconcile.errors import PermissionDenied, UserError
from reconcile.settings_together import Conflicting
from tests.cli_helpers import run_cli, snapshot

RBD, OTHER = 24875, 30001


@pytest.fixture
def school(db_url, clock):
    with transaction(db_url) as session:
        session.add(Establishment(rbd=RBD, name=f"Establecimiento RBD {RBD}",
                                  created_at=clock.now()))
        session.add(Establishment(rbd=OTHER, name="Liceo Norte", created_at=clock.now()))
    return db_url


@pytest.fixture
def people(school, clock):
    with transaction(school) as session:
        for name, role, rbds in (("director", "director", [RBD]), ("ana", "asistencia", [RBD]),
                                 ("norte", "director", [OTHER])):
            auth.add_user(session, name, role, rbds, "clave-segura-123", clock=clock)
    return school


def refused(url: str, values: dict[str, str], clock, rbd: int | None = None) -> str:  # noqa: ANN001
    """Set ``values`` as the administrator; the conflict's reasons (nothing changed)."""
    before = snapshot(url)
    with pytest.raises(Conflicting) as conflict, transaction(url) as session:
        settings.admin_change_many(session, values, rbd, clock)
    assert snapshot(url) == before
    return "\n".join(conflict.value.reasons)


CONFLICTS = [  # (values set, what the refusal must name)
    ({"sync.retry_initial_seconds": "1000"},
     ["sync.retry_initial_seconds = «1000»", "sync.retry_max_seconds = «900»"]),
    ({"sync.retry_max_seconds": "10"},
     ["sync.retry_initial_seconds = «30»", "sync.retry_max_seconds = «10»"]),
    ({"sync.report_poll_seconds": "2000"},
     ["sync.report_poll_seconds = «2000»", "sync.report_max_wait_seconds = «1800»"]),
    ({"sync.report_poll_seconds": "600", "sync.report_deadline_hours": "0.1"},
     ["sync.report_poll_seconds = «600»", "sync.report_deadline_hours = «0.1»"]),
    ({"auth.session_max_hours": "1", "auth.session_idle_minutes": "90"},
     ["auth.session_idle_minutes = «90»", "auth.session_max_hours = «1»"]),
    ({"mail.smtp_security": "ssl"}, ["mail.smtp_security = «ssl»", "mail.smtp_port = «587»"]),
    ({"mail.smtp_port": "465"}, ["mail.smtp_security = «starttls»", "mail.smtp_port = «465»"]),
    ({"mail.smtp_user": "avisos"},
     ["mail.smtp_user = «avisos»", "mail.smtp_password = «(sin definir)»"]),
]
TOGETHER = [
    {"sync.retry_initial_seconds": "1000", "sync.retry_max_seconds": "2000"},
    {"mail.smtp_security": "ssl", "mail.smtp_port": "465"},
    {"mail.smtp_user": "avisos", "mail.smtp_password": "clave del correo"},
    {"auth.session_max_hours": "1", "auth.session_idle_minutes": "45"},
]


def test_values_that_do_not_go_together_are_refused_naming_both(school, clock):
    for values, named in CONFLICTS:
        reasons = refused(school, values, clock)
        assert all(pair in reasons for pair in named), (values, reasons)


def test_set_together_they_pass(school, clock):
    for values in TOGETHER:
        with transaction(school) as session:
            settings.admin_change_many(session, values, None, clock)
        with transaction(school) as session:
            stored = [settings.get_value(session, name) for name in values]
        assert stored == list(values.values())


def test_an_old_odd_pair_never_blocks_an_unrelated_change(school, clock):
    with transaction(school) as session:  # stored before the checks existed
        settings.set_value(session, "sync.retry_initial_seconds", "1000")
        settings.set_value(session, "mail.smtp_user", "avisos")
    with transaction(school) as session:
        settings.admin_change(session, "sync.concurrency", "4", clock=clock)
        settings.admin_change(session, "mail.from", "Avisos <avisos@colegio.cl>", clock=clock)
    assert "sync.retry_max_seconds = «900»" in refused(
        school, {"sync.retry_initial_seconds": "2000"}, clock)


def test_a_close_rule_may_not_close_the_open_month_in_the_past(people):
    clock = FixedClock(datetime(2026, 12, 2, 10, 0))  # November open, closes 03-12 17:00
    with transaction(people) as session:
        director = auth.get_user(session, "director")
    before = snapshot(people)
    with pytest.raises(Conflicting) as conflict, transaction(people) as session:
        settings.change_many(session, director, {"calendar.default_close_time": "09:00",
                                                 "calendar.default_close_working_day": "1"},
                             RBD, clock)  # the page's way: the school's own rule
    assert conflict.value.keys == ("calendar.default_close_working_day",
                                   "calendar.default_close_time")
    assert snapshot(people) == before
    reasons = refused(people, {"calendar.default_close_working_day": "1"}, clock)
    assert "calendar.default_close_working_day = «1» y calendar.default_close_time = " \
           "«17:00» cerrarían noviembre 2026" in reasons
    assert "01-12-2026 17:00, que ya pasó" in reasons and "hoy cierra el 03-12-2026 17:00" in reasons
    assert "calendar.close.2026-11 = «2026-12-01T12:00" in refused(
        people, {"calendar.close.2026-11": "2026-12-01T12:00"}, clock, RBD)
    with transaction(people) as session:  # later, or a future close, is fine
        settings.admin_change_many(session, {"calendar.default_close_working_day": "5"},
                                   None, clock)
        settings.admin_change(session, "calendar.close.2026-11", "2026-12-02T12:00", RBD, clock)


# --- the school's name -------------------------------------------------------------------


def test_a_director_renames_their_school_audited(people, clock):
    with transaction(people) as session:
        director = auth.get_user(session, "director")
        assert school_name.rename(session, RBD, "  Escuela   Los Aromos ", director,
                                  clock) == "Escuela Los Aromos"
        school_name.rename(session, RBD, "Escuela Los Aromos", director, clock)  # same: no entry
    with transaction(people) as session:
        assert session.get(Establishment, RBD).name == "Escuela Los Aromos"
        [entry] = session.scalars(select(AuditLog).where(
            AuditLog.action == school_name.RENAME_ACTION)).all()
    assert (entry.username, entry.rbd) == ("director", RBD)
    assert entry.detail == {"nombre": "Escuela Los Aromos", "anterior": f"Establecimiento RBD {RBD}"}


BAD_RENAMES = [  # (rbd, name, by whom, error, reason)
    (RBD, "   ", None, UserError, "no puede quedar vacío"),
    (RBD, "x" * 201, None, UserError, "demasiado largo (201 caracteres; máximo 200)"),
    (RBD, "Liceo\x00", None, UserError, "caracteres de control"),
    (99, "Liceo", None, UserError, "No existe el establecimiento RBD 99"),
    (RBD, "Liceo", "ana", PermissionDenied, "no puede cambiar la configuración"),
    (RBD, "Liceo", "norte", PermissionDenied, "no tiene acceso al establecimiento RBD 24875"),
]


def test_a_bad_rename_changes_nothing(people, clock):
    before = snapshot(people)
    for rbd, name, who, error, reason in BAD_RENAMES:
        with pytest.raises(error) as refusal, transaction(people) as session:
            user = auth.get_user(session, who) if who else None
            school_name.rename(session, rbd, name, user, clock)
        assert reason in str(refusal.value), (name, who)
    assert snapshot(people) == before


@pytest.mark.slow
def test_the_command_line_refuses_a_conflict_takes_pairs_and_renames(people):
    """`config set` and `school rename` as subprocesses (their library is the same on
    both backends, tested above)."""
    if not people.startswith("sqlite"):
        pytest.skip("the command line's own behaviour: one backend is enough")
    before = snapshot(people)
    result = run_cli("config", "set", "sync.retry_initial_seconds", "1000")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "sync.retry_initial_seconds = «1000» no puede ser mayor que " \
           "sync.retry_max_seconds = «900»" in result.stderr
    bad = run_cli("school", "rename", "--rbd", "99", "Liceo Sur")
    assert bad.returncode == 2 and "No existe el establecimiento RBD 99" in bad.stderr
    assert "Traceback" not in bad.stderr and snapshot(people) == before
    result = run_cli("config", "set", "mail.smtp_port", "465", "mail.smtp_security", "ssl")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["mail.smtp_port = 465", "mail.smtp_security = ssl"]
    good = run_cli("school", "rename", "--rbd", str(RBD), "Escuela Los Aromos",
                   "--user", "director")
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == f"RBD {RBD}: Escuela Los Aromos"
