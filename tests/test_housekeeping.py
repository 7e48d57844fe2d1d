"""The worker's daily clean-up, on a pinned clock: ended login sessions and stale
lock-outs go, live ones stay; it runs once a day however many workers there are, and
its audit entry and log line carry counts, never a name."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from reconcile import auth, housekeeping, sessions
from reconcile.clock import FixedClock
from reconcile.db import transaction
from reconcile.db.models import AuditLog, Establishment, LoginSession, LoginThrottle
from reconcile.worker import Worker

PASSWORD = "clave-segura-123"
NIGHT = datetime(2026, 11, 16, 2, 0)  # before the purge hour (03:00)


@pytest.fixture
def school(db_url):
    clock = FixedClock(NIGHT - timedelta(days=1))
    with transaction(db_url) as session:
        session.add(Establishment(rbd=24875, name="Escuela Los Aromos", created_at=clock.now()))
        for name in ("director", "ana.rojas"):
            auth.add_user(session, name, "director", [24875], PASSWORD, clock=clock)
    return db_url


def open_session(url: str, at: datetime, username: str = "director") -> str:
    with transaction(url) as session:
        return sessions.create(session, username, FixedClock(at))


def failures(url: str, name: str, at: datetime, locked_until: datetime | None = None) -> None:
    with transaction(url) as session:
        session.add(LoginThrottle(username=name, failed_attempts=2, updated_at=at,
                                  locked_until=locked_until))


def rows(url: str) -> tuple[int, list[str]]:
    with transaction(url) as session:
        return (len(session.scalars(select(LoginSession)).all()),
                sorted(session.scalars(select(LoginThrottle.username))))


def test_ended_sessions_and_stale_lockouts_go_live_ones_stay(school, caplog):
    clock = FixedClock(NIGHT)
    yesterday = NIGHT - timedelta(hours=20)  # 06:00 of the day before
    open_session(school, yesterday)  # idle for 20 h: ended
    revoked = open_session(school, NIGHT - timedelta(minutes=5), "ana.rojas")
    with transaction(school) as session:
        sessions.revoke(session, revoked, clock)
    live = open_session(school, NIGHT + timedelta(minutes=80))  # 03:20, used 10 minutes ago
    failures(school, "ana.rojas", NIGHT - timedelta(days=2))  # old failures: forgotten
    failures(school, "intruso", NIGHT + timedelta(minutes=85),  # locked until 03:45: kept
             locked_until=NIGHT + timedelta(minutes=105))
    failures(school, "director", NIGHT - timedelta(days=3),  # a long lock-out, not over yet
             locked_until=NIGHT + timedelta(hours=5))

    assert housekeeping.purge_due(clock, school) is None  # 02:00: not yet
    assert rows(school) == (3, ["ana.rojas", "director", "intruso"])

    clock.advance(timedelta(minutes=90))  # 03:30
    caplog.set_level(logging.INFO, logger="reconcile.housekeeping")
    done = housekeeping.purge_due(clock, school)
    assert (done.sessions, done.lockouts) == (2, 1)
    assert rows(school) == (1, ["director", "intruso"])
    with transaction(school) as session:
        assert sessions.resolve(session, live, clock).username == "director"
        [entry] = session.scalars(select(AuditLog).where(
            AuditLog.action == housekeeping.PURGE_ACTION)).all()
        assert housekeeping.last_purge(session) == NIGHT.date()
    assert entry.username is None and entry.detail == {"sesiones": 2, "bloqueos": 1}
    logged = caplog.text
    assert "2 sesiones" in logged and "1 bloqueos" in logged
    assert not any(name in logged for name in ("director", "ana.rojas", "intruso"))


def test_it_runs_once_a_day(school):
    clock = FixedClock(NIGHT + timedelta(hours=2))  # 04:00
    assert housekeeping.purge_due(clock, school) is not None
    ended = open_session(school, clock.now())
    with transaction(school) as session:
        sessions.revoke(session, ended, clock)
    clock.advance(timedelta(hours=19))  # 23:00, the same day: done already
    assert housekeeping.purge_due(clock, school) is None
    assert rows(school)[0] == 1
    clock.advance(timedelta(hours=1))  # 00:00 next day: before the hour
    assert housekeeping.purge_due(clock, school) is None
    clock.advance(timedelta(hours=3, minutes=1))  # 03:01
    assert housekeeping.purge_due(clock, school).sessions == 1
    assert rows(school)[0] == 0


def test_several_workers_at_once_purge_once(school):
    clock = FixedClock(NIGHT + timedelta(hours=1, minutes=5))
    results, start = [], threading.Barrier(4)

    def worker() -> None:
        start.wait()
        results.append(housekeeping.purge_due(clock, school))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 4 and sum(r is not None for r in results) == 1
    with transaction(school) as session:
        assert len(session.scalars(select(AuditLog).where(
            AuditLog.action == housekeeping.PURGE_ACTION)).all()) == 1


def test_the_worker_purges_on_its_clock(school):
    clock = FixedClock(NIGHT + timedelta(hours=4))
    open_session(school, NIGHT - timedelta(days=1))  # long ended
    worker = Worker(clock, url=school, idle_wait=0.05)
    try:
        worker.run(until_idle=True)
    finally:
        worker.client.close()
    assert rows(school)[0] == 0
    with transaction(school) as session:
        assert housekeeping.last_purge(session) == clock.now().date()
