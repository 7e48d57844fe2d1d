"""End to end in a real browser: log in, see the school, log out."""
from __future__ import annotations

import pytest

from tests.app_helpers import PASSWORD
from tests.browser import log_in, school_in_browser

pytestmark = pytest.mark.browser


def test_director_logs_in_sees_the_school_and_logs_out(tmp_path, clock):
    with school_in_browser(tmp_path, clock, "director", "director") as (page, _url):
        log_in(page, "director", "equivocada")
        page.get_by_text("Usuario o contraseña incorrectos.").wait_for()
        log_in(page, "director", PASSWORD)
        page.get_by_text("Escuela Los Aromos").first.wait_for()
        page.get_by_text("Noviembre 2026").wait_for()
        page.screenshot(path=str(tmp_path / "inicio.png"))
        page.get_by_role("button", name="Cerrar sesión").click()
        page.get_by_label("Contraseña").wait_for()
