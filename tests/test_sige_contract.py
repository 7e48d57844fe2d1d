"""Contract: the client against the emulator over real HTTP, for every operation
and outcome, the samples' 1° Básico A, and a long run on a bad day."""
from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from reconcile.clock import FixedClock
from reconcile.sige import (
    AttendanceRecord,
    CourseAttendance,
    Run,
    SigeCredentialsRejected,
    SigeError,
    SigeUnavailable,
)
from reconcile.sige.causes import CASO_1, CASO_2, CASO_3, CAUSES, FUERA_DE_MES, SIN_CONVENIO
from reconcile.sige.emulator import ConvenioGrant, FaultPlan
from tests.test_sige_support import (  # noqa: F401 - fixtures
    CREDS,
    OTHER_CREDS,
    RBD,
    SAMPLES,
    make_client,
    no_secrets_in_logs,
    nov16,
    start_emulator,
    synthetic_enrolment,
    timer,
)

SOFIA = "23698041-3"
JOSE_RUN = "25123456-6"
JOSE_IPE = "100234567-2"


def libro_day(course: str, day: str) -> tuple[list[str], list[str]]:
    """(present, absent) RUTs of a course on a day in the samples' Libro, 2nd hour."""
    libro = pd.read_csv(SAMPLES / "libro_asistencia_larga.csv", sep=";", encoding="latin-1", dtype=str)
    rows = libro[(libro["Curso"] == course) & (libro["Fecha"] == day) & (libro["Hora"] == "2")]
    return (rows.loc[rows["Asistencia"] == "P", "RUT"].tolist(),
            rows.loc[rows["Asistencia"] == "A", "RUT"].tolist())


def first_basic_a(day: date, present: list[str], absent: list[str]) -> AttendanceRecord:
    return AttendanceRecord(2026, RBD, 110, 1, day, (CourseAttendance(
        "A", tuple(Run.from_rut(r) for r in present), tuple(Run.from_rut(r) for r in absent)),))


def final_report(client, running, timer, ticket, rbd=RBD):  # noqa: ANN001, ANN201
    result = client.get_report(rbd, ticket)
    assert result.state == "en_proceso" and not result.is_final
    timer.advance(running.emulator.delay_seconds * 4 + 1)
    return client.get_report(rbd, ticket)


def test_samples_first_basic_a_report_3_then_1_after_the_correction(start_emulator, timer):
    running = start_emulator(delay_seconds=20)
    client = make_client(running.url)
    present, absent = libro_day("1° Básico A", "09-11-2026")
    assert "100.234.567-2" in present and not absent
    sent = client.send_attendance(first_basic_a(date(2026, 11, 9), present, absent))
    assert sent.accepted and sent.ticket

    report = final_report(client, running, timer, sent.ticket)
    assert (report.code, report.state) == (3, "observaciones")
    by_run = {f.run: f for f in report.findings}
    assert by_run[SOFIA].cause == CASO_1 and "FALTANTE" in by_run[SOFIA].text
    assert "SOFÍA" in by_run[SOFIA].text
    assert by_run[JOSE_IPE].cause == CASO_2 and "NO EXISTE EN SIGE" in by_run[JOSE_IPE].text
    assert set(report.causes) == {CASO_1, CASO_2}
    assert any("110-1-A" in group["titulo"] for group in report.raw_messages())

    # The approved correction (IPE -> definitive RUN) and Sofía added (absent that day).
    corrected = [JOSE_RUN if r == "100.234.567-2" else r for r in present]
    again = client.send_attendance(first_basic_a(date(2026, 11, 9), corrected, [SOFIA]))
    assert again.accepted and again.ticket != sent.ticket
    fixed = final_report(client, running, timer, again.ticket)
    assert (fixed.code, fixed.state, fixed.causes, fixed.messages) == (1, "procesado", (), ())
    held, = running.emulator.holdings()
    assert held["ticket"] == again.ticket and held["ausentes"] == [SOFIA]


