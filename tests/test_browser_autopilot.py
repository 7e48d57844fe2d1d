"""The envío automático in a real browser, as a new user meets it: a Director turns it on
at 20:00 in Configuración and Inicio announces the next run; then the worker
(`worker --until-idle`, pinned after the hour) makes the run, SIGE (the emulator)
answers, the digest is delivered as an .eml file, and Inicio shows the last run and the
digest in «Avisos». 1366 × 768, as the schools' screens."""
from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_bytes, policy

import pytest

from reconcile import auth
from reconcile.clock import FixedClock
from reconcile.db import transaction
from tests.browser import ROOT, browser_page, dashboard, log_in, settled
from tests.mail_helpers import RUT_PATTERN, readable
from tests.sync_helpers import NOW, NOW_ISO, PASSWORD, build_school, configure, emulator_for

pytestmark = pytest.mark.browser

AFTER_THE_HOUR = "2026-11-16T20:05"  # the same Monday, after the school's 20:00


def test_a_director_turns_it_on_and_inicio_shows_the_next_run_then_the_digest(tmp_path):
    url = f"sqlite:///{tmp_path / 'envio.db'}"
    from reconcile.db import upgrade

    upgrade(url)
    small = build_school(url, tmp_path / "demo")
    with transaction(url) as session:
        auth.set_email(session, "director", "directora@escuela.example", FixedClock(NOW))
    # the worker runs ten hours later than the panel's clock: the daily clean-up would
    # end a session idle that long, as it should; here the director stays logged in
    configure(url, {"auth.session_idle_minutes": 720})
    mail_dir = tmp_path / "correo"
    env = {"DATABASE_URL": url, "RECONCILE_NOW": NOW_ISO, "RECONCILE_MAIL_DIR": str(mail_dir)}
    with emulator_for(small, tmp_path), dashboard(env) as address, \
            browser_page(1366, 768) as page:
        page.goto(address)
        log_in(page, "director", PASSWORD)
        page.get_by_role("heading", name="Envío automático").wait_for()  # Inicio's block
        settled(page)  # Inicio's first run done (a click mid-run would stop it mid-import)
        page.get_by_role("link", name="Configuración", exact=True).click()
        page.get_by_role("tab", name="Envío automático").click()
        panel = page.get_by_role("tabpanel", name="Envío automático")
        panel.get_by_text("Desactivado").wait_for()
        panel.get_by_text("Envío automático activado").click()  # the switch's label
        hour = panel.get_by_role("textbox", name="Hora del envío automático (HH:MM, hora "
                                 "de Chile continental)")
        hour.fill("20:00")
        panel.get_by_role("button", name="Guardar").click()
        panel.get_by_text("Envío automático activado a las 20:00. Próximo envío automático: "
                          "lunes 16-11-2026 a las 20:00.").wait_for()

        page.get_by_role("link", name="Inicio", exact=True).click()
        page.get_by_role("heading", name="Envío automático").wait_for()
        page.get_by_text("Próximo envío automático: lunes 16-11-2026 a las 20:00.").wait_for()
        page.get_by_text("Aún no hay avisos por correo de este establecimiento.").wait_for()

        # the worker make run starts, here until idle, after the hour
        worker = subprocess.run(
            [sys.executable, "-m", "reconcile", "worker", "--until-idle"], cwd=ROOT,
            env={**os.environ, **env, "RECONCILE_NOW": AFTER_THE_HOUR},
            capture_output=True, text=True, timeout=120)
        assert worker.returncode == 0, worker.stderr

        page.reload()
        settled(page)
        page.get_by_text("Último envío: Envío automático del 16-11-2026 20:05").wait_for()
        avisos = page.get_by_role("table").filter(has_text="Asunto")
        avisos.get_by_text("Resumen diario").wait_for()
        row = avisos.get_by_role("row").filter(has_text="Resumen diario").inner_text()
        assert "Enviado el 16-11-2026 20:0" in row
        assert f"archivo .eml en la carpeta {mail_dir}" in row
        # the next run is tomorrow's: today's is made
        page.get_by_text("Próximo envío automático: martes 17-11-2026 a las 20:00.").wait_for()

    [eml] = list(mail_dir.glob("*.eml"))
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "directora@escuela.example"
    assert message["Subject"].startswith(f"Asistencia SIGE · RBD {small.rbd} · ")
    assert message["Subject"] in row  # the digest Inicio lists is the one written
    assert not RUT_PATTERN.search(readable(message))
