"""Bad input on a page never shows a stack trace: it gets a Spanish error in the page's own
words that says what to do next, and nothing else runs."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconcile.db import transaction
from reconcile.imports import import_libro, import_sige
from tests.app_helpers import make_user, open_page

SAMPLES = Path(__file__).parent / "data" / "samples"


@pytest.fixture
def school(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    with transaction(db_url) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock)
        import_libro(session, SAMPLES / "libro_asistencia_larga.csv", clock=clock)
    for role in ("director", "asistencia"):
        make_user(db_url, role, role, [24875])
    return db_url


def test_a_reversed_range_in_conciliacion_says_how_to_fix_it(school):
    at = open_page("asistencia", "pages/conciliacion.py")
    at.date_input(key="period").set_value((date(2026, 11, 9), date(2026, 11, 2)))
    at = at.run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert "09-11-2026" in error and "02-11-2026" in error and "«Fechas»" in error
    assert "--" not in error  # the command line's flags mean nothing on the page
    assert not at.dataframe  # nothing of the check is shown


def test_reversed_dates_in_auditoria_say_how_to_fix_them(school):
    at = open_page("director", "pages/auditoria.py")
    at.date_input(key="auditoria_from").set_value(date(2026, 11, 20))
    at.date_input(key="auditoria_to").set_value(date(2026, 11, 1))
    at = at.run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert "20-11-2026" in error and "01-11-2026" in error and "cambie" in error
    assert not at.dataframe


@pytest.mark.parametrize("tab, name, data", [
    (0, "nomina.xlsx", b"\x89PNG\r\n\x1a\n" + b"0" * 64),  # a picture named as a workbook
    (1, "libro.csv", b"\xff\xfe\x00\x01 no es una tabla"),
    (0, "nomina.csv", b""),
])
def test_a_file_of_the_wrong_kind_is_refused_in_spanish(school, tab, name, data):
    at = open_page("asistencia", "pages/cargar_datos.py")
    at.tabs[tab].get("file_uploader")[0].upload(name, data)
    at = at.run()
    assert not at.exception
    [error] = [e.value for e in at.error if f"«{name}» tiene problemas: no se guardó nada"
               in e.value]
    # a problem of the whole file is said in full under the headline (rows' go in a table)
    reasons = [line for line in error.splitlines() if line.startswith("- ")]
    assert reasons and all(len(line) > 12 for line in reasons)
