"""«Verificar en SIGE» on Conciliación: for a RUT the nómina does not list, a short
call to the emulator's student check says whether SIGE knows the child; audited
with the RUT masked; a profesor may not ask."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from reconcile import rut as rutlib
from reconcile.db import transaction
from reconcile.db.models import AuditLog
from reconcile.sync.verify import ACTION
from tests.app_helpers import log_in, app
from tests.sync_helpers import NOW_ISO, PASSWORD, build_school, emulator_for

PAGE = "pages/conciliacion.py"


@pytest.fixture
def school(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", NOW_ISO)
    return build_school(db_url, tmp_path / "demo")


def open_course_day(username: str, course: str, day):  # noqa: ANN001, ANN201
    at = log_in(app().run(), username, PASSWORD).switch_page(PAGE).run()
    at.selectbox(key="fix_course").set_value(course).run()
    return at.selectbox(key="fix_day").set_value(day).run()


def planted_unknown(school) -> tuple[str, str]:  # noqa: ANN001
    entry = school.school.manifest.unknown_to_sige[0]
    return entry["course"], rutlib.canonical(entry["rut"])


def test_asistencia_asks_sige_about_an_unknown_rut(school, tmp_path):
    course, rut = planted_unknown(school)
    with emulator_for(school, tmp_path):
        with transaction(school.url) as session:
            day = min(d for d in _days_with(session, school, rut))
        at = open_course_day("asistencia", course, day)
        at.selectbox(key="verify_rut").set_value(rut).run()
        at = at.button(key="verify_button").click().run()
    assert not at.exception
    said = " ".join(w.value for w in at.warning)
    assert f"SIGE no conoce a {rutlib.format(rut)}" in said
    with transaction(school.url) as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == ACTION)).one()
    assert entry.username == "asistencia" and entry.detail["known"] is False
    assert entry.detail["rut"] == rutlib.mask(rut) and rut not in str(entry.detail)


def test_a_profesor_cannot_ask_sige(school):
    course, rut = planted_unknown(school)
    with transaction(school.url) as session:
        day = min(d for d in _days_with(session, school, rut))
    at = open_course_day("profesor", course, day)
    assert not at.exception
    assert not [b for b in at.button if b.key == "verify_button"]
    assert any("Solo Director(a) o Administrador(a) de Asistencia pueden consultar a SIGE"
               in c.value for c in at.caption)


def test_sige_down_is_said_plainly_and_fast(school):
    from tests.sync_helpers import configure

    configure(school.url, {"sige.base_url": "http://127.0.0.1:9"})  # nothing listens there
    course, rut = planted_unknown(school)
    with transaction(school.url) as session:
        day = min(d for d in _days_with(session, school, rut))
    at = open_course_day("asistencia", course, day)
    at.selectbox(key="verify_rut").set_value(rut).run()
    at = at.button(key="verify_button").click().run()
    assert not at.exception
    assert any("SIGE no respondió a tiempo" in e.value for e in at.error)


def _days_with(session, school, rut):  # noqa: ANN001, ANN202
    from reconcile.db.models import AttendanceMark, Student

    return session.scalars(select(AttendanceMark.day).join(
        Student, Student.id == AttendanceMark.student_id).where(
        Student.rbd == school.rbd, Student.rut == rut)).all()
