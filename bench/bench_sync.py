"""Sending a month to SIGE: the worker's concurrency, the queue's size and the worker's own cost.

a) Concurrency. The demo school (36 courses, SIGE month November 2026 seen on
   27-11-2026: 20 worked days) sends its whole month ("seleccionar todas":
   ``rules.request`` over the month, then a ``Worker`` until idle) to the emulator,
   which answers every SOAP call after 200 ms (``--latency``) and processes a send
   at once (``--delay 0``); ``sync.report_poll_seconds`` is 0.2 so the report
   polling does not dominate. Measured: the wall time from the request to the last
   final report, with ``sync.concurrency`` = N next to the same sync sent one call
   at a time (concurrency 1), as a ratio. Aim: a speed-up of at least 0.8 x N.

b) Size. A sostenedor's month: 28 demo schools (``reconcile.demo``, 36 courses
   each: 1,008 courses, about 34,000 students) x 20 worked days, imported with the
   project's importers. Measured: queueing the month of every school
   (``rules.request``: the checks, the reconciliation, the job inserts; one
   transaction per school, as each school's staff would) -- aim under 10 s in all;
   and the worker's own cost per job on the emulator without delay or latency,
   concurrency 1: the CPU time of this process (the emulator runs in another) less
   the CPU spent inside the SIGE client's calls, per job finished -- aim under
   20 ms. A job is one send plus its report. Beside it, the wall-time figure
   ((worker wall time - time inside the SIGE calls) / jobs): on a shared 2-core
   machine it also counts the turns other processes take on the CPU. So that the
   run stays short the worker sends the jobs of the first ``--worker-schools``
   schools; the other schools' jobs are set aside (closed) in the same tables.

The emulator runs in a process of its own (a real HTTP server on loopback), as
SIGE would. SQLite (a temporary file) always; with ``--database-url`` also that
database (PostgreSQL), in a fresh schema created for the run and dropped after it.

    python bench/bench_sync.py [--concurrency 4] [--schools 28] [--worker-schools 3]
                               [--database-url postgresql+psycopg://...]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, update  # noqa: E402

from bench_import import backend_name, fresh_database  # noqa: E402
from reconcile import access, auth, settings  # noqa: E402
from reconcile.clock import FixedClock, RunningClock  # noqa: E402
from reconcile.db import transaction  # noqa: E402
from reconcile.db.models import SINCRONIZADO, CourseDay, Establishment, SyncJob, SyncJobCourse  # noqa: E402
from reconcile.demo import generate_school, write_files  # noqa: E402
from reconcile.demo_setup import DEMO_CREDENTIALS, build_demo  # noqa: E402
from reconcile.imports import import_libro, import_sige  # noqa: E402
from reconcile.school import calendar_for  # noqa: E402
from reconcile.sync import jobs, rules  # noqa: E402
from reconcile.worker import Worker, make_client  # noqa: E402

NOW = datetime(2026, 11, 27, 10, 0)  # November 2026 is SIGE's month; 20 worked days so far
LATENCY = 0.2  # seconds per SOAP answer in part a
POLL = "0.2"  # sync.report_poll_seconds
DEMO_USER = "asistencia"
FIRST_RBD = 20001


# --- the emulator, in a process of its own --------------------------------------------------

def _serve(nominas: list[str], latency: float, state: str, urls) -> None:  # noqa: ANN001
    from reconcile.sige.emulator import ConvenioGrant, Emulator, EmulatorServer, load_nomina
    from reconcile.sige.emulator.truth import Enrolment

    records = [r for path in nominas for r in load_nomina(path)[0].records]
    enrolment = Enrolment(records)
    grant = ConvenioGrant(*DEMO_CREDENTIALS.values(), frozenset(enrolment.rbds))
    emulator = Emulator(enrolment, [grant], store=state, clock=FixedClock(NOW),
                        delay_seconds=0.0, latency_seconds=latency)
    server = EmulatorServer(("127.0.0.1", 0), emulator)
    urls.put(server.url)
    server.serve_forever(poll_interval=0.05)


class EmulatorProcess:
    """The emulator over the given nóminas, on a free loopback port, until ``stop``."""

    def __init__(self, nominas: list[Path], latency: float, folder: Path) -> None:
        context = multiprocessing.get_context("spawn")
        urls = context.Queue()
        state = folder / f"emulator_{time.monotonic_ns()}.db"
        self.process = context.Process(target=_serve, daemon=True,
                                       args=([str(p) for p in nominas], latency, str(state), urls))
        self.process.start()
        self.url = urls.get(timeout=120)

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


# --- timing the SIGE client's calls -------------------------------------------------------

class CallTimer:
    """Adds up the wall and CPU seconds spent inside the named functions of ``owner``
    (all threads). On the SIGE client: building and reading the XML, HTTP, waiting
    for the emulator."""

    def __init__(self, owner, names: tuple[str, ...] = ("send_attendance", "get_report")) -> None:  # noqa: ANN001
        self.seconds, self.cpu_seconds, self.calls = 0.0, 0.0, 0
        self._lock = threading.Lock()
        self._undo = [(owner, name, getattr(owner, name)) for name in names]
        for name in names:
            setattr(owner, name, self._timed(getattr(owner, name)))

    def restore(self) -> None:
        for owner, name, original in self._undo:
            setattr(owner, name, original)

    def _timed(self, call: Callable) -> Callable:
        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return call(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - start
                    self.cpu_seconds += time.thread_time() - cpu
                    self.calls += 1
        return timed


# --- the data -----------------------------------------------------------------------------

def configure(url: str, sige_url: str, concurrency: int) -> None:
    with transaction(url) as session:
        settings.set_value(session, "sige.base_url", sige_url)
        settings.set_value(session, "sync.concurrency", str(concurrency))
        settings.set_value(session, "sync.report_poll_seconds", POLL)


def add_school(url: str, index: int, folder: Path) -> tuple[int, Path]:
    """One demo school (its own RBD, seed and Asistencia user), imported from its files."""
    clock = FixedClock(NOW)
    rbd = FIRST_RBD + index
    with transaction(url) as session:
        month = calendar_for(session).current_month(NOW)
    school = generate_school(month, today=NOW.date(), seed=2026 + index, rbd=rbd,
                             name=f"Escuela {index + 1} del sostenedor")
    files = write_files(school, folder / str(rbd))
    with transaction(url) as session:
        import_sige(session, files.nomina, clock=clock)
        for path in (files.libro_long, files.libro_wide):
            import_libro(session, path, clock=clock, rbd=rbd)
        for key, value in DEMO_CREDENTIALS.items():
            settings.set_value(session, key, value, rbd, clock)
        auth.add_user(session, f"asistencia-{rbd}", access.ASISTENCIA, [rbd],
                      f"bench-{rbd}-clave", None, clock)
    return rbd, files.nomina


def queue_month(url: str, username: str, rbd: int) -> int:
    """``sync --month`` for one school; returns the course-days queued."""
    clock = FixedClock(NOW)
    with transaction(url) as session:
        user = auth.get_user(session, username)
        start, end = rules.month_range(session, rbd, clock)
        plan = rules.request(session, user, rbd, start, end, None, None, clock, whole_month=True)
    return len(plan.queued)


def count_jobs(url: str) -> int:
    with transaction(url) as session:
        return session.scalar(select(func.count()).select_from(SyncJob)) or 0


def synced_days(url: str) -> int:
    with transaction(url) as session:
        return session.scalar(select(func.count()).select_from(CourseDay)
                              .where(CourseDay.state == SINCRONIZADO)) or 0


def run_worker(url: str, concurrency: int | None = None) -> tuple[int, float, CallTimer]:
    """A worker until idle: (jobs finished, wall seconds, time inside SIGE calls)."""
    client = make_client(url)
    timer = CallTimer(client)
    worker = Worker(RunningClock(NOW), url=url, concurrency=concurrency, client=client,
                    idle_wait=0.05)
    start = time.perf_counter()
    finished = worker.run(until_idle=True)
    wall = time.perf_counter() - start
    client.close()
    return finished, wall, timer


# --- a) concurrency -----------------------------------------------------------------------

@dataclass
class ConcurrencyRun:
    concurrency: int
    course_days: int
    jobs: int
    seconds: float


def demo_month(url: str, folder: Path, concurrency: int) -> ConcurrencyRun:
    """The demo school's month, sent with ``sync.concurrency`` = ``concurrency``."""
    os.environ["DATABASE_URL"] = url  # build_demo works on the current database
    build_demo(clock=FixedClock(NOW), folder=folder / "demo")
    emulator = EmulatorProcess([folder / "demo" / "nomina_sige.xlsx"], LATENCY, folder)
    try:
        configure(url, emulator.url, concurrency)
        with transaction(url) as session:
            rbd = session.scalar(select(Establishment.rbd))
        start = time.perf_counter()
        queued = queue_month(url, DEMO_USER, rbd)
        finished, _, _ = run_worker(url)
        seconds = time.perf_counter() - start
    finally:
        emulator.stop()
    synced = synced_days(url)
    assert synced == queued, f"{synced} sincronizados de {queued} en cola"
    return ConcurrencyRun(concurrency, queued, finished, seconds)


