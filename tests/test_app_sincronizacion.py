"""Sincronización through AppTest on the samples: a day sent through the cloud dialog,
a range and "Seleccionar todas" through the "Sincronización SIGE" dialog (jobs exist
afterwards and the days show the clock), the rules' refusals shown before
confirming, a Director's override, the controls disabled for a profesor, and the
calendar's reason for a month that cannot be sent."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from reconcile.clock import FixedClock
from tests.app_helpers import open_page
from sqlalchemy import update

from reconcile.db import transaction
from reconcile.db.models import CourseDay
from tests.page_sync_helpers import (
    NOT_READY,
    READY,
    SAMPLE_DAYS,
    active_jobs,
    course_id,
    sample_school,
    set_day,
    waiting_job,
)

PAGE = "pages/sincronizacion.py"
CLOCK_ICON = ":material/schedule:"


@pytest.fixture
def school(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    sample_school(db_url, clock)
    return db_url


def texts(at, kind: str) -> list[str]:
    return [str(el.value) for el in at.get(kind)]


def day_state(at, day: date) -> str:
    """The state line drawn in a day's cell (the markdown right after its date)."""
    shown = texts(at, "markdown")
    label = f"**{('lu', 'ma', 'mi', 'ju', 'vi', 'sá', 'do')[day.weekday()]} {day:%d}**"
    return shown[shown.index(label) + 1]


def pick_course(at, code: str | None):  # noqa: ANN001, ANN201
    at.selectbox(key="sync_course").set_value(code)
    return at.run()


def test_one_day_goes_through_the_cloud_dialog(school):
    at = pick_course(open_page("asistencia", PAGE), READY)
    assert not at.exception
    day = SAMPLE_DAYS[0]
    assert "Por sincronizar" in day_state(at, day)
    cloud = at.button(key=f"send_{day.isoformat()}")
    assert cloud.help == "Sincronizar día" and not cloud.disabled
    assert cloud.label == "Sincronizar 02-11-2026, 2° Básico A"  # its name, read aloud
    at = cloud.click().run()
    assert "Se enviarán **1 día-curso en 1 envío** a SIGE." in texts(at, "success")
    assert active_jobs(school) == set()  # nothing queued before confirming
    at = at.button(key="confirm_sync").click().run()
    assert not at.exception
    assert active_jobs(school) == {(READY, day)}
    assert CLOCK_ICON in day_state(at, day) and "En proceso" in day_state(at, day)
    assert "Por sincronizar" in day_state(at, SAMPLE_DAYS[1])  # only that day
    assert any("En cola para enviar a SIGE: 1 día-curso en 1 envío." in t
               for t in texts(at, "success"))
    assert f"send_{day.isoformat()}" not in [b.key for b in at.button]  # no cloud while sent


def test_a_range_goes_through_the_sincronizacion_sige_dialog(school):
    at = pick_course(open_page("asistencia", PAGE), READY)
    at = at.button(key="sync_range_open").click().run()
    first, last = SAMPLE_DAYS[1], SAMPLE_DAYS[3]
    at = at.date_input(key="sync_range").set_value((first, last)).run()
    assert "Se enviarán **3 días-curso en 3 envíos** a SIGE." in texts(at, "success")
    at = at.button(key="confirm_sync").click().run()
    assert not at.exception
    assert active_jobs(school) == {(READY, d) for d in SAMPLE_DAYS[1:4]}
    for day in SAMPLE_DAYS[1:4]:
        assert CLOCK_ICON in day_state(at, day)
    assert "Por sincronizar" in day_state(at, SAMPLE_DAYS[0])


def test_seleccionar_todas_shows_what_is_sent_and_what_is_refused(school):
    at = open_page("asistencia", PAGE)  # every course
    at = at.button(key="sync_range_open").click().run()
    at = at.toggle(key="sync_all").set_value(True).run()
    assert not at.exception
    assert "Se enviarán **6 días-curso en 6 envíos** a SIGE." in texts(at, "success")
    assert "**No se enviarán: 6 días-curso**" in texts(at, "markdown")
    refused = at.table[-1].value
    assert set(refused["Curso"]) == {"1° Básico A"}  # the course people read, not 110-1-A
    assert refused["Motivo"].str.contains("Caso 1").all()
    assert refused["Motivo"].str.contains("Caso 2").all()
    queued = at.table[0].value
    assert set(queued["Curso"]) == {"2° Básico A"} and len(queued) == 6
    at = at.button(key="confirm_sync").click().run()
    assert active_jobs(school) == {(READY, d) for d in SAMPLE_DAYS}
    assert any("No se pusieron en cola: 6 días-curso." in t for t in texts(at, "success"))


