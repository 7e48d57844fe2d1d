"""The dashboard's login, logout, wrong password and lock-out, through AppTest."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reconcile import auth
from reconcile.db import transaction
from reconcile.db.models import AuditLog, LoginSession
from tests.app_helpers import app, log_in, make_school, make_user


@pytest.fixture
def school(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    make_school(db_url, clock)
    make_user(db_url, "director", "director", [24875])
    return db_url


def texts(at) -> str:
    parts = [el.value for el in (*at.title, *at.markdown, *at.caption, *at.error, *at.warning)]
    parts += [m.value for m in at.metric]
    return "\n".join(str(p) for p in parts)


def test_every_page_starts_at_the_login(school):
    at = app().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Usuario", "Contraseña"]
    assert "Escuela Los Aromos" not in texts(at)


def test_director_logs_in_and_sees_the_school_and_sige_month(school):
    at = log_in(app().run(), "director")
    assert not at.exception
    shown = texts(at)
    assert "Escuela Los Aromos" in shown
    assert "Noviembre 2026" in shown  # 16-11-2026: SIGE's month is November
    assert "Director(a)" in shown
    assert "**Nómina SIGE**: aún no se ha cargado." in shown  # the next step is named


def test_wrong_password_is_refused_without_saying_which_field(school):
    at = log_in(app().run(), "director", "equivocada")
    assert [e.value for e in at.error] == ["Usuario o contraseña incorrectos."]
    assert at.text_input[0].label == "Usuario"


def test_unknown_user_gets_the_same_answer(school):
    at = log_in(app().run(), "nadie", "equivocada")
    assert [e.value for e in at.error] == ["Usuario o contraseña incorrectos."]


def test_five_failures_lock_the_account_even_for_the_right_password(school):
    at = app().run()
    for _ in range(5):
        at = log_in(at, "director", "equivocada")
    assert "bloqueado por 15 minutos" in at.error[0].value
    at = log_in(at, "director")
    assert "Intente de nuevo en 15 minutos" in at.error[0].value
    assert "Escuela Los Aromos" not in texts(at)


def test_logout_returns_to_the_login(school):
    at = log_in(app().run(), "director")
    at.button(key="logout").click()
    at = at.run()
    assert [t.label for t in at.text_input] == ["Usuario", "Contraseña"]
    assert "Escuela Los Aromos" not in texts(at)


def test_a_sostenedor_switches_between_its_schools(school, db_url, clock):
    make_school(db_url, clock, rbd=30001, name="Liceo Bicentenario Norte")
    make_user(db_url, "slep", "sostenedor", [24875, 30001])
    at = log_in(app().run(), "slep")
    assert [s.value for s in at.subheader][0] == "Escuela Los Aromos"
    at.selectbox(key="school_selector").set_value(30001)
    at = at.run()
    assert not at.exception
    assert [s.value for s in at.subheader][0] == "Liceo Bicentenario Norte"


def test_logout_ends_the_login_session_and_is_audited(school, db_url):
    at = log_in(app().run(), "director")
    with transaction(db_url) as session:
        assert session.scalar(select(LoginSession.revoked_at)) is None
    at.button(key="logout").click()
    at.run()
    with transaction(db_url) as session:
        assert session.scalar(select(LoginSession.revoked_at)) is not None
        actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["login", "logout"]


def test_an_idle_session_ends_on_the_next_click(school, clock, monkeypatch):
    at = log_in(app().run(), "director")
    monkeypatch.setenv("RECONCILE_NOW", (clock.now() + timedelta(minutes=59)).isoformat())
    at = at.run()
    assert "Escuela Los Aromos" in texts(at)  # 59 minutes idle: still in
    monkeypatch.setenv("RECONCILE_NOW", (clock.now() + timedelta(minutes=120)).isoformat())
    at = at.run()
    assert [t.label for t in at.text_input] == ["Usuario", "Contraseña"]
    assert "Ingrese nuevamente" in at.info[0].value
    assert "Escuela Los Aromos" not in texts(at)


def test_a_password_change_ends_an_open_dashboard_session(school, db_url):
    at = log_in(app().run(), "director")
    with transaction(db_url) as session:
        auth.set_password(session, "director", "otra-clave-larga")
    at = at.run()
    assert [t.label for t in at.text_input] == ["Usuario", "Contraseña"]
    assert "Escuela Los Aromos" not in texts(at)


def test_a_page_the_role_may_not_open_says_why_and_offers_its_own_pages(school, db_url):
    """Opened by its address, a page outside the role's menu shows why not and links to
    the pages the user has, in Spanish (not Streamlit's "Page not found")."""
    make_user(db_url, "profe", "profesor", [24875])
    at = log_in(app().run(), "profe").switch_page("pages/configuracion.py").run()
    assert not at.exception
    assert "Solo Director(a) puede cambiar la configuración" in at.info[0].value
    links = [link.proto.label for link in at.get("page_link")]
    assert "Inicio" in links and "Conciliación" in links
    assert "Auditoría" not in links and "Configuración" not in links
    assert not at.dataframe
