"""Mi cuenta in AppTest: every role finds it last in its menu and changes its own
password (current one, new one twice); a refusal names why, keeps what was typed and
changes nothing; a change ends the user's other sessions, keeps this one, and is audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reconcile import auth, sessions
from reconcile.db import transaction
from reconcile.db.models import AuditLog, LoginSession
from tests.app_helpers import PASSWORD, make_school, make_user, open_page
from tests.cli_helpers import snapshot

PAGE = "pages/mi_cuenta.py"
RBD = 24875
NEW = "otra-clave-2026"


@pytest.fixture
def school(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    make_school(db_url, clock)
    make_school(db_url, clock, 30001, "Liceo Norte")
    for role in ("director", "asistencia", "profesor"):
        make_user(db_url, role, role, [RBD])
    make_user(db_url, "sostenedor", "sostenedor", [RBD, 30001])
    return db_url


def fill(at, current: str, new: str, repeated: str):  # noqa: ANN001, ANN201
    at.text_input(key="mc_current").input(current)
    at.text_input(key="mc_new").input(new)
    at.text_input(key="mc_repeated").input(repeated)
    return next(b for b in at.button if b.label == "Guardar contraseña nueva").click().run()


@pytest.mark.parametrize("role", ["director", "asistencia", "profesor", "sostenedor"])
def test_every_role_has_it_last_in_the_menu(school, role):
    at = open_page(role, PAGE)
    assert not at.exception
    assert at.session_state["menu_titles"][-1] == "Mi cuenta"
    assert [t.value for t in at.title] == ["Mi cuenta"]
    labels = [w.label for w in at.text_input]
    assert labels == ["Contraseña actual", "Contraseña nueva", "Repita la contraseña nueva"]


@pytest.mark.parametrize("current, new, repeated, reason", [
    ("no-es-la-clave", NEW, NEW, "La contraseña actual no es correcta."),
    (PASSWORD, NEW, "otra-clave-2027", "La contraseña nueva y su repetición no coinciden."),
    (PASSWORD, "corta", "corta", "La contraseña debe tener al menos 8 caracteres."),
    (PASSWORD, PASSWORD, PASSWORD, "debe ser distinta de la actual"),
])
def test_a_refused_change_says_why_keeps_the_fields_and_changes_nothing(
        school, current, new, repeated, reason):
    at = open_page("profesor", PAGE)
    before = snapshot(school)
    at = fill(at, current, new, repeated)
    assert not at.exception and not at.success
    assert "No se cambió la contraseña" in at.error[0].value and reason in at.error[0].value
    assert at.text_input(key="mc_new").value == new  # kept, to fix only what was wrong
    assert all(w.proto.type == w.proto.PASSWORD for w in at.text_input)  # and masked
    after = snapshot(school)
    if current != PASSWORD:  # a wrong current password counts as a failed login, nothing more
        assert [row[:2] for row in after.pop("login_throttle")] == [("profesor", 1)]
        before.pop("login_throttle")
    assert after == before
    with transaction(school) as session:
        assert auth.authenticate(session, "profesor", PASSWORD).username == "profesor"


def test_a_change_ends_the_other_sessions_keeps_this_one_and_is_audited(school, clock):
    with transaction(school) as session:  # the same user logged in elsewhere
        elsewhere = sessions.create(session, "asistencia", clock)
    at = open_page("asistencia", PAGE)
    at = fill(at, PASSWORD, NEW, NEW)
    assert not at.exception and not at.error
    assert "Contraseña cambiada" in at.success[0].value
    assert [w.value for w in at.text_input] == ["", "", ""]  # nothing left on screen
    with transaction(school) as session:
        assert auth.authenticate(session, "asistencia", NEW).username == "asistencia"
        with pytest.raises(auth.LoginFailed):
            auth.authenticate(session, "asistencia", PASSWORD)
        assert sessions.resolve(session, elsewhere, clock) is None
        live = session.scalars(select(LoginSession).where(
            LoginSession.username == "asistencia", LoginSession.revoked_at.is_(None))).all()
        assert len(live) == 1  # this browser's new session
        [entry] = session.scalars(select(AuditLog).where(
            AuditLog.action == auth.OWN_PASSWORD_ACTION)).all()
        assert entry.username == "asistencia"
        assert NEW not in str(entry.detail) and PASSWORD not in str(entry.detail)
    at = at.run()  # still logged in: the page, not the login form
    assert [t.value for t in at.title] == ["Mi cuenta"]


def test_guessing_the_current_password_locks_the_user_as_a_login_would(school, clock):
    """A stolen open session cannot guess the password freely: wrong current passwords
    count with wrong logins, and at the limit the change and the login are refused."""
    at = open_page("director", PAGE)
    for _ in range(4):
        at = fill(at, "no-es-la-clave", NEW, NEW)
        assert "La contraseña actual no es correcta." in at.error[0].value
    at = fill(at, "no-es-la-clave", NEW, NEW)  # the fifth: auth.max_failed_logins
    assert "queda bloqueado por 15 minutos" in at.error[0].value
    at = fill(at, PASSWORD, NEW, NEW)  # even the right one, while locked
    assert "Demasiados intentos fallidos" in at.error[0].value and not at.success
    with transaction(school) as session, pytest.raises(auth.LoginFailed,
                                                       match="Demasiados intentos"):
        auth.authenticate(session, "director", PASSWORD, clock)
