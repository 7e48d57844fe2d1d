"""Shared pieces of the SIGE tests: the samples' enrolment, emulators on ephemeral
ports, and the log scan that proves no credential, semilla or full RUT is logged.

Other ``test_sige_*`` files import the fixtures from ``tests.test_sige_support`` (pytest registers
fixtures imported into a test module).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import pytest

from reconcile.clock import FixedClock
from reconcile.loaders.nomina import read_nomina
from reconcile.rut import calc_check_digit
from reconcile.sige import Credentials, SigeClient
from reconcile.sige.emulator import (
    ConvenioGrant,
    Emulator,
    Enrolment,
    EnrolmentRecord,
    FaultPlan,
    from_nomina_frame,
    serve_in_thread,
)

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "samples"
FIXTURES = DATA / "sige"
RBD = 24875

CREDS = Credentials("CLI-77", "CONV-2026", "tok&en-secreto")
OTHER_CREDS = Credentials("CLI-OTRO", "CONV-OTRO-PROVEEDOR", "token-de-otro-proveedor")

# Strings that must never appear in a log line; tests add to it (semillas, RUNs).
FORBIDDEN: set[str] = set()
_EMULATORS: list[Emulator] = []
_FULL_RUT = re.compile(r"(?<![\d*])(\d{7,9}|\d{1,3}\.\d{3}\.\d{3})\s*-\s*[\dkK](?![\w])")


@lru_cache(maxsize=1)
def sample_enrolment() -> Enrolment:
    """The samples' nómina, read by the project's own nómina parser."""
    return Enrolment(from_nomina_frame(read_nomina(SAMPLES / "nomina_sige.xlsx").frame))


SYNTHETIC_GRADES = [(110, g) for g in range(1, 9)] + [(310, g) for g in range(1, 5)]


def synthetic_enrolment(courses: int, students: int, rbd: int = RBD) -> Enrolment:
    """``courses`` courses 'A', each its own (tipo de enseñanza, grado): 110-1..8, then
    310-1..4; ``students`` definitive RUNs each, enrolled all year."""
    records = []
    body = 21_000_000
    for ense, grado in SYNTHETIC_GRADES[:courses]:
        for _ in range(students):
            body += 7919
            records.append(EnrolmentRecord(rbd, 2026, ense, grado, "A", body,
                                           calc_check_digit(body), date(2026, 3, 1), None))
    return Enrolment(records)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _record_text(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


def leaks(lines: list[str], secrets: set[str]) -> list[str]:
    """Every line holding a forbidden string or anything shaped like a full RUT."""
    found = []
    for line in lines:
        if any(secret and secret in line for secret in secrets) or _FULL_RUT.search(line):
            found.append(line)
    return found


def forbidden_now() -> set[str]:
    secrets = set(FORBIDDEN)
    for creds in (CREDS, OTHER_CREDS):
        secrets |= {creds.cliente_id, creds.convenio_id, creds.convenio_token}
    for emulator in _EMULATORS:
        secrets |= set(emulator.issued_semillas())
        secrets |= {str(r.run) for r in emulator.enrolment.records}
    return secrets


@pytest.fixture(autouse=True)
def no_secrets_in_logs(caplog) -> Iterator[None]:
    """Capture every log record at DEBUG and fail the test if one leaks a secret."""
    caplog.set_level(logging.DEBUG)
    FORBIDDEN.clear()
    _EMULATORS.clear()
    yield
    lines = [_record_text(r) for phase in ("setup", "call") for r in caplog.get_records(phase)]
    leaked = leaks(lines, forbidden_now())
    assert not leaked, f"log lines leak secrets: {leaked[:3]}"


@pytest.fixture
def nov16() -> FixedClock:
    """Mid-November 2026: SIGE's current month is November."""
    return FixedClock(datetime(2026, 11, 16, 10, 0))


class ManualTimer:
    """Real-seconds timer the test moves by hand (processing delays, semilla TTL)."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def timer() -> ManualTimer:
    return ManualTimer()


@pytest.fixture
def start_emulator(tmp_path, nov16, timer):
    """Factory: start an emulator (sample school by default) on an ephemeral port.
    Returns a RunningEmulator (``.url``, ``.emulator``)."""
    stack = []

    def start(enrolment: Enrolment | None = None, *, grants=None, faults: FaultPlan | None = None,
              clock=None, store=None, **options):
        enrolment = enrolment or sample_enrolment()
        grants = grants or [ConvenioGrant(CREDS.cliente_id, CREDS.convenio_id, CREDS.convenio_token,
                                          frozenset(enrolment.rbds))]
        emulator = Emulator(enrolment, grants, store=store or tmp_path / f"emu{len(stack)}.db",
                            clock=clock or nov16, timer=options.pop("timer", timer),
                            faults=faults, delay_seconds=options.pop("delay_seconds", 60.0),
                            **options)
        _EMULATORS.append(emulator)
        context = serve_in_thread(emulator)
        running = context.__enter__()
        stack.append(context)
        return running

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


def make_client(url: str, credentials=None, **options) -> SigeClient:
    """A client with test-sized timeouts and backoff (no real waiting)."""
    defaults = dict(connect_timeout=2.0, read_timeout=2.0, retries=3, backoff_initial=0.001,
                    backoff_max=0.01)
    defaults.update(options)
    return SigeClient(url, credentials if credentials is not None else {RBD: CREDS}, **defaults)


def test_leak_scan_finds_what_it_must():
    """The scan itself can fail: a full RUT, a dotted RUT or a known secret is caught."""
    assert leaks(["envío de 23698041-3"], set())
    assert leaks(["alumno 23.698.041-3 faltante"], set())
    assert leaks(["token=abc123xyz"], {"abc123xyz"})
    assert not leaks(["RUN *****041-3 faltante; RBD 24875; envío 100001; 2026-11-09"], set())
