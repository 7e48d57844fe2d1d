"""Auditoría through AppTest: the entries of the user's school, the filters by person,
action and dates narrowing them, pages, the CSV export (header, neutralised cells),
and nothing of another school."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from reconcile import audit
from reconcile.db import transaction
from reconcile.audit_report import CSV_HEADERS
from tests.app_helpers import open_page
from tests.audit_helpers import FORMULA_NAME, HOME, HOME_NAME, OTHER, OTHER_NAME, at, audited_schools
from tests.test_app_sostenedor import page_text

PAGE = "pages/auditoria.py"


@pytest.fixture
def audited(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    audited_schools(db_url, clock)
    return db_url


def listing(at_):  # noqa: ANN001, ANN201
    return at_.dataframe[0].value


def test_the_listing_shows_the_schools_entries(audited):
    page = open_page("directora", PAGE)
    assert not page.exception
    table = listing(page)
    # what happened first; one school: no Establecimiento column (the CSV keeps it)
    assert list(table.columns) == ["Fecha y hora", "Acción", "Detalle", "Persona",
                                   "Resultado", "Curso", "Día"]
    assert len(table) == 7  # the six recorded and this login
    assert "**7 registros**" in "\n".join(m.value for m in page.markdown)
    assert list(table["Acción"])[:2] == ["Ingreso al panel", "Resultado de un envío a SIGE"]
    assert list(table["Fecha y hora"])[:2] == ["16-11-2026 10:00", "15-11-2026 23:30"]
    # neutralised on the page too: the table's own CSV download never carries a formula
    assert set(table["Persona"]) == {"Directora María Soto", "'" + FORMULA_NAME,
                                     audit.SYSTEM_ES}


def test_filters_narrow_it(audited):
    page = open_page("directora", PAGE)
    page.multiselect(key="auditoria_people").set_value(["asistencia"])
    page = page.run()
    assert set(listing(page)["Persona"]) == {"'" + FORMULA_NAME} and len(listing(page)) == 2
    page.multiselect(key="auditoria_people").set_value([])
    page.multiselect(key="auditoria_actions").set_value(["sync.request", "sync.override"])
    page = page.run()
    assert set(listing(page)["Acción"]) == {"Envío a SIGE solicitado",
                                            "Envío autorizado sin estar listo"}
    assert page.multiselect(key="auditoria_actions").options[0] == "Carga de nómina SIGE"
    page.multiselect(key="auditoria_actions").set_value([])
    page.date_input(key="auditoria_from").set_value(date(2026, 11, 4))
    page.date_input(key="auditoria_to").set_value(date(2026, 11, 4))
    page = page.run()
    assert list(listing(page)["Fecha y hora"]) == ["04-11-2026 10:00"]
    page.date_input(key="auditoria_from").set_value(date(2026, 11, 20))
    page = page.run()
    assert "posterior" in page.error[0].value and not page.dataframe


def test_a_filter_with_nothing_says_so(audited):
    page = open_page("directora", PAGE)
    page.date_input(key="auditoria_from").set_value(date(2026, 11, 17))
    page = page.run()
    assert "No hay registros con estos filtros" in page.info[0].value and not page.dataframe


def test_the_csv_export(audited):
    page = open_page("directora", PAGE)
    page.multiselect(key="auditoria_people").set_value(["asistencia"])
    page = page.run().button(key="auditoria_prepare").click().run()
    assert not page.exception
    filters, data, matched = page.session_state["auditoria_csv"]
    assert filters.people == ("asistencia",) and matched == 2
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == CSV_HEADERS and len(rows) == 3
    assert {row[CSV_HEADERS.index("Persona")] for row in rows[1:]} == {"'" + FORMULA_NAME}
    assert page.get("download_button")


def test_pages_of_a_long_history(audited):
    with transaction(audited) as session:
        for minute in range(120):
            audit.record(session, at(10, 9, minute % 60), "asistencia", "import_libro", HOME,
                         filename=f"libro_{minute}.csv")
    page = open_page("directora", PAGE)
    assert len(listing(page)) == audit.PAGE_SIZE
    page.number_input(key="auditoria_page").set_value(2)
    page = page.run()
    assert len(listing(page)) == 127 - audit.PAGE_SIZE  # 120, the six and this login
    assert "del 101 al 127" in "\n".join(m.value for m in page.markdown)


def test_another_schools_entries_never_show(audited):
    page = open_page("directora", PAGE)
    page = page.run().button(key="auditoria_prepare").click().run()
    text = page_text(page) + page.session_state["auditoria_csv"][1].decode("utf-8-sig")
    assert "Zeta" not in text and str(40002) not in text and "zeta.csv" not in text
    other = open_page("ajeno", PAGE)
    text = page_text(other)
    assert "Zeta" in text and HOME_NAME not in text and "Directora" not in text
    assert f"{OTHER_NAME} (RBD 40002)" in text  # its own school, in the header


def test_a_profesor_opening_it_by_its_address_reads_nothing(audited):
    page = open_page("profesor", PAGE)
    assert not page.exception
    said = "\n".join(m.value for m in [*page.info, *page.error])
    assert "Profesor(a)" in said and "ver la auditoría" in said
    assert not page.dataframe and not page.multiselect and not page.get("download_button")


def test_every_column_fits_a_1366_wide_screen(audited):
    """Each column has a width, and together they fit the ~1,000 px the page has at
    1366 × 768 (the menu takes 300), also with a sostenedor's Establecimiento column."""
    import json

    from tests.app_helpers import make_user

    make_user(audited, "sostenedora", "sostenedor", [HOME, OTHER])
    for person in ("directora", "sostenedora"):
        page = open_page(person, PAGE)
        table = page.dataframe[0]
        widths = {name: config.get("width") for name, config in
                  json.loads(table.proto.columns).items() if name != "_index"}
        assert set(widths) == set(listing(page).columns), person
        assert all(isinstance(w, int) for w in widths.values()), widths
        assert sum(widths.values()) <= 1000, (person, widths)
        assert ("Establecimiento" in widths) == (person == "sostenedora")
    assert any("detalle completo" in c.value for c in page.caption)
