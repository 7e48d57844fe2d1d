"""The worker on SIGE's bad days and the machine's: faulted calls, a worker killed
mid-run, two workers at once, a stop request. Each test reads the database and the
emulator afterwards: every course-day final, every job over once, and SIGE never
holding two different contents for one (date, course)."""
from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from reconcile.db import transaction
from reconcile.db.models import AuditLog
from reconcile.matching import check_report
from reconcile.sige.emulator import FaultPlan
from reconcile.sync import jobs
from tests.sync_helpers import (
    TODAY,
    accepted_sends,
    all_jobs,
    as_content,
    build_school,
    configure,
    current_payloads,
    day_states,
    emulator_for,
    held_content,
    queue,
    run_worker,
    wait_for_line,
    wait_until,
    worker_process,
)
from tests.test_sige_support import leaks

OVERRIDE = "Enviar igual: SIGE debe ver estos cursos"


@pytest.fixture
def small(db_url, tmp_path):
    return build_school(db_url, tmp_path / "demo")


def verdicts(small) -> dict[tuple[str, str], list[str]]:
    """(course, ISO date) -> the reconciliation's reasons (empty: ready)."""
    with transaction(small.url) as session:
        report = check_report(session, small.rbd, min(small.school.worked_days), TODAY)
    return {(e["course"], e["date"]): e["reasons"] for e in report["course_days"]}


def queue_everything(small) -> tuple[set, set]:
    """The ready days by the Administrador de Asistencia, the rest by the Director
    with a reason; returns (ready, not ready) as (course, ISO date)."""
    ready = {(c.code, d.isoformat()) for c, d in queue(small, "asistencia").queued}
    forced = {(c.code, d.isoformat()) for c, d in queue(small, "director", OVERRIDE).queued}
    assert ready and forced and not ready & forced
    return ready, forced


def assert_all_done(small, sige, ready: set, forced: set) -> None:
    """Every job over exactly once; every ready day synced with what SIGE holds;
    every forced day in error with the Caso the reconciliation predicted; SIGE never
    accepted two different contents for a (course, date)."""
    found = all_jobs(small.url)
    assert found and {j.state for j in found} == {jobs.TERMINADO}
    with transaction(small.url) as session:
        outcomes = Counter(session.scalars(select(AuditLog.detail["job_id"].as_integer())
                                           .where(AuditLog.action == "sync.outcome")))
    assert outcomes == {j.id: 1 for j in found}, "a job finished twice or never"
    reasons = verdicts(small)
    days = {(code, d.isoformat()): row for (code, d), row in day_states(small.url).items()}
    for key in ready:
        assert (days[key].state, days[key].cause) == ("sincronizado", None), key
        assert days[key].synced_hash == days[key].payload_hash
    for key in forced:
        expected = "caso_2" if "caso_2" in reasons[key] else "caso_1"
        assert (days[key].state, days[key].cause) == ("error", expected), key
        assert days[key].sige_messages, key
    sent = accepted_sends(sige.emulator.sends())
    assert set(sent) == ready | forced
    for key, contents in sent.items():
        assert len(set(contents)) == 1, f"{key}: SIGE aceptó contenidos distintos"
    payloads = current_payloads(small.url, small.rbd)
    held = held_content(sige.emulator.holdings())
    assert set(held) == ready
    for code, day in ready:
        assert held[(code, day)] == as_content(payloads[(code, date.fromisoformat(day))])


