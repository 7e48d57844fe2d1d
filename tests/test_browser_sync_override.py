"""Sincronización in a real browser: each day's cloud is named in Spanish for a screen
reader (its date and courses, no icon name), and the Director's reason works as it is
typed: «Sincronizar con motivo» is there and enabled without the box losing focus, no
English «Press Ctrl+Enter» hint shows, and pressing it queues the days not ready."""
from __future__ import annotations

import pytest

from tests.app_helpers import PASSWORD
from tests.browser import accessible_names, browser_page, dashboard, log_in, settled
from tests.page_sync_helpers import NOT_READY, READY, SAMPLE_DAYS, active_jobs, sample_school

pytestmark = pytest.mark.browser


def test_day_clouds_are_named_and_the_override_reacts_while_typing(tmp_path, clock):
    from reconcile.db import upgrade

    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    upgrade(url)
    sample_school(url, clock, users=("director",))
    env = {"DATABASE_URL": url, "RECONCILE_NOW": clock.now().isoformat()}
    with dashboard(env) as address, browser_page(1366, 768) as page:
        page.goto(address)
        log_in(page, "director", PASSWORD)
        page.get_by_role("link", name="Sincronización").click()
        day = SAMPLE_DAYS[0]
        cloud = page.get_by_role("button", name=f"Sincronizar {day:%d-%m-%Y}, todos los cursos")
        cloud.wait_for()
        settled(page)
        buttons = [name for role, name in accessible_names(page) if role == "button"]
        assert f"Sincronizar {SAMPLE_DAYS[-1]:%d-%m-%Y}, todos los cursos" in buttons
        assert not any("cloud" in name or "_" in name for name in buttons), buttons

        cloud.click()
        dialog = page.get_by_role("dialog")
        reason = dialog.get_by_label("Motivo (al menos 10 caracteres)")
        reason.click()
        reason.press_sequentially("Sofía se retiró; SIGE aún no registra el retiro.")
        send = dialog.get_by_role("button", name="Sincronizar con motivo")
        assert send.is_enabled()  # the box still has the focus
        assert "Ctrl+Enter" not in dialog.inner_text() and "Press" not in dialog.inner_text()
        send.click()
        page.get_by_text("Por decisión del Director(a), aunque no están listos: 1 día-curso.",
                         exact=False).first.wait_for()
    assert active_jobs(url) == {(NOT_READY, day), (READY, day)}
