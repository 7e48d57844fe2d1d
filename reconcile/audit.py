"""The append-only audit log: one call to record who did what, when, where."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from reconcile.clock import Clock
from reconcile.db.models import AuditLog


def record(session: Session, clock: Clock, username: str | None, action: str,
           rbd: int | None = None, course: str | None = None, day: date | None = None,
           **detail: Any) -> None:
    """Add an audit entry to the caller's transaction (it lands or not with the change)."""
    session.add(AuditLog(at=clock.now(), username=username, action=action, rbd=rbd,
                         course=course, day=day, detail=detail or None))
