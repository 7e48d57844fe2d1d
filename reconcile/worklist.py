"""Pendientes: one row per child and problem over SIGE's current month, not one per course-day.

The reconciliation repeats a child's problem on every course-day it touches;
the person who fixes the source needs it once: the child (name, both
identifiers), the course, how many course-days and the first and last, the
problem in plain words, where to fix it (the Libro Digital or SIGE), whether a
pair can be approved here, and the state (abierto, corregido aquí, resuelto por
una nueva carga). Pairs' words come from ``reconcile.pair_advice``.

``approve_all_certain`` approves every 100 %-confidence pair of the list at
once, in the caller's transaction, each through ``corrections.approve``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reconcile import corrections, settings, spreadsheets
from reconcile import rut as rutlib
from reconcile.access import AuthUser, authorize
from reconcile.clock import Clock, as_santiago
from reconcile.courses import code as course_code
from reconcile.courses import label_of_code
from reconcile.courses import sort_key as course_sort_key
from reconcile.db.models import AttendanceMark, Course, RutCorrection, Student
from reconcile.errors import UserError
from reconcile.matching.engine import Reconciliation
from reconcile.matching.store import run_check
from reconcile.pair_advice import LIBRO, SIGE, WHERE_ES, advice
from reconcile.school import calendar_for, course_labels, student_details
from reconcile.sige_calendar import Month

ABIERTO = "abierto"
CORREGIDO = "corregido_aqui"
RESUELTO = "resuelto"
STATES_ES = {ABIERTO: "Abierto", CORREGIDO: "Corregido aquí",
             RESUELTO: "Resuelto por una nueva carga"}
CERTAIN = 1.0  # «100 % de confianza»: what approve-all takes without a look at each pair

MISSING_PROBLEM = "Matriculado en SIGE, sin asistencia en el Libro (Caso 1)"
MISSING_FIX = ("Agréguelo en el Libro Digital con el RUT que SIGE tiene (o revise con qué RUT "
               "está); si ya no asiste, el establecimiento registra su retiro en SIGE.")
UNKNOWN_FIX = ("Revise este RUT en el Libro Digital y en la nómina SIGE: el estudiante puede "
               "estar matriculado en otro curso o establecimiento. Si el RUT del Libro está "
               "mal escrito, corríjalo en el Libro Digital y vuelva a cargar la asistencia.")
INVALID_FIX = "Corrija el RUT en el Libro Digital y vuelva a cargar la asistencia."
WRONG_COURSE_FIX = ("Si el estudiante cambió de curso, el establecimiento actualiza su curso en "
                    "SIGE; si el curso del Libro está mal, corríjalo en el Libro Digital.")
AMBIGUOUS_FIX = ("Revise a mano cuál es en el Libro Digital y en la nómina SIGE, y corrija el "
                 "RUT en el Libro Digital.")
TWICE_FIX = "Deje un solo registro del estudiante en el Libro Digital, con el RUT que SIGE tiene."


@dataclass(frozen=True)
class Item:
    course: str  # ENSE-GRADO-LETRA
    name: str
    libro_rut: str | None  # canonical BODY-DV; None: the Libro lacks the child
    sige_rut: str | None  # None: SIGE does not have the child in this course
    days: int  # course-days affected in the month
    first: date | None
    last: date | None
    problem: str
    fix: str  # what to do at the source
    fix_in: str  # pair_advice.LIBRO / SIGE
    can_approve: bool  # a suggested pair a Director or Asistencia may approve here
    state: str  # ABIERTO / CORREGIDO / RESUELTO
    state_on: date | None = None  # when it was corrected here or resolved
    reason: str | None = None  # a pair's reason (pair_advice.REASONS)
    confidence: float | None = None
    correction_id: int | None = None

    @property
    def state_es(self) -> str:
        """«Corregido aquí el 16-11-2026», «Abierto»."""
        text = STATES_ES[self.state]
        return text if self.state_on is None else f"{text} el {self.state_on:%d-%m-%Y}"

    @property
    def where_es(self) -> str:
        return WHERE_ES[self.fix_in]

    @property
    def certain(self) -> bool:
        return self.can_approve and (self.confidence or 0.0) >= CERTAIN

    def as_json(self) -> dict:
        """The ``worklist --json`` item."""
        return {"course": self.course, "name": self.name, "libro_rut": self.libro_rut,
                "sige_rut": self.sige_rut, "days": self.days,
                "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None,
                "problem": self.problem, "fix_in": self.fix_in,
                "can_approve": self.can_approve, "state": self.state,
                "state_on": self.state_on.isoformat() if self.state_on else None}


@dataclass(frozen=True)
class Worklist:
    rbd: int
    month: Month
    items: list[Item] = field(default_factory=list)

    def certain(self) -> list[Item]:
        """The open pairs with 100 % confidence."""
        return [item for item in self.items if item.certain]


def worklist(session: Session, rbd: int, clock: Clock, user: AuthUser | None = None) -> Worklist:
    """The school's Pendientes over SIGE's current month (``user``: checked may view)."""
    if user is not None:
        authorize(user, "view", rbd)
    month = calendar_for(session, rbd).current_month(clock.now())
    result = run_check(session, rbd, month.first_day, month.last_day)
    min_body = settings.get_int(session, "rut.provisional_min_body", rbd)
    labels = course_labels(session, rbd, month.year)
    pairs = _spans(result.pairs, ["libro", "sige"])
    paired_libro, paired_sige = set(result.pairs["libro"]), set(result.pairs["sige"])
    unknown = _spans(result.unknown[~result.unknown["rut"].isin(paired_libro)], ["course", "rut"])
    missing = _spans(result.missing[~result.missing["rut"].isin(paired_sige)], ["course", "rut"])
    kept = [c for c in corrections.list_corrections(session, rbd, include_revoked=True)
            if c.revoked_at is None and (c.resolved_at is None
                                         or as_santiago(c.resolved_at).date() >= month.first_day)]
    names = student_details(session, rbd, [*pairs["sige"], *pairs["libro"], *unknown["rut"],
                                           *missing["rut"], *(c.to_rut for c in kept),
                                           *(c.from_rut for c in kept)])

    def name(*ruts: str | None) -> str:
        return next((names[r].name for r in ruts if r in names and names[r].name), "")

    items = []
    for row in pairs.itertuples(index=False):
        said = advice(row.reason, row.libro, row.sige, min_body)
        items.append(Item(row.course, name(row.sige, row.libro), row.libro, row.sige, row.days,
                          row.first, row.last, said.problem, f"{said.fix} {said.sent}",
                          said.fix_in, True, ABIERTO, reason=row.reason,
                          confidence=float(row.confidence)))
    findings = _unknown_findings(result, labels)
    for row in unknown.itertuples(index=False):
        problem, fix, fix_in = findings.get((row.course, row.rut)) or _plain_unknown(row)
        items.append(Item(row.course, name(row.rut), row.rut, None, row.days, row.first,
                          row.last, problem, fix, fix_in, False, ABIERTO))
    for row in missing.itertuples(index=False):
        items.append(Item(row.course, name(row.rut), None, row.rut, row.days, row.first,
                          row.last, MISSING_PROBLEM, MISSING_FIX, LIBRO, False, ABIERTO))
    items += _correction_items(session, rbd, month, kept, name, min_body)
    order = {ABIERTO: 0, CORREGIDO: 1, RESUELTO: 2}
    items.sort(key=lambda i: (course_sort_key(i.course), order[i.state], i.name,
                              i.libro_rut or "", i.sige_rut or ""))
    return Worklist(rbd, month, items)


def _spans(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per ``keys`` with the course-days it touches: ``days``, ``first``,
    ``last``, and the first row's other columns."""
    columns = [*keys, "days", "first", "last"]
    if frame.empty:
        return pd.DataFrame(columns=[*columns, *(c for c in frame.columns if c not in columns)])
    once = frame.drop_duplicates(list(dict.fromkeys([*keys, "course", "day"])))
    spans = once.groupby(keys, sort=False)["day"].agg(days="size", first="min", last="max")
    first = once.drop_duplicates(keys).set_index(keys).drop(columns="day")
    return first.join(spans).reset_index()


