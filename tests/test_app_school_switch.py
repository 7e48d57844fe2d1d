"""The school in view is one value every page reads: a sostenedor's choice survives
navigation, and nobody can put a school outside their scope in view."""
from __future__ import annotations

import ast
from datetime import date

import pytest

from reconcile.db import transaction
from reconcile.db.models import Course, Enrolment, Student
from tests.app_helpers import ROOT, app, log_in, make_school, make_user

FIRST, SECOND, OTHER = 24875, 30001, 40002
SECOND_NAME = "Liceo Bicentenario Norte"
SELECTOR = "school_selector"


def registered_pages() -> list[str]:
    """Every page file dashboard.py registers with st.Page, so new pages are covered."""
    tree = ast.parse((ROOT / "dashboard.py").read_text(encoding="utf-8"))
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page"
            and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)]


@pytest.fixture
def schools(db_url, clock, monkeypatch):
    """Two schools of one sostenedor; only the second has a course and students."""
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    make_school(db_url, clock, FIRST, "Escuela Los Aromos")
    make_school(db_url, clock, SECOND, SECOND_NAME)
    make_school(db_url, clock, OTHER, "Colegio Ajeno")
    with transaction(db_url) as session:
        course = Course(rbd=SECOND, year=2026, cod_ense=110, cod_grado=3, letra="B",
                        desc_grado="3° Básico")
        session.add(course)
        for body, dv in ((21_000_001, "3"), (21_000_002, "1")):
            student = Student(rbd=SECOND, rut=f"{body}-{dv}", run=body, dv=dv,
                              kind="definitive", nombres="Estudiante", ape_paterno="Prueba")
            session.add(Enrolment(rbd=SECOND, course=course, student=student,
                                  incorporated_on=date(2026, 3, 1)))
    make_user(db_url, "slep", "sostenedor", [FIRST, SECOND])
    make_user(db_url, "director", "director", [FIRST])
    return db_url


def school_shown(at) -> str:
    """The school named in the header: the selector's choice, or the caption."""
    selectors = [box for box in at.selectbox if box.key == SELECTOR]
    if selectors:
        return selectors[0].options[selectors[0].index]
    return "\n".join(caption.value for caption in at.caption)


def test_the_dashboard_registers_the_known_pages():
    assert {"pages/inicio.py", "pages/cargar_datos.py", "pages/conciliacion.py"} <= set(
        registered_pages())


def test_a_sostenedors_choice_on_inicio_holds_on_every_page(schools):
    at = log_in(app().run(), "slep")
    assert SECOND_NAME not in school_shown(at)
    at.selectbox(key=SELECTOR).set_value(SECOND)
    at = at.run()
    assert [s.value for s in at.subheader][0] == SECOND_NAME
    assert "1 cursos y 2 estudiantes" in "\n".join(m.value for m in at.markdown)
    pages = {"pages/cargar_datos.py", "pages/conciliacion.py", *registered_pages()}
    for page in [*sorted(pages), "pages/inicio.py"]:
        at = at.switch_page(page).run()
        assert not at.exception, page
        assert SECOND_NAME in school_shown(at), page
        assert at.session_state["school_in_view"] == SECOND, page
        if page == "pages/conciliacion.py":  # the second school's course, not the first's
            assert any("3° Básico B" in option for option in at.selectbox(key="course").options)
    assert [s.value for s in at.subheader][0] == SECOND_NAME  # Inicio again: still the second


def test_going_back_to_the_first_school_also_holds(schools):
    at = log_in(app().run(), "slep")
    at.selectbox(key=SELECTOR).set_value(SECOND)
    at = at.switch_page("pages/conciliacion.py").run()
    at.selectbox(key=SELECTOR).set_value(FIRST)
    at = at.run().switch_page("pages/inicio.py").run()
    assert [s.value for s in at.subheader][0] == "Escuela Los Aromos"


def test_a_single_school_user_sees_its_name_and_cannot_reach_another(schools):
    at = log_in(app().run(), "director")
    assert "Escuela Los Aromos (RBD 24875)" in school_shown(at)
    assert not [box for box in at.selectbox if box.key == SELECTOR]
    for tampered in (SECOND, str(SECOND), True, None):
        at.session_state["school_in_view"] = tampered
        at.session_state[SELECTOR] = tampered
        for page in registered_pages():
            at = at.switch_page(page).run()
            assert not at.exception, page
            assert SECOND_NAME not in school_shown(at), page
            assert at.session_state["school_in_view"] == FIRST, page
    at = at.switch_page("pages/inicio.py").run()
    assert [s.value for s in at.subheader][0] == "Escuela Los Aromos"


def test_a_sostenedor_cannot_put_a_school_outside_its_scope_in_view(schools):
    at = log_in(app().run(), "slep")
    at.session_state["school_in_view"] = OTHER
    at = at.switch_page("pages/inicio.py").run()
    assert at.session_state["school_in_view"] == FIRST
    assert "Colegio Ajeno" not in school_shown(at)
    assert at.selectbox(key=SELECTOR).options == ["Escuela Los Aromos (RBD 24875)",
                                                  f"{SECOND_NAME} (RBD {SECOND})"]