def test_student_check_through_the_client(start_emulator):
    running = start_emulator()
    client = make_client(running.url)
    assert client.validate_student(RBD, Run.from_rut(SOFIA), "Sofía Antonia", "Pérez", "Soto") is True
    assert client.validate_student(RBD, Run.from_rut(JOSE_IPE)) is False


@pytest.mark.parametrize("refuse_with", ["fault", "empty"])
def test_another_providers_credentials_are_sin_convenio(start_emulator, refuse_with):
    running = start_emulator(refuse_with=refuse_with)
    client = make_client(running.url, {RBD: OTHER_CREDS})
    with pytest.raises(SigeCredentialsRejected) as failure:
        client.send_attendance(first_basic_a(date(2026, 11, 9), [SOFIA], []))
    assert failure.value.cause == SIN_CONVENIO
    assert not running.emulator.sends()


def test_a_school_outside_the_convenio_is_rejected_with_sin_convenio(start_emulator):
    grants = [ConvenioGrant(CREDS.cliente_id, CREDS.convenio_id, CREDS.convenio_token, frozenset({11111}))]
    running = start_emulator(grants=grants)
    result = make_client(running.url).send_attendance(first_basic_a(date(2026, 11, 9), [SOFIA], []))
    assert (result.accepted, result.code, result.causes) == (False, 2, (SIN_CONVENIO,))


def test_a_day_outside_sige_month_is_fuera_de_mes(start_emulator):
    running = start_emulator()
    result = make_client(running.url).send_attendance(first_basic_a(date(2026, 10, 30), [SOFIA], []))
    assert (result.accepted, result.code, result.causes) == (False, 2, (FUERA_DE_MES,))
    assert "mes en curso" in result.raw_messages()[0]["mensajes"][0]


def test_a_report_rejected_whole(start_emulator, timer):
    running = start_emulator(delay_seconds=1)
    client = make_client(running.url)
    record = AttendanceRecord(2026, RBD, 110, 1, date(2026, 11, 9),
                              (CourseAttendance("Z", (Run.from_rut(SOFIA),)),))
    sent = client.send_attendance(record)
    report = final_report(client, running, timer, sent.ticket)
    assert (report.code, report.state) == (2, "rechazado") and report.messages


def test_expired_semilla_is_renewed_transparently(start_emulator, timer):
    running = start_emulator(delay_seconds=1)
    client = make_client(running.url)
    sent = client.send_attendance(first_basic_a(date(2026, 11, 9), [SOFIA], []))
    running.emulator.expire_semillas()
    assert client.get_report(RBD, sent.ticket).state == "en_proceso"
    running.emulator.expire_semillas()
    assert client.send_attendance(first_basic_a(date(2026, 11, 9), [SOFIA], [])).accepted
    running.emulator.expire_semillas()
    assert client.validate_student(RBD, Run.from_rut(SOFIA)) is True
    assert len(running.emulator.issued_semillas()) == 4
    assert [s["answer_code"] for s in running.emulator.sends()] == [1, 6, 1]


def test_semilla_lifetime_runs_out_and_is_renewed(start_emulator, timer):
    running = start_emulator(semilla_ttl=120)
    client = make_client(running.url)
    assert client.send_attendance(first_basic_a(date(2026, 11, 9), [SOFIA], [])).accepted
    timer.advance(121)
    assert client.send_attendance(first_basic_a(date(2026, 11, 9), [SOFIA], [])).accepted
    assert len(running.emulator.issued_semillas()) == 2


def test_sige_down_is_caso_3(start_emulator):
    running = start_emulator(faults=FaultPlan(rate=1.0, seed=3, weights={"http_503": 1, "soap_fault": 1}))
    client = make_client(running.url, retries=2)
    with pytest.raises(SigeUnavailable) as failure:
        client.send_attendance(first_basic_a(date(2026, 11, 9), [SOFIA], []))
    assert failure.value.cause == CASO_3
    assert len(running.emulator.calls()) == 3


