"""One school's envío automático as the CLI's ``autopilot status --json`` and the pages
show it: on or off, its hour, the next run, the last run and the close risk."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.autopilot import risk as close_risk
from reconcile.autopilot import schedule
from reconcile.autopilot import setting as autopilot_setting
from reconcile.autopilot.run import last_run
from reconcile.autopilot_summary import Risk, RunSummary
from reconcile.clock import Clock
from reconcile.db.models import Establishment
from reconcile.errors import UserError


@dataclass(frozen=True)
class SchoolAutopilot:
    rbd: int
    enabled: bool
    at: str  # HH:MM
    next_run: datetime | None  # None: off
    last_run: RunSummary | None
    risk: Risk

    def as_json(self) -> dict:
        return {"rbd": self.rbd, "enabled": self.enabled, "at": self.at,
                "next_run": self.next_run.isoformat() if self.next_run else None,
                "last_run": self.last_run.as_json() if self.last_run else None,
                "risk": self.risk.as_json()}


def status(session: Session, rbd: int, clock: Clock) -> SchoolAutopilot:
    """School ``rbd``'s envío automático now (a UserError when there is no such school)."""
    if session.get(Establishment, rbd) is None:
        raise UserError(f"No existe el establecimiento RBD {rbd}.")
    config = autopilot_setting.read(session, rbd)
    return SchoolAutopilot(rbd, config.enabled, config.at_text,
                           schedule.next_run(session, rbd, clock), last_run(session, rbd),
                           close_risk.forecast(session, rbd, clock))


def all_status(session: Session, clock: Clock) -> list[SchoolAutopilot]:
    """Every school's, by RBD."""
    return [status(session, rbd, clock) for rbd in session.scalars(
        select(Establishment.rbd).order_by(Establishment.rbd))]
