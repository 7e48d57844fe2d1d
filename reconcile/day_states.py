"""Day states: every change of a course-day's sync state happens here, nowhere else.

DESIGN.md: a day is ``sincronizado`` only while the hash of the payload SIGE would
get now equals the hash of what SIGE accepted; any later change makes it
``por_sincronizar`` again by itself, also while it is ``en_proceso``. A day shows
``en_proceso`` from the moment its send is queued until SIGE's final report. A day
in ``error`` may be sent again; its cause and SIGE's words stay until the new
result.

Each function takes a course-day (anything with the ``CourseDay`` fields), moves
it, stamps ``updated_at`` and returns nothing but what its docstring says. The
doctests walk the life of one day.

>>> from datetime import datetime
>>> now = datetime(2026, 11, 16, 10, 0)
>>> day = Day()
>>> on_payload_changed(day, "h1", now); day.state
False
'por_sincronizar'
>>> on_queued(day, now); day.state
'en_proceso'
>>> on_sent(day, "h1", "T-1", now); (day.state, day.ticket)
('en_proceso', 'T-1')
>>> on_accepted(day, now); (day.state, day.synced_hash)
('sincronizado', 'h1')
>>> on_payload_changed(day, "h2", now); day.state      # a mark changed after sync
True
'por_sincronizar'
>>> on_payload_changed(day, "h1", now); day.state      # changed back: SIGE has it
False
'sincronizado'
>>> on_sent(day, "h1", "T-2", now, (20, 3)); day.state  # rides along with its grade
'sincronizado'
>>> on_accepted(day, now); (day.state, day.synced_present, day.synced_absent)
('sincronizado', 20, 3)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from reconcile.db.models import (
    EN_PROCESO,
    ERROR,
    POR_SINCRONIZAR,
    SIN_REGISTRO,
    SINCRONIZADO,
)
from reconcile.sige.causes import CASO_1, CASO_2, CASO_3, FUERA_DE_MES, RECHAZADO, SIN_CONVENIO

SIN_RESPUESTA = "sin_respuesta"  # SIGE gave no final report before the deadline

LABELS_ES = {
    SIN_REGISTRO: "Sin registro",
    POR_SINCRONIZAR: "Por sincronizar",
    EN_PROCESO: "En proceso",
    SINCRONIZADO: "Sincronizado",
    ERROR: "Error en la sincronización",
}
# Symbols with a glyph in common fonts (DejaVu too): the heatmap must read without emoji fonts.
SYMBOLS = {SIN_REGISTRO: "·", POR_SINCRONIZAR: "☁", EN_PROCESO: "◷", SINCRONIZADO: "✔",
           ERROR: "⚠"}
CAUSES_ES = {
    CASO_1: "Caso 1: faltan estudiantes que SIGE tiene matriculados",
    CASO_2: "Caso 2: SIGE no reconoce uno o más RUT",
    CASO_3: "Caso 3: SIGE no disponible",
    FUERA_DE_MES: "Fuera del mes de SIGE: el período de declaración de ese mes ya cerró",
    SIN_CONVENIO: "Sin convenio: SIGE no aceptó el convenio para este establecimiento",
    RECHAZADO: "SIGE rechazó el envío",
    SIN_RESPUESTA: "Sin respuesta de SIGE dentro del plazo",
}
FIX_ES = {
    CASO_1: "Revise en el Libro Digital a los estudiantes que faltan (o su RUT) y vuelva a "
            "sincronizar.",
    CASO_2: "Vea «Pendientes»: cada RUT dice dónde corregirlo (en el Libro Digital, o en SIGE "
            "si SIGE aún tiene el IPE y el Libro el RUN definitivo) y si puede aprobar aquí el "
            "par sugerido; luego vuelva a sincronizar.",
    CASO_3: "Se reintenta automáticamente hasta el cierre del mes.",
    FUERA_DE_MES: "Ese mes ya no se puede enviar desde aquí: consulte con el sostenedor.",
    SIN_CONVENIO: "El Director debe revisar las credenciales del convenio en Configuración.",
    RECHAZADO: "Lea el mensaje de SIGE, corrija y vuelva a sincronizar.",
    SIN_RESPUESTA: "Vuelva a sincronizar el día; si se repite, consulte en SIGE.",
}
SENDABLE = (POR_SINCRONIZAR, ERROR)


def on_payload_changed(day: Any, new_hash: str | None, now: datetime) -> bool:
    """Record the course-day's new payload hash (None: no record left) and move
    the state by the rule. True when a day that was synced (or in process) went
    back to ``por_sincronizar``."""
    if new_hash == day.payload_hash and day.state != SIN_REGISTRO:
        return False
    was = day.state
    day.payload_hash = new_hash
    day.updated_at = now
    if new_hash is None:
        day.state, day.cause = SIN_REGISTRO, None
        return False
    if was == SINCRONIZADO and new_hash == day.synced_hash:
        return False
    if was in (SINCRONIZADO, POR_SINCRONIZAR) and new_hash == day.synced_hash:
        day.state, day.cause = SINCRONIZADO, None  # changed back to what SIGE has
        return False
    if was == EN_PROCESO and new_hash == day.sent_hash:
        return False
    if was == ERROR and new_hash == day.sent_hash:
        return False
    day.state = POR_SINCRONIZAR
    if was != ERROR:
        day.cause = None
    return was in (SINCRONIZADO, EN_PROCESO)


def queued_values(now: datetime) -> dict[str, Any]:
    """A send was requested: the clock shows until SIGE's final report. The last
    cause and SIGE's words stay until the new result. (As column values, so a
    whole month can be queued in one UPDATE.)"""
    return {"state": EN_PROCESO, "sent_hash": None, "updated_at": now}


def on_queued(day: Any, now: datetime) -> None:
    """``queued_values`` on one course-day."""
    for column, value in queued_values(now).items():
        setattr(day, column, value)


def on_sent(day: Any, sent_hash: str, ticket: str, now: datetime,
            counts: tuple[int, int] | None = None) -> None:
    """SIGE accepted the send for processing (ticket held). ``counts``: the send's
    Presentes and Ausentes for this course. A synced letter that rides along with its
    grade, unchanged, stays ``sincronizado``."""
    day.sent_hash, day.ticket, day.sent_at, day.updated_at = sent_hash, ticket, now, now
    day.sent_present, day.sent_absent = counts if counts is not None else (None, None)
    if day.state == SIN_REGISTRO:
        return
    if day.state == SINCRONIZADO and day.synced_hash == sent_hash == day.payload_hash:
        return
    # the send carries the marks as they are now, also those changed while queued
    day.state = EN_PROCESO if day.payload_hash == sent_hash else POR_SINCRONIZAR


def on_accepted(day: Any, now: datetime) -> None:
    """SIGE's final report says this course is in SIGE: what was sent is synced;
    the day is ``sincronizado`` unless its payload changed meanwhile."""
    day.synced_hash, day.updated_at = day.sent_hash, now
    day.synced_present, day.synced_absent = day.sent_present, day.sent_absent
    if day.state == SIN_REGISTRO:
        return
    if day.payload_hash == day.synced_hash:
        day.state, day.cause, day.sige_messages = SINCRONIZADO, None, None
    else:
        day.state, day.cause = POR_SINCRONIZAR, None


def on_failed(day: Any, cause: str, messages: list | None, now: datetime) -> None:
    """SIGE's final word for this course is a failure (after a send, or without
    one: month closed, no convenio). SIGE's words are kept. A day whose payload
    changed since it was sent goes to ``por_sincronizar`` (the change may be the
    fix); otherwise it is ``error`` with its cause."""
    day.cause, day.sige_messages, day.updated_at = cause, messages or None, now
    if day.state == SIN_REGISTRO:
        return
    sent = day.sent_hash
    day.state = ERROR if sent is None or sent == day.payload_hash else POR_SINCRONIZAR


def is_sendable(day: Any) -> bool:
    """Whether a new send may be requested for the day (by its state alone)."""
    return day.state in SENDABLE


def label(state: str, cause: str | None = None) -> str:
    """The Spanish text of a state, with its cause.

    >>> label("error", "caso_2")
    'Error en la sincronización (Caso 2: SIGE no reconoce uno o más RUT)'
    """
    text = LABELS_ES[state]
    return f"{text} ({CAUSES_ES.get(cause, cause)})" if cause and state == ERROR else text


@dataclass
class Day:
    """A plain course-day (the fields the rules read and set), for new days before
    they are stored in bulk and for the doctests."""

    rbd: int = 0
    course_id: int = 0
    day: date | None = None
    payload_hash: str | None = None
    state: str = SIN_REGISTRO
    cause: str | None = None
    sent_hash: str | None = None
    synced_hash: str | None = None
    sent_present: int | None = None
    sent_absent: int | None = None
    synced_present: int | None = None
    synced_absent: int | None = None
    ticket: str | None = None
    sige_messages: list | None = None
    sent_at: datetime | None = None
    updated_at: datetime | None = None

