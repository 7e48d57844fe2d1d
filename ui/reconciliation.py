"""Shapes a Reconciliation into the tables the Conciliación page shows (es-CL)."""
from __future__ import annotations

import pandas as pd

from reconcile.corrections import REASONS_ES
from reconcile.matching.engine import Reconciliation
from reconcile.es_cl import fecha, rut_es

CASES_ES = {"caso_1": "Caso 1: faltan estudiantes", "caso_2": "Caso 2: RUT no reconocido"}
EVIDENCE_ES = {"names": "nombres", "birth_date": "fecha de nacimiento", "gender": "género",
               "same_course": "mismo curso", "same_body": "mismo número"}


def glance(result: Reconciliation) -> pd.DataFrame:
    """Courses x days: ✔ ready, ✖ with how many problems, blank without record."""
    days = result.course_days
    if days.empty:
        return pd.DataFrame()
    problems = (result.missing.groupby(["course", "day"]).size()
                .add(result.unknown.groupby(["course", "day"]).size(), fill_value=0))
    cells = [("✔" if ready else f"✖ {int(problems.get((course, day), 0))}")
             for course, day, ready in zip(days["course"], days["day"], days["ready"],
                                          strict=True)]
    table = days.assign(cell=cells, label=[day.strftime("%d-%m") for day in days["day"]])
    order = list(dict.fromkeys(table.sort_values("day")["label"]))
    grid = table.pivot(index="course", columns="label", values="cell")
    grid = grid.reindex(index=list(dict.fromkeys(days["course"])), columns=order)
    return grid.fillna("").rename_axis(index="Curso", columns=None)


def summary(result: Reconciliation) -> pd.DataFrame:
    days = result.course_days
    missing = result.missing.groupby(["course", "day"]).size()
    unknown = result.unknown.groupby(["course", "day"]).size()
    invalid = result.unknown[result.unknown["invalid"]].groupby(["course", "day"]).size()
    pairs = result.pairs.groupby(["course", "day"]).size()
    rows = []
    for row in days.itertuples(index=False):
        key = (row.course, row.day)
        rows.append({"Curso": row.course, "Fecha": fecha(row.day),
                     "SIGE": int(row.sige_enrolled), "Libro": int(row.libro_students),
                     "Faltan en el Libro": int(missing.get(key, 0)),
                     "SIGE no reconoce": int(unknown.get(key, 0)),
                     "RUT inválidos": int(invalid.get(key, 0)),
                     "Pares sugeridos": int(pairs.get(key, 0)),
                     "Estado": "✔ Listo" if row.ready else
                     "✖ " + ", ".join(CASES_ES[r] for r in row.reasons)})
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


def evidence_es(evidence: dict) -> str:
    parts = []
    for key, value in (evidence or {}).items():
        label = EVIDENCE_ES.get(key, key)
        if isinstance(value, float):
            parts.append(f"{label} {value:.0%}")
        elif value is True:
            parts.append(f"{label}: coincide")
        elif value is False:
            parts.append(f"{label}: no coincide")
        elif value == "unknown":
            parts.append(f"{label}: sin dato")
        else:
            parts.append(f"{label}: {value}")
    return "; ".join(parts)


def reason_es(reason: str) -> str:
    return REASONS_ES.get(reason, reason)


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
