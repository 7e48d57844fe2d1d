"""The demo school sent to the SIGE emulator through the command line, as a user
would: ``sync --month`` then ``worker --until-idle`` syncs every ready course-day;
the planted problems are refused before anything is sent, with their Caso; sent
anyway by the Director, SIGE's report puts them in ``error`` with the Caso the
reconciliation (``check --json``) predicted."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest
import requests
from sqlalchemy import select

from reconcile.db import transaction
from reconcile.db.models import AuditLog, SyncJob
from reconcile.demo_setup import DEMO_CREDENTIALS
from reconcile.es_cl import cantidad
from reconcile.sync import jobs
from tests.cli_helpers import ROOT, run_cli
from tests.sync_helpers import (
    FAST_SETTINGS,
    accepted_sends,
    all_jobs,
    as_content,
    configure,
    current_payloads,
    day_states,
    held_content,
    wait_for_line,
)

# Early in the month: the whole demo school (36 courses), five worked days.
NOW = "2026-11-06T10:00"
WORKED = [date(2026, 11, d).isoformat() for d in (2, 3, 4, 5, 6)]
OVERRIDE = "Enviar igual: SIGE debe ver estos cursos para el cierre"

pytestmark = pytest.mark.slow


def cli(*args: str, url: str):
    return run_cli(*args, env={"DATABASE_URL": url, "RECONCILE_NOW": NOW})


@pytest.fixture
def demo_and_sige(db_url, tmp_path):
    """The demo school built by ``demo``, and the emulator as a process serving its
    nómina with the demo convenio; yields the emulator's address."""
    built = cli("demo", "--folder", str(tmp_path / "demo"), "--single-school", url=db_url)
    assert built.returncode == 0, built.stderr
    credentials = ":".join(DEMO_CREDENTIALS[k] for k in
                           ("sige.cliente_id", "sige.convenio_id", "sige.convenio_token"))
    process = subprocess.Popen(
        [sys.executable, "-m", "reconcile", "emulator", "--port", "0", "--nomina",
         str(tmp_path / "demo" / "nomina_sige.xlsx"), "--credentials", credentials,
         "--delay", "0.2", "--state", str(tmp_path / "emulator.db")],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": db_url, "RECONCILE_NOW": NOW},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = wait_for_line(process, "Emulador SIGE escuchando en")
        yield banner.split(" en ", 1)[1].split()[0]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=15)


def inspect(url: str, what: str) -> list[dict]:
    return requests.get(f"{url}/_emulator/{what}", timeout=10).json()


def status(url: str) -> dict:
    shown = cli("status", "--json", url=url)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def by_key(report: dict) -> dict[tuple[str, str], dict]:
    return {(e["course"], e["date"]): e for e in report["course_days"]}


def states_now(url: str) -> dict[tuple[str, str], dict]:
    """What ``status --json`` would say, read directly (one process less per look)."""
    return {(code, day.isoformat()): {"state": row.state, "cause": row.cause}
            for (code, day), row in day_states(url).items()}


