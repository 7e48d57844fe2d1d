"""What a screen reader reads, in a real browser at 1366 × 768: every page of the menu, as
Director, Administrador de Asistencia, profesor and a sostenedor of two schools, read
through Chromium's own accessibility tree. No accessible name may be a Material icon's
name ("cloud_upload icon", "check_circle") or Streamlit's English ("Open", "Help",
"Download as CSV", "day, Desde"); no control may be nameless; the page header ends
within 120 px; and an unknown address shows «Página no encontrada», never "Page not
found". A failure lists every offending (page, role, name) at once."""
from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import datetime

import pytest

from reconcile.clock import FixedClock
from tests.app_helpers import PASSWORD, make_school
from tests.browser import (accessible_names, browser_page, dashboard, free_port, header_bottom,
                           log_in, settled)
from tests.cli_helpers import run_cli

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO_RBD = 10234  # reconcile/demo_setup.py's school
SECOND_RBD = 20145
SECOND_NAME = "Liceo Bicentenario Científico Humanista Los Andes de la Cordillera"
SOSTENEDOR = "sostenedora_prueba"  # ours, whether or not the demo brings one
HEADER_MAX_PX = 120
# Roles whose name is read; table cells (the school's data) are not Streamlit's words.
READ_ROLES = {"button", "link", "combobox", "textbox", "searchbox", "spinbutton", "checkbox",
              "radio", "switch", "tab", "slider", "menuitem", "option", "listbox", "img",
              "image", "heading", "tooltip", "dialog", "columnheader", "navigation",
              "complementary", "group", "region"}
NAMED_ROLES = {"button", "link", "combobox", "textbox", "searchbox", "spinbutton",
               "checkbox", "radio", "switch", "tab", "slider", "img", "image"}
ENGLISH = ["Open", "Help", "Download", "Search", "Fullscreen", "Close", "Clear", "Press",
           "Upload", "Browse", "Choose", "files", "Page not found", "Show", "Hide", "Skip",
           "Collapse", "Expand", "Sidebar", "Link to", "day", "month", "year", "start date",
           "end date", "Empty", "icon", "Remove", "Increment", "Decrement", "Select",
           "not allowed", "App pages"]
ENGLISH_RE = re.compile(r"\b(" + "|".join(re.escape(word) for word in ENGLISH) + r")\b")
ICON_WORDS = {"cloud", "schedule", "warning", "remove", "home", "settings", "history",
              "download", "upload", "login", "logout", "help", "error", "info", "search",
              "close", "check", "cancel", "sync", "domain", "monitoring", "done", "block"}
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def offence(role: str, name: str) -> str | None:
    """Why this accessible name is wrong for a person, or None."""
    if not name.strip():
        return "sin nombre" if role in NAMED_ROLES else None
    if ":material/" in name or SNAKE_CASE.search(name) or name.strip() in ICON_WORDS:
        return "nombre de ícono"
    found = ENGLISH_RE.search(name)
    return f"inglés («{found.group(1)}»)" if found else None


def test_the_offence_rules_can_fail():
    assert offence("button", "cloud_upload icon") == "nombre de ícono"
    assert offence("img", "check_circle") == "nombre de ícono"
    assert offence("img", "schedule") == "nombre de ícono"
    assert offence("button", ":material/sync:") == "nombre de ícono"
    assert offence("button", "Open") == "inglés («Open»)"
    assert offence("button", "Help for Cierre") == "inglés («Help»)"
    assert offence("spinbutton", "day, Desde") == "inglés («day»)"
    assert offence("button", "") == "sin nombre"
    assert offence("generic", "") is None
    assert offence("button", "Sincronizar 03-12-2026, 3° Básico A") is None
    assert offence("combobox", "Establecimiento") is None
    assert offence("link", "Saltar al contenido principal") is None


def problems(page, where: str) -> list[str]:  # noqa: ANN001
    found = []
    for role, name in accessible_names(page):
        if role in READ_ROLES and (why := offence(role, name)):
            found.append(f"{where}: {role} «{name}» — {why}")
    return found