# --- b) size --------------------------------------------------------------------------------

@dataclass
class SizeRun:
    build_seconds: float
    courses: int
    course_days: int
    queued: int
    jobs: int
    queue_seconds: float
    queue_cpu: float
    check_seconds: float  # inside the reconciliation (matching.store.run_check)
    create_seconds: float  # inside jobs.create
    slowest_school: float
    worker_jobs: int
    worker_seconds: float
    worker_cpu: float
    sige: CallTimer

    @property
    def own_ms(self) -> float:
        """The worker's own CPU per job: the process's CPU (the emulator runs in
        another) less the CPU spent inside the SIGE client's calls."""
        return 1000 * (self.worker_cpu - self.sige.cpu_seconds) / self.worker_jobs

    @property
    def own_wall_ms(self) -> float:
        return 1000 * (self.worker_seconds - self.sige.seconds) / self.worker_jobs


def sostenedor_month(url: str, folder: Path, schools: int, worker_schools: int) -> SizeRun:
    started = time.perf_counter()
    made = [add_school(url, i, folder) for i in range(schools)]
    build = time.perf_counter() - started
    with transaction(url) as session:
        courses = session.scalar(select(func.count(func.distinct(CourseDay.course_id)))) or 0
        days = session.scalar(select(func.count()).select_from(CourseDay)) or 0
    times, queued = [], 0
    check, create = CallTimer(rules, ("run_check",)), CallTimer(jobs, ("create",))
    cpu = time.process_time()
    try:
        for rbd, _ in made:
            start = time.perf_counter()
            queued += queue_month(url, f"asistencia-{rbd}", rbd)
            times.append(time.perf_counter() - start)
    finally:
        check.restore()
        create.restore()
    queue_cpu = time.process_time() - cpu
    total_jobs = count_jobs(url)
    kept = [rbd for rbd, _ in made[:worker_schools]]
    set_aside(url, kept)
    emulator = EmulatorProcess([nomina for _, nomina in made[:worker_schools]], 0.0, folder)
    try:
        configure(url, emulator.url, 1)
        cpu = time.process_time()
        finished, wall, timer = run_worker(url, concurrency=1)
        cpu = time.process_time() - cpu
    finally:
        emulator.stop()
    return SizeRun(build, courses, days, queued, total_jobs, sum(times), queue_cpu,
                   check.seconds, create.seconds, max(times), finished, wall, cpu, timer)


