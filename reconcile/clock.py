"""Time as an input. Every rule that depends on "now" takes a Clock; tests pin it.

All times are America/Santiago. ``RECONCILE_NOW`` (an ISO date-time, read by
``default_clock``) pins the clock for the CLI, the worker and the dashboard, so
that end-to-end tests and demos can stand on a fixed day.
"""
from __future__ import annotations

import os
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
