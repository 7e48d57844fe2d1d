"""End to end in a real browser: log in, see the school, refresh and stay logged in,
log out; and a lock-out that answers the same for unknown and known names."""
from __future__ import annotations

import time

import pytest

from sqlalchemy import func, select

from reconcile import auth
from reconcile.db import transaction
from reconcile.db.models import AuditLog
from tests.app_helpers import PASSWORD, make_school, make_user
from tests.browser import log_in, school_in_browser

pytestmark = pytest.mark.browser
COOKIE = "asistencia_sesion"


def session_cookies(page) -> list[dict]:  # noqa: ANN001
    return [c for c in page.context.cookies() if c["name"] == COOKIE]


def test_director_logs_in_sees_the_school_and_logs_out(tmp_path, clock):
    with school_in_browser(tmp_path, clock, "director", "director") as (page, _url):
        log_in(page, "director", "equivocada")
        page.get_by_text("Usuario o contraseña incorrectos.").wait_for()
        log_in(page, "director", PASSWORD)
        page.get_by_text("Escuela Los Aromos").first.wait_for()
        page.get_by_text("Noviembre 2026", exact=True).first.wait_for()
        page.screenshot(path=str(tmp_path / "inicio.png"))
        page.get_by_role("button", name="Cerrar sesión").click()
        page.get_by_label("Contraseña").wait_for()


def test_a_refresh_keeps_the_session_until_logout(tmp_path, clock):
    with school_in_browser(tmp_path, clock, "director", "director") as (page, url):
        with transaction(url) as session:
            auth.add_user(session, "ana", "asistencia", [24875], PASSWORD, "Ana Pérez")
        log_in(page, "ana", PASSWORD)
        page.get_by_text("Ana Pérez").wait_for()
        page.wait_for_function(f"document.cookie.includes('{COOKIE}=')")
        [cookie] = session_cookies(page)
        assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        assert 11.9 * 3600 < cookie["expires"] - time.time() <= 12 * 3600  # auth.session_max_hours
        assert cookie["value"] not in page.url

        page.reload()
        page.get_by_text("Ana Pérez").wait_for()  # still logged in
        page.get_by_role("link", name="Conciliación").click()
        page.reload()
        page.get_by_text("Ana Pérez").wait_for()
        assert page.get_by_label("Contraseña").count() == 0

        page.get_by_role("button", name="Cerrar sesión").click()
        page.get_by_label("Contraseña").wait_for()
        page.wait_for_function(f"!document.cookie.includes('{COOKIE}=')")
        page.reload()
        page.get_by_label("Contraseña").wait_for()  # the login form, not the school
        assert page.get_by_text("Ana Pérez").count() == 0


def test_a_stolen_cookie_is_useless_after_logout(tmp_path, clock):
    with school_in_browser(tmp_path, clock, "director", "director") as (page, _url):
        log_in(page, "director", PASSWORD)
        page.get_by_text("Escuela Los Aromos").first.wait_for()
        page.wait_for_function(f"document.cookie.includes('{COOKIE}=')")
        [stolen] = session_cookies(page)
        page.get_by_role("button", name="Cerrar sesión").click()
        page.get_by_label("Contraseña").wait_for()
        # The login form's fields may still be on the page from before the login while
        # the logout is under way: the cookie's removal says the server has done it.
        page.wait_for_function(f"!document.cookie.includes('{COOKIE}=')")
        page.context.add_cookies([{k: stolen[k] for k in ("name", "value", "domain", "path")}])
        page.reload()
        page.get_by_label("Contraseña").wait_for()
        page.get_by_text("Su sesión terminó").wait_for()


def refusals(url: str, username: str) -> int:
    with transaction(url) as session:
        return session.scalar(select(func.count()).where(AuditLog.username == username,
                                                         AuditLog.action == "login_rechazado"))


def answers(page, url: str, username: str, tries: int = 7) -> list[str]:  # noqa: ANN001
    """The error the real login form shows for each of ``tries`` wrong passwords: each
    read once the server has counted that try and the page has finished drawing it."""
    shown = []
    for attempt in range(1, tries + 1):
        log_in(page, username, "equivocada")
        deadline = time.monotonic() + 60
        while refusals(url, username) < attempt:
            assert time.monotonic() < deadline, "the login was not answered"
            time.sleep(0.1)
        page.wait_for_function("document.querySelector('[data-testid=stApp]')"
                               ".dataset.testScriptState === 'notRunning'")
        shown.append(page.get_by_role("alert").inner_text().strip())
    return shown


def test_unknown_and_known_names_get_identical_answers(tmp_path, clock):
    with school_in_browser(tmp_path, clock, "director", "director") as (page, url):
        known = answers(page, url, "director")
        unknown = answers(page, url, "nadie")
        assert known == unknown
        assert len(set(known)) == 3  # wrong, then locked now, then still locked
        assert known[0] == "Usuario o contraseña incorrectos."


def test_a_sostenedors_school_survives_pages_and_a_refresh(tmp_path, clock):
    with school_in_browser(tmp_path, clock, "director", "director") as (page, url):
        make_school(url, clock, 30001, "Liceo Bicentenario Norte")
        make_user(url, "slep", "sostenedor", [24875, 30001])
        log_in(page, "slep", PASSWORD)
        page.get_by_label("Establecimiento").click()
        page.get_by_role("option", name="Liceo Bicentenario Norte (RBD 30001)").click()
        page.get_by_role("heading", name="Liceo Bicentenario Norte").wait_for()
        page.get_by_role("link", name="Conciliación").click()
        page.get_by_role("heading", name="Conciliación").wait_for()
        page.get_by_role("link", name="Inicio").click()
        page.get_by_role("heading", name="Liceo Bicentenario Norte").wait_for()
        page.reload()
        page.get_by_role("heading", name="Liceo Bicentenario Norte").wait_for()
        assert page.get_by_role("heading", name="Escuela Los Aromos").count() == 0
