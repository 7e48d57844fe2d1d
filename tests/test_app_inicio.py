"""Inicio points each role at the next step it can take: a profesor, who may not load
files, is never sent to «Cargar datos»."""
from __future__ import annotations

from pathlib import Path

import pytest

from reconcile.db import transaction
from reconcile.imports import import_libro, import_sige
from tests.app_helpers import make_user, open_page

SAMPLES = Path(__file__).parent / "data" / "samples"


@pytest.fixture
def school(db_url, clock, monkeypatch):
    """The sample school with its nómina only (the Libro Digital not loaded yet)."""
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    with transaction(db_url) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock)
    for role in ("asistencia", "profesor"):
        make_user(db_url, role, role, [24875])
    return db_url


def load_libro(url, clock):  # noqa: ANN001
    with transaction(url) as session:
        import_libro(session, SAMPLES / "libro_asistencia_larga.csv", clock=clock)


def links(at) -> dict[str, str]:  # noqa: ANN001
    """Each page link on the page: its label and the page it opens."""
    return {link.proto.label: link.proto.page for link in at.get("page_link")}


def test_a_file_missing_sends_asistencia_to_load_it(school):
    at = open_page("asistencia", "pages/inicio.py")
    assert not at.exception
    assert "Ir a cargar la nómina y la asistencia" in links(at)


def test_a_file_missing_never_sends_a_profesor_to_load_it(school):
    at = open_page("profesor", "pages/inicio.py")
    assert not at.exception
    shown = links(at)
    assert "Ir a cargar la nómina y la asistencia" not in shown
    assert "Ver el estado" in shown
    assert any("pídalo a la Dirección" in info.value for info in at.info)


def test_with_both_files_a_profesor_reviews_and_asistencia_reviews_before_sending(school,
                                                                                   clock):
    load_libro(school, clock)
    shown = links(open_page("profesor", "pages/inicio.py"))
    assert {"Revisar la conciliación", "Ver el estado"} <= set(shown)
    assert "Revisar la conciliación antes de enviar" not in shown
    shown = links(open_page("asistencia", "pages/inicio.py"))
    assert "Revisar la conciliación antes de enviar" in shown


def test_the_headline_says_what_the_table_and_estado_count(school, clock):
    """«SIGE aún no tiene N de los M días-curso con asistencia»: N adds up the table's
    columns to send, in process and with error, M every column but «Sin registro», and
    both equal Estado's «Días-curso sin sincronizar»."""
    from datetime import date

    from tests.page_sync_helpers import set_day

    load_libro(school, clock)
    set_day(school, "110-2-A", date(2026, 11, 2), "sincronizado")
    set_day(school, "110-1-A", date(2026, 11, 3), "error", "caso_1")
    at = open_page("asistencia", "pages/inicio.py")
    assert not at.exception
    table = at.table[0].value
    not_synced = int(table[["Por sincronizar", "En proceso", "Error"]].sum().sum())
    with_record = not_synced + int(table["Sincronizado"].sum())
    no_record = int(table["Sin registro"].sum())
    assert (not_synced, with_record) == (with_record - 1, with_record) and no_record > 0
    headline = (f"**SIGE aún no tiene {not_synced} de los {with_record} días-curso con "
                f"asistencia en el Libro Digital; {no_record} días-curso de días hábiles no "
                "tienen asistencia en el Libro.**")
    assert headline in [str(m.value) for m in at.markdown]
    estado = open_page("asistencia", "pages/estado.py")
    shown = {m.label: m.value for m in estado.metric}
    assert shown["Días-curso sin sincronizar"] == f"{not_synced} de {with_record}"
