"""``python -m reconcile emulator`` as a real process, and its bad-input answers."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from reconcile import settings
from reconcile.cli import main
from reconcile.cli.sige import calendar_settings
from reconcile.db import transaction
from reconcile.sige import AttendanceRecord, CourseAttendance, Run
from tests.test_sige_support import (  # noqa: F401 - autouse fixture
    CREDS,
    RBD,
    SAMPLES,
    forbidden_now,
    leaks,
    make_client,
    no_secrets_in_logs,
    sample_enrolment,
)

ROOT = Path(__file__).resolve().parents[1]
NOMINA = SAMPLES / "nomina_sige.xlsx"


def read_line(process: subprocess.Popen, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            return process.stdout.readline()
        if process.poll() is not None:
            break
    raise AssertionError(f"el emulador no anunció su dirección: {process.stderr.read()}")


def test_the_emulator_runs_as_a_process_and_stops_on_sigterm(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["RECONCILE_NOW"] = "2026-11-16T10:00"
    credentials = f"{CREDS.cliente_id}:{CREDS.convenio_id}:{CREDS.convenio_token}"
    process = subprocess.Popen(
        [sys.executable, "-m", "reconcile", "emulator", "--port", "0", "--nomina", str(NOMINA),
         "--credentials", credentials, "--delay", "0.3", "--state", str(tmp_path / "emu.db"),
         "--close", "2026-11=2026-12-03T17:00"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = read_line(process)
        assert banner.startswith("Emulador SIGE escuchando en http://127.0.0.1:")
        url = banner.split(" en ", 1)[1].split()[0]
        client = make_client(url)
        record = AttendanceRecord(2026, RBD, 110, 2, date(2026, 11, 9), (CourseAttendance(
            "A", tuple(Run.from_rut(r) for r in ("22987654-6", "22876123-0", "9876543-3"))),))
        sent = client.send_attendance(record)
        assert sent.accepted
        deadline = time.monotonic() + 10
        while (report := client.get_report(RBD, sent.ticket)).state == "en_proceso":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert report.state == "procesado"
        outside = AttendanceRecord(2026, RBD, 110, 2, date(2026, 10, 30), record.courses)
        assert client.send_attendance(outside).causes == ("fuera_de_mes",)
        client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "detenido" in out
    runs = {str(r.run) for r in sample_enrolment().records}
    assert not leaks((out + err).splitlines(), forbidden_now() | runs)
    assert (tmp_path / "emu.db").exists()


@pytest.mark.parametrize("args, words", [
    (["--nomina", "no-existe.xlsx", "--credentials", "a:b:c"], "no existe"),
    (["--nomina", str(NOMINA), "--credentials", "solo-dos:partes"], "CLIENTE:CONVENIO:TOKEN"),
    (["--nomina", str(NOMINA), "--credentials", "a:b:c", "--fault-rate", "1.5"], "--fault-rate"),
    (["--nomina", str(NOMINA), "--credentials", "a:b:c", "--latency", "-1"], "--latency"),
    (["--nomina", str(NOMINA), "--credentials", "a:b:c", "--close", "2026-11"], "--close"),
    (["--nomina", str(NOMINA), "--credentials", "a:b:c", "--close", "2026-11=2026-11-20T17:00"],
     "calendar.close.2026-11"),
])
def test_bad_input_exits_2_with_spanish_reasons(args, words, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["emulator", "--state", str(tmp_path / "e.db"), *args]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "e.db").exists()


def test_calendar_comes_from_the_project_database_then_the_options(db_url):
    with transaction(db_url) as session:
        settings.set_value(session, "calendar.close.2026-11", "2026-12-02T12:00")
        settings.set_value(session, "calendar.close.2026-12", "2027-01-05T17:00")
    values = calendar_settings(["2026-12=2027-01-06T17:00"])
    assert values["calendar.close.2026-11"].startswith("2026-12-02T12:00")
    assert values["calendar.close.2026-12"] == "2027-01-06T17:00"