def test_the_demo_month_is_sent_through_the_cli(db_url, demo_and_sige):
    sige = demo_and_sige
    configure(db_url, {**FAST_SETTINGS, "sync.concurrency": 4})
    assert cli("config", "set", "sige.base_url", sige, url=db_url).returncode == 0

    checked = cli("check", "--from", WORKED[0], "--to", WORKED[-1], "--json", url=db_url)
    assert checked.returncode == 0, checked.stderr
    verdicts = by_key(json.loads(checked.stdout))
    ready = {key for key, e in verdicts.items() if e["ready"]}
    problems = {key: e["reasons"] for key, e in verdicts.items() if not e["ready"]}
    assert {d for _, d in verdicts} == set(WORKED) and len({c for c, _ in verdicts}) == 36
    assert problems and ready, "the demo plants problems in some courses, not all"

    # Administrador de Asistencia: the ready days are queued, the others refused with their Caso
    asked = cli("sync", "--month", "--user", "asistencia", url=db_url)
    assert asked.returncode == 0, asked.stderr
    assert f"En cola para enviar a SIGE: {cantidad(len(ready), 'día-curso')} en" in asked.stdout
    assert f"No se pusieron en cola: {len(problems)}." in asked.stdout
    for (course, day), reasons in problems.items():
        [line] = [line for line in asked.stdout.splitlines()
                  if line.strip().startswith(f"{course} {date.fromisoformat(day):%d-%m-%Y}:")]
        assert "no está listo" in line
        assert ("Caso 1" in line) == ("caso_1" in reasons), line
        assert ("Caso 2" in line) == ("caso_2" in reasons), line
    shown = states_now(db_url)
    assert {k for k, e in shown.items() if e["state"] == "en_proceso"} == ready
    assert {k for k, e in shown.items() if e["state"] == "por_sincronizar"} == set(problems)
    assert inspect(sige, "sends") == []  # nothing reaches SIGE before the worker

    worked = cli("worker", "--until-idle", url=db_url)
    assert worked.returncode == 0, worked.stderr
    assert "Trabajador detenido" in worked.stdout
    shown = states_now(db_url)
    assert {k for k, e in shown.items() if e["state"] == "sincronizado"} == ready
    assert {k for k, e in shown.items() if e["state"] == "por_sincronizar"} == set(problems)
    sends = inspect(sige, "sends")
    sent = accepted_sends(sends)
    assert set(sent) == ready  # the planted problems were never sent
    assert all(len(contents) == 1 for contents in sent.values())  # each sent once
    with transaction(db_url) as session:
        rbd = session.scalar(select(SyncJob.rbd).limit(1))
    payloads = current_payloads(db_url, rbd)
    held = held_content(inspect(sige, "holdings"))
    assert held == {key: as_content(payloads[(key[0], date.fromisoformat(key[1]))])
                    for key in ready}

    # The Director sends the rest anyway, with a written reason
    forced = cli("sync", "--month", "--user", "director", "--override-reason", OVERRIDE,
                 url=db_url)
    assert forced.returncode == 0, forced.stderr
    assert f"En cola para enviar a SIGE: {cantidad(len(problems), 'día-curso')} en" in forced.stdout
    assert f"Enviados por decisión del Director aunque no están listos: {len(problems)}" in \
        forced.stdout
    assert cli("worker", "--until-idle", url=db_url).returncode == 0
    report = status(db_url)
    shown = by_key(report)
    for key, reasons in problems.items():
        expected = "caso_2" if "caso_2" in reasons else "caso_1"
        assert (shown[key]["state"], shown[key]["cause"]) == ("error", expected), key
    assert Counter(e["state"] for e in shown.values()) == \
        {"sincronizado": len(ready), "error": len(problems)}
    # SIGE got each planted problem once, and holds nothing of those courses
    sent = accepted_sends(inspect(sige, "sends"))
    assert set(sent) == ready | set(problems)
    assert set(held_content(inspect(sige, "holdings"))) == ready

    with transaction(db_url) as session:
        assert {j.state for j in session.scalars(select(SyncJob))} == {jobs.TERMINADO}
        actions = Counter(session.scalars(select(AuditLog.action)))
        overrides = session.scalars(select(AuditLog).where(
            AuditLog.action == "sync.override")).all()
    assert actions["sync.request"] == 2 and actions["sync.override"] == len(problems)
    assert {(o.course, o.day.isoformat()) for o in overrides} == set(problems)
    assert all(o.username == "director" and o.detail["override_reason"] == OVERRIDE
               for o in overrides)
    assert actions["sync.outcome"] == len(all_jobs(db_url))  # one audited outcome per job

    # status --json: the DESIGN.md contract; the table speaks Spanish
    assert set(report) == {"course_days"}
    for entry in report["course_days"]:
        assert {"course", "date", "state", "cause", "updated_at"} <= set(entry) <= \
            {"course", "date", "state", "cause", "updated_at", "rbd"}
        assert entry["updated_at"].startswith("2026-11-06T")
    assert [(e["course"], e["date"]) for e in report["course_days"]] == \
        sorted(((e["course"], e["date"]) for e in report["course_days"]),
               key=lambda k: (tuple(int(p) if p.isdigit() else p for p in k[0].split("-")),
                              k[1]))
    table = cli("status", url=db_url)
    assert table.returncode == 0
    assert "Estado de sincronización, noviembre 2026" in table.stdout
    assert "Error en la sincronización (Caso 2: SIGE no reconoce uno o más RUT)" in table.stdout
    assert "06-11-2026" in table.stdout and "2026-11-06" not in table.stdout

    # everything is final: a new month-wide request queues nothing (exit 2, reasons)
    again = cli("sync", "--month", "--user", "asistencia", url=db_url)
    assert again.returncode == 2
    assert "ya está sincronizado y no ha cambiado" in again.stderr
    assert "No se puso nada en cola" in again.stderr
