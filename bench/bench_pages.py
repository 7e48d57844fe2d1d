"""Each page's render time with AppTest, as each role that sees it, on the demo school and on a
sostenedor-size database.

a) The demo school (``python -m reconcile demo``: 36 courses, about 1,200 students), seen on
   20-11-2026 10:00 (SIGE month November 2026, 15 worked days), with its first week sent:
   queued with the project's rules (``rules.request``) and left as the worker leaves a
   finished send (course-days synced, jobs done). Users: Director, Asistencia, profesor.
   Aim: every page under 1 s.

b) A sostenedor's 20 schools: demo schools generated with four letters per grade
   (48 courses each: 960 courses, about 32,000 students) for SIGE month November 2026 seen
   on 30-11-2026 (all 21 worked days: November 2026 has no 22nd), imported with the
   project's importers, their first week sent as in a). A sostenedor with all 20
   schools, and a Director, an Asistencia and a profesor of one of them. Aim: every page under 3 s.

Each page is measured as a person meets it: the first render after switching to it from
the menu (``switch_page`` then ``run``: the page's script and every query it makes), then
a rerun of the same page (a widget touched: the same work, with whatever the page caches).
Each role sees the pages of its menu (``ui.navigation.MENU_KEY``). AppTest runs the
dashboard in this process, as the Streamlit server would; the database is a temporary
SQLite file, and with ``--database-url`` also that database (PostgreSQL), in a fresh
schema created for the run and dropped after it.

    python bench/bench_pages.py [--schools 20] [--database-url postgresql+psycopg://...]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, update  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from bench_import import backend_name, fresh_database  # noqa: E402
from reconcile import access, auth, settings  # noqa: E402
from reconcile.clock import FixedClock  # noqa: E402
from reconcile.db import transaction  # noqa: E402
from reconcile.db.models import (  # noqa: E402
    SINCRONIZADO, CourseDay, Establishment, SyncJob, SyncJobCourse)
from reconcile.demo import school as demo_school  # noqa: E402
from reconcile.demo import generate_school, write_files  # noqa: E402
from reconcile.demo_setup import DEMO_CREDENTIALS, build_demo  # noqa: E402
from reconcile.errors import UserError  # noqa: E402
from reconcile.imports import import_libro, import_sige  # noqa: E402
from reconcile.school import calendar_for  # noqa: E402
from reconcile.sync import jobs, rules  # noqa: E402
from ui.navigation import MENU_KEY  # noqa: E402

DEMO_NOW = datetime(2026, 11, 20, 10, 0)
BIG_NOW = datetime(2026, 11, 30, 10, 0)
SENT_WEEK = (date(2026, 11, 2), date(2026, 11, 6))  # the first week, already in SIGE
FIRST_RBD = 30001
LETTERS = ("A", "B", "C", "D")  # four courses per grade: 48 per school
PASSWORD = "bench-clave-123"
ROLES = ("director", "asistencia", "profesor")


# --- the data -----------------------------------------------------------------------------

def add_users(url: str, rbds: list[int], sostenedor: bool) -> None:
    with transaction(url) as session:
        for role in ROLES:
            auth.add_user(session, f"bench-{role}", role, rbds[:1], PASSWORD)
        for rbd in rbds:  # who sends each school's first week
            auth.add_user(session, f"bench-envio-{rbd}", access.ASISTENCIA, [rbd], PASSWORD)
        if sostenedor:
            auth.add_user(session, "bench-sostenedor", access.SOSTENEDOR, rbds, PASSWORD)


def send_first_week(url: str, rbds: list[int], now: datetime) -> int:
    """Queue the first week of each school as its Asistencia would, then leave it as the
    worker leaves a finished send: the course-days synced, the jobs done."""
    clock = FixedClock(now)
    for rbd in rbds:
        try:
            with transaction(url) as session:
                sender = auth.get_user(session, f"bench-envio-{rbd}")
                rules.request(session, sender, rbd, *SENT_WEEK, clock=clock)
        except UserError as error:  # a school with nothing to send that week
            print(f"   RBD {rbd}: nada que enviar ({error})", flush=True)
    with transaction(url) as session:
        session.execute(update(SyncJobCourse).values(active=False))
        session.execute(update(SyncJob).values(state=jobs.TERMINADO, next_attempt_at=None))
        session.execute(update(CourseDay).where(CourseDay.day.between(*SENT_WEEK),
                                                CourseDay.state == "en_proceso")
                        .values(state=SINCRONIZADO, updated_at=now))
        return session.scalar(select(func.count()).select_from(CourseDay)
                              .where(CourseDay.state == SINCRONIZADO)) or 0


def demo_database(url: str, folder: Path) -> list[int]:
    os.environ["DATABASE_URL"] = url
    build_demo(clock=FixedClock(DEMO_NOW), folder=folder / "demo")
    with transaction(url) as session:
        rbds = list(session.scalars(select(Establishment.rbd)))
    add_users(url, rbds, sostenedor=False)
    return rbds


def sostenedor_database(url: str, folder: Path, schools: int) -> list[int]:
    clock = FixedClock(BIG_NOW)
    with transaction(url) as session:
        month = calendar_for(session).current_month(BIG_NOW)
    original, demo_school.LETTERS = demo_school.LETTERS, LETTERS
    rbds = []
    try:
        for index in range(schools):
            rbd = FIRST_RBD + index
            school = generate_school(month, today=BIG_NOW.date(), seed=2026 + index, rbd=rbd,
                                     name=f"Escuela {index + 1} del sostenedor")
            files = write_files(school, folder / str(rbd))
            with transaction(url) as session:
                import_sige(session, files.nomina, clock=clock)
                for path in (files.libro_long, files.libro_wide):
                    import_libro(session, path, clock=clock, rbd=rbd)
                session.get(Establishment, rbd).name = school.name
                for key, value in DEMO_CREDENTIALS.items():
                    settings.set_value(session, key, value, rbd, clock)
            rbds.append(rbd)
            if (index + 1) % 5 == 0 or index + 1 == schools:
                print(f"   {index + 1} de {schools} escuelas importadas", flush=True)
    finally:
        demo_school.LETTERS = original
    add_users(url, rbds, sostenedor=True)
    return rbds


def sizes(url: str) -> str:
    from reconcile.db.models import Course, Student
    with transaction(url) as session:
        courses = session.scalar(select(func.count()).select_from(Course)) or 0
        students = session.scalar(select(func.count()).select_from(Student)) or 0
        days = session.scalar(select(func.count(func.distinct(CourseDay.day)))) or 0
        course_days = session.scalar(select(func.count()).select_from(CourseDay)) or 0
    return (f"{courses:,} cursos, {students:,} estudiantes, {days} días, "
            f"{course_days:,} días-curso")


# --- the timing ---------------------------------------------------------------------------

@dataclass
class Timing:
    role: str
    page: str
    first: float
    rerun: float
    problem: str = ""


def logged_in(username: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    at.text_input[0].input(username)
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    return at.run()


def menu_pages(at: AppTest) -> list[tuple[str, str]]:
    """(title, script) of each page in the logged-in user's menu."""
    shown = at.session_state[MENU_KEY]
    scripts = {info.get("page_name"): str(Path(info["script_path"]).relative_to(ROOT))
               for info in at._registered_pages.values() if info.get("script_path")}
    return [(title, scripts[title]) for title in shown if title in scripts]


