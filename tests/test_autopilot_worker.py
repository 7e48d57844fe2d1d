"""The worker as the schools' clock, against the SIGE emulator: ``worker --until-idle``
makes the day's envío automático and sends it, a restart makes no second run, two
workers on PostgreSQL make one, the forecast learns SIGE's real delay, and a day SIGE
rejects queues a «rechazo» alert."""
from __future__ import annotations

import re
import signal
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import func, select

from reconcile.autopilot import risk as close_risk
from reconcile.autopilot import setting as autopilot_setting
from reconcile.clock import FixedClock
from reconcile.db import transaction
from reconcile.db.models import AuditLog, AutopilotRun, OutboxMessage, User
from reconcile.sync import jobs
from tests.sync_helpers import (
    NOW,
    all_jobs,
    build_school,
    emulator_for,
    queue,
    run_worker,
    wait_for_line,
    wait_until,
    worker_process,
)

RUN_AT = "2026-11-17T07:30"  # Tuesday, half an hour after the school's hour
RUT = re.compile(r"\b\d{1,3}(?:\.?\d{3}){2}-[\dkK]\b")
OVERRIDE = "Enviar igual: SIGE debe ver estos cursos"


@pytest.fixture
def small(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILE_MAIL_DIR", str(tmp_path / "correo"))
    school = build_school(db_url, tmp_path / "demo")
    with transaction(db_url) as session:
        autopilot_setting.enable(session, school.user("director"), school.rbd, "07:00",
                                 FixedClock(NOW))
        session.scalars(select(User).where(User.username == "director")).one().email = \
            "directora@escuela.example"
    return school


def runs(url: str) -> int:
    with transaction(url) as session:
        return session.scalar(select(func.count()).select_from(AutopilotRun))


def outbox(url: str) -> list[OutboxMessage]:
    with transaction(url) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_worker_until_idle_makes_the_day_s_run_and_a_restart_makes_none(small, tmp_path):
    with emulator_for(small, tmp_path) as sige:
        first = worker_process(small.url, "--until-idle", now=RUN_AT)
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        found = all_jobs(small.url)
        assert runs(small.url) == 1 and found
        assert {j.state for j in found} == {jobs.TERMINADO}
        assert len(sige.emulator.sends()) == len(found)
        # restarted after the hour, the same day: no second run, nothing sent again
        second = worker_process(small.url, "--until-idle", now="2026-11-17T09:00")
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert runs(small.url) == 1 and len(all_jobs(small.url)) == len(found)
        assert len(sige.emulator.sends()) == len(found)
    # the run's digest went out before the worker stopped, as an .eml (no SMTP server)
    digests = [m for m in outbox(small.url) if m.kind == "digest"]
    assert len(digests) == 1 and digests[0].sent_at is not None
    written = list((tmp_path / "correo").glob("*.eml"))
    assert written and not any(RUT.search(path.read_text(errors="replace"))
                               for path in written)


@pytest.mark.slow
def test_two_workers_on_postgresql_make_one_run(small, tmp_path, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("two worker processes claiming one run at once: the PostgreSQL case")
    with emulator_for(small, tmp_path, latency=0.05) as sige:
        workers = [worker_process(small.url, "--concurrency", "2", now=RUN_AT)
                   for _ in range(2)]
        try:
            for process in workers:
                wait_for_line(process, "Trabajador iniciado")
            wait_until(lambda: runs(small.url) >= 1, what="el envío automático")
            wait_until(lambda: all(j.state == jobs.TERMINADO for j in all_jobs(small.url)),
                       timeout=90, what="todos los envíos terminados")
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=40) for process in workers]
        assert [p.returncode for p in workers] == [0, 0], [err for _, err in outputs]
        sent = sige.emulator.sends()
    assert runs(small.url) == 1
    with transaction(small.url) as session:
        audited = session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "autopilot.run"))
        assert audited == 1
        outcomes = Counter(session.scalars(select(AuditLog.detail["job_id"].as_integer())
                                           .where(AuditLog.action == "sync.outcome")))
    found = all_jobs(small.url)
    assert found and outcomes == {j.id: 1 for j in found}  # each job of the run over once
    # (a unit may reach SIGE twice when a lease lapses under load: the queue's own
    # at-least-once, with the same content; the run itself is never made twice)
    units = {(s["day"], s["cod_ense"], s["cod_grado"]) for s in sent}
    assert units == {(j.day.isoformat(), j.cod_ense, j.cod_grado) for j in found}
    assert len([m for m in outbox(small.url) if m.kind == "digest"]) == 1


@pytest.mark.slow
def test_the_forecast_learns_sige_s_delay_and_a_rejection_alerts_once(small, tmp_path):
    delay = 1.0
    with emulator_for(small, tmp_path, delay=delay):
        queue(small, "asistencia")
        queue(small, "director", OVERRIDE)  # days not ready: SIGE will reject them
        run_worker(small.url, timeout=120)
    with transaction(small.url) as session:
        p90, observed = close_risk.p90_minutes(session, small.rbd)
        risk = close_risk.forecast(session, small.rbd, FixedClock(NOW))
    assert observed >= 10
    # send -> final report: SIGE's delay plus at most a few polls of the worker
    assert delay / 60 <= p90 <= (delay + 2.0) / 60, p90 * 60
    assert risk.p90_minutes == pytest.approx(p90)
    assert risk.pending == 0 and risk.forecast_final is None and risk.held > 0
    alerts = [m for m in outbox(small.url) if m.kind == "alert"]
    assert len(alerts) == 1  # several rejected units, one alert (coalesced within the hour)
    assert "Caso" in alerts[0].body_text and not RUT.search(alerts[0].body_text)