def _unknown_findings(result: Reconciliation,
                      labels: dict[str, str]) -> dict[tuple[str, str], tuple]:
    """(course, RUT) -> (problem, fix, fix_in) for unknown children that another
    finding explains: enrolled elsewhere, two likely matches, written twice."""
    found: dict[tuple[str, str], tuple] = {}
    for row in result.duplicates.itertuples(index=False):
        found[(row.course, row.rut)] = ("El Libro tiene dos veces a este estudiante (con otro "
                                        "RUT)", TWICE_FIX, LIBRO)
    for row in result.ambiguous.itertuples(index=False):
        found[(row.libro_course, row.libro)] = (
            f"Podría ser uno de {len(row.candidates)} estudiantes de SIGE", AMBIGUOUS_FIX, LIBRO)
    for row in result.wrong_course.itertuples(index=False):
        other = labels.get(row.sige_course) or label_of_code(row.sige_course)
        found[(row.course, row.rut)] = (f"SIGE lo tiene matriculado en {other}, no en este curso",
                                        WRONG_COURSE_FIX, SIGE)
    return found


def _plain_unknown(row) -> tuple[str, str, str]:  # noqa: ANN001
    if row.invalid:
        why = f" ({row.invalid_reason})" if row.invalid_reason else ""
        return f"RUT inválido en el Libro{why} (Caso 2)", INVALID_FIX, LIBRO
    if row.kind == "provisional":
        return "RUT provisorio (IPE) que SIGE no tiene en este curso (Caso 2)", UNKNOWN_FIX, LIBRO
    return "SIGE no lo tiene matriculado en este curso (Caso 2)", UNKNOWN_FIX, LIBRO


