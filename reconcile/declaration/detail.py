"""What the declaration's workbook adds to the summary: each student's attendance over the
month (from the Libro's deciding marks, as SIGE gets them) and the month's Director overrides
(course-days sent to SIGE while not ready, who, when and why).

Names and RUTs are personal data: for the school's own staff in a download, never in a log.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.courses import label_of_code
from reconcile.db.models import AuditLog
from reconcile.declaration.summary import libro_lines
from reconcile.school import display_names, student_names
from reconcile.sige_calendar import Month
from reconcile.sync.rules import OVERRIDE_ACTION


@dataclass(frozen=True)
class StudentMonth:
    """One child in one course over the month: days present and absent in the Libro."""

    rut: str
    name: str
    present: int
    absent: int

    @property
    def percent(self) -> float | None:
        days = self.present + self.absent
        return 100 * self.present / days if days else None


def students_by_course(session: Session, rbd: int, month: Month) -> dict[int, list[StudentMonth]]:
    """Course id -> its children's month (by name, then RUT). RUTs carry the approved
    corrections, as what is sent to SIGE."""
    lines = libro_lines(session, rbd, month)
    if lines.empty:
        return {}
    counts = lines.groupby(["course_id", "rut"])["present"].agg(["sum", "count"])
    names = student_names(session, rbd, {rut for _, rut in counts.index})
    found: dict[int, list[StudentMonth]] = {}
    for (course_id, rut), (present, marked) in zip(counts.index, counts.to_numpy().tolist()):
        found.setdefault(int(course_id), []).append(
            StudentMonth(rut, names.get(rut, ""), int(present), int(marked - present)))
    for students in found.values():
        students.sort(key=lambda s: (s.name.casefold(), s.rut))
    return found


@dataclass(frozen=True)
class Override:
    """A course-day a Director sent although it was not ready."""

    at: datetime
    person: str
    course: str  # ENSE-GRADO-LETRA
    label: str
    day: date
    reason: str
    held: tuple[str, ...]  # why it was not ready, as the rules said


def director_overrides(session: Session, rbd: int, month: Month) -> list[Override]:
    """The month's overrides of the school, oldest first (from the audit log)."""
    rows = session.execute(
        select(AuditLog.at, AuditLog.username, AuditLog.course, AuditLog.day, AuditLog.detail)
        .where(AuditLog.action == OVERRIDE_ACTION, AuditLog.rbd == rbd,
               AuditLog.day.between(month.first_day, month.last_day))
        .order_by(AuditLog.at, AuditLog.id)).all()
    people = display_names(session, [row.username for row in rows])
    found = []
    for row in rows:
        detail = row.detail or {}
        reasons = detail.get("reasons") or ()
        found.append(Override(row.at, people.get(row.username, row.username or ""),
                              row.course or "", label_of_code(row.course or ""), row.day,
                              str(detail.get("override_reason") or ""),
                              tuple(map(str, reasons if isinstance(reasons, list) else [reasons]))))
    return found
