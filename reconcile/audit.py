"""The append-only audit log: one call to record who did what, when, where; and the
read a person gets of it (``read``), limited to their own schools and their own
logins, newest first, a page at a time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from reconcile.access import AUDIT_READERS, AuthUser
from reconcile.clock import Clock, as_santiago
from reconcile.db.models import AuditLog, Establishment, User
from reconcile.errors import PermissionDenied, UserError

SYSTEM = ""  # the person filter's value for entries made without a user (worker, CLI)
SYSTEM_ES = "Sistema (sin usuario)"  # the sync worker, or the CLI without --user
PAGE_SIZE = 100


def record(session: Session, clock: Clock, username: str | None, action: str,
           rbd: int | None = None, course: str | None = None, day: date | None = None,
           **detail: Any) -> None:
    """Add an audit entry to the caller's transaction (it lands or not with the change)."""
    session.add(AuditLog(at=clock.now(), username=username, action=action, rbd=rbd,
                         course=course, day=day, detail=detail or None))


@dataclass(frozen=True)
class Filters:
    """What to show. ``people`` are user names (``SYSTEM`` for entries without a
    user), ``actions`` action codes; empty means all. Dates are inclusive, in
    Santiago."""

    people: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    username: str | None
    person: str  # the person's name (their login name when they have none)
    action: str
    rbd: int | None
    school: str | None
    course: str | None
    day: date | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    entries: list[Entry]
    total: int  # entries matching the filters, on every page
    offset: int


def read(session: Session, user: AuthUser, filters: Filters = Filters(),
         limit: int = PAGE_SIZE, offset: int = 0) -> AuditPage:
    """The entries ``user`` may see that match ``filters``, newest first: those of
    the user's schools, and their own logins and other entries without a school."""
    where = _where(user, filters)
    total = session.scalar(select(func.count()).select_from(AuditLog).where(*where)) or 0
    rows = session.execute(
        select(AuditLog, User.display_name, Establishment.name)
        .outerjoin(User, User.username == AuditLog.username)
        .outerjoin(Establishment, Establishment.rbd == AuditLog.rbd)
        .where(*where).order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(max(limit, 0)).offset(max(offset, 0)))
    entries = [Entry(log.id, log.at, log.username, display or log.username or SYSTEM_ES,
                     log.action, log.rbd, school, log.course, log.day, log.detail or {})
               for log, display, school in rows]
    return AuditPage(entries, total, offset)


def people(session: Session, user: AuthUser) -> dict[str, str]:
    """User name -> name, of everyone with an entry ``user`` may see (``SYSTEM`` for
    entries without a user), by name."""
    rows = session.execute(
        select(AuditLog.username, User.display_name).distinct()
        .outerjoin(User, User.username == AuditLog.username).where(*_where(user, Filters())))
    found = {username or SYSTEM: display or username or SYSTEM_ES for username, display in rows}
    return dict(sorted(found.items(), key=lambda item: (item[0] == SYSTEM, item[1].lower())))


def actions(session: Session, user: AuthUser) -> list[str]:
    """The action codes of the entries ``user`` may see."""
    return sorted(session.scalars(select(AuditLog.action).distinct()
                                  .where(*_where(user, Filters()))))


def _where(user: AuthUser, filters: Filters) -> list:
    if user.role not in AUDIT_READERS:
        raise PermissionDenied(f"El rol {user.role_label} no puede ver la auditoría: solo "
                               "Director(a), Administrador(a) de Asistencia o Sostenedor.")
    if filters.start and filters.end and filters.start > filters.end:
        raise UserError(f"La fecha «desde» ({filters.start:%d-%m-%Y}) es posterior a la fecha "
                        f"«hasta» ({filters.end:%d-%m-%Y}).")
    where = [or_(AuditLog.rbd.in_(user.rbds),
                 and_(AuditLog.rbd.is_(None), AuditLog.username == user.username))]
    if filters.people:
        named = [name for name in filters.people if name != SYSTEM]
        where.append(or_(AuditLog.username.in_(named),
                         *([AuditLog.username.is_(None)] if SYSTEM in filters.people else [])))
    if filters.actions:
        where.append(AuditLog.action.in_(filters.actions))
    if filters.start:
        where.append(AuditLog.at >= _midnight(filters.start))
    if filters.end:
        where.append(AuditLog.at < _midnight(filters.end + timedelta(days=1)))
    return where


def _midnight(day: date) -> datetime:
    return as_santiago(datetime.combine(day, time()))