def _correction_items(session: Session, rbd: int, month: Month, kept: list[RutCorrection],
                      name, min_body: int) -> list[Item]:  # noqa: ANN001
    """The corrections made here (still in use, or closed this month by a load),
    with the course-days of the month where the Libro marks the corrected RUT."""
    spans = _marked_spans(session, rbd, month, [c.from_rut for c in kept])
    items = []
    for c in kept:
        said = advice(c.reason, c.from_rut, c.to_rut, min_body)
        course, days, first, last = spans.get(c.from_rut, ("", 0, None, None))
        if c.resolved_at is None:
            state, on, fix = CORREGIDO, as_santiago(c.approved_at).date(), f"{said.fix} {said.sent}"
        else:
            state, on = RESUELTO, as_santiago(c.resolved_at).date()
            fix = f"Nada que hacer: {corrections.resolved_text(c)}."
        items.append(Item(course, name(c.to_rut, c.from_rut), c.from_rut, c.to_rut, days, first,
                          last, said.problem, fix, said.fix_in, False, state, on, c.reason,
                          c.confidence, c.id))
    return items


def _marked_spans(session: Session, rbd: int, month: Month,
                  ruts: Iterable[str]) -> dict[str, tuple[str, int, date, date]]:
    """RUT -> (course, course-days, first, last) of its marks in the month, in the
    course where it has the most days."""
    wanted = sorted(set(ruts))
    if not wanted:
        return {}
    rows = session.execute(
        select(Student.rut, Course.cod_ense, Course.cod_grado, Course.letra,
               func.count(func.distinct(AttendanceMark.day)), func.min(AttendanceMark.day),
               func.max(AttendanceMark.day))
        .join(Student, Student.id == AttendanceMark.student_id)
        .join(Course, Course.id == AttendanceMark.course_id)
        .where(AttendanceMark.rbd == rbd, Student.rut.in_(wanted),
               AttendanceMark.day.between(month.first_day, month.last_day))
        .group_by(Student.rut, Course.cod_ense, Course.cod_grado, Course.letra)).all()
    out: dict[str, tuple[str, int, date, date]] = {}
    for rut, ense, grado, letra, days, first, last in rows:
        if rut not in out or days > out[rut][1]:
            out[rut] = (course_code(ense, grado, letra), int(days), first, last)
    return out


def approve_all_certain(session: Session, user: AuthUser, rbd: int, clock: Clock,
                        expected: int | None = None) -> list[RutCorrection]:
    """Approve every open pair with 100 % confidence, in the caller's transaction
    (all or none: a refused one refuses the lot). ``expected``: the count the
    person confirmed; a list that changed meanwhile is refused, not guessed at."""
    authorize(user, "correct", rbd)
    certain = worklist(session, rbd, clock, user).certain()
    if not certain:
        raise UserError("No hay pares con 100 % de confianza por aprobar.")
    if expected is not None and expected != len(certain):
        raise UserError(f"La lista cambió: ahora hay {len(certain)} pares con 100 % de "
                        f"confianza (se confirmaron {expected}). Revísela y confirme de nuevo.")
    return [corrections.approve(session, user, rbd, item.libro_rut, item.sige_rut, item.reason,
                                item.confidence, clock) for item in certain]


EXPORT_HEADERS = ["Curso", "Estudiante", "RUT en el Libro", "RUT en SIGE", "Días-curso",
                  "Primer día", "Último día", "Problema", "Dónde corregir", "Qué hacer",
                  "Se puede aprobar aquí", "Estado"]


def export_cells(item: Item, labels: dict[str, str]) -> list[str]:
    """One row of the download, es-CL, safe in a spreadsheet (``corrections.neutralise``)."""
    def shown(value: str | None) -> str:
        return rutlib.format(value) if value and rutlib.is_valid(value) else (value or "")

    values = (labels.get(item.course, item.course), item.name, shown(item.libro_rut),
              shown(item.sige_rut), str(item.days),
              item.first.strftime("%d-%m-%Y") if item.first else "",
              item.last.strftime("%d-%m-%Y") if item.last else "", item.problem, item.where_es,
              item.fix, "Sí" if item.can_approve else "No", item.state_es)
    return [corrections.neutralise(v) for v in values]


def export_csv(items: Iterable[Item], labels: dict[str, str]) -> bytes:
    return spreadsheets.csv_bytes(EXPORT_HEADERS, (export_cells(i, labels) for i in items))


def export_xlsx(items: Iterable[Item], labels: dict[str, str]) -> bytes:
    return spreadsheets.xlsx_bytes("Pendientes", EXPORT_HEADERS,
                                   (export_cells(i, labels) for i in items),
                                   (16, 34, 16, 16, 10, 12, 12, 48, 24, 70, 12, 28))