def test_nobody_listening_is_caso_3():
    client = make_client("http://127.0.0.1:9", retries=1, connect_timeout=0.5)
    with pytest.raises(SigeUnavailable):
        client.semilla(RBD)


@pytest.mark.parametrize("kind", ["http_503", "soap_fault", "html", "slow", "truncated", "semilla_expired"])
def test_the_client_survives_each_fault_kind(start_emulator, kind):
    faults = FaultPlan(rate=0.5, seed=11, weights={kind: 1}, slow_seconds=0.3)
    running = start_emulator(faults=faults)
    client = make_client(running.url, read_timeout=0.15, retries=5)
    record = first_basic_a(date(2026, 11, 9), [SOFIA], [])
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(client.send_attendance(record).state)
        except SigeUnavailable:
            outcomes.append("caso_3")
    assert "aceptado" in outcomes
    assert {c["fault"] for c in running.emulator.calls()} >= {kind}
    assert all(s["courses"] == running.emulator.sends()[0]["courses"] for s in running.emulator.sends())


# --- a bad day: 200 sends with 30% of calls faulted ------------------------------------------


def month_of_sends(enrolment) -> list[AttendanceRecord]:  # noqa: ANN001
    """One send per course and worked day of November 2026 (20 days x 10 courses)."""
    days = [date(2026, 11, 2) + timedelta(days=n) for n in range(26)]
    days = [d for d in days if d.weekday() < 5]
    courses: dict[tuple[int, int], list] = {}
    for record in enrolment.records:
        courses.setdefault((record.cod_ense, record.cod_grado), []).append(record)
    sends = []
    for day in days:
        for (ense, grado), students in sorted(courses.items()):
            absent = [s for j, s in enumerate(students) if (day.day + j + grado) % 7 == 0]
            present = [s for s in students if s not in absent]
            sends.append(AttendanceRecord(2026, RBD, ense, grado, day, (CourseAttendance(
                "A", tuple(Run(s.run, s.dv) for s in present), tuple(Run(s.run, s.dv) for s in absent)),)))
    return sends


def content(record: AttendanceRecord) -> list[dict]:
    return [{"letra": c.letra, "presentes": [r.text for r in c.presentes],
             "ausentes": [r.text for r in c.ausentes]} for c in record.courses]


def test_two_hundred_sends_on_a_bad_day_lose_nothing_and_duplicate_nothing(start_emulator, caplog):
    enrolment = synthetic_enrolment(courses=10, students=5)
    faults = FaultPlan(rate=0.3, seed=2026, slow_seconds=0.5)
    running = start_emulator(enrolment, faults=faults, delay_seconds=0,
                             clock=FixedClock(datetime(2026, 11, 30, 12, 0)))
    # Few retries, so that some sends do fail (30% ** 3 per send) and must say why.
    client = make_client(running.url, read_timeout=0.2, retries=2)
    plan = month_of_sends(enrolment)
    assert len(plan) == 200

    outcomes: dict[int, tuple[str, object]] = {}
    for index, record in enumerate(plan):
        try:
            result = client.send_attendance(record)
        except SigeError as failure:
            outcomes[index] = ("fallido", failure.cause)
            continue
        if result.accepted:
            outcomes[index] = ("aceptado", result.ticket)
        else:
            outcomes[index] = ("fallido", result.causes[0])

    # Every send ended one way or the other, with a cause when it failed.
    assert len(outcomes) == 200
    failed = {i: cause for i, (state, cause) in outcomes.items() if state == "fallido"}
    assert all(cause in CAUSES for cause in failed.values())
    accepted = {i: ticket for i, (state, ticket) in outcomes.items() if state == "aceptado"}
    assert len(set(accepted.values())) == len(accepted)  # one ticket per accepted send
    assert len(accepted) >= 170

    # What arrived: per (day, grade) only ever the planned content; every ticket the
    # client holds is a send SIGE accepted with exactly that content.
    calls = running.emulator.calls()
    assert any(c["fault"] for c in calls), "the run must actually be faulted"
    faulted_share = sum(1 for c in calls if c["fault"]) / len(calls)
    assert 0.2 < faulted_share < 0.4
    received = running.emulator.sends()
    planned = {(r.day.isoformat(), r.cod_ense, r.cod_grado): content(r) for r in plan}
    for send in received:
        assert send["courses"] == planned[(send["day"], send["cod_ense"], send["cod_grado"])]
    by_ticket = {s["ticket"]: s for s in received if s["ticket"]}
    for index, ticket in accepted.items():
        assert by_ticket[ticket]["courses"] == content(plan[index])
    # Extra accepted copies only come from answers the client never got (a timeout or
    # a broken body): each is the same bytes again, and SIGE keeps the latest.
    lost = ("tiempo de espera", "ilegible", "interrumpida")
    lost_answers = sum(1 for r in caplog.records if r.name == "reconcile.sige.client" and r.args
                       and r.args[0] == "addAsistencia" and any(w in r.getMessage() for w in lost))
    extra = sum(1 for s in received if s["answer_code"] == 1) - len(accepted)
    assert 0 <= extra <= lost_answers
    assert extra > 0, "the run must include answers lost after SIGE took the send"

    # Nothing lost: with SIGE back to normal, every ticket reports processed, the
    # failed sends go through on a resend, and SIGE holds all 200 course-days.
    running.emulator.faults.set_rate(0.0)
    for ticket in accepted.values():
        assert client.get_report(RBD, ticket).state == "procesado"
    for index in failed:
        assert client.send_attendance(plan[index]).accepted
    held = {(h["day"], h["cod_ense"], h["cod_grado"]) for h in running.emulator.holdings()}
    assert held == set(planned)


