"""The daily clean-up: ended login sessions and stale lock-out rows are deleted once a day.

What goes: every login session that can no longer be used (``sessions.purge_ended``:
revoked, expired, idle or open too long) and every failed-login count older than a day
whose lock-out has ended (``auth.forget_stale_failures``). When: the first turn of the
worker's clock on or after ``PURGE_AT`` (Santiago) of each day, or later that day if no
worker ran then. Several workers share the day: the one that moves the marker (a row
of ``setting``, outside the keys people set, like the sessions' signing secret) to
today purges; the others find it already there. Audited and logged with counts only,
never a name.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconcile import auth, sessions
from reconcile.audit import record
from reconcile.clock import Clock
from reconcile.db import transaction
from reconcile.db.models import Setting
from reconcile.settings import GLOBAL

log = logging.getLogger(__name__)
PURGE_AT = time(3, 0)  # a quiet hour: nobody is sending or logging in
MARKER = "housekeeping.last_purge"  # the day of the last purge, ISO (not a settings.KEYS key)
PURGE_ACTION = "housekeeping.purge"


@dataclass(frozen=True)
class Purge:
    day: date
    sessions: int  # login sessions deleted
    lockouts: int  # failed-login rows deleted


def purge_due(clock: Clock, url: str | None = None) -> Purge | None:
    """Purge if today's purge is due and no other worker made it; None otherwise."""
    now = clock.now()
    if now.time() < PURGE_AT:
        return None
    with transaction(url) as session:
        if not _claim(session, now.date(), clock):
            return None
        done = Purge(now.date(), sessions.purge_ended(session, now),
                     auth.forget_stale_failures(session, now))
        record(session, clock, None, PURGE_ACTION, sesiones=done.sessions,
               bloqueos=done.lockouts)
    log.info("limpieza diaria: %d sesiones terminadas y %d bloqueos vencidos eliminados",
             done.sessions, done.lockouts)
    return done


def last_purge(session: Session) -> date | None:
    row = session.get(Setting, (MARKER, GLOBAL))
    return date.fromisoformat(row.value) if row is not None else None


def _claim(session: Session, today: date, clock: Clock) -> bool:
    """Move the marker to ``today``; whether this caller did (a second worker waits on
    the row, then finds today there and gives up; a first insert race ends the same)."""
    moved = session.execute(update(Setting).where(
        Setting.key == MARKER, Setting.rbd == GLOBAL, Setting.value < today.isoformat())
        .values(value=today.isoformat(), updated_at=clock.now()))
    if moved.rowcount:
        return True
    if session.get(Setting, (MARKER, GLOBAL)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Setting(key=MARKER, rbd=GLOBAL, value=today.isoformat(),
                                updated_at=clock.now()))
    except IntegrityError:
        return False
    return True
