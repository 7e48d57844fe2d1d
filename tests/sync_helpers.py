"""Shared pieces of the sync tests: a small demo school (a few courses of the demo
generator, five worked days), the SIGE emulator serving its nómina, fast worker
settings, and readers of what the database and the emulator hold afterwards."""
from __future__ import annotations

import os
import select as io_select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from reconcile import access, auth, payload, settings
from reconcile.clock import FixedClock, RunningClock
from reconcile.db import transaction
from reconcile.db.models import Course, CourseDay, SyncJob
from reconcile.demo import generate_school, write_files
from reconcile.demo.files import DemoFiles
from reconcile.demo.school import DemoSchool, Manifest
from reconcile.demo_setup import DEMO_CREDENTIALS
from reconcile.imports import import_libro, import_sige
from reconcile.sige.emulator import (
    ConvenioGrant,
    Emulator,
    FaultPlan,
    RunningEmulator,
    load_nomina,
    serve_in_thread,
)
from reconcile.sync import rules
from reconcile.worker import Worker
from tests.cli_helpers import ROOT

NOW = datetime(2026, 11, 16, 10, 0)  # SIGE's current month: November 2026
NOW_ISO = NOW.isoformat(timespec="minutes")
TODAY = date(2026, 11, 6)  # the small school's last worked day: 2 to 6 November
PASSWORD = "Clave-de-prueba-2026"
FINAL_STATES = {"sincronizado", "error"}

# Fast waits: a report asked for 0.2 s after a send, leases of 1 s, a Caso 3 retried
# within half a second, one in-call retry.
FAST_SETTINGS = {
    "sync.report_poll_seconds": "0.2",
    "sync.report_max_wait_seconds": "0.5",
    "sync.lease_seconds": "1",
    "sync.retry_initial_seconds": "0.1",
    "sync.retry_max_seconds": "0.5",
    "sync.concurrency": "2",
    "sige.call_retries": "1",
    "sige.call_backoff_max_seconds": "0.1",
    "sige.connect_timeout": "2",
    "sige.read_timeout": "2",
}


def small_demo(today: date = TODAY) -> DemoSchool:
    """The demo school reduced to three grades (nine courses): the grades hosting
    the first child missing from the Libro (Caso 1), the first unknown to SIGE
    (Caso 2) and the check-digit typo (a correction to approve). The Libro's wide
    sheet carries the first course of the kept grades that plants nothing."""
    school = generate_school((2026, 11), today=today)
    m = school.manifest
    hosts = [m.missing_in_libro[0]["course"], m.unknown_to_sige[0]["course"],
             m.check_digit_typos[0]["course"]]
    grades = {code.rsplit("-", 1)[0] for code in hosts}
    keep = {c.code for c in school.courses if c.code.rsplit("-", 1)[0] in grades}
    planted = {e["course"] for name in ("provisional_pairs", "missing_in_libro",
                                        "unknown_to_sige", "check_digit_typos")
               for e in getattr(m, name)}
    wide = m.wide_course if m.wide_course in keep else \
        min(code for code in keep if code not in planted)
    lists = {name: [e for e in getattr(m, name) if e["course"] in keep]
             for name in Manifest.__dataclass_fields__ if name != "wide_course"}
    return replace(
        school,
        courses=[c for c in school.courses if c.code in keep],
        students=[s for s in school.students if s.course in keep],
        enrolments=[e for e in school.enrolments if e.course in keep],
        marks=[mk for mk in school.marks if mk.course in keep],
        manifest=Manifest(wide_course=wide, **lists))


@dataclass
class SmallSchool:
    url: str
    school: DemoSchool
    files: DemoFiles
    clock: FixedClock

    @property
    def rbd(self) -> int:
        return self.school.rbd

    def user(self, username: str) -> access.AuthUser:
        with transaction(self.url) as session:
            return auth.get_user(session, username)


