"""Configuración in AppTest: values that do not go together are refused naming both fields
and both keys, nothing changed, and pass when changed together; the school's name is
changed on «Establecimiento», shown in the header, audited; an empty name changes nothing."""
from __future__ import annotations

from reconcile import settings
from reconcile.db import transaction
from reconcile.db.models import Establishment
from reconcile.school_name import RENAME_ACTION
from tests.app_helpers import make_school, make_user, open_page
from tests.cli_helpers import snapshot
from tests.test_app_configuracion import audit_rows, submit_of

PAGE = "pages/configuracion.py"
RBD = 24875


def director_page(db_url, clock, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    make_school(db_url, clock, name=f"Establecimiento RBD {RBD}")
    make_user(db_url, "director", "director", [RBD])
    return open_page("director", PAGE)


def test_retry_waits_that_conflict_are_refused_then_pass_together(db_url, clock, monkeypatch):
    at = director_page(db_url, clock, monkeypatch)
    before = snapshot(db_url)
    at.text_input(key="cfg_sync.retry_initial_seconds").input("1000")
    at = submit_of(at, "cfg_sync.retry_initial_seconds").click().run()
    assert not at.exception
    error = at.error[0].value
    assert error.startswith("No se guardó nada: revise «Primera espera antes de reintentar")
    assert "sync.retry_initial_seconds = «1000» no puede ser mayor que " \
           "sync.retry_max_seconds = «900»" in error
    assert snapshot(db_url) == before
    assert at.text_input(key="cfg_sync.retry_initial_seconds").value == "1000"  # kept to fix
    at.text_input(key="cfg_sync.retry_max_seconds").input("2000")
    at = submit_of(at, "cfg_sync.retry_initial_seconds").click().run()
    assert not at.error and "Configuración guardada" in at.success[0].value
    with transaction(db_url) as session:
        assert settings.get_values(session, ["sync.retry_initial_seconds",
                                             "sync.retry_max_seconds"]) == ["1000", "2000"]


def test_the_school_is_renamed_on_its_tab(db_url, clock, monkeypatch):
    at = director_page(db_url, clock, monkeypatch)
    assert at.text_input(key="cfg_school_name").value == f"Establecimiento RBD {RBD}"
    before = snapshot(db_url)
    at.text_input(key="cfg_school_name").input("   ")
    at = submit_of(at, "cfg_school_name").click().run()
    assert "No se guardó nada: El nombre del establecimiento no puede quedar vacío." in \
        at.error[0].value
    assert snapshot(db_url) == before
    at.text_input(key="cfg_school_name").input("Escuela Los Aromos")
    at = submit_of(at, "cfg_school_name").click().run()
    assert not at.exception and not at.error
    assert "Nombre guardado: Escuela Los Aromos (RBD 24875)." in at.success[0].value
    assert any(c.value == f"Escuela Los Aromos (RBD {RBD})" for c in at.caption)  # the header
    with transaction(db_url) as session:
        assert session.get(Establishment, RBD).name == "Escuela Los Aromos"
    [entry] = audit_rows(db_url, RENAME_ACTION)
    assert entry.username == "director" and entry.detail["nombre"] == "Escuela Los Aromos"
