"""End to end in a real browser, as a new user meets it: log in, upload the SIGE nómina
and the Libro's attendance on Cargar datos, then see the samples' problems in
Conciliación and approve the provisional-vs-definitive correction."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.app_helpers import PASSWORD
from tests.browser import log_in, school_in_browser
from tests.cli_helpers import run_cli

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).parent / "data" / "samples"


def upload_and_save(page, tab: str, path: Path, save_key: str) -> None:  # noqa: ANN001
    page.get_by_role("tab", name=tab).click()
    panel = page.get_by_role("tabpanel", name=tab)
    panel.locator("input[type=file]").set_input_files(str(path))
    panel.get_by_text("Archivo revisado sin errores").wait_for()
    panel.get_by_role("button", name="Guardar en la base").click()
    panel.get_by_text("Guardado.").wait_for()


def test_upload_reconcile_and_correct_in_the_browser(tmp_path, clock):
    with school_in_browser(tmp_path, clock, "asistencia", "asistencia") as (page, url):
        log_in(page, "asistencia", PASSWORD)
        page.get_by_role("link", name="Cargar datos").click()
        upload_and_save(page, "Nómina SIGE", SAMPLES / "nomina_sige.xlsx", "save_nomina")
        upload_and_save(page, "Asistencia del Libro Digital",
                        SAMPLES / "libro_asistencia_larga.csv", "save_libro")

        bad = tmp_path / "asistencia_mala.csv"
        bad.write_text("RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia\n"
                       "24875;7° Medio Z;23.456.789-6;Martina;03-11-2026;2;P\n", "utf-8")
        panel = page.get_by_role("tabpanel", name="Asistencia del Libro Digital")
        # after a save only the result is on screen, with a way to load another file
        assert panel.get_by_role("button", name="Guardar en la base").count() == 0
        panel.get_by_role("button", name="Cargar otro archivo").click()
        panel.locator("input[type=file]").set_input_files(str(bad))
        panel.get_by_text("no se guardó nada").wait_for()
        # the error table is a canvas grid: its cells exist for screen readers, hidden
        panel.locator("[role=gridcell]", has_text="7° Medio Z").first.wait_for(state="attached")

        page.get_by_role("link", name="Conciliación").click()
        page.get_by_text("Vista general").wait_for()
        page.locator("strong", has_text="100.234.567-2").first.wait_for()  # the IPE SIGE lacks
        page.get_by_role("button", name=re.compile(r"^Aprobar par de ")).first.click()
        page.get_by_role("button", name="Confirmar").click()
        page.get_by_role("button", name="Deshacer").wait_for()
        page.screenshot(path=str(tmp_path / "conciliacion.png"), full_page=True)

    report = json.loads(run_cli("check", "--from", "2026-11-02", "--to", "2026-11-09",
                                "--json", env={"DATABASE_URL": url}).stdout)
    assert all("100234567-2" not in e["unknown_to_sige"] for e in report["course_days"])