def time_pages(username: str, now: datetime) -> list[Timing]:
    os.environ["RECONCILE_NOW"] = now.isoformat()
    at = logged_in(username)
    found = []
    for title, script in menu_pages(at):
        start = time.perf_counter()
        at = at.switch_page(script).run()
        first = time.perf_counter() - start
        start = time.perf_counter()
        at = at.run()
        rerun = time.perf_counter() - start
        problem = ("excepción" if at.exception else "error en la página" if at.error else
                   "sin contenido" if not at.title else "")
        if os.environ.get("BENCH_PAGES_SHOW"):
            print(username, title, [e.value[:80] for e in at.error], len(list(at.main)))
        found.append(Timing(username.removeprefix("bench-"), title, first, rerun, problem))
    return found


def report(name: str, scenario: str, timings: list[Timing], aim: float,
           rows: list[tuple]) -> None:
    for t in timings:
        ok = max(t.first, t.rerun) < aim and not t.problem
        rows.append((name, scenario, t.role, t.page, t.first, t.rerun, aim, ok, t.problem))


def verdict(ok: bool) -> str:
    return "cumple" if ok else "NO cumple"


def main() -> int:
    # AppTest runs the app's scripts in this process: Streamlit warns of a bare call.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=20, help="schools of the sostenedor "
                        f"({len(LETTERS) * 12} courses each)")
    parser.add_argument("--database-url", help="also run on this database (PostgreSQL), in a "
                        "schema of its own that is dropped afterwards")
    args = parser.parse_args()
    print("Carga de la máquina al empezar (1, 5, 15 min): "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()), flush=True)
    rows: list[tuple] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for url in [None] + ([args.database_url] if args.database_url else []):
            name = backend_name(url)
            print(f"[{name}] a) la escuela demo…", flush=True)
            with fresh_database(url, folder) as scoped:
                os.environ["DATABASE_URL"] = scoped
                rbds = demo_database(scoped, folder / "a")
                synced = send_first_week(scoped, rbds, DEMO_NOW)
                print(f"[{name}]    {sizes(scoped)}; {synced:,} días-curso ya en SIGE",
                      flush=True)
                for role in ROLES:
                    report(name, "a) demo", time_pages(f"bench-{role}", DEMO_NOW), 1.0, rows)
            print(f"[{name}] b) {args.schools} escuelas del sostenedor…", flush=True)
            with fresh_database(url, folder) as scoped:
                os.environ["DATABASE_URL"] = scoped
                started = time.perf_counter()
                rbds = sostenedor_database(scoped, folder / "b", args.schools)
                synced = send_first_week(scoped, rbds, BIG_NOW)
                print(f"[{name}]    {sizes(scoped)}; {synced:,} días-curso ya en SIGE "
                      f"(generados e importados en {time.perf_counter() - started:.0f} s)",
                      flush=True)
                for role in ("sostenedor", *ROLES):
                    report(name, "b) sostenedor", time_pages(f"bench-{role}", BIG_NOW), 3.0,
                           rows)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("RECONCILE_NOW", None)
    print()
    print("Carga de la máquina al terminar (1, 5, 15 min): "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"{'base':10} {'datos':14} {'rol':11} {'página':16} {'primera':>8} {'de nuevo':>9} "
          f"{'meta':>6}")
    for name, scenario, role, page, first, rerun, aim, ok, problem in rows:
        print(f"{name:10} {scenario:14} {role:11} {page:16} {first:7.2f}s {rerun:8.2f}s "
              f"{aim:5.0f}s  {verdict(ok)}{' (' + problem + ')' if problem else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
