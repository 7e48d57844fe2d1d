"""`make run SIGE_PORT=…` (issue 8): the demo's sige.base_url follows the port of the
emulator it starts, through the command the Makefile calls (`demo --if-empty
--sige-url`), and an address set to another host (a real SIGE) is never overwritten."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reconcile import settings
from reconcile.db import session_factory
from tests.cli_helpers import ROOT, run_cli, snapshot

NOW = {"RECONCILE_NOW": "2026-11-20T09:00"}
NOMINA = Path(__file__).parent / "data" / "samples" / "nomina_sige.xlsx"


def base_url(url: str) -> str:
    with session_factory(url)() as session:
        return settings.get_value(session, "sige.base_url")


def demo(folder: Path, *args: str):
    return run_cli("demo", "--folder", str(folder), *args, env=NOW)


def test_the_demo_address_follows_the_emulator_port(db_url, tmp_path):
    made = demo(tmp_path, "--sige-url", "http://127.0.0.1:8799")
    assert made.returncode == 0, made.stderr
    assert "sige.base_url = http://127.0.0.1:8799" in made.stdout
    assert base_url(db_url) == "http://127.0.0.1:8799"
    # the next `make run` without SIGE_PORT: the emulator is back on 8765, so is the address
    again = demo(tmp_path, "--if-empty", "--sige-url", "http://127.0.0.1:8765")
    assert again.returncode == 0, again.stderr
    assert base_url(db_url) == "http://127.0.0.1:8765"
    # an address someone set to a real SIGE stays
    assert run_cli("config", "set", "sige.base_url", "https://sige.example.cl").returncode == 0
    kept = demo(tmp_path, "--if-empty", "--sige-url", "http://127.0.0.1:8799")
    assert kept.returncode == 0, kept.stderr
    assert "no se cambia" in kept.stdout
    assert base_url(db_url) == "https://sige.example.cl"


def test_a_database_without_the_demo_keeps_its_address(db_url, tmp_path):
    assert run_cli("import-sige", str(NOMINA), env=NOW).returncode == 0
    before = snapshot(db_url)
    result = demo(tmp_path, "--if-empty", "--sige-url", "http://127.0.0.1:8799")
    assert result.returncode == 0, result.stderr
    assert "no tiene la escuela de demostración" in result.stdout
    assert snapshot(db_url) == before
    assert base_url(db_url) == "http://127.0.0.1:8765"  # the default, untouched


def test_a_bad_address_is_refused(db_url, tmp_path):
    before = snapshot(db_url)
    result = demo(tmp_path, "--sige-url", "ftp://127.0.0.1:8799")
    assert result.returncode == 2 and "sige.base_url" in result.stderr
    assert snapshot(db_url) == before


@pytest.mark.skipif(shutil.which("make") is None, reason="make no está instalado")
def test_make_hands_its_sige_port_to_the_demo():
    plan = subprocess.run(["make", "-n", "demo", "SIGE_PORT=8799"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    assert "demo --if-empty --sige-url http://127.0.0.1:8799" in plan.stdout
