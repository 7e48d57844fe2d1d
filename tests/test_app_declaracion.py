"""Declaración through AppTest: a school's checklist (what blocks, then «Lista para
declarar» once SIGE has every day), the chart, the table and the downloads; a sostenedor's
one row per school."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from reconcile.db import transaction
from reconcile.db.models import CourseDay
from tests.app_helpers import PASSWORD as APP_PASSWORD
from tests.app_helpers import app, log_in, make_school, make_user
from tests.declaration_helpers import tiny_school
from tests.sync_helpers import NOW_ISO, PASSWORD, build_school

PAGE = "pages/declaracion.py"
OTHER, OTHER_NAME = 30001, "Liceo Norte"


@pytest.fixture
def school(db_url, tmp_path, clock, monkeypatch):
    """The hand-counted school, loaded and not sent; a second school without data; a
    sostenedor over both."""
    monkeypatch.setenv("RECONCILE_NOW", NOW_ISO)
    small = build_school(db_url, tmp_path / "files", school=tiny_school())
    make_school(db_url, clock, OTHER, OTHER_NAME)
    make_user(db_url, "slep", "sostenedor", [small.rbd, OTHER])
    return small


def opened(username: str, password: str):  # noqa: ANN201
    at = log_in(app().run(), username, password).switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def synced_as_sent(url: str) -> None:
    """What the worker leaves once SIGE accepted every course-day as the Libro has it."""
    with transaction(url) as session:
        session.execute(update(CourseDay).where(CourseDay.state == "por_sincronizar")
                        .values(state="sincronizado", synced_hash=CourseDay.payload_hash))


@pytest.mark.slow
def test_a_school_sees_what_blocks_then_ready(school, db_url):
    at = opened("asistencia", PASSWORD)
    assert "No lista: 6 días-curso impiden declarar." in at.error[0].value
    blocking, courses = at.dataframe[0].value, at.dataframe[1].value
    assert len(blocking) == 6 and set(blocking["Causa"]) == {"Aún no se envía a SIGE"}
    assert set(blocking["Dónde"]) == {"Sincronización"}
    assert [link.proto.label for link in at.get("page_link")] == ["Ir a Sincronización"]
    assert list(courses["Curso"]) == ["1° Básico A", "1° Básico B"]
    assert list(courses["Asistencia media Libro"]) == [2.0, 1.67]
    assert list(courses["Asistencia media SIGE"]) == [0.0, 0.0]
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert [bar["name"] for bar in bars] == ["SIGE (aceptado)", "Libro Digital (hoy)"]
    assert [d.proto.label for d in at.get("download_button")] == [
        "Descargar resumen (CSV)", "Descargar resumen (Excel)"]
    assert OTHER_NAME not in str(at._tree)  # one school: no schools table

    synced_as_sent(db_url)
    at = opened("asistencia", PASSWORD)
    assert not at.error and "Lista para declarar." in at.success[0].value
    assert list(at.dataframe[0].value["Lista"]) == ["✔ Lista", "✔ Lista"]


def test_a_sostenedor_sees_one_row_per_school(school, db_url):
    at = opened("slep", APP_PASSWORD)
    schools = at.dataframe[0].value
    assert len(schools) == 2
    rows = dict(zip(schools["Establecimiento"], schools["Lista para declarar"], strict=True))
    assert rows[f"{OTHER_NAME} (RBD {OTHER})"] == "✖ No lista"
    assert rows[next(n for n in rows if str(school.rbd) in n)] == "✖ No lista"
    assert list(schools["Días-curso que impiden"]) == [6, 0]
    assert [d.proto.label for d in at.get("download_button")][:2] == [
        "Descargar establecimientos (CSV)", "Descargar establecimientos (Excel)"]
    assert "Qué impide declarar" in [s.value for s in at.subheader]
