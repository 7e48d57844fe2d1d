"""Login sessions kept across refreshes, and a lock-out that never tells which accounts
exist: on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from reconcile import auth, sessions, settings
from reconcile.db import transaction
from reconcile.db.models import AuditLog, Establishment, LoginSession, Setting, User

PASSWORD = "clave-segura-123"


@pytest.fixture
def school(db_url, clock):
    with transaction(db_url) as session:
        session.add(Establishment(rbd=24875, name="Escuela Los Aromos", created_at=clock.now()))
        auth.add_user(session, "director", "director", [24875], PASSWORD, "Ana Pérez")
    return db_url


def new_session(url, clock, username="director") -> str:
    with transaction(url) as session:
        return sessions.create(session, username, clock)


def resolve(url, cookie, clock):
    with transaction(url) as session:
        return sessions.resolve(session, cookie, clock)


def test_a_session_resolves_to_its_user_and_stores_only_the_token_hash(school, clock):
    cookie = new_session(school, clock)
    user = resolve(school, cookie, clock)
    assert (user.username, user.display_name, user.rbds) == ("director", "Ana Pérez", (24875,))
    token = cookie.rsplit(".", 1)[0]
    with transaction(school) as session:
        row = session.scalar(select(LoginSession))
        secret = session.get(Setting, (sessions.SECRET_KEY, settings.GLOBAL)).value
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash and secret not in cookie
    assert row.expires_at == clock.now() + timedelta(hours=12)


def test_activity_keeps_a_session_alive_and_idleness_ends_it(school, clock):
    cookie = new_session(school, clock)
    for _ in range(3):  # 3 x 50 minutes: longer than the 60 idle minutes, but never idle
        clock.advance(timedelta(minutes=50))
        assert resolve(school, cookie, clock) is not None
    clock.advance(timedelta(minutes=60))
    assert resolve(school, cookie, clock) is None


def test_the_idle_limit_is_a_setting(school, clock):
    with transaction(school) as session:
        settings.set_value(session, "auth.session_idle_minutes", "5")
    cookie = new_session(school, clock)
    clock.advance(timedelta(minutes=4))
    assert resolve(school, cookie, clock) is not None
    clock.advance(timedelta(minutes=5))
    assert resolve(school, cookie, clock) is None


def test_a_session_ends_after_the_maximum_hours_even_with_activity(school, clock):
    with transaction(school) as session:
        settings.set_value(session, "auth.session_max_hours", "2")
    cookie = new_session(school, clock)
    for _ in range(3):
        clock.advance(timedelta(minutes=39))
        assert resolve(school, cookie, clock) is not None
    clock.advance(timedelta(minutes=3))  # 2 h after the login
    assert resolve(school, cookie, clock) is None


def test_logout_revokes_only_that_session(school, clock):
    first, second = new_session(school, clock), new_session(school, clock)
    with transaction(school) as session:
        assert sessions.revoke(session, first, clock) == "director"
    assert resolve(school, first, clock) is None
    assert resolve(school, second, clock) is not None


def test_a_password_change_ends_every_session_of_that_user(school, clock):
    with transaction(school) as session:
        auth.add_user(session, "profesor", "profesor", [24875], PASSWORD)
    mine = [new_session(school, clock) for _ in range(2)]
    theirs = new_session(school, clock, "profesor")
    with transaction(school) as session:
        auth.set_password(session, "director", "otra-clave-larga", clock)
    assert [resolve(school, cookie, clock) for cookie in mine] == [None, None]
    assert resolve(school, theirs, clock).username == "profesor"


def test_an_inactive_user_has_no_session(school, clock):
    cookie = new_session(school, clock)
    with transaction(school) as session:
        session.scalar(select(User).where(User.username == "director")).active = False
    assert resolve(school, cookie, clock) is None


def flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]


@pytest.mark.parametrize("tamper", [
    lambda cookie: flip(cookie, len(cookie) - 5),  # the signature
    lambda cookie: flip(cookie, 0),  # the token
    lambda cookie: cookie.rsplit(".", 1)[0],  # no signature
    lambda cookie: "",
    lambda cookie: "basura",
])
def test_a_tampered_cookie_is_refused(school, clock, tamper):
    cookie = new_session(school, clock)
    assert resolve(school, tamper(cookie), clock) is None
    with transaction(school) as session:
        assert sessions.revoke(session, tamper(cookie), clock) is None
    assert resolve(school, cookie, clock) is not None


def test_a_cookie_signed_by_another_installation_is_refused(school, db_url, clock, tmp_path):
    from reconcile.db import upgrade

    other = f"sqlite:///{tmp_path / 'otra.db'}"
    upgrade(other)
    with transaction(other) as session:
        session.add(Establishment(rbd=24875, name="Otra", created_at=clock.now()))
        auth.add_user(session, "director", "director", [24875], PASSWORD)
    assert resolve(school, new_session(other, clock), clock) is None


def test_the_signing_secret_is_made_once(school, clock):
    new_session(school, clock)
    new_session(school, clock)
    with transaction(school) as session:
        rows = session.scalars(select(Setting).where(Setting.key == sessions.SECRET_KEY)).all()
    assert len(rows) == 1 and len(rows[0].value) >= 40


# ---- The lock-out answers the same for every name ------------------------------------

def try_login(url, clock, username, password="equivocada") -> str:
    try:
        auth.login(username, password, clock, url)
    except auth.LoginFailed as failure:
        return str(failure)
    return "ingresó"


def test_unknown_and_known_names_get_identical_answers_and_the_lock_holds(school, clock):
    known = [try_login(school, clock, "director") for _ in range(7)]
    unknown = [try_login(school, clock, "nadie") for _ in range(7)]
    assert known == unknown
    assert known[:4] == ["Usuario o contraseña incorrectos."] * 4
    assert "bloqueado por 15 minutos" in known[4]
    assert known[5] == known[6] != known[4] and "15 minutos" in known[5]
    assert try_login(school, clock, "director", PASSWORD) == known[5]  # right password: refused
    clock.advance(timedelta(minutes=15))
    assert try_login(school, clock, "director", PASSWORD) == "ingresó"


def test_a_lock_is_per_typed_name_and_the_name_is_normalised(school, clock):
    for _ in range(5):
        try_login(school, clock, "  Director ")
    assert "Intente de nuevo" in try_login(school, clock, "director", PASSWORD)
    with transaction(school) as session:
        auth.add_user(session, "profesor", "profesor", [24875], PASSWORD)
    assert try_login(school, clock, "profesor", PASSWORD) == "ingresó"


def test_a_good_login_forgets_earlier_failures(school, clock):
    for _ in range(4):
        try_login(school, clock, "director")
    assert try_login(school, clock, "director", PASSWORD) == "ingresó"
    answers = [try_login(school, clock, "director") for _ in range(4)]
    assert answers == ["Usuario o contraseña incorrectos."] * 4


def test_every_login_and_refusal_is_audited(school, clock):
    try_login(school, clock, "nadie")
    try_login(school, clock, "director", PASSWORD)
    with transaction(school) as session:
        rows = session.execute(select(AuditLog.username, AuditLog.action).order_by(AuditLog.id))
        assert list(rows) == [("nadie", "login_rechazado"), ("director", "login")]


def test_the_user_row_lock_columns_are_no_longer_used(school, clock):
    for _ in range(6):
        try_login(school, clock, "director")
    with transaction(school) as session:
        user = session.scalar(select(User).where(User.username == "director"))
        assert (user.failed_attempts, user.locked_until) == (0, None)


def test_two_processes_making_the_secret_at_once_agree_on_one(school, clock):
    from reconcile.db import session_factory

    with session_factory(school)() as slow:
        assert sessions._signing_secret(slow) is None  # it looked: no secret yet
        with transaction(school) as fast:  # meanwhile another process makes one
            first = sessions.create(fast, "director", clock)
        second = sessions.create(slow, "director", clock)  # its own insert fails
        slow.commit()
    assert resolve(school, first, clock) is not None
    assert resolve(school, second, clock) is not None


def test_every_branch_runs_exactly_one_password_verification(school, clock, monkeypatch):
    """The same work (so about the same time) for unknown, wrong, locked and right."""
    verifications = []

    class CountingHasher(PasswordHasher):
        def verify(self, *args):  # noqa: ANN002, ANN201
            verifications.append(1)
            return super().verify(*args)

    monkeypatch.setattr(auth, "_hasher", CountingHasher())
    cases = [("nadie", "equivocada")] * 6 + [("director", "equivocada")] * 6 + [
        ("director", PASSWORD)]  # unknown, wrong, locking, locked, and locked-but-right
    for username, password in cases:
        before = len(verifications)
        try_login(school, clock, username, password)
        assert len(verifications) - before == 1, (username, password)
