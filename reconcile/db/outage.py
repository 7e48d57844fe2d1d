"""A database out of reach: telling it from other errors, and waiting it out with backoff.

``is_unreachable(error)`` says whether an error means the database cannot be reached
(the server down, the network cut, a connection dropped mid-statement), as opposed to
a bad statement, a conflict or a locked SQLite file. ``Outage`` is what a long-running
loop (the worker) keeps: a growing wait with a cap between tries, one log line when the
database stops answering and one when it answers again, however many parts notice it.
"""
from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from reconcile.db.engine import get_engine

UNREACHABLE_ES = ("La base de datos no responde. Vuelva a intentarlo en un momento; si persiste, "
                  "avise al encargado del servidor.")

# PostgreSQL's SQLSTATEs of a connection lost or refused: class 08 (connection
# exception) and the server shutting down or starting (57P01-57P03).
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03")
# SQLite's words for a database file that cannot be reached (not "database is locked":
# the busy timeout waits for that one).
_SQLITE_UNREACHABLE = ("unable to open database", "disk i/o error")


def is_unreachable(error: BaseException | None) -> bool:
    """Whether ``error`` (or an error it came from) means the database is out of reach."""
    seen = 0
    while error is not None and seen < 10:
        if _unreachable(error):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _unreachable(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate.startswith(_UNREACHABLE_STATES)
    words = str(error.orig).lower()
    if type(error.orig).__module__.startswith("sqlite3"):
        return any(w in words for w in _SQLITE_UNREACHABLE)
    return True  # a driver's connection failure carries no SQLSTATE


def answers(url: str | None = None) -> bool:
    """Whether the database answers a trivial query now (False only when it is out of
    reach; any other error is raised)."""
    try:
        with get_engine(url).connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception as error:
        if is_unreachable(error):
            return False
        raise


class Outage:
    """The state of one outage, shared by a loop's threads: whether the database is
    down, how long to wait before the next try (``first`` doubling up to ``cap``
    seconds) and the two log lines."""

    def __init__(self, logger: logging.Logger, first: float = 0.5, cap: float = 30.0) -> None:
        self.log = logger
        self.first = first
        self.cap = cap
        self._lock = threading.Lock()
        self._since: float | None = None  # time.monotonic() of the first failure
        self._tries = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    def hit(self, error: BaseException) -> bool:
        """Note ``error``: True (and the outage begins, said once) when it means the
        database is out of reach; False for any other error (the caller handles it)."""
        if not is_unreachable(error):
            return False
        with self._lock:
            if self._since is None:
                self._since = time.monotonic()
                self._tries = 0
                self.log.warning("La base de datos no responde (%s); el trabajo sigue cuando "
                                 "vuelva, reintentando con esperas crecientes de hasta %g s.",
                                 _kind(error), self.cap)
        return True

    def pause(self) -> float:
        """Seconds to wait before the next try (growing with each one)."""
        with self._lock:
            wait = min(self.cap, self.first * 2 ** self._tries)
            self._tries += 1
            return wait

    def back(self, url: str | None = None) -> bool:
        """While down: whether the database answers again (then the outage ends, said
        once). Not down: True without asking."""
        if not self.down:
            return True
        if not answers(url):
            return False
        with self._lock:
            if self._since is not None:
                self.log.warning("La base de datos volvió a responder tras %.1f s sin ella.",
                                 time.monotonic() - self._since)
                self._since = None
                self._tries = 0
        return True


def _kind(error: BaseException) -> str:
    """The driver's error type, for the log (never its text: it may hold a URL)."""
    orig = getattr(error, "orig", None)
    return type(orig or error).__name__
