"""Why a course-day (or a whole send request) is not queued: one refusal, in Spanish."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reconcile.es_cl import fecha


@dataclass(frozen=True)
class Refusal:
    """Why something is not queued. ``course`` and ``day`` are None when the
    reason is about the whole request (the role, the convenio) or a whole date."""

    reason: str
    course: str | None = None  # ENSE-GRADO-LETRA
    day: date | None = None
    cause: str | None = None  # why a course-day is held: caso_1, caso_2, sin_registro

    def line_es(self) -> str:
        where = " ".join(part for part in (self.course, fecha(self.day) if self.day else None)
                         if part)
        return f"{where}: {self.reason}" if where else self.reason
