"""The summary to declare a month for a sostenedor: its time beside the ways one would do without it.

A sostenedor's month: ``--schools`` demo schools (``reconcile.demo``, 36 courses each, about
1,200 students) x 20 worked days of November 2026, imported with the project's importers;
nine course-days in ten then stand as the worker leaves them once SIGE accepted them
(``sincronizado``, the accepted hash and counts), the rest still to send. Measured, in one
run, best of ``--repeat``:

- ``declaration``: ``reconcile.declaration.summary.declaration`` over every school (what the
  page and ``declaration --json`` run) -- aim under 5 s for 20 schools;
- the naive way: per school and course, the course's day rows and its payloads through the
  public ``payload.stored_payloads`` (one query per course), counted in Python;
- the status overview a user would open instead: ``sync.status.month_status`` per school
  (states only: no counts, no asistencia media).

Each as seconds and as a ratio to ``declaration``. SQLite (a temporary file) always; with
``--database-url`` also that database (PostgreSQL), in a fresh schema dropped after the run.

    python bench/bench_declaration.py [--schools 20] [--repeat 3] [--database-url URL]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, update  # noqa: E402

from bench_import import backend_name, fresh_database  # noqa: E402
from reconcile.clock import FixedClock  # noqa: E402
from reconcile.db import transaction  # noqa: E402
from reconcile.db.models import Course, CourseDay  # noqa: E402
from reconcile.declaration.summary import declaration  # noqa: E402
from reconcile.demo import generate_school, write_files  # noqa: E402
from reconcile.imports import import_libro, import_sige  # noqa: E402
from reconcile.sige_calendar import Month  # noqa: E402
from reconcile import payload  # noqa: E402
from reconcile.sync.status import month_status  # noqa: E402

NOW = datetime(2026, 11, 27, 10, 0)  # November 2026 is SIGE's month; 20 worked days so far
MONTH = Month(2026, 11)
FIRST_RBD = 20001
AIM_SECONDS = 5.0


def add_school(url: str, index: int, folder: Path) -> int:
    clock = FixedClock(NOW)
    rbd = FIRST_RBD + index
    school = generate_school(MONTH, today=NOW.date(), seed=2026 + index, rbd=rbd,
                             name=f"Escuela {index + 1} del sostenedor")
    files = write_files(school, folder / str(rbd))
    with transaction(url) as session:
        import_sige(session, files.nomina, clock=clock)
        for path in (files.libro_long, files.libro_wide):
            import_libro(session, path, clock=clock, rbd=rbd)
    return rbd


def accept_most(url: str) -> None:
    """Nine course-days in ten as SIGE accepted them (the others still to send)."""
    with transaction(url) as session:
        session.execute(update(CourseDay).where(CourseDay.state == "por_sincronizar",
                                                CourseDay.id % 10 != 0)
                        .values(state="sincronizado", synced_hash=CourseDay.payload_hash,
                                synced_present=25, synced_absent=3))


def with_summary(url: str, rbds: list[int]) -> int:
    with transaction(url) as session:
        found = declaration(session, FixedClock(NOW), rbds, MONTH)
    return sum(len(school.blocking) for school in found.schools)


def naive(url: str, rbds: list[int]) -> int:
    """Per school and course: its day rows, then its payloads through the public API."""
    blocking = 0
    with transaction(url) as session:
        for rbd in rbds:
            for course in session.scalars(select(Course).where(Course.rbd == rbd,
                                                               Course.year == MONTH.year)):
                days = list(session.scalars(select(CourseDay).where(
                    CourseDay.course_id == course.id,
                    CourseDay.day.between(MONTH.first_day, MONTH.last_day))))
                found = payload.stored_payloads(session, rbd, [(course.id, d.day) for d in days])
                present = sum(len(p.presentes) for p in found.values() if p)  # noqa: F841
                blocking += sum(d.state != "sincronizado" or d.payload_hash != d.synced_hash
                                for d in days)
    return blocking


def status_per_school(url: str, rbds: list[int]) -> int:
    with transaction(url) as session:
        return sum(month_status(session, rbd, FixedClock(NOW), MONTH, with_errors=False)
                   .not_synced for rbd in rbds)


def best(call: Callable[[], int], repeat: int) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="also on this database (PostgreSQL), in a "
                        "schema of its own that is dropped afterwards")
    args = parser.parse_args()
    rows = []
    ok = True
    for url_given in [None, *([args.database_url] if args.database_url else [])]:
        name = backend_name(url_given)
        with tempfile.TemporaryDirectory() as tmp, fresh_database(url_given, Path(tmp)) as url:
            print(f"[{name}] importando {args.schools} escuelas…", flush=True)
            started = time.perf_counter()
            rbds = [add_school(url, i, Path(tmp)) for i in range(args.schools)]
            accept_most(url)
            with transaction(url) as session:
                course_days = session.scalar(select(func.count()).select_from(CourseDay))
            print(f"[{name}]    {course_days:,} días-curso en "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
            ours, blocks = best(lambda: with_summary(url, rbds), args.repeat)
            slow, naive_blocks = best(lambda: naive(url, rbds), args.repeat)
            status, _ = best(lambda: status_per_school(url, rbds), args.repeat)
            assert blocks == naive_blocks, (blocks, naive_blocks)  # the same checklist
            ok &= ours < AIM_SECONDS
            rows += [(name, "resumen para declarar (declaration)", ours, 1.0),
                     (name, "ingenuo: por curso, stored_payloads", slow, slow / ours),
                     (name, "month_status por escuela (sin conteos)", status, status / ours)]
    print()
    print(f"{args.schools} escuelas x 36 cursos x 20 días; mejor de {args.repeat}; "
          f"meta del resumen: menos de {AIM_SECONDS:.0f} s")
    print(f"{'base':10} {'medida':42} {'segundos':>9} {'x resumen':>10}")
    for name, label, seconds, ratio in rows:
        print(f"{name:10} {label:42} {seconds:9.2f} {ratio:10.1f}")
    print("CUMPLE" if ok else "NO CUMPLE")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
