"""Day states and the one rule that moves a day when its marks change.

DESIGN.md: a day is ``sincronizado`` only while the hash of its current marks
equals the hash of what SIGE accepted; any later change makes it
``por_sincronizar`` again by itself, also while it is ``en_proceso``.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from reconcile.db.models import (
    EN_PROCESO,
    ERROR,
    POR_SINCRONIZAR,
    SIN_REGISTRO,
    SINCRONIZADO,
    CourseDay,
)

LABELS_ES = {
    SIN_REGISTRO: "Sin registro",
    POR_SINCRONIZAR: "Por sincronizar",
    EN_PROCESO: "En proceso",
    SINCRONIZADO: "Sincronizado",
    ERROR: "Error en la sincronización",
}
SYMBOLS = {SIN_REGISTRO: "·", POR_SINCRONIZAR: "○", EN_PROCESO: "⏱", SINCRONIZADO: "✔", ERROR: "✖"}


def marks_hash(marks: Iterable[tuple[str, bool]]) -> str | None:
    """Content hash of one course-day's deciding marks: (canonical RUT, present) pairs.
    Order-independent; None when there are no marks (the day has no record)."""
    lines = sorted(f"{rut}:{int(present)}" for rut, present in marks)
    if not lines:
        return None
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def on_marks_changed(day: CourseDay, new_hash: str | None, now: datetime) -> bool:
    """Record a course-day's new content hash and move its state by the rule.
    Returns True when a day that was synced (or in process) went back to
    ``por_sincronizar``."""
    if new_hash == day.marks_hash and day.state != SIN_REGISTRO:
        return False
    was = day.state
    day.marks_hash = new_hash
    day.updated_at = now
    if new_hash is None:
        day.state, day.cause = SIN_REGISTRO, None
        return False
    if was == SINCRONIZADO and new_hash == day.synced_hash:
        return False
    if was == EN_PROCESO and new_hash == day.sent_hash:
        return False
    day.state, day.cause = POR_SINCRONIZAR, None
    return was in (SINCRONIZADO, EN_PROCESO)