def test_a_director_sends_a_day_that_is_not_ready_with_a_reason(school):
    at = pick_course(open_page("director", PAGE), NOT_READY)
    day = SAMPLE_DAYS[0]
    at = at.button(key=f"send_{day.isoformat()}").click().run()
    assert at.button(key="confirm_sync").disabled  # refused: not ready
    override = at.button(key="confirm_override")  # the form's own button, never disabled
    assert override.label == "Sincronizar con motivo" and not override.disabled
    at = at.button(key="confirm_override").click().run()  # nothing typed yet
    assert any("Escriba el motivo" in e.value for e in at.error)
    assert active_jobs(school) == set()
    at.text_area(key="override_reason").input("corto")
    at = at.button(key="confirm_override").click().run()
    assert any("al menos 10 caracteres" in e.value for e in at.error)
    assert at.text_area(key="override_reason").value == "corto"  # what was typed stays
    assert active_jobs(school) == set()
    at.text_area(key="override_reason").input("Sofía se retiró; SIGE aún no registra el retiro.")
    at = at.button(key="confirm_override").click().run()
    assert not at.exception
    assert active_jobs(school) == {(NOT_READY, day)}
    assert any("Por decisión del Director(a), aunque no están listos: 1 día-curso." in t
               for t in texts(at, "success"))


def test_an_asistencia_cannot_override(school):
    at = pick_course(open_page("asistencia", PAGE), NOT_READY)
    at = at.button(key=f"send_{SAMPLE_DAYS[0].isoformat()}").click().run()
    assert not at.text_area and at.button(key="confirm_sync").disabled
    assert "confirm_override" not in [b.key for b in at.button]
    assert any("solo el Director(a) puede enviarlos igual" in t for t in texts(at, "caption"))


def test_a_profesor_sees_the_controls_disabled_and_why(school):
    at = open_page("profesor", PAGE)
    assert not at.exception
    assert at.button(key="sync_range_open").disabled
    clouds = [b for b in at.button if (b.key or "").startswith("send_")]
    assert len(clouds) == len(SAMPLE_DAYS) and all(b.disabled for b in clouds)
    assert any("no puede sincronizar con SIGE" in t for t in texts(at, "info"))
    assert all("solo Director(a) o Administrador(a) de Asistencia" in b.help for b in clouds)


def test_a_closed_month_shows_the_calendars_reason(school):
    at = open_page("asistencia", PAGE)
    at = at.selectbox(key="sync_month").select_index(1).run()  # the month before SIGE's
    warning = " ".join(texts(at, "warning"))
    assert "octubre 2026 ya cerró su período de declaración" in warning
    assert at.button(key="sync_range_open").disabled


def test_early_in_a_month_sige_still_takes_the_previous_one(db_url, monkeypatch):
    early = FixedClock(datetime(2026, 11, 2, 9, 0))
    monkeypatch.setenv("RECONCILE_NOW", early.now().isoformat())
    sample_school(db_url, early, users=("asistencia",))
    at = open_page("asistencia", PAGE)
    assert "Octubre 2026 (mes actual de SIGE)" in at.selectbox(key="sync_month").options[0]
    at = at.selectbox(key="sync_month").select_index(2).run()  # November, not yet open
    warning = " ".join(texts(at, "warning"))
    assert "SIGE aún está en el mes de octubre 2026" in warning
    assert "alrededor del día 7" in warning
    assert at.button(key="sync_range_open").disabled


def synced_unchanged(url: str, code: str) -> None:
    """Every stored day of ``code`` synced, SIGE holding exactly what the Libro has."""
    with transaction(url) as session:
        session.execute(update(CourseDay).where(CourseDay.course_id == course_id(session, code))
                        .values(state="sincronizado", synced_hash=CourseDay.payload_hash))


def test_the_dialog_lists_what_can_be_acted_on_first_and_folds_the_rest(school):
    synced_unchanged(school, READY)
    at = open_page("asistencia", PAGE)
    at = at.button(key="sync_range_open").click().run()
    at = at.toggle(key="sync_all").set_value(True).run()
    assert not at.exception
    assert "No hay días-curso listos para enviar con esta selección." in texts(at, "warning")
    assert "**No se enviarán: 6 días-curso**" in texts(at, "markdown")
    actionable, settled = at.table[0].value, at.table[1].value
    assert set(actionable["Curso"]) == {"1° Básico A"} and len(actionable) == 6
    assert actionable["Motivo"].str.contains("Caso 1").all()
    folded = [e for e in at.expander if e.label.startswith("6 días-curso que no necesitan")]
    assert len(folded) == 1
    assert set(settled["Curso"]) == {"2° Básico A"} and len(settled) == 6
    assert settled["Motivo"].str.startswith("Ya está sincronizado").all()


def test_seleccionar_todas_shows_the_month_it_takes(school):
    at = open_page("asistencia", PAGE)
    at = at.button(key="sync_range_open").click().run()
    assert at.date_input(key="sync_range").value == (date(2026, 11, 1), date(2026, 11, 16))
    at = at.toggle(key="sync_all").set_value(True).run()
    assert "sync_range" not in [d.key for d in at.date_input]  # the dates give way
    assert any(t.startswith("Todo noviembre 2026 hasta hoy: del 01-11-2026 al 16-11-2026, "
                            "11 días trabajados.") for t in texts(at, "info"))


def test_an_en_proceso_day_says_when_sige_is_asked_next(school, clock):
    day = SAMPLE_DAYS[0]
    set_day(school, READY, day, "en_proceso")
    waiting_job(school, READY, day, clock.now())
    at = pick_course(open_page("asistencia", PAGE), READY)
    label = f"**lu {day:%d}**"
    detail = next(m.proto.help for m in at.markdown if m.value == label)
    assert "SIGE recibió el envío (ticket T-77)" in detail
    assert "SIGE se consultará de nuevo a las 10:15." in detail
