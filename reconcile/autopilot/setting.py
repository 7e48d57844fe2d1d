"""A school's envío automático setting: on or off, its hour, who turned it on; only a
Director of the school changes it, and every change is audited with who.

Stored as settings (``autopilot.enabled``, ``autopilot.at``, ``autopilot.enabled_by``)
so ``config get`` shows them; ``enable`` and ``disable`` are the way people change
them (the CLI's ``autopilot enable|disable`` and the Configuración page): authorised,
every reason collected before anything is written, audited in the caller's
transaction. The person who turned it on is the requester of every automatic run.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import audit, settings
from reconcile.access import AuthUser, authorize
from reconcile.clock import Clock, default_clock
from reconcile.db.models import Establishment, Setting
from reconcile.errors import PermissionDenied, UserError

ENABLED_KEY = "autopilot.enabled"
AT_KEY = "autopilot.at"
BY_KEY = "autopilot.enabled_by"
KEYS = (ENABLED_KEY, AT_KEY, BY_KEY)
ENABLE_ACTION = "autopilot.enable"
DISABLE_ACTION = "autopilot.disable"
ON = "si"


@dataclass(frozen=True)
class AutopilotSetting:
    """One school's envío automático as stored. ``since``: when it was last turned on
    (a run is due only at an hour that came after it)."""

    rbd: int
    enabled: bool
    at: time
    enabled_by: str | None
    since: datetime | None

    @property
    def at_text(self) -> str:
        return self.at.strftime("%H:%M")


def read(session: Session, rbd: int) -> AutopilotSetting:
    return read_all(session, [rbd])[rbd]


def read_all(session: Session, rbds: list[int] | None = None) -> dict[int, AutopilotSetting]:
    """The setting of each school (every school when ``rbds`` is None), in one query."""
    if rbds is None:
        rbds = list(session.scalars(select(Establishment.rbd).order_by(Establishment.rbd)))
    rows = session.execute(select(Setting.key, Setting.rbd, Setting.value, Setting.updated_at)
                           .where(Setting.key.in_(KEYS),
                                  Setting.rbd.in_([settings.GLOBAL, *rbds])))
    found = {(row.key, row.rbd): row for row in rows}

    def value(key: str, rbd: int):  # noqa: ANN202 - the row: the school's, else the global one
        return found.get((key, rbd)) or found.get((key, settings.GLOBAL))

    result = {}
    for rbd in rbds:
        on, at, by = (value(key, rbd) for key in KEYS)
        enabled = on is not None and on.value == ON
        result[rbd] = AutopilotSetting(
            rbd, enabled, time.fromisoformat(at.value if at else settings.KEYS[AT_KEY].default),
            by.value if by is not None else None, on.updated_at if enabled else None)
    return result


def enable(session: Session, user: AuthUser, rbd: int, at: str | None = None,
           clock: Clock | None = None) -> AutopilotSetting:
    """A Director of ``rbd`` turns the envío automático on (or changes its hour, when
    it is on already). ``at``: HH:MM (None keeps the stored hour). Refused with every
    reason (unknown school, role, hour) and nothing written; audited with who."""
    clock = clock or default_clock()
    problems = _refusals(session, user, rbd)
    hour = None
    if at is not None:
        try:
            hour = settings.normalise(AT_KEY, at)
        except UserError:
            problems.append(f"La hora «{at}» no es válida: use HH:MM entre 00:00 y 23:59, "
                            "p. ej. 07:00.")
    _raise(problems)
    before = read(session, rbd)
    if not before.enabled:
        settings.set_value(session, ENABLED_KEY, ON, rbd, clock)
        settings.set_value(session, BY_KEY, user.username, rbd, clock)
    if hour is not None and hour != before.at_text:
        settings.set_value(session, AT_KEY, hour, rbd, clock)
    after = read(session, rbd)
    audit.record(session, clock, user.username, ENABLE_ACTION, rbd=rbd, at=after.at_text,
                 previous={"enabled": before.enabled, "at": before.at_text})
    return after


def disable(session: Session, user: AuthUser, rbd: int,
            clock: Clock | None = None) -> AutopilotSetting:
    """A Director of ``rbd`` turns the envío automático off (the hour is kept)."""
    clock = clock or default_clock()
    _raise(_refusals(session, user, rbd))
    before = read(session, rbd)
    if before.enabled:
        settings.set_value(session, ENABLED_KEY, "no", rbd, clock)
    audit.record(session, clock, user.username, DISABLE_ACTION, rbd=rbd,
                 previous={"enabled": before.enabled, "at": before.at_text})
    return read(session, rbd)


def _refusals(session: Session, user: AuthUser, rbd: int) -> list[str]:
    if session.get(Establishment, rbd) is None:
        return [f"No existe el establecimiento RBD {rbd}."]
    try:
        authorize(user, "autopilot", rbd)
    except PermissionDenied as denied:
        return [*denied.reasons, "Solo un Director(a) del establecimiento activa, desactiva o "
                "cambia la hora del envío automático."]
    return []


def _raise(problems: list[str]) -> None:
    if problems:
        raise UserError(problems)
