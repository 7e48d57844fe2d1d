"""The envío automático for a sostenedor: one worker turn's runs for 20 schools over a
whole month, beside the same sends asked through ``sync`` one school at a time.

A sostenedor's 20 demo schools (``reconcile.demo``, 36 courses each), SIGE month
November 2026 seen on Friday 27-11-2026 (20 worked days recorded), the envío
automático of every school on at 20:00 (so each run also sends the 27th). Measured,
each on the same fresh data:

a) the worker's turn at 20:00: ``autopilot.run.run_due`` (which schools are due, then
   each school's run in a transaction of its own: the claim, ``rules.plan`` with the
   reconciliation, the jobs, the audit, the digest with its close-risk forecast);
b) what a person would do instead: ``sync --month`` for each school, one after the
   other (``rules.request``, one transaction per school).

Reported: wall seconds and SQL statements of each, course-days queued (the same in
both), and a / b as a ratio. SQLite (a temporary file) always; with
``--database-url`` also that database (PostgreSQL), in a schema created for the run.

    python bench/bench_autopilot.py [--schools 20] [--database-url postgresql+psycopg://...]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, event, func, select, update  # noqa: E402

from bench_import import backend_name, fresh_database  # noqa: E402
from bench_sync import FIRST_RBD, add_school, queue_month  # noqa: E402
from reconcile import access, auth  # noqa: E402
from reconcile.autopilot import run as autopilot_run  # noqa: E402
from reconcile.autopilot import setting as autopilot_setting  # noqa: E402
from reconcile.clock import FixedClock  # noqa: E402
from reconcile.db import get_engine, transaction  # noqa: E402
from reconcile.db.models import (  # noqa: E402
    EN_PROCESO,
    POR_SINCRONIZAR,
    AuditLog,
    AutopilotRun,
    CourseDay,
    SyncJob,
    SyncJobCourse,
)

ENABLED_ON = datetime(2026, 11, 26, 12, 0)
RUN_AT = datetime(2026, 11, 27, 20, 0)  # Friday; at 20:00 the run sends the day too


@contextmanager
def statements(url: str):
    """Counts the SQL statements sent on ``url``'s engine inside the block."""
    engine = get_engine(url)
    found = [0]

    def count(*_args) -> None:  # noqa: ANN002
        found[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", count)


def forget_sends(url: str) -> None:
    """Back to before any send was asked: no jobs, no runs, the days por sincronizar."""
    with transaction(url) as session:
        session.execute(delete(SyncJobCourse))
        session.execute(delete(SyncJob))
        session.execute(delete(AutopilotRun))
        session.execute(delete(AuditLog).where(AuditLog.action.in_(
            ["sync.request", autopilot_run.RUN_ACTION])))
        session.execute(update(CourseDay).where(CourseDay.state == EN_PROCESO)
                        .values(state=POR_SINCRONIZAR, ticket=None, sent_at=None))


def queued_days(url: str) -> int:
    with transaction(url) as session:
        return session.scalar(select(func.count()).select_from(SyncJobCourse)) or 0


def measure(url: str, schools: int, folder: Path) -> dict:
    print(f"  cargando {schools} establecimientos…", flush=True)
    rbds = [add_school(url, index, folder)[0] for index in range(schools)]
    with transaction(url) as session:
        for rbd in rbds:
            auth.add_user(session, f"director-{rbd}", access.DIRECTOR, [rbd],
                          f"bench-{rbd}-clave", None, FixedClock(ENABLED_ON))
        for rbd in rbds:
            autopilot_setting.enable(session, auth.get_user(session, f"director-{rbd}"), rbd,
                                     "20:00", FixedClock(ENABLED_ON))
    clock = FixedClock(RUN_AT)
    with statements(url) as by_hand_sql:
        start = time.perf_counter()
        by_hand = sum(queue_month(url, f"asistencia-{rbd}", rbd) for rbd in rbds)
        by_hand_s = time.perf_counter() - start
    by_hand_days = queued_days(url)
    forget_sends(url)
    with statements(url) as auto_sql:
        start = time.perf_counter()
        made = autopilot_run.run_due(clock, url)
        auto_s = time.perf_counter() - start
    auto_days = queued_days(url)
    assert len(made) == schools, f"{len(made)} envíos automáticos de {schools}"
    assert auto_days == by_hand_days == by_hand, (auto_days, by_hand_days, by_hand)
    return {"days": auto_days, "held": sum(run.held for run in made), "auto_s": auto_s,
            "auto_sql": auto_sql[0], "hand_s": by_hand_s, "hand_sql": by_hand_sql[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=20)
    parser.add_argument("--database-url", help="also run on this database (PostgreSQL), in a "
                        "schema of its own that is dropped afterwards")
    args = parser.parse_args()
    urls = [None] + ([args.database_url] if args.database_url else [])
    for url in urls:
        print(f"{backend_name(url)}: {args.schools} establecimientos (RBD {FIRST_RBD}…), "
              f"noviembre 2026 hasta el {RUN_AT:%d-%m-%Y}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            with fresh_database(url, Path(tmp)) as database:
                found = measure(database, args.schools, Path(tmp))
        print(f"  días-curso en cola: {found['days']:,} (retenidos: {found['held']:,})")
        print(f"  a) envío automático, un turno del trabajador: {found['auto_s']:.2f} s, "
              f"{found['auto_sql']:,} sentencias SQL")
        print(f"  b) sync --month por establecimiento:          {found['hand_s']:.2f} s, "
              f"{found['hand_sql']:,} sentencias SQL")
        print(f"  a / b: tiempo {found['auto_s'] / found['hand_s']:.2f}, "
              f"sentencias {found['auto_sql'] / found['hand_sql']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
