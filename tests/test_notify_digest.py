"""The daily digest and the alerts, through a real SMTP server: what they say, to
whom, and that no RUT nor child's name is ever in a mail."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from reconcile import auth
from reconcile.autopilot import risk as close_risk
from reconcile.autopilot_summary import RIESGO, HeldDay, Risk, RunSummary
from reconcile.clock import FixedClock, as_santiago
from reconcile.courses import label_of_code
from reconcile.db import transaction
from reconcile.db.models import Course, CourseDay, OutboxMessage
from reconcile.notify import digest, outbox, wording
from reconcile.sige.causes import CASO_1, CASO_2
from reconcile import day_states as states
from tests.mail_helpers import (
    RUT_PATTERN,
    bodies,
    point_at,
    readable,
    small_school,
    smtp_server,
)
from tests.sync_helpers import NOW, build_school

RUN_AT = as_santiago(datetime(2026, 11, 17, 7, 0))
CLOSE = as_santiago(datetime(2026, 12, 3, 17, 0))


@pytest.fixture
def school(db_url, tmp_path):
    small = build_school(db_url, tmp_path / "files")
    with transaction(db_url) as session:
        auth.set_email(session, "director", "directora@colegio.cl")
        auth.set_email(session, "asistencia", "asistencia@colegio.cl")
        auth.set_email(session, "profesor", "profesor@colegio.cl")  # not a recipient
    return small


def _fail(url: str, course_code: str, day, cause: str, at: datetime) -> None:
    """SIGE's final word on a course-day: a failure, with SIGE's own words (which
    name the child by RUT, as SIGE does)."""
    ense, grado, letra = course_code.split("-")
    with transaction(url) as session:
        row = session.scalar(select(CourseDay).join(Course).where(
            Course.cod_ense == int(ense), Course.cod_grado == int(grado),
            Course.letra == letra, CourseDay.day == day))
        states.on_failed(row, cause, [{"codigo": "E12", "texto": "El RUN 12.531.909-2 no "
                                       "está matriculado en el curso"}], at)


def _run(small, held_days: list[HeldDay], queued: int = 18) -> RunSummary:
    by_reason: dict[str, int] = {}
    for day in held_days:
        by_reason[day.reason] = by_reason.get(day.reason, 0) + 1
    return RunSummary(rbd=small.rbd, run_date=RUN_AT.date(), kind="auto", at=RUN_AT,
                      requested_by="director", queued=queued, held=len(held_days),
                      held_by_reason=by_reason, held_days=tuple(held_days))


def _held(small) -> list[HeldDay]:
    """Held days where the demo planted its problems (a child missing, one unknown)."""
    m = small.school.manifest
    worked = small.school.worked_days
    return [HeldDay(m.missing_in_libro[0]["course"],
                    label_of_code(m.missing_in_libro[0]["course"]), worked[0], CASO_1),
            HeldDay(m.missing_in_libro[0]["course"],
                    label_of_code(m.missing_in_libro[0]["course"]), worked[1], CASO_1),
            HeldDay(m.unknown_to_sige[0]["course"],
                    label_of_code(m.unknown_to_sige[0]["course"]), worked[2], CASO_2)]


RISK = Risk(level=RIESGO, pending=23, held=3,
            forecast_final=as_santiago(datetime(2026, 12, 3, 21, 30)), close=CLOSE,
            p90_minutes=95.0)


def test_digest_says_the_numbers_and_never_a_rut_or_a_name(db_url, school):
    m = school.school.manifest
    error_course, error_day = m.unknown_to_sige[0]["course"], school.school.worked_days[3]
    _fail(db_url, error_course, error_day, CASO_2, as_santiago(NOW))
    clock = FixedClock(RUN_AT)
    with smtp_server() as inbox:
        point_at(db_url, inbox.port)  # the panel's address too: the link is the one of now
        with transaction(db_url) as session:
            digest.queue_digest(session, school.rbd, _run(school, _held(school)), RISK, clock)
        assert outbox.deliver_due(clock, worker="w1", url=db_url) == 1

    [got] = inbox.received
    assert sorted(got.rcpt_tos) == ["asistencia@colegio.cl", "directora@colegio.cl"]
    assert got.mail_from == "avisos@colegio.cl"
    message = got.message
    assert message["Subject"] == (f"Asistencia SIGE · RBD {school.rbd} · 18 días-curso "
                                  "en cola para SIGE, 3 retenidos · riesgo de cierre")
    text, html = bodies(message)
    missing_label = label_of_code(m.missing_in_libro[0]["course"])
    unknown_label = label_of_code(m.unknown_to_sige[0]["course"])
    worked = school.school.worked_days
    for body in (text, html):
        assert "se pusieron en cola para SIGE 18 días-curso" in body
        assert "Quedaron retenidos 3 días-curso" in body
        assert "Caso 1: faltan estudiantes que SIGE tiene matriculados: 2" in body
        assert "Caso 2: SIGE no reconoce uno o más RUT: 1" in body
        # one line for a course held on two days, with both dates
        assert f"{missing_label} · {worked[0]:%d-%m} y {worked[1]:%d-%m-%Y} · Caso 1" in body
        assert f"{unknown_label} · {worked[2]:%d-%m-%Y} · Caso 2" in body
        assert "Errores de SIGE desde el último resumen" in body
        assert f"{unknown_label} · {error_day:%d-%m-%Y} · Caso 2" in body
        assert "Riesgo de no llegar al cierre" in body
        assert "Quedan 23 días-curso por enviar o en proceso" in body
        assert "1 hora y 35 minutos" in body
        assert "03-12-2026 21:30" in body and "El cierre es el 03-12-2026 17:00" in body
        assert "3 días-curso retenidos no se enviarán" in body
    assert "Abrir el panel: https://asistencia.colegio.cl/panel" in text
    assert '<a href="https://asistencia.colegio.cl/panel">' in html

    everything = readable(message)
    assert RUT_PATTERN.search(everything) is None, RUT_PATTERN.search(everything)
    for child in school.school.students:
        for name in (f"{child.nombres} {child.ape_paterno}", f"{child.ape_paterno} "
                     f"{child.ape_materno}"):
            assert name not in everything


def test_the_pattern_finds_a_rut_where_there_is_one():
    """The privacy checks above can fail: the pattern sees every way a RUT is written."""
    for written in ("12.531.909-2", "12531909-2", "125319092", "100.234.567-K", "7654321-k"):
        assert RUT_PATTERN.search(f"Alumno {written}."), written
    for harmless in ("16-11-2026", "RBD 12345", "3° Básico A", "07:00"):
        assert RUT_PATTERN.search(harmless) is None, harmless


def test_errors_since_the_last_digest_only(db_url, school):
    m, worked = school.school.manifest, school.school.worked_days
    course = m.unknown_to_sige[0]["course"]
    _fail(db_url, course, worked[0], CASO_2, as_santiago(NOW))
    first = FixedClock(RUN_AT)
    with transaction(db_url) as session:
        digest.queue_digest(session, school.rbd, _run(school, []), RISK, first)
    _fail(db_url, course, worked[1], CASO_2, RUN_AT + timedelta(hours=3))
    second = FixedClock(RUN_AT + timedelta(days=1))
    run = RunSummary(rbd=school.rbd, run_date=second.now().date(), kind="auto",
                     at=second.now(), requested_by="director", queued=0, held=0)
    with transaction(db_url) as session:
        digest.queue_digest(session, school.rbd, run, RISK, second)
        # the same run's digest asked again: still one
        digest.queue_digest(session, school.rbd, run, RISK, second)
    with smtp_server() as inbox:
        point_at(db_url, inbox.port)
        assert outbox.deliver_due(second, worker="w1", url=db_url) == 2
    label = label_of_code(course)
    assert len(inbox.received) == 2  # one per day: the second asked twice went once
    old, new = (bodies(got.message)[0] for got in inbox.received)
    assert f"{label} · {worked[0]:%d-%m-%Y} · Caso 2" in old
    assert f"{label} · {worked[0]:%d-%m-%Y}" not in new
    assert f"{label} · {worked[1]:%d-%m-%Y} · Caso 2" in new
    assert "No quedó ningún día-curso retenido." in new
    assert inbox.received[1].message["Subject"].endswith(
        "0 días-curso en cola para SIGE, 0 retenidos · riesgo de cierre")


def test_nobody_with_an_address_nothing_queued(db_url, caplog):
    rbd = small_school(db_url)
    run = RunSummary(rbd=rbd, run_date=RUN_AT.date(), kind="auto", at=RUN_AT,
                     requested_by="director", queued=2, held=0)
    with transaction(db_url) as session:
        auth.set_email(session, "profesor", "profesor@colegio.cl")  # not a recipient
        digest.queue_digest(session, rbd, run, RISK, FixedClock(RUN_AT))
        digest.queue_alert(session, rbd, "riesgo", ["Riesgo de cierre."], FixedClock(RUN_AT))
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert "profesor@colegio.cl" not in caplog.text


def test_alert_coalesced_one_per_school_and_hour(db_url):
    school = SimpleNamespace(rbd=small_school(db_url))
    with transaction(db_url) as session:
        auth.set_email(session, "asistencia", "asistencia@colegio.cl")
    clock = FixedClock(RUN_AT + timedelta(minutes=5))
    rejected = ["SIGE rechazó 3° Básico A · 02-11-2026 · Caso 2 (El RUN 12.531.909-2 no "
                "está matriculado)"]
    with transaction(db_url) as session:
        digest.queue_alert(session, school.rbd, "rechazo", rejected, clock)
        session.add(OutboxMessage(rbd=school.rbd, kind="x", recipients=[], subject="s",
                                  body_text="t", created_at=clock.now(), attempts=0))
    clock.advance(timedelta(minutes=40))  # the same hour: folded into the first
    with transaction(db_url) as session:  # the caller's transaction goes on after it
        digest.queue_alert(session, school.rbd, "rechazo", ["SIGE rechazó otro día."], clock)
        session.add(OutboxMessage(rbd=school.rbd, kind="y", recipients=[], subject="s",
                                  body_text="t", created_at=clock.now(), attempts=0))
    with transaction(db_url) as session:
        kinds = sorted(session.scalars(select(OutboxMessage.kind)))
    assert kinds == ["alert", "x", "y"]
    with smtp_server() as inbox:
        point_at(db_url, inbox.port)
        outbox.deliver_due(clock, worker="w1", url=db_url)
        alerts = [r for r in inbox.received if "Alerta" in r.message["Subject"]]
        assert len(alerts) == 1
        message = alerts[0].message
        assert message["Subject"] == (f"Asistencia SIGE · RBD {school.rbd} · Alerta: SIGE "
                                      "rechazó días-curso")
        text, _ = bodies(message)
        assert "SIGE rechazó 3° Básico A · 02-11-2026 · Caso 2" in text
        assert "[RUT omitido]" in text and RUT_PATTERN.search(readable(message)) is None
        clock.advance(timedelta(minutes=30))  # the next hour: a new alert may go
        with transaction(db_url) as session:
            digest.queue_alert(session, school.rbd, "riesgo", ["Riesgo de cierre."], clock)
        outbox.deliver_due(clock, worker="w1", url=db_url)
        subjects = [r.message["Subject"] for r in inbox.received if "Alerta" in
                    r.message["Subject"]]
    assert subjects[1].endswith("Alerta: riesgo de cierre") and len(subjects) == 2


def test_a_course_held_several_days_is_one_line_with_its_dates(clock):
    """The digest lists a course held all week once, with its dates, in course order."""
    from reconcile.notify.digest import _held_by_course
    days = [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)]
    held = tuple([HeldDay("110-3-C", "3° Básico C", d, "caso_2") for d in days]
                 + [HeldDay("110-1-B", "1° Básico B", days[1], "caso_1")])
    run = RunSummary(rbd=1, run_date=days[-1], kind="auto", at=clock.now(),
                     requested_by="director", queued=0, held=4, held_days=held)
    assert _held_by_course(run) == ["1° Básico B · 03-11-2026 · Caso 1",
                                    "3° Básico C · 02-11, 03-11 y 04-11-2026 · Caso 2"]


def test_a_fast_sige_is_said_in_words_never_zero_minutes():
    """The forecast's pace where mails, Inicio and the CLI show it: a SIGE that answers
    within the minute (the demo's emulator) is «menos de un minuto», not «0 minutos»."""
    fast = replace(RISK, p90_minutes=0.2)
    assert "en menos de un minuto (percentil 90)" in wording.risk_line(fast)
    assert "(SIGE responde en menos de un minuto por envío)" in " ".join(close_risk.lines_es(fast))
    slow = " ".join([wording.risk_line(RISK)] + close_risk.lines_es(RISK))
    assert "SIGE tarda hasta 1 hora y 35 minutos" in slow and "hasta 95 min por envío" in slow
    assert "0 minutos" not in wording.risk_line(fast) + " ".join(close_risk.lines_es(fast))