def set_aside(url: str, kept: list[int]) -> None:
    """Close the jobs of the schools the worker will not send (they stay in the tables)."""
    with transaction(url) as session:
        others = select(SyncJob.id).where(SyncJob.rbd.not_in(kept)).scalar_subquery()
        session.execute(update(SyncJobCourse).where(SyncJobCourse.job_id.in_(others))
                        .values(active=False))
        session.execute(update(SyncJob).where(SyncJob.rbd.not_in(kept))
                        .values(state=jobs.TERMINADO, next_attempt_at=None))


# --- the report -------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "cumple" if ok else "NO cumple"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=4, help="sync.concurrency in part a")
    parser.add_argument("--schools", type=int, default=28, help="schools of the sostenedor (36 "
                        "courses each)")
    parser.add_argument("--worker-schools", type=int, default=3,
                        help="schools whose jobs the worker sends in part b")
    parser.add_argument("--database-url", help="also run on this database (PostgreSQL), in a "
                        "schema of its own that is dropped afterwards")
    args = parser.parse_args()
    os.environ.pop("RECONCILE_NOW", None)
    print("Carga de la máquina al empezar (1, 5, 15 min): "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()), flush=True)
    rows: list[tuple[str, str, str, str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for url in [None] + ([args.database_url] if args.database_url else []):
            name = backend_name(url)
            runs = {}
            for concurrency in (1, args.concurrency):
                print(f"[{name}] a) el mes de la escuela demo con concurrencia {concurrency}…",
                      flush=True)
                with fresh_database(url, folder) as scoped:
                    runs[concurrency] = demo_month(scoped, folder / f"a{concurrency}", concurrency)
            one, many = runs[1], runs[args.concurrency]
            speedup = one.seconds / many.seconds
            print(f"[{name}]    {one.course_days} días-curso en {one.jobs} envíos; "
                  f"{one.seconds:.1f} s uno a la vez, {many.seconds:.1f} s con "
                  f"{args.concurrency} a la vez", flush=True)
            aim = 0.8 * args.concurrency
            rows.append((name, f"a) aceleración con sync.concurrency={args.concurrency}",
                         f"{speedup:.2f}x", f">= {aim:.1f}x", speedup >= aim))
            print(f"[{name}] b) {args.schools} escuelas del sostenedor…", flush=True)
            with fresh_database(url, folder) as scoped:
                size = sostenedor_month(scoped, folder / "b", args.schools, args.worker_schools)
            print(f"[{name}]    datos: {size.courses:,} cursos, {size.course_days:,} días-curso "
                  f"(generados e importados en {size.build_seconds:.0f} s); en cola "
                  f"{size.queued:,} días-curso listos en {size.jobs:,} envíos", flush=True)
            print(f"[{name}]    cola: {size.queue_seconds:.1f} s (CPU {size.queue_cpu:.1f} s; "
                  f"conciliación {size.check_seconds:.1f} s, inserción de envíos "
                  f"{size.create_seconds:.1f} s; la escuela más lenta "
                  f"{size.slowest_school:.2f} s)", flush=True)
            print(f"[{name}]    trabajador: {size.worker_jobs} envíos en "
                  f"{size.worker_seconds:.1f} s, {size.sige.seconds:.1f} s dentro de "
                  f"{size.sige.calls} llamadas a SIGE; propio: {size.own_wall_ms:.1f} ms por "
                  f"envío en tiempo real (con la espera por CPU en esta máquina compartida), "
                  f"{size.own_ms:.1f} ms de CPU", flush=True)
            rows.append((name, f"b) poner en cola el mes ({size.course_days:,} días-curso)",
                         f"{size.queue_seconds:.1f} s", "< 10 s", size.queue_seconds < 10))
            rows.append((name, "b) CPU propia del trabajador por envío", f"{size.own_ms:.1f} ms",
                         "< 20 ms", size.own_ms < 20))
    print()
    print("Carga de la máquina al terminar (1, 5, 15 min): "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"{'base':10} {'medida':52} {'resultado':>10} {'meta':>9}  ")
    for name, label, figure, aim, ok in rows:
        print(f"{name:10} {label:52} {figure:>10} {aim:>9}  {verdict(ok)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
