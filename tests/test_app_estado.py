"""Estado through AppTest on the samples, with course-day states set directly in the
database: the heatmap draws each of the five states with its colour and symbol,
the hover says the state, the cause and SIGE's words, and the errors table gives
a Caso 1 with who is missing, a Caso 2 with the suggested RUN (and a link to
approve it), both named together on a day that has both, and a Caso 3 retried
by itself."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from reconcile import corrections
from reconcile import day_states as states
from reconcile.access import ASISTENCIA, AuthUser
from reconcile.db import transaction
from tests.app_helpers import open_page
from tests.page_sync_helpers import (
    NOT_READY,
    RBD,
    READY,
    SAMPLE_DAYS,
    retrying_job,
    sample_school,
    waiting_job,
)
from tests.page_sync_helpers import set_day as put
from ui.status_view import COLOURS

PAGE = "pages/estado.py"
SOFIA = "23698041-3"  # enrolled in SIGE, absent from the Libro (Caso 1)
IPE, RUN = "100234567-2", "25123456-6"  # the provisional IPE and its definitive RUN (Caso 2)
LATE = date(2026, 11, 16)  # a worked day without any record


@pytest.fixture
def school(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    sample_school(db_url, clock, users=("asistencia",))
    d1, d2, d3, d4 = SAMPLE_DAYS[:4]
    put(db_url, READY, d1, "sincronizado")
    put(db_url, READY, d2, "en_proceso")
    waiting_job(db_url, READY, d2, clock.now())  # SIGE holds it; asked again at 10:15
    put(db_url, NOT_READY, d1, "error", "caso_1", [
        {"titulo": "Curso 1° Básico A", "text": f"RUN {SOFIA} PÉREZ SOTO SOFÍA: FALTANTE",
         "cause": "caso_1", "run": SOFIA}])
    put(db_url, NOT_READY, d2, "error", "caso_2", [
        {"titulo": "Curso 1° Básico A", "mensajes": [f"RUN {IPE}: NO EXISTE EN SIGE"]}])
    put(db_url, NOT_READY, d3, "en_proceso")
    retrying_job(db_url, NOT_READY, d3, clock.now())
    put(db_url, NOT_READY, d4, "error", "rechazado", ["Formato de fecha no válido"])
    return db_url


def figure(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_each_state_has_its_colour_and_symbol(school):
    at = open_page("asistencia", PAGE)
    assert not at.exception
    chart = figure(at)
    heat = next(t for t in chart["data"] if t["type"] == "heatmap")
    rows, columns = heat["y"], heat["x"]
    assert rows == ["1° Básico A", "2° Básico A"]  # courses as people write them
    assert columns[-1] == "lu 16"  # worked days so far, also without any record
    scale = heat["colorscale"]
    low, high = heat["zmin"], heat["zmax"]

    def colour(value: float) -> str:  # the colour the scale gives a z value
        where = (value - low) / (high - low)
        return next(c for stop, c in scale if stop >= where)

    expected = {("2° Básico A", "lu 02"): "sincronizado", ("2° Básico A", "ma 03"): "en_proceso",
                ("1° Básico A", "lu 02"): "error", ("2° Básico A", "mi 04"): "por_sincronizar",
                ("2° Básico A", "lu 16"): "sin_registro"}
    for (course, column), state in expected.items():
        r, c = rows.index(course), columns.index(column)
        assert heat["text"][r][c] == states.SYMBOLS[state]
        assert colour(heat["z"][r][c]) == COLOURS[state], state
    legend = {t["name"] for t in chart["data"] if t.get("showlegend", True) and t.get("name")
              and t["type"] == "scatter" and t["x"] == [None]}
    assert legend == {f"{states.SYMBOLS[s]} {states.LABELS_ES[s]}" for s in states.LABELS_ES}
    hover = next(t for t in chart["data"] if t["type"] == "scatter" and t.get("hovertext"))
    caso_1 = next(h for h in hover["hovertext"] if h.startswith("1° Básico A, 02-11-2026"))
    assert "Caso 1" in caso_1 and "FALTANTE" in caso_1 and "Último cambio: 16-11-2026 09:30" \
        in caso_1


def test_the_errors_table_says_what_to_do(school):
    at = open_page("asistencia", PAGE)
    table = at.table[0].value
    rows = {(row["Fecha"], row["Causa"].split(":")[0]): row for _, row in table.iterrows()}
    # 1° Básico A misses Sofía and carries the IPE every day: SIGE named one cause on each
    # day, the table names both and gives both fixes
    assert set(rows) == {("02-11-2026", "Caso 1 y Caso 2"), ("03-11-2026", "Caso 1 y Caso 2"),
                         ("04-11-2026", "Caso 3"), ("05-11-2026", "SIGE rechazó el envío")}
    for day, said in (("02-11-2026", "FALTANTE"), ("03-11-2026", "NO EXISTE EN SIGE")):
        both = rows[(day, "Caso 1 y Caso 2")]
        assert both["Curso"] == "1° Básico A" and said in both["Lo que dijo SIGE"]
        assert "Sofía Antonia Pérez Soto (23.698.041-3)" in both["Qué hacer"]
        assert "100.234.567-2 → RUN sugerido 25.123.456-6" in both["Qué hacer"]
        assert "estudiantes que faltan" in both["Qué hacer"] and "«Pendientes»" in both["Qué hacer"]
    caso_3 = rows[("04-11-2026", "Caso 3")]
    assert "se reintenta automáticamente" in caso_3["Qué hacer"]
    assert "Intentos sin respuesta de SIGE: 2" in caso_3["Qué hacer"]
    assert "Formato de fecha no válido" in rows[("05-11-2026", "SIGE rechazó el envío")][
        "Lo que dijo SIGE"]
    links = at.get("page_link")
    assert [link.proto.page for link in links] == ["conciliacion"]
    assert "None" not in table.to_string()


def test_a_day_that_only_misses_a_student_is_a_caso_1_alone(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    sample_school(db_url, clock, users=("asistencia",))
    asistencia = AuthUser("asistencia", "Asistencia", ASISTENCIA, (RBD,))
    with transaction(db_url) as session:  # the IPE's definitive RUN approved: no Caso 2 left
        corrections.approve(session, asistencia, RBD, IPE, RUN, "provisional", clock=clock)
    put(db_url, NOT_READY, SAMPLE_DAYS[0], "error", "caso_1", [
        {"titulo": "Curso 1° Básico A", "text": f"RUN {SOFIA} PÉREZ SOTO SOFÍA: FALTANTE",
         "cause": "caso_1", "run": SOFIA}])
    at = open_page("asistencia", PAGE)
    [row] = [row for _, row in at.table[0].value.iterrows()]
    assert row["Causa"] == "Caso 1: faltan estudiantes que SIGE tiene matriculados"
    assert "Sofía Antonia Pérez Soto (23.698.041-3)" in row["Qué hacer"]
    assert "RUT que SIGE no reconoce" not in row["Qué hacer"]


def test_above_the_map_the_close_and_what_is_not_synced(school):
    at = open_page("asistencia", PAGE)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cierre de la declaración"] == "03-12-2026"
    # 12 course-days with a record: 1 synced, the other 11 not yet
    assert metrics["Días-curso sin sincronizar"] == "11 de 12"
    assert metrics["En proceso"] == "2" and metrics["Con error"] == "3"
    assert any("se actualiza sola" in str(c.value) for c in at.caption)


def test_a_course_day_in_detail(school):
    at = open_page("asistencia", PAGE)
    at.selectbox(key="estado_course").set_value(NOT_READY)
    at = at.run()
    at = at.selectbox(key="estado_day").set_value(SAMPLE_DAYS[1]).run()
    shown = " ".join(str(m.value) for m in at.markdown)
    assert "**1° Básico A, 03-11-2026**" in shown
    assert "RUN sugerido 25.123.456-6" in shown


def test_nothing_in_process_no_refresh_and_no_errors(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    sample_school(db_url, clock, users=("asistencia",))
    at = open_page("asistencia", PAGE)
    assert not at.exception
    assert not at.table
    assert any("No hay errores de sincronización en noviembre 2026" in str(c.value)
               for c in at.caption)
    assert not any("se actualiza sola" in str(c.value) for c in at.caption)


def test_the_cli_status_reads_the_same_states(school):
    from tests.cli_helpers import run_cli

    result = run_cli("status", "--json")
    assert result.returncode == 0, result.stderr
    entries = {(e["course"], e["date"]): e for e in json.loads(result.stdout)["course_days"]}
    assert entries[(READY, "2026-11-02")]["state"] == "sincronizado"
    assert entries[(NOT_READY, "2026-11-02")]["cause"] == "caso_1"
    assert entries[(NOT_READY, "2026-11-04")]["state"] == "en_proceso"
    assert (READY, LATE.isoformat()) not in entries  # the stored course-days only
    assert len(entries) == 2 * len(SAMPLE_DAYS)
    assert all(datetime.fromisoformat(e["updated_at"]) for e in entries.values())
    table = run_cli("status")
    assert "Además, 10 días-curso trabajados sin asistencia en el Libro Digital." in \
        table.stdout


def test_an_en_proceso_day_says_when_sige_is_asked_next(school):
    at = open_page("asistencia", PAGE)
    hover = next(t for t in figure(at)["data"] if t["type"] == "scatter" and t.get("hovertext"))
    waiting = next(h for h in hover["hovertext"] if h.startswith("2° Básico A, 03-11-2026"))
    assert "SIGE recibió el envío (ticket T-77)" in waiting
    assert "SIGE se consultará de nuevo a las 10:15." in waiting
    at.selectbox(key="estado_course").set_value(READY)
    at = at.run()
    at = at.selectbox(key="estado_day").set_value(SAMPLE_DAYS[1]).run()
    assert any("SIGE se consultará de nuevo a las 10:15." in str(m.value) for m in at.markdown)


def test_the_map_in_words_and_as_a_table(school):
    at = open_page("asistencia", PAGE)
    summary = next(str(c.value) for c in at.caption if str(c.value).startswith("2 cursos"))
    # 2 courses x 11 worked days: 3 errors, 2 in process, 6 to send, 1 synced, 10 no record
    assert summary == ("2 cursos por 11 días, 22 días-curso: error: 3, en proceso: 2, por "
                       "sincronizar: 6, sincronizado: 1, sin registro: 10.")
    table = at.dataframe[0].value
    assert list(table.index) == ["1° Básico A", "2° Básico A"]
    assert table.loc["2° Básico A", "02-11-2026"] == "✔ Sincronizado"
    assert table.loc["1° Básico A", "02-11-2026"] == "⚠ Error"
    assert table.loc["2° Básico A", "16-11-2026"] == "· Sin registro"
