"""The sostenedor view through AppTest: only the user's schools (a third school's
name appears nowhere on the page), the school at risk first, and the drill-down to
one school's Estado."""
from __future__ import annotations

import json

import pytest

from streamlit.testing.v1 import AppTest

from tests.app_helpers import ROOT, app, log_in, make_user, open_page
from tests.schools_helpers import school_month, worked_days

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
    table = at.table[0].value
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
    assert heat["z"][1] == [1] * days  # the first school: all synced
    hover = next(t for t in chart(at)["data"] if t["type"] == "scatter")["hovertext"][0]
    assert "Sincronizados: 1 de 2 días-curso con registro (50%)" in hover
    assert "Con error: 1" in hover
    assert at.metric[0].value == "03-12-2026"
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
    assert not at.get("plotly_chart") and not at.table


def test_the_navigation_offers_it_only_with_several_schools(schools):
    def pages(username: str) -> set[str]:
        at = log_in(app().run(), username)
        return {page.get("url_pathname", "") for page in at._registered_pages.values()}

    assert any("sostenedor" in path for path in pages("slep"))
    assert not any("sostenedor" in path for path in pages("director"))
