"""What an automatic run did and how the close looks: plain values (below the envío
automático and the mail that tells of it), shared by the run,
the forecast, the CLI's JSON and the mails (which never carry a RUT or a name)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

OK = "ok"
RIESGO = "riesgo"
VENCIDO = "vencido"
RISK_LEVELS = (OK, RIESGO, VENCIDO)


@dataclass(frozen=True)
class HeldDay:
    """A course-day the run did not send, and why (a cause key such as ``caso_1``)."""

    course: str  # ENSE-GRADO-LETRA
    label: str  # "3° Básico A"
    day: date
    reason: str


@dataclass(frozen=True)
class RunSummary:
    rbd: int
    run_date: date
    kind: str  # "auto" (at the school's hour) or "manual" (asked for now)
    at: datetime
    requested_by: str | None  # the person who turned it on, or who asked
    queued: int
    held: int
    held_by_reason: dict[str, int] = field(default_factory=dict)
    held_days: tuple[HeldDay, ...] = ()
    dry_run: bool = False
    blocked: tuple[str, ...] = ()  # why nothing could be planned (no convenio, no requester)

    def as_json(self) -> dict:
        return {"at": self.at.isoformat(), "queued": self.queued, "held": self.held,
                "held_by_reason": dict(sorted(self.held_by_reason.items()))}


@dataclass(frozen=True)
class Risk:
    level: str  # one of RISK_LEVELS
    pending: int  # course-days still to send or in process
    held: int  # course-days not ready (would not be sent)
    forecast_final: datetime | None  # when the last one is expected final; None: nothing left
    close: datetime
    p90_minutes: float  # SIGE's observed send -> final report time (or the stated default)

    def as_json(self) -> dict:
        return {"level": self.level, "pending": self.pending, "held": self.held,
                "forecast_final": self.forecast_final.isoformat() if self.forecast_final
                else None, "close": self.close.isoformat(),
                "p90_minutes": round(self.p90_minutes, 1)}