def build_school(url: str, folder: Path, *, credentials: bool = True,
                 school: DemoSchool | None = None) -> SmallSchool:
    """Import the small school's files as a user would, with users director,
    asistencia and profesor, the convenio credentials (unless told not to) and
    the fast settings."""
    clock = FixedClock(NOW)
    school = school or small_demo()
    files = write_files(school, folder)
    with transaction(url) as session:
        import_sige(session, files.nomina, clock=clock)
        for path in (files.libro_long, files.libro_wide):
            import_libro(session, path, clock=clock, rbd=school.rbd)
        if credentials:
            for key, value in DEMO_CREDENTIALS.items():
                settings.set_value(session, key, value, school.rbd, clock)
        for key, value in FAST_SETTINGS.items():
            settings.set_value(session, key, value, clock=clock)
        for username, role in (("director", access.DIRECTOR), ("asistencia", access.ASISTENCIA),
                               ("profesor", access.PROFESOR)):
            auth.add_user(session, username, role, [school.rbd], PASSWORD, username, clock)
    return SmallSchool(url, school, files, clock)


def configure(url: str, values: dict[str, object], rbd: int | None = None) -> None:
    """Set settings (global, or the school's with ``rbd``)."""
    with transaction(url) as session:
        for key, value in values.items():
            settings.set_value(session, key, str(value), rbd, clock=FixedClock(NOW))


class SlowEmulator(Emulator):
    """The emulator behind a slow network: every SOAP call takes ``latency`` seconds
    before SIGE sees it (so a test can stop a worker while its calls are in flight).
    ``hold()`` keeps the calls that arrive from then on waiting until ``let_go()``:
    a caller counted in ``held_calls`` is certainly in the middle of a call."""

    latency = 0.0

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self._gate = threading.Event()
        self._gate.set()
        self._held = 0
        self._count = threading.Lock()

    @property
    def held_calls(self) -> int:
        with self._count:
            return self._held

    def hold(self) -> None:
        self._gate.clear()

    def let_go(self) -> None:
        self._gate.set()

    def handle(self, path: str, soap_action: str | None, body: bytes):  # noqa: ANN201
        if self.latency:
            time.sleep(self.latency)
        if not self._gate.is_set():
            with self._count:
                self._held += 1
            try:
                self._gate.wait(timeout=120)
            finally:
                with self._count:
                    self._held -= 1
        return super().handle(path, soap_action, body)


@contextmanager
def emulator_for(small: SmallSchool, tmp_path: Path, *, delay: float = 0.0,
                 faults: FaultPlan | None = None, timer=None,
                 latency: float = 0.0) -> Iterator[RunningEmulator]:
    """The SIGE emulator serving the school's nómina with the demo convenio, in a
    thread; ``sige.base_url`` points at it."""
    enrolment, bad = load_nomina(small.files.nomina)
    assert bad == 0
    grant = ConvenioGrant(DEMO_CREDENTIALS["sige.cliente_id"],
                          DEMO_CREDENTIALS["sige.convenio_id"],
                          DEMO_CREDENTIALS["sige.convenio_token"], frozenset({small.rbd}))
    options = {"timer": timer} if timer is not None else {}
    emulator = SlowEmulator(enrolment, [grant], store=tmp_path / "sige_emulator.db",
                            clock=FixedClock(NOW), delay_seconds=delay, faults=faults, **options)
    emulator.latency = latency
    with serve_in_thread(emulator) as running:
        configure(small.url, {"sige.base_url": running.url})
        yield running
    emulator.store.close()


def queue(small: SmallSchool, username: str, override: str | None = None,
          start: date | None = None, end: date | None = None,
          courses: list[str] | None = None) -> rules.SyncPlan:
    """A sync request (the whole SIGE month unless ``start``/``end``), as the CLI makes it."""
    with transaction(small.url) as session:
        user = auth.get_user(session, username)
        if start is None:
            start, end = rules.month_range(session, small.rbd, small.clock)
            whole = True
        else:
            whole = False
        return rules.request(session, user, small.rbd, start, end or start, courses, override,
                             small.clock, whole_month=whole)


