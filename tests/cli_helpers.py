"""Run `python -m reconcile ...` as a real subprocess, the way users and automation do."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import MetaData, create_engine, select

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reconcile", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, to prove a refused command changed nothing."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            return {name: sorted(map(tuple, conn.execute(select(table))), key=repr)
                    for name, table in metadata.tables.items()}
    finally:
        engine.dispose()