def test_logs_are_captured_and_clean(start_emulator, caplog, timer):
    """The autouse scan checks every line; this makes sure there are lines to check,
    from the client and the emulator, on the paths that handle secrets."""
    running = start_emulator(delay_seconds=1, faults=FaultPlan(rate=0.5, seed=5, slow_seconds=0.2))
    client = make_client(running.url, read_timeout=0.1, retries=6)
    present, _ = libro_day("1° Básico A", "09-11-2026")
    for _ in range(3):
        try:
            sent = client.send_attendance(first_basic_a(date(2026, 11, 9), present, []))
            client.get_report(RBD, sent.ticket)
            client.validate_student(RBD, Run.from_rut(SOFIA))
        except SigeError:
            pass
    with pytest.raises(SigeCredentialsRejected):
        make_client(running.url, {RBD: OTHER_CREDS}, retries=8).semilla(RBD)
    names = Counter(r.name for r in caplog.records)
    assert names["reconcile.sige.client"] and names["reconcile.sige.emulator.service"]
    assert any(r.levelno >= logging.WARNING for r in caplog.records)


def test_a_client_built_from_the_project_settings(db_url, start_emulator, nov16):
    from reconcile import settings
    from reconcile.db import transaction
    from reconcile.db.models import Establishment
    from reconcile.sige.config import client_from_settings

    running = start_emulator()
    with transaction(db_url) as session:
        session.add(Establishment(rbd=RBD, name="Escuela de prueba", created_at=nov16.now()))
        session.flush()
        settings.set_value(session, "sige.base_url", running.url)
        settings.set_value(session, "sige.read_timeout", "7.5")
        settings.set_value(session, "sige.cliente_id", CREDS.cliente_id, rbd=RBD)
        settings.set_value(session, "sige.convenio_id", CREDS.convenio_id, rbd=RBD)
        settings.set_value(session, "sige.convenio_token", CREDS.convenio_token, rbd=RBD)
    client = client_from_settings(db_url, retries=1)
    assert (client.base_url, client.read_timeout, client.connect_timeout) == (running.url, 7.5, 10.0)
    assert client.send_attendance(first_basic_a(date(2026, 11, 9), [SOFIA], [])).accepted
    with pytest.raises(SigeCredentialsRejected):
        client.semilla(11111)  # a school without credentials