def run_worker(url: str, *, concurrency: int | None = None, timeout: float = 60.0) -> int:
    """An in-process worker until idle (a test failing here would otherwise hang:
    ``timeout`` stops it)."""
    worker = Worker(RunningClock(NOW), url=url, concurrency=concurrency, idle_wait=0.1,
                    grace_seconds=5)
    timer = threading.Timer(timeout, worker.stop.set)
    timer.start()
    started = time.monotonic()
    try:
        finished = worker.run(until_idle=True)
    finally:
        timer.cancel()
        worker.client.close()
    assert time.monotonic() - started < timeout, "el trabajador no terminó a tiempo"
    return finished


def day_states(url: str) -> dict[tuple[str, date], CourseDay]:
    """(course code, date) -> the course-day row."""
    with transaction(url) as session:
        rows = session.execute(select(CourseDay, Course)
                               .join(Course, Course.id == CourseDay.course_id))
        return {(course.code, day.day): day for day, course in rows}


def all_jobs(url: str) -> list[SyncJob]:
    with transaction(url) as session:
        found = list(session.scalars(select(SyncJob).order_by(SyncJob.id)))
        for job in found:
            _ = [c.course for c in job.courses]  # loaded before the session closes
        return found


def current_payloads(url: str, rbd: int) -> dict[tuple[str, date], payload.CoursePayload]:
    """(course code, date) -> the payload SIGE would get now."""
    with transaction(url) as session:
        days = list(session.scalars(select(CourseDay).where(CourseDay.rbd == rbd)))
        codes = {day.course_id: day.course.code for day in days}
        found = payload.stored_payloads(session, rbd, [(d.course_id, d.day) for d in days])
    return {(codes[cid], day): p for (cid, day), p in found.items() if p is not None}


def accepted_sends(sends: list[dict]) -> dict[tuple[str, str], list[tuple]]:
    """(course code, ISO date) -> the content of every send SIGE accepted for it
    (answer code 1), in order: (sorted presentes, sorted ausentes)."""
    found: dict[tuple[str, str], list[tuple]] = {}
    for send in sends:
        if send["answer_code"] != 1:
            continue
        for course in send["courses"]:
            code = f"{send['cod_ense']}-{send['cod_grado']}-{course['letra']}"
            found.setdefault((code, send["day"]), []).append(
                (tuple(sorted(course["presentes"])), tuple(sorted(course["ausentes"]))))
    return found


def held_content(holdings: list[dict]) -> dict[tuple[str, str], tuple]:
    """(course code, ISO date) -> what SIGE holds: (sorted presentes, sorted ausentes)."""
    return {(f"{h['cod_ense']}-{h['cod_grado']}-{h['letra']}", h["day"]):
            (tuple(sorted(h["presentes"])), tuple(sorted(h["ausentes"]))) for h in holdings}


def as_content(p: payload.CoursePayload) -> tuple:
    """A payload as the emulator records it (RUNs written BODY-DV)."""
    presentes, ausentes = p.runs()
    return (tuple(sorted(f"{r.numero}-{r.dv}" for r in presentes)),
            tuple(sorted(f"{r.numero}-{r.dv}" for r in ausentes)))


# --- the worker as a real process ---------------------------------------------------------


def worker_process(url: str, *args: str, now: str = NOW_ISO) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "RECONCILE_NOW": now}
    return subprocess.Popen([sys.executable, "-m", "reconcile", "worker", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(process: subprocess.Popen, start: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = io_select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if line.startswith(start):
                return line
        if process.poll() is not None:
            break
    raise AssertionError(f"el proceso no escribió «{start}…»: {process.stderr.read()}")


def wait_until(condition, timeout: float = 30.0, what: str = "la condición") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no se cumplió {what} en {timeout} s")
        time.sleep(0.05)
