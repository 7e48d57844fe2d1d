"""The sostenedor view through AppTest: only the user's schools (a third school's
name appears nowhere on the page), the school at risk first, and the drill-down to
one school's Estado."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from reconcile.db import transaction
from reconcile.db.models import CourseDay
from tests.app_helpers import ROOT, app, log_in, make_user, open_page
from tests.schools_helpers import school_month, worked_days
from ui.status_view import COLOURS, STATE_Z, state_scale

PAGE = "pages/sostenedor.py"
FIRST, SECOND, OTHER = 24875, 30001, 40002
FIRST_NAME, SECOND_NAME, OTHER_NAME = "Escuela Los Aromos", "Liceo Norte", "Colegio Ajeno Zeta"


@pytest.fixture
def schools(db_url, clock, monkeypatch):
    """The second school has an error, a day not recorded, one in process and one to
    send; the first has everything synced; the third, outside the sostenedor's scope,
    has only errors (it would come first if it were read)."""
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    days = worked_days(db_url, clock)

    def second(course: int, day):  # noqa: ANN001, ANN202
        if course == 1:
            return "por_sincronizar" if day == days[-1] else "sincronizado"
        return {days[0]: "error", days[1]: None, days[2]: "en_proceso"}.get(day, "sincronizado")

    school_month(db_url, clock, FIRST, FIRST_NAME, 3, lambda c, d: "sincronizado")
    school_month(db_url, clock, SECOND, SECOND_NAME, 2, second)
    school_month(db_url, clock, OTHER, OTHER_NAME, 4, lambda c, d: "error")
    make_user(db_url, "slep", "sostenedor", [FIRST, SECOND])
    make_user(db_url, "director", "director", [FIRST])
    return days


def page_text(at) -> str:  # noqa: ANN001
    """Everything the page holds: every element's protobuf, the chart's spec included."""
    found = []

    def walk(node) -> None:  # noqa: ANN001
        if getattr(node, "proto", None) is not None:
            found.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(found)


def chart(at) -> dict:  # noqa: ANN001
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def schools_table(at):  # noqa: ANN001, ANN201
    """The schools table (a sortable dataframe; the map's table view has no such column)."""
    [table] = [frame.value for frame in at.dataframe if "Aviso" in frame.value.columns]
    return table


def test_only_the_schools_in_scope(schools):
    at = open_page("slep", PAGE)
    assert not at.exception
    text = page_text(at)
    assert "Escuela Los Aromos" in text and "Liceo Norte" in text
    assert OTHER_NAME not in text and str(OTHER) not in text
    heat = next(t for t in chart(at)["data"] if t["type"] == "heatmap")
    assert heat["y"] == [f"{SECOND_NAME} (RBD {SECOND})", f"{FIRST_NAME} (RBD {FIRST})"]
    assert at.selectbox(key="sostenedor_school").options == [
        f"{SECOND_NAME} (RBD {SECOND})", f"{FIRST_NAME} (RBD {FIRST})"]


def test_the_school_at_risk_first_with_its_counts(schools):
    at = open_page("slep", PAGE)
    table = schools_table(at)
    assert list(table["Establecimiento"]) == [f"{SECOND_NAME} (RBD {SECOND})",
                                              f"{FIRST_NAME} (RBD {FIRST})"]
    second = table.iloc[0]
    days = len(schools)
    assert second["Sincronizados"] == f"{2 * days - 4} de {2 * days - 1}"
    assert (second["Sin sincronizar"], second["Con error"], second["Sin registro en el Libro"]) \
        == ("3", "1", "1")
    assert table.iloc[1]["Sin sincronizar"] == "0"
    assert SECOND_NAME in at.warning[0].value
    heat = next(t for t in chart(at)["data"] if t["type"] == "heatmap")
    assert heat["text"][0][0] == "50%<br>⚠ 1"  # one of two synced, one error
    assert heat["z"][1] == [STATE_Z["sincronizado"]] * days  # the first school: all synced
    assert heat["z"][0][0] == STATE_Z["error"]  # a day with an error is never green
    assert heat["colorscale"] == state_scale()["colorscale"]  # Estado's colours
    hover = next(t for t in chart(at)["data"] if t["type"] == "scatter")["hovertext"][0]
    assert "Sincronizados: 1 de 2 días-curso con registro (50%)" in hover
    assert "Con error: 1" in hover
    assert at.metric[0].value == "03-12-2026"
    assert second["Aviso"] == "1 día-curso con error: Caso 1: faltan estudiantes que SIGE " \
        "tiene matriculados."
    assert table.iloc[1]["Aviso"] == "—"
    assert "Quedan 17 días y 7 horas para el cierre más próximo (03-12-2026 17:00)." in [
        c.value for c in at.caption]


def test_the_drill_down_opens_estado_on_that_school(schools):
    at = open_page("slep", PAGE)
    assert at.session_state["school_in_view"] == FIRST
    at.selectbox(key="sostenedor_school").set_value(SECOND)
    at = at.button(key="sostenedor_open").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Estado"]
    assert at.session_state["school_in_view"] == SECOND
    assert at.selectbox(key="school_selector").value == SECOND  # the header follows
    heat = next(t for t in chart(at)["data"] if t["type"] == "heatmap")
    assert heat["y"] == ["1° Básico A", "2° Básico A"]  # the second school's two courses


def test_a_user_of_one_school_is_sent_to_estado(schools):
    # the navigation does not offer the page to them: run it on its own, as its address would
    at = log_in(AppTest.from_file(str(ROOT / PAGE), default_timeout=30).run(), "director")
    assert not at.exception
    assert "varios establecimientos" in at.info[0].value
    assert not at.get("plotly_chart") and not at.table and not at.dataframe


def test_the_navigation_offers_it_only_with_several_schools(schools):
    def pages(username: str) -> set[str]:
        at = log_in(app().run(), username)
        return {page.get("url_pathname", "") for page in at._registered_pages.values()}

    assert any("sostenedor" in path for path in pages("slep"))
    assert not any("sostenedor" in path for path in pages("director"))


def test_the_headline_adds_up_the_tables_columns(schools):
    at = open_page("slep", PAGE)
    table = schools_table(at)
    shown = {m.label: m.value for m in at.metric}
    for column in ("Sin sincronizar", "Con error", "Sin registro en el Libro"):
        assert shown[column] == str(sum(int(v) for v in table[column])), column
    assert (shown["Sin sincronizar"], shown["Con error"], shown["Sin registro en el Libro"]) \
        == ("3", "1", "1")


def test_a_school_whose_every_send_fails_comes_first_and_says_why(db_url, clock, schools):
    """A third school with fewer course-days missing than Liceo Norte (all of whose are
    left to send), but every send refused for its convenio: first, in Estado's red,
    and its Aviso names the cause."""
    days = schools
    school_month(db_url, clock, 50003, "Escuela Sin Convenio", 1,
                 lambda c, d: {days[0]: "error", days[1]: "por_sincronizar"}.get(d))
    with transaction(db_url) as session:
        session.execute(update(CourseDay).where(CourseDay.rbd == 50003, CourseDay.state ==
                                                "error").values(cause="sin_convenio"))
        session.execute(update(CourseDay).where(CourseDay.rbd == SECOND)
                        .values(state="por_sincronizar"))
    make_user(db_url, "slep3", "sostenedor", [FIRST, SECOND, 50003])
    at = open_page("slep3", PAGE)
    assert not at.exception
    table = schools_table(at)
    assert table.iloc[0]["Establecimiento"] == "Escuela Sin Convenio (RBD 50003)"
    assert table.iloc[0]["Aviso"].startswith("Todos los envíos fallan (1 día-curso con error):"
                                             " Sin convenio")
    assert "Escuela Sin Convenio" in at.warning[0].value
    assert "Todos los envíos fallan" in at.warning[0].value
    heat = next(t for t in chart(at)["data"] if t["type"] == "heatmap")
    assert heat["y"][0] == "Escuela Sin Convenio (RBD 50003)"
    assert heat["z"][0][0] == STATE_Z["error"] and heat["text"][0][0] == "0%<br>⚠ 1"
    assert COLOURS["error"] in str(heat["colorscale"])


def test_the_heatmap_has_a_summary_line_and_a_table_view(schools):
    at = open_page("slep", PAGE)
    days = len(schools)
    summary = next(c.value for c in at.caption if c.value.startswith("2 establecimientos"))
    assert f"por {days} días" in summary
    assert f"Liceo Norte: SIGE tiene {2 * days - 4} de {2 * days - 1} días-curso con " \
           "registro (1 día-curso con error" in summary
    view = at.dataframe[0].value
    assert list(view.index) == [f"{SECOND_NAME} (RBD {SECOND})", f"{FIRST_NAME} (RBD {FIRST})"]
    assert view.iloc[0, 0] == "Error (50% · ⚠ 1)"
    assert view.iloc[1, 0] == "Sincronizado (100%)"


def test_nothing_sent_with_the_close_far_is_said_calmly(db_url, clock, monkeypatch):
    """A month just begun, nothing sent yet and weeks to the close: the first school is
    «más atrasado» (information), not «en riesgo» (a warning)."""
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    school_month(db_url, clock, FIRST, FIRST_NAME, 2, lambda c, d: "por_sincronizar")
    school_month(db_url, clock, SECOND, SECOND_NAME, 1, lambda c, d: "por_sincronizar")
    make_user(db_url, "slep", "sostenedor", [FIRST, SECOND])
    at = open_page("slep", PAGE)
    assert not at.exception
    assert not [w for w in at.warning if "primero" in w.value]
    [calm] = [i.value for i in at.info if "Más atrasado" in i.value]
    assert FIRST_NAME in calm and "Nada enviado a SIGE y quedan 17 días" in calm
