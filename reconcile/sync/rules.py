"""Who may send what, when: every sync request is checked here, whatever its origin
(the CLI, the pages), so they cannot disagree.

A request names a school, a date range (or SIGE's whole current month) and
optionally some courses. ``plan`` checks it without writing anything and says, per
course-day, what would be queued and what is refused and why (in Spanish);
``request`` does the same and then queues the sendable part as durable jobs, in
one transaction, audited. A request that is partly refused queues the rest.

The checks: the user is Director or Administrador de Asistencia of the school; the
school has convenio credentials; every date is in SIGE's current month, that
month is open now and the date is not in the future (the calendar module); the
course-day is a worked day with a Libro record; it is ``ready`` by the
reconciliation, else refused with its Caso unless a Director overrides it with a
written reason; a day already ``sincronizado`` with an unchanged payload, or in
process, is not queued again.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import audit, settings
from reconcile.access import DIRECTOR, AuthUser, authorize
from reconcile.clock import Clock, default_clock
from reconcile.db.models import SIN_REGISTRO, SINCRONIZADO, Course, CourseDay
from reconcile.errors import PermissionDenied, UserError
from reconcile.es_cl import cantidad, fecha
from reconcile.matching.store import check_range, run_check
from reconcile.school import calendar_for
from reconcile.sige.config import CREDENTIAL_KEYS
from reconcile.sync import grades, jobs
from reconcile.sync.refusals import Refusal

MIN_OVERRIDE_REASON = 10  # characters: a real sentence, not "ok"
REQUEST_ACTION = "sync.request"
OVERRIDE_ACTION = "sync.override"


@dataclass
class SyncPlan:
    """What a request would do: the course-days queued, those refused (with the
    reason) and those sent despite not being ready (a Director's override)."""

    rbd: int
    start: date
    end: date
    queued: list[tuple[Course, date]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    overridden: list[tuple[str, date, list[str]]] = field(default_factory=list)
    override_reason: str | None = None
    # letters of a queued grade-day sent along with it (``sige.send_whole_grade``):
    # synced and unchanged, or ready though not asked for (``reconcile.sync.grades``)
    riding: list[tuple[Course, date]] = field(default_factory=list)
    unchanged: set[tuple[int, date]] = field(default_factory=set)  # riders staying synced

    @property
    def units(self) -> dict[tuple[date, int, int], list[Course]]:
        """The queued course-days, with the ready letters riding along, grouped as
        SIGE takes them (the synced ones ride at send time: ``grades``)."""
        grouped: dict[tuple[date, int, int], list[Course]] = defaultdict(list)
        riders = [(c, d) for c, d in self.riding if (c.id, d) not in self.unchanged]
        for course, day in [*self.queued, *riders]:
            grouped[(day, course.cod_ense, course.cod_grado)].append(course)
        return dict(grouped)

    def lines_es(self) -> list[str]:
        lines = [f"En cola para enviar a SIGE: {cantidad(len(self.queued), 'día-curso')} en "
                 f"{cantidad(len(self.units), 'envío')}."]
        lines += [f"  {course.code} {fecha(day)}" for course, day in self.queued]
        if self.riding:
            lines.append(f"Van con su grado (para que SIGE no borre ninguna letra): "
                         f"{cantidad(len(self.riding), 'día-curso')}.")
            lines += [f"  {course.code} {fecha(day)}" for course, day in self.riding]
        if self.overridden:
            lines.append(f"Enviados por decisión del Director aunque no están listos: "
                         f"{len(self.overridden)} (motivo: «{self.override_reason}»).")
        if self.refused:
            lines.append(f"No se pusieron en cola: {len(self.refused)}.")
            lines += [f"  {refusal.line_es()}" for refusal in self.refused]
        return lines


def month_range(session: Session, rbd: int, clock: Clock | None = None) -> tuple[date, date]:
    """"Seleccionar todas": SIGE's current month, from its first day up to today."""
    now = (clock or default_clock()).now()
    month = calendar_for(session, rbd).current_month(now)
    return month.first_day, min(month.last_day, now.date())


def plan(session: Session, user: AuthUser, rbd: int, start: date, end: date,
         courses: list[str] | None = None, override_reason: str | None = None,
         clock: Clock | None = None, whole_month: bool = False) -> SyncPlan:
    """Check a request without writing anything. ``whole_month``: the days of the
    range without any record are simply not worked days, not refusals."""
    clock = clock or default_clock()
    result = SyncPlan(rbd, start, end, override_reason=_clean(override_reason))
    blockers = _request_blockers(session, user, rbd, start, end, result.override_reason)
    if blockers:
        result.refused = [Refusal(reason) for reason in blockers]
        return result
    try:
        selected = _courses(session, rbd, start, end, courses)
    except UserError as problem:
        result.refused = [Refusal(reason) for reason in problem.reasons]
        return result
    now = clock.now()
    calendar = calendar_for(session, rbd)
    days = [start + timedelta(n) for n in range((end - start).days + 1)]
    open_days = []
    for day in days:
        verdict = calendar.can_send(day, now)
        if verdict.ok:
            open_days.append(day)
        elif not any(r.reason == verdict.reason for r in result.refused):
            result.refused.append(Refusal(verdict.reason, day=day if verdict.code ==
                                          "fecha_futura" else None))
    if not open_days:
        return result
    stored = _stored_days(session, rbd, open_days[0], open_days[-1])
    busy = jobs.active_course_days(session, rbd, open_days[0], open_days[-1])
    candidates = []
    for day in open_days:
        recorded = [c for c in selected if (c.id, day) in stored
                    and stored[(c.id, day)].state != SIN_REGISTRO]
        if not recorded:
            if not whole_month:
                result.refused.append(Refusal(
                    "no hay asistencia registrada en el Libro Digital ese día: solo se envían "
                    "días trabajados.", day=day))
            continue
        for course in selected:
            stored_day = stored.get((course.id, day))
            if course not in recorded:
                result.refused.append(Refusal("sin registro de asistencia en el Libro Digital "
                                              "ese día (otros cursos sí tienen).",
                                              course.code, day, SIN_REGISTRO))
            elif (course.id, day) in busy:
                result.refused.append(Refusal("ya está en proceso de envío a SIGE: espere su "
                                              "resultado.", course.code, day))
            elif stored_day.state == SINCRONIZADO and \
                    stored_day.payload_hash == stored_day.synced_hash:
                result.refused.append(Refusal("ya está sincronizado y no ha cambiado.",
                                              course.code, day))
            else:
                candidates.append((course, day))
    verdicts = _check_ready(session, user, rbd, candidates, result)
    if result.queued and settings.get_value(session, grades.SETTING, rbd) == "si":
        grades.add_whole_grades(session, rbd, result, stored, busy, verdicts)
    return result


def request(session: Session, user: AuthUser, rbd: int, start: date, end: date,
            courses: list[str] | None = None, override_reason: str | None = None,
            clock: Clock | None = None, whole_month: bool = False) -> SyncPlan:
    """``plan``, then queue what may be sent (jobs + day states) and audit it, in
    the caller's transaction. Raises UserError, with every reason, when nothing
    could be queued; that refused request is audited in a transaction of its own
    (the error rolls the caller's back)."""
    clock = clock or default_clock()
    result = plan(session, user, rbd, start, end, courses, override_reason, clock, whole_month)
    if not result.queued:
        reasons = [r.line_es() for r in result.refused] or ["No hay días-curso para enviar en "
                                                             "ese rango."]
        with Session(session.get_bind()) as own, own.begin():
            audit.record(own, clock, user.username, REQUEST_ACTION, rbd=rbd,
                         **_audit_detail(result))
        raise UserError([*reasons, "No se puso nada en cola para enviar a SIGE."])
    now = clock.now()
    jobs.create(session, rbd, result.units, user.username, result.override_reason
                if result.overridden else None, now)
    audit.record(session, clock, user.username, REQUEST_ACTION, rbd=rbd, **_audit_detail(result))
    for code, day, reasons in result.overridden:
        audit.record(session, clock, user.username, OVERRIDE_ACTION, rbd=rbd, course=code,
                     day=day, reasons=reasons, override_reason=result.override_reason)
    return result


def refuse_role(session: Session, user: AuthUser, rbd: int | None = None,
                clock: Clock | None = None) -> None:
    """Refuse at once a request by a role that may never send (a sostenedor, a
    profesor), before asking which school: no school would do. Audited like any
    refused request, in a transaction of its own."""
    try:
        authorize(user, "sync")
    except PermissionDenied as denied:
        with Session(session.get_bind()) as own, own.begin():
            audit.record(own, clock or default_clock(), user.username, REQUEST_ACTION, rbd=rbd,
                         queued=[], refused=denied.reasons, override_reason=None)
        raise UserError([*denied.reasons, "No se puso nada en cola para enviar a SIGE."]) from None


def _audit_detail(result: SyncPlan) -> dict:
    return {"from": result.start.isoformat(), "to": result.end.isoformat(),
            "queued": [f"{c.code} {d.isoformat()}" for c, d in result.queued],
            "refused": [r.line_es() for r in result.refused],
            "override_reason": result.override_reason if result.overridden else None}


def _clean(reason: str | None) -> str | None:
    text = " ".join((reason or "").split())
    return text or None


def _request_blockers(session: Session, user: AuthUser, rbd: int, start: date, end: date,
                      override_reason: str | None) -> list[str]:
    """Reasons that refuse the whole request."""
    try:
        authorize(user, "sync", rbd)
    except PermissionDenied as denied:
        return denied.reasons
    problems = []
    missing = [key for key in CREDENTIAL_KEYS if not settings.get_value(session, key, rbd)]
    if missing:
        problems.append(f"El establecimiento RBD {rbd} no tiene las credenciales del convenio "
                        f"SIGE ({', '.join(missing)}): el Director(a) debe registrarlas en "
                        "Configuración antes de sincronizar.")
    try:
        check_range(start, end)
    except UserError as problem:
        problems.extend(problem.reasons)
    if override_reason is not None:
        if user.role != DIRECTOR:
            problems.append("Solo el Director(a) puede enviar días que no están listos "
                            "(--override-reason).")
        elif len(override_reason) < MIN_OVERRIDE_REASON:
            problems.append(f"Escriba el motivo para enviar días que no están listos (al "
                            f"menos {MIN_OVERRIDE_REASON} caracteres).")
    return problems


def _courses(session: Session, rbd: int, start: date, end: date,
             codes: list[str] | None) -> list[Course]:
    """The school's courses of the range's years, or those named (all must exist)."""
    from reconcile.matching.store import check_course

    found = list(session.scalars(select(Course).where(
        Course.rbd == rbd, Course.year.in_(list(range(start.year, end.year + 1))))))
    if not codes:
        return sorted(found, key=lambda c: (c.cod_ense, c.cod_grado, c.letra))
    problems, wanted = [], set()
    for code in codes:
        try:
            wanted.add(check_course(session, rbd, code))
        except UserError as problem:
            problems.extend(problem.reasons)
    if problems:
        raise UserError(problems)
    return sorted((c for c in found if c.code in wanted),
                  key=lambda c: (c.cod_ense, c.cod_grado, c.letra))


def _stored_days(session: Session, rbd: int, first: date, last: date) -> dict[tuple[int, date], Any]:
    """The school's course-days of the range: the columns the rules read, as rows."""
    return {(row.course_id, row.day): row for row in session.execute(
        select(CourseDay.course_id, CourseDay.day, CourseDay.state, CourseDay.payload_hash,
               CourseDay.synced_hash)
        .where(CourseDay.rbd == rbd, CourseDay.day.between(first, last)))}


def _check_ready(session: Session, user: AuthUser, rbd: int,
                 candidates: list[tuple[Course, date]], result: SyncPlan
                 ) -> dict[tuple[str, date], tuple[bool, list[str]]]:
    """Queue the ready course-days; refuse the others with their Caso, unless the
    Director overrides them with a reason. Returns the reconciliation's verdict of
    every course-day of the candidates' dates: (course code, date) -> (ready, Casos)."""
    if not candidates:
        return {}
    first = min(day for _, day in candidates)
    last = max(day for _, day in candidates)
    check = run_check(session, rbd, first, last)
    verdicts = {(row.course, row.day): (bool(row.ready), list(row.reasons))
                for row in check.course_days.itertuples(index=False)}
    missing = check.missing.groupby(["course", "day"]).size().to_dict()
    unknown = check.unknown.groupby(["course", "day"]).size().to_dict()
    for course, day in candidates:
        ready, reasons = verdicts.get((course.code, day), (False, []))
        if ready:
            result.queued.append((course, day))
            continue
        if result.override_reason is not None:  # only a Director gets this far with one
            result.queued.append((course, day))
            result.overridden.append((course.code, day, reasons))
            continue
        why = []
        if "caso_1" in reasons:
            absent = missing.get((course.code, day), 0)
            why.append(f"Caso 1: {'falta' if absent == 1 else 'faltan'} "
                       f"{cantidad(absent, 'estudiante')} que SIGE tiene matriculados")
        if "caso_2" in reasons:
            why.append(f"Caso 2: {unknown.get((course.code, day), 0)} RUT que SIGE no "
                       "reconoce en el curso")
        text = "; ".join(why) or "no se pudo conciliar con la nómina SIGE"
        result.refused.append(Refusal(f"no está listo ({text}). Revíselo en Conciliación; el "
                                      "Director(a) puede enviarlo igual indicando un motivo.",
                                      course.code, day,
                                      "caso_2" if "caso_2" in reasons else
                                      "caso_1" if "caso_1" in reasons else "no_conciliado"))
    return verdicts
