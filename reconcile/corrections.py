"""Approved RUT corrections: the Libro's identifier -> the one SIGE has enrolled.

A Director or an Administrador de Asistencia approves a suggested pair (or
types one); from then on every reconciliation and the sync payload use SIGE's
RUT in place of the Libro's, until the source is fixed: the Libro Digital, or
SIGE when SIGE still holds the IPE (``reconcile.pair_advice`` says which).
Approving and undoing are audited; nothing is ever deleted (an undo revokes).
A correction that a later nómina or Libro makes unnecessary closes itself
(``close_unneeded``). The active corrections are exportable (CSV, XLSX) as the
list to fix at the source; reading which are active is ``reconcile.payload``'s
(``active_corrections``), beside the payload they change.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import audit, payload, settings, spreadsheets
from reconcile import rut as rutlib
from reconcile.access import AuthUser, authorize
from reconcile.clock import Clock, FixedClock, as_santiago, default_clock
from reconcile.courses import label as course_name
from reconcile.db.models import AttendanceMark, Course, Enrolment, RutCorrection, Student
from reconcile.errors import UserError
from reconcile.pair_advice import REASONS, advice
from reconcile.school import display_names

log = logging.getLogger(__name__)

PROVISIONAL = "provisional"
CHECK_DIGIT = "check_digit"
NAME = "name"
MANUAL = "manual"
APPROVE_ACTION = "rut_correction.approve"
UNDO_ACTION = "rut_correction.undo"
RESOLVED_ACTION = "rut_correction.resolved"

# resolved_reason: the load that made a correction unnecessary.
BY_NOMINA = "nomina"  # SIGE now enrols the Libro's RUT: the pair matches directly
BY_LIBRO = "libro"  # the Libro no longer has the RUT: it was fixed there
RESOLVED_BY_ES = {BY_NOMINA: "nómina", BY_LIBRO: "Libro"}

EXPORT_HEADERS = ["Curso", "Estudiante", "RUT en el Libro", "RUT en SIGE", "RUT que se envía",
                  "Problema", "Dónde corregir", "Qué hacer", "Aprobado por",
                  "Fecha de aprobación"]
# A spreadsheet reads a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """Text safe to put in a spreadsheet cell: a leading formula character gets a quote.

    >>> neutralise('=HYPERLINK("x")'), neutralise('@SUM(1)'), neutralise('12.531.909-2')
    ('\\'=HYPERLINK("x")', "'@SUM(1)", '12.531.909-2')
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def apply(ruts: Iterable[str], corrections: Mapping[str, str]) -> list[str]:
    """The RUTs with every corrected one replaced (for the sync payload).

    >>> apply(['100234567-2', '23456789-6'], {'100234567-2': '25123456-6'})
    ['25123456-6', '23456789-6']
    """
    return [corrections.get(value, value) for value in ruts]


def list_corrections(session: Session, rbd: int,
                     include_revoked: bool = False) -> list[RutCorrection]:
    """The active corrections; with ``include_revoked``, also the undone and the
    ones closed by a later load."""
    query = select(RutCorrection).where(RutCorrection.rbd == rbd)
    if not include_revoked:
        query = query.where(RutCorrection.revoked_at.is_(None),
                            RutCorrection.resolved_at.is_(None))
    return list(session.scalars(query.order_by(RutCorrection.approved_at, RutCorrection.id)))


def _shown(value: str) -> str:
    """A RUT as people read it (12.345.678-5); an unparseable one as written."""
    try:
        return rutlib.format(value)
    except Exception:  # noqa: BLE001 - stdnum raises several kinds; show as written
        return value


def _student_exists(session: Session, rbd: int, value: str, in_sige: bool) -> bool:
    model = Enrolment if in_sige else AttendanceMark
    return session.scalar(select(model.id).join(Student, Student.id == model.student_id)
                          .where(Student.rbd == rbd, Student.rut == value).limit(1)) is not None


def approve(session: Session, user: AuthUser, rbd: int, libro_rut: str, sige_rut: str,
            reason: str, confidence: float | None = None,
            clock: Clock | None = None) -> RutCorrection:
    """Record that the Libro's ``libro_rut`` is SIGE's ``sige_rut`` at school ``rbd``."""
    authorize(user, "correct", rbd)
    clock = clock or default_clock()
    libro = rutlib.canonical(libro_rut)
    sige = rutlib.parse(sige_rut)
    problems = []
    if reason not in REASONS:
        problems.append(f"Motivo de corrección desconocido: «{reason}». Motivos válidos: "
                        f"{', '.join(REASONS)}.")
    if confidence is not None and not 0.0 <= float(confidence) <= 1.0:
        problems.append(f"La confianza debe estar entre 0 y 1 (se recibió {confidence}).")
    if not libro:
        problems.append("Falta el RUT del Libro Digital.")
    if not sige.is_valid:
        problems.append(f"El RUT de SIGE «{sige_rut}» no es válido: {sige.reason}.")
    elif sige.canonical == libro:
        problems.append(f"El RUT del Libro y el de SIGE son el mismo ({_shown(libro)}): "
                        "no hay nada que corregir.")
    if problems:
        raise UserError(problems)
    target = sige.canonical
    if not _student_exists(session, rbd, libro, in_sige=False):
        problems.append(f"El RUT {_shown(libro)} no tiene asistencia en el Libro Digital del "
                        f"establecimiento RBD {rbd}.")
    if not _student_exists(session, rbd, target, in_sige=True):
        problems.append(f"El RUT {_shown(target)} no está en la nómina SIGE del establecimiento "
                        f"RBD {rbd}.")
    active = payload.active_corrections(session, rbd)
    if libro in active:
        problems.append(f"El RUT {_shown(libro)} ya tiene una corrección vigente (hacia "
                        f"{_shown(active[libro])}): deshágala antes de aprobar otra.")
    if libro in active.values():
        problems.append(f"El RUT {_shown(libro)} ya es el destino de otra corrección.")
    if target in active.values():
        problems.append(f"El RUT {_shown(target)} ya corrige a otro RUT del Libro: un mismo "
                        "estudiante no puede estar en dos correcciones.")
    if target in active:
        problems.append(f"El RUT {_shown(target)} tiene a su vez una corrección vigente.")
    if problems:
        raise UserError(problems)
    correction = RutCorrection(rbd=rbd, from_rut=libro, to_rut=target, reason=reason,
                               confidence=None if confidence is None else float(confidence),
                               approved_by=user.username, approved_at=clock.now())
    session.add(correction)
    session.flush()
    audit.record(session, clock, user.username, APPROVE_ACTION, rbd=rbd,
                 correction_id=correction.id, from_rut=libro, to_rut=target, reason=reason,
                 confidence=correction.confidence)
    _rehash(session, rbd, libro, clock)
    log.info("corrección %s aprobada en RBD %s (%s -> %s)", correction.id, rbd,
             rutlib.mask(libro), rutlib.mask(target))
    return correction


def undo(session: Session, user: AuthUser, correction_id: int,
         clock: Clock | None = None) -> RutCorrection:
    """Revoke an active correction; the Libro's own RUT counts again from now on."""
    clock = clock or default_clock()
    correction = session.get(RutCorrection, correction_id)
    if correction is None or correction.rbd not in user.rbds:
        raise UserError(f"No existe la corrección {correction_id}.")
    authorize(user, "correct", correction.rbd)
    if correction.revoked_at is not None:
        raise UserError(f"La corrección {correction_id} ya fue deshecha el "
                        f"{_when(correction.revoked_at)} por {correction.revoked_by}.")
    if correction.resolved_at is not None:
        raise UserError(f"La corrección {correction_id} ya no se usa: {resolved_text(correction)}.")
    correction.revoked_by = user.username
    correction.revoked_at = clock.now()
    audit.record(session, clock, user.username, UNDO_ACTION, rbd=correction.rbd,
                 correction_id=correction.id, from_rut=correction.from_rut,
                 to_rut=correction.to_rut)
    _rehash(session, correction.rbd, correction.from_rut, clock)
    log.info("corrección %s deshecha en RBD %s", correction.id, correction.rbd)
    return correction


def _rehash(session: Session, rbd: int, libro_rut: str, clock: Clock) -> None:
    _rehash_at(session, rbd, libro_rut, clock.now())


def _rehash_at(session: Session, rbd: int, libro_rut: str, now: datetime) -> None:
    """The payload of every course-day where the Libro marks ``libro_rut`` changes
    with a correction: re-hash them, so a synced day goes back to por_sincronizar
    (and one whose payload is the same stays synced)."""
    session.flush()
    payload.refresh_course_days(session, rbd, payload.course_days_of_student(
        session, rbd, libro_rut), now)


def close_unneeded(session: Session, rbds: Iterable[int], now: datetime,
                   username: str | None = None) -> list[RutCorrection]:
    """After a nómina or Libro load (inside its transaction): close every active
    correction the load made unnecessary, audited under ``username`` (the one who
    loaded), and re-hash what it touched. Unnecessary means the Libro no longer
    has its RUT (fixed in the Libro: ``BY_LIBRO``), or SIGE now enrols that RUT
    in a course of the correction's year or later (SIGE updated the RUN, or the
    pair matches directly: ``BY_NOMINA``)."""
    session.flush()  # the load's rows count
    closed = []
    for rbd in sorted(set(rbds)):
        for correction in list_corrections(session, rbd):
            in_libro = _student_exists(session, rbd, correction.from_rut, in_sige=False)
            year = as_santiago(correction.approved_at).year
            in_sige = session.scalar(
                select(Enrolment.id).join(Student, Student.id == Enrolment.student_id)
                .join(Course, Course.id == Enrolment.course_id)
                .where(Enrolment.rbd == rbd, Student.rut == correction.from_rut,
                       Course.year >= year).limit(1))
            if in_libro and in_sige is None:
                continue
            correction.resolved_at = now
            correction.resolved_reason = BY_NOMINA if in_libro else BY_LIBRO
            audit.record(session, FixedClock(now), username, RESOLVED_ACTION, rbd=rbd,
                         correction_id=correction.id,
                         resolved_reason=correction.resolved_reason)
            _rehash_at(session, rbd, correction.from_rut, now)
            log.info("corrección %s cerrada por una nueva carga (%s) en RBD %s",
                     correction.id, correction.resolved_reason, rbd)
            closed.append(correction)
    return closed


def resolved_text(correction: RutCorrection) -> str:
    """«resuelta por una nueva carga el dd-mm-aaaa (nómina)», for a closed correction.

    >>> from datetime import timezone
    >>> resolved_text(RutCorrection(resolved_at=datetime(2026, 11, 20, 15, tzinfo=timezone.utc),
    ...                             resolved_reason='libro'))
    'resuelta por una nueva carga el 20-11-2026 (Libro)'
    """
    source = RESOLVED_BY_ES.get(correction.resolved_reason or "", correction.resolved_reason)
    return (f"resuelta por una nueva carga el "
            f"{as_santiago(correction.resolved_at).strftime('%d-%m-%Y')} ({source})")


def _when(moment: datetime) -> str:
    return as_santiago(moment).strftime("%d-%m-%Y %H:%M")


@dataclass(frozen=True)
class ExportRow:
    course: str
    student: str
    libro_rut: str
    sige_rut: str
    sent_rut: str  # what goes to SIGE meanwhile: what SIGE has enrolled
    problem: str
    where: str  # Libro Digital / SIGE
    fix: str
    approved_by: str
    approved_at: str

    def cells(self) -> list[str]:
        return [neutralise(v) for v in (self.course, self.student, self.libro_rut,
                                        self.sige_rut, self.sent_rut, self.problem, self.where,
                                        self.fix, self.approved_by, self.approved_at)]


def pair_advice_of(session: Session, rbd: int, correction: RutCorrection):  # noqa: ANN201
    """``pair_advice.advice`` of a correction, with the school's IPE threshold."""
    return advice(correction.reason, correction.from_rut, correction.to_rut,
                  settings.get_int(session, "rut.provisional_min_body", rbd))


def export_rows(session: Session, user: AuthUser, rbd: int) -> list[ExportRow]:
    """The active corrections as the list to fix at the source (the Libro Digital
    or SIGE, as each pair's advice says), by course."""
    authorize(user, "view", rbd)
    corrections = list_corrections(session, rbd)
    approvers = display_names(session, [c.approved_by for c in corrections])
    targets = [c.to_rut for c in corrections]
    people = {s.rut: s for s in session.scalars(
        select(Student).where(Student.rbd == rbd, Student.rut.in_(targets)))} if targets else {}
    courses: dict[str, Course] = {}
    if targets:
        for student_rut, course in session.execute(
                select(Student.rut, Course).join(Enrolment, Enrolment.student_id == Student.id)
                .join(Course, Course.id == Enrolment.course_id)
                .where(Student.rbd == rbd, Student.rut.in_(targets)).order_by(Course.year)):
            courses[student_rut] = course  # the latest year wins
    rows = []
    min_body = settings.get_int(session, "rut.provisional_min_body", rbd)
    for c in corrections:
        said = advice(c.reason, c.from_rut, c.to_rut, min_body)
        person = people.get(c.to_rut)
        course = courses.get(c.to_rut)
        name = " ".join(p for p in (person.nombres, person.ape_paterno, person.ape_materno)
                        if p) if person else ""
        course_label = (course_name(course.cod_ense, course.cod_grado, course.letra,
                                    course.desc_grado) if course else "")
        rows.append(ExportRow(course_label, name or (person.full_name or "" if person else ""),
                              _shown(c.from_rut), _shown(c.to_rut), _shown(c.to_rut),
                              said.problem, said.where, said.fix,
                              approvers.get(c.approved_by, c.approved_by), _when(c.approved_at)))
    return sorted(rows, key=lambda r: (r.course, r.student))


def export_csv(session: Session, user: AuthUser, rbd: int) -> bytes:
    return spreadsheets.csv_bytes(EXPORT_HEADERS,
                                  (row.cells() for row in export_rows(session, user, rbd)))


def export_xlsx(session: Session, user: AuthUser, rbd: int) -> bytes:
    return spreadsheets.xlsx_bytes("Correcciones", EXPORT_HEADERS,
                                   (row.cells() for row in export_rows(session, user, rbd)),
                                   (16, 34, 16, 16, 16, 48, 24, 60, 16, 18))
