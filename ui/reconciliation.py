"""Shapes a Reconciliation into what the Conciliación page shows (es-CL): courses by
their names, dates dd-mm-aaaa, RUTs 12.345.678-5, reasons in full."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from reconcile import rut as rutlib
from reconcile.es_cl import fecha, rut_es
from reconcile.matching.engine import Reconciliation
from reconcile.pair_advice import advice
from reconcile.school import StudentInfo
from reconcile.worklist import INVALID_FIX, UNKNOWN_FIX

CASES_ES = {"caso_1": "Caso 1", "caso_2": "Caso 2"}
EVIDENCE_ES = {"names": "nombres", "birth_date": "fecha de nacimiento", "gender": "género",
               "same_course": "mismo curso", "same_body": "mismo número de RUT"}
AGREEMENT_ES = {"agree": "coincide", "differ": "no coincide", "unknown": "sin dato"}


@dataclass(frozen=True)
class Glance:
    """Courses x days: ✔ ready, ✖n with how many students have problems, blank
    without record. ``table`` rows are course names, columns short day labels;
    ``codes`` and ``days`` give the course code and date of each row and column."""

    table: pd.DataFrame
    codes: list[str]
    days: list[date]

    def cell(self, row: int, column: str) -> tuple[str, date] | None:
        """The (course code, day) of a clicked cell; None outside the day columns."""
        columns = list(self.table.columns)
        if not 0 <= row < len(self.codes) or column not in columns:
            return None
        return self.codes[row], self.days[columns.index(column)]

    def has_problem(self, row: int, column: str) -> bool:
        return self.cell(row, column) is not None and str(
            self.table.iloc[row][column]).startswith("✖")


def glance(result: Reconciliation, labels: dict[str, str]) -> Glance:
    days = result.course_days
    problems = (result.missing.groupby(["course", "day"]).size()
                .add(result.unknown.groupby(["course", "day"]).size(), fill_value=0))
    cells = [("✔" if ready else f"✖{int(problems.get((course, day), 0))}")  # compact: 35 px
             for course, day, ready in zip(days["course"], days["day"], days["ready"],
                                          strict=True)]
    ordered = sorted(set(days["day"]))
    one_month = len({(d.year, d.month) for d in ordered}) <= 1
    header = {d: d.strftime("%d" if one_month else "%d-%m") for d in ordered}
    codes = list(dict.fromkeys(days["course"]))
    grid = (days.assign(cell=cells).pivot(index="course", columns="day", values="cell")
            .reindex(index=codes, columns=ordered).fillna(""))
    grid.columns = [header[d] for d in ordered]
    grid.index = [labels.get(c, c) for c in codes]
    return Glance(grid.rename_axis(index="Curso"), codes, ordered)


def summary(result: Reconciliation, labels: dict[str, str]) -> pd.DataFrame:
    days = result.course_days
    missing = result.missing.groupby(["course", "day"]).size()
    unknown = result.unknown.groupby(["course", "day"]).size()
    invalid = result.unknown[result.unknown["invalid"]].groupby(["course", "day"]).size()
    pairs = result.pairs.groupby(["course", "day"]).size()
    rows = []
    for row in days.itertuples(index=False):
        key = (row.course, row.day)
        rows.append({"Curso": labels.get(row.course, row.course), "Fecha": fecha(row.day),
                     "SIGE": int(row.sige_enrolled), "Libro": int(row.libro_students),
                     "Faltan en el Libro": int(missing.get(key, 0)),
                     "SIGE no reconoce": int(unknown.get(key, 0)),
                     "RUT inválidos": int(invalid.get(key, 0)),
                     "Pares sugeridos": int(pairs.get(key, 0)),
                     "Estado": "✔ Listo" if row.ready else
                     "✖ " + " y ".join(CASES_ES[r] for r in row.reasons)})
    return pd.DataFrame(rows)


def people(frame: pd.DataFrame, names: dict[str, str], extra: dict | None = None) -> pd.DataFrame:
    """RUT and name for a list of students, RUTs written for people."""
    rows = [{"RUT": rut_es(rut), "Nombre": names.get(rut, ""),
             **({k: f(r) for k, f in extra.items()} if extra else {})}
            for rut, r in zip(frame["rut"], frame.itertuples(index=False), strict=True)]
    return pd.DataFrame(rows, columns=["RUT", "Nombre", *(extra or {})])


def unknown_reason(row) -> str:  # noqa: ANN001
    if row.invalid:
        return f"RUT inválido: {row.invalid_reason}" if row.invalid_reason else "RUT inválido"
    if row.kind == "provisional":
        return "RUT provisorio (IPE) que SIGE no tiene en este curso"
    return "No está matriculado en SIGE en este curso ese día"


def next_step(row, explained: set[str]) -> str:  # noqa: ANN001
    """What to do about one Caso 2 RUT: a suggested pair or another finding explains
    it (see above), an invalid RUT is fixed in the Libro, anything else is checked
    by hand."""
    if row.rut in explained:
        return "Vea el par sugerido o el aviso de este día-curso."
    if row.invalid:
        return INVALID_FIX
    return UNKNOWN_FIX


def agreement_es(value: object) -> str:
    if value is True:
        return "coincide"
    if value is False:
        return "no coincide"
    return AGREEMENT_ES.get(str(value), str(value))


def evidence_es(evidence: dict) -> str:
    parts = []
    for key, value in (evidence or {}).items():
        label = EVIDENCE_ES.get(key, key)
        if isinstance(value, float):
            parts.append(f"{label} {value:.0%}")
        else:
            parts.append(f"{label}: {agreement_es(value)}")
    return "; ".join(parts)


def range_pairs(result: Reconciliation) -> pd.DataFrame:
    """Every suggested pair of the range once (a pair repeats on each day both
    children appear), with its first and last day and how many days, in course order."""
    pairs = result.pairs
    if pairs.empty:
        return pairs.assign(first_day=[], last_day=[], n_days=[])
    days = pairs.groupby(["libro", "sige"])["day"].agg(["min", "max", "nunique"])
    first = pairs.drop_duplicates(["libro", "sige"]).set_index(["libro", "sige"])
    joined = first.join(days.rename(columns={"min": "first_day", "max": "last_day",
                                             "nunique": "n_days"}))
    return joined.reset_index().drop(columns="day")


def pair_text(pair, labels: dict[str, str], people: dict[str, StudentInfo],  # noqa: ANN001
              provisional_min_body: int = rutlib.DEFAULT_PROVISIONAL_MIN_BODY) -> str:
    """One suggested pair with its evidence and where to fix it, as markdown."""
    def side(source: str, rut: str, name: str | None, course: str) -> str:
        info = people.get(rut)
        born = fecha(info.birth_date) if info and info.birth_date else "sin dato"
        shown = name or (info.name if info else "") or "(sin nombre)"
        return (f"{source}: **{rut_es(rut)}** {shown} · {labels.get(course, course)} · "
                f"nacimiento: {born}")

    days = (f"el {fecha(pair.first_day)}" if pair.n_days == 1 else
            f"{pair.n_days} días, del {fecha(pair.first_day)} al {fecha(pair.last_day)}")
    said = advice(pair.reason, pair.libro, pair.sige, provisional_min_body)
    return (f"{side('Libro', pair.libro, pair.libro_name, pair.course)}  \n"
            f"{side('SIGE', pair.sige, pair.sige_name, pair.sige_course)}  \n"
            f"Problema: {said.problem} · puntaje {pair.confidence:.0%} · {days}  \n"
            f"Evidencia: {evidence_es(pair.evidence)}  \n"
            f"**Dónde corregir: {said.where}.** {said.fix}  \n"
            f":gray[{said.sent}]")


def other_findings(wrong_course: pd.DataFrame, duplicates: pd.DataFrame,
                   ambiguous: pd.DataFrame, labels: dict[str, str],
                   names: dict[str, str]) -> list[str]:
    """What a person must look at that is not a pair to approve: students SIGE has in
    another course, one child written twice, a child with two likely matches."""
    lines = [f"{rut_es(r.rut)} {names.get(r.rut, '')} está matriculado en SIGE en "
             f"{labels.get(r.sige_course, r.sige_course)}, no en este curso."
             for r in wrong_course.itertuples()]
    why = {"correction": "por una corrección aprobada", "name": "mismo nombre"}
    lines += [f"El Libro tiene dos veces al mismo estudiante: {rut_es(r.rut)} y "
              f"{rut_es(r.other_rut)} ({why.get(r.how, r.how)})."
              for r in duplicates.itertuples()]
    lines += [f"{rut_es(r.libro)} {names.get(r.libro, '')} podría ser "
              f"{' o '.join(rut_es(c) for c in r.candidates)}: revise a mano antes de corregir."
              for r in ambiguous.itertuples()]
    return lines