@pytest.mark.slow
def test_thirty_percent_of_sige_calls_faulted(small, tmp_path, caplog):
    caplog.set_level("INFO", logger="reconcile")
    configure(small.url, {"sige.read_timeout": 1})
    faults = FaultPlan(rate=0.3, seed=11, slow_seconds=1.3)
    with emulator_for(small, tmp_path, faults=faults) as sige:
        ready, forced = queue_everything(small)
        run_worker(small.url, concurrency=3, timeout=120)
        calls = sige.emulator.calls()
        injected = Counter(c["fault"] for c in calls if c["fault"])
        assert sum(injected.values()) >= 0.15 * len(calls), injected
        assert {"http_503", "slow", "truncated"} <= set(injected), injected
        assert_all_done(small, sige, ready, forced)
        # a send SIGE took without the worker knowing (slow, truncated) was sent again
        # with the same content: several accepted sends for some course-days
        again = [key for key, contents in accepted_sends(sige.emulator.sends()).items()
                 if len(contents) > 1]
        assert again, "the faults should have made some sends repeat"
        runs = {f"{r.run}" for r in sige.emulator.enrolment.records}
    lines = [record.getMessage() for record in caplog.records]
    assert not leaks(lines, runs), "a log line names a RUT"


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_taken_over(small, tmp_path):
    # after three sends SIGE holds every call that comes: the worker dies with a call
    # in flight, holding its lease (killed between two calls it would hold none)
    with emulator_for(small, tmp_path, delay=1.5, latency=0.3) as sige:
        ready, forced = queue_everything(small)
        first = worker_process(small.url)
        try:
            wait_for_line(first, "Trabajador iniciado")
            wait_until(lambda: len(sige.emulator.sends()) >= 3, what="tres envíos recibidos")
            sige.emulator.hold()
            wait_until(lambda: sige.emulator.held_calls > 0, what="una llamada en curso")
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=15)
            sige.emulator.let_go()
        assert first.returncode == -signal.SIGKILL
        left = [j for j in all_jobs(small.url) if j.state != jobs.TERMINADO]
        assert left, "the worker died with work to do"
        held = [j for j in left if j.claimed_by is not None]
        assert held, "killed while holding jobs"
        assert {j.claimed_by.split(":")[1] for j in held} == {str(first.pid)}
        sige.emulator.latency = 0.0
        second = worker_process(small.url, "--until-idle")
        out, err = second.communicate(timeout=90)
        assert second.returncode == 0, err
        assert_all_done(small, sige, ready, forced)


@pytest.mark.slow
def test_two_workers_at_once_never_share_a_job(small, tmp_path, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("two worker processes on one database: the PostgreSQL case")
    with emulator_for(small, tmp_path, delay=1.0, latency=0.05) as sige:
        workers = [worker_process(small.url, "--concurrency", "2") for _ in range(2)]
        try:
            for process in workers:
                wait_for_line(process, "Trabajador iniciado")
            ready, forced = queue_everything(small)
            wait_until(lambda: all(j.state == jobs.TERMINADO for j in all_jobs(small.url)),
                       timeout=90, what="todos los envíos terminados")
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=40) for process in workers]
        assert [p.returncode for p in workers] == [0, 0], [err for _, err in outputs]
        finished = [int(out.rsplit("Trabajador detenido: ", 1)[1].split()[0])
                    for out, _ in outputs]
        found = all_jobs(small.url)
        assert sum(finished) == len(found)  # each job finished by one worker, once
        assert all(n > 0 for n in finished), f"both workers worked: {finished}"
        # no faults: each unit reached SIGE exactly once (a job claimed by both would
        # have been sent twice)
        sends = sige.emulator.sends()
        units = Counter((s["day"], s["cod_ense"], s["cod_grado"], tuple(sorted(
            c["letra"] for c in s["courses"]))) for s in sends)
        assert set(units.values()) == {1}
        assert len(sends) == len(found) and all(j.attempts == 1 for j in found)
        assert_all_done(small, sige, ready, forced)


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_a_later_worker_finishes(small, tmp_path):
    with emulator_for(small, tmp_path, delay=2.0, latency=0.3) as sige:
        ready, forced = queue_everything(small)
        process = worker_process(small.url)
        wait_for_line(process, "Trabajador iniciado")
        wait_until(lambda: len(sige.emulator.calls()) >= 4, what="llamadas a SIGE en curso")
        process.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        out, err = process.communicate(timeout=40)
        assert time.monotonic() - asked < 30
        sige.emulator.latency = 0.0
        assert process.returncode == 0, err
        assert "Trabajador detenido" in out
        left = [j for j in all_jobs(small.url) if j.state != jobs.TERMINADO]
        assert left, "stopped with work left (SIGE takes 2 s to process a send)"
        # nothing is left leased to the stopped worker: the next one need not wait
        assert all(j.claimed_by is None and j.lease_until is None for j in left)
        run_worker(small.url, timeout=60)
        assert_all_done(small, sige, ready, forced)
