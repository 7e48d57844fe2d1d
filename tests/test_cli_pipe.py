"""A command whose reader stops early (``| head``) ends quietly: no "Error inesperado
(BrokenPipeError)", no Python message at exit; the status of a writer ended by SIGPIPE."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from reconcile.cli import PIPE_CLOSED
from reconcile.db import transaction
from reconcile.imports import import_libro, import_sige
from tests.cli_helpers import ROOT

SAMPLES = Path(__file__).parent / "data" / "samples"


def started(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reconcile", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ)


def test_config_list_into_a_closed_pipe_ends_quietly(db_url):
    process = started("config", "list")
    process.stdout.close()  # the reader leaves before the first line
    errors = process.stderr.read().decode("utf-8")
    assert process.wait(timeout=120) == PIPE_CLOSED
    assert errors == ""


def test_check_json_cut_after_300_bytes_ends_quietly(db_url, clock):
    with transaction(db_url) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock)
        import_libro(session, SAMPLES / "libro_asistencia_larga.csv", clock=clock)
    process = started("check", "--from", "2026-11-02", "--to", "2026-11-09", "--json")
    head = process.stdout.read(300)  # as `| head -c 300`
    process.stdout.close()
    errors = process.stderr.read().decode("utf-8")
    code = process.wait(timeout=120)
    assert head.startswith(b"{") and len(head) == 300
    assert errors == ""
    assert code in (0, PIPE_CLOSED)  # 0 when the whole output fit in the pipe first


def test_a_reader_that_reads_everything_still_gets_it_all(db_url):
    result = subprocess.run([sys.executable, "-m", "reconcile", "config", "list"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
    assert "sige.base_url" in result.stdout
