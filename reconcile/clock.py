"""Time as an input. Every rule that depends on "now" takes a Clock; tests pin it.

All times are America/Santiago. ``RECONCILE_NOW`` (an ISO date-time, read by
``default_clock``) pins the clock for the CLI, the worker and the dashboard, so
that end-to-end tests and demos can stand on a fixed day.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SANTIAGO = ZoneInfo("America/Santiago")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in America/Santiago."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(SANTIAGO)


@dataclass
class FixedClock:
    """A clock that stands still until told to move (tests, demos)."""

    at: datetime

    def __post_init__(self) -> None:
        self.at = as_santiago(self.at)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta


class RunningClock:
    """Starts at a pinned instant and runs on with real time: a worker pinned by
    ``RECONCILE_NOW`` to a day of the month still sees its waits and leases pass."""

    def __init__(self, start: datetime) -> None:
        self.start = as_santiago(start)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._started)


def as_santiago(moment: datetime) -> datetime:
    """A naive datetime is read as Santiago wall time; an aware one is converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=SANTIAGO)
    return moment.astimezone(SANTIAGO)


def default_clock() -> Clock:
    pinned = os.environ.get("RECONCILE_NOW", "").strip()
    if pinned:
        return FixedClock(datetime.fromisoformat(pinned))
    return SystemClock()


def running_clock() -> Clock:
    """The worker's clock: ``RECONCILE_NOW`` as a starting point that runs on, or
    the system clock."""
    pinned = os.environ.get("RECONCILE_NOW", "").strip()
    if pinned:
        return RunningClock(datetime.fromisoformat(pinned))
    return SystemClock()