def drawn(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Cerrar sesión").wait_for()
    try:
        settled(page, 30_000)
    except Exception:  # noqa: BLE001 - a page refreshing itself (Estado) still reads
        pass
    page.wait_for_timeout(300)  # the relabeling of ui/spanish.py runs as Streamlit draws


def open_from_menu(page, title: str) -> None:  # noqa: ANN001
    """As a person does: a click in the menu (no reload, so the run stays short)."""
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=title,
                                                           exact=True).click()
    heading = page.get_by_role("heading", name=title, exact=True)
    heading.first.wait_for()  # the page before may still be fading out: two for a moment
    drawn(page)
    assert heading.count() == 1, f"«{title}» drawn twice"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo school (`make run`'s), a second school with a long name, and a
    sostenedor of both; each user's password."""
    folder = tmp_path_factory.mktemp("accesibilidad")
    env = {"DATABASE_URL": f"sqlite:///{folder / 'panel.db'}", "RECONCILE_NOW": "2026-11-16T10:00"}
    assert run_cli("init-db", env=env).returncode == 0
    built = run_cli("demo", "--folder", str(folder / "demo"), "--sige-url",
                    f"http://127.0.0.1:{free_port()}", env=env, timeout=300)
    assert built.returncode == 0, built.stderr
    make_school(env["DATABASE_URL"], FixedClock(datetime(2026, 11, 16, 10)), SECOND_RBD,
                SECOND_NAME)
    users = {"director": "director", "asistencia": "asistencia", "profesor": "profesor",
             "sostenedor": SOSTENEDOR}
    added = run_cli("user", "add", SOSTENEDOR, "--role", "sostenedor", "--rbd", str(DEMO_RBD),
                    "--rbd", str(SECOND_RBD), "--password-stdin", env=env,
                    stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    for name in ("director", "asistencia", "profesor"):
        reset = run_cli("user", "passwd", name, "--password-stdin", env=env,
                        stdin=PASSWORD + "\n")
        assert reset.returncode == 0, reset.stderr
    return env, users


def test_every_page_reads_spanish_to_a_screen_reader_at_1366(demo):
    env, users = demo
    found, heights, menus = [], {}, {}
    with ExitStack() as stack:
        address = stack.enter_context(dashboard(env))
        page = stack.enter_context(browser_page(1366, 768))
        # before login, an unknown address is the login form, in Spanish
        page.goto(f"{address}/no-existe")
        page.get_by_role("textbox", name="Contraseña").wait_for()
        settled(page)
        assert page.get_by_text("Page not found").count() == 0
        found += problems(page, "ingreso (dirección desconocida), sin sesión")
        for role, username in users.items():
            page.context.clear_cookies()
            page.goto(address)
            log_in(page, username, PASSWORD)
            page.get_by_role("button", name="Cerrar sesión").wait_for()
            settled(page)
            links = page.locator("[data-testid=stSidebarNav] a")
            menus[role] = [links.nth(i).inner_text().split("\n")[-1].strip()  # not the icon
                           for i in range(links.count())]
            for title in menus[role]:
                open_from_menu(page, title)
                found += problems(page, f"«{title}», {role}")
                heights[f"«{title}», {role}"] = header_bottom(page)
            page.goto(f"{address}/no-existe")  # typed by hand
            page.get_by_role("heading", name="Página no encontrada").wait_for()
            drawn(page)
            assert page.get_by_text("Page not found").count() == 0
            found += problems(page, f"dirección desconocida, {role}")
            heights[f"dirección desconocida, {role}"] = header_bottom(page)
            for mine in menus[role]:  # the user's own pages, as links beside the menu
                assert page.get_by_role("link", name=mine, exact=True).count() >= 2, mine
            if role == "sostenedor":  # the long name is whole in the selector
                selector = page.get_by_role("combobox", name="Establecimiento")
                selector.click()
                page.get_by_role("option", name=f"{SECOND_NAME} (RBD {SECOND_RBD})").click()
                settled(page)
                value, fits = selector.evaluate(
                    "e => [e.value || e.innerText, e.scrollWidth <= e.clientWidth + 1]")
                assert SECOND_NAME in value and fits, value
    assert "Establecimientos" in menus["sostenedor"] and "Configuración" in menus["director"]
    tall = {where: round(px) for where, px in heights.items() if px > HEADER_MAX_PX}
    assert not tall, f"encabezados de más de {HEADER_MAX_PX} px: {tall}"
    assert not found, "nombres accesibles que no sirven a una persona:\n" + "\n".join(found)
