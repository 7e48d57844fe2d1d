"""``check --from D --to D [--course C] [--rbd N] [--json]``: will SIGE take these days?

With ``--json``, exactly the object of DESIGN.md (automation reads it); without,
a table in Spanish. The school is ``--rbd`` or, when the database holds a single
school, that one. Read-only: it changes nothing.
"""
from __future__ import annotations

import json
import sys
from datetime import date

from reconcile.es_cl import fecha, rut_es
from reconcile.db import transaction
from reconcile.errors import UserError
from reconcile.matching import (
    CASO_1,
    CASO_2,
    Reconciliation,
    check_course,
    check_range,
    resolve_rbd,
    run_check,
)

REASONS_ES = {CASO_1: "Caso 1 (faltan estudiantes)", CASO_2: "Caso 2 (RUT no reconocido)"}
PAIR_REASONS_ES = {"provisional": "RUT provisorio", "check_digit": "dígito verificador",
                   "name": "nombres"}


def register(commands) -> None:  # noqa: ANN001
    check = commands.add_parser(
        "check", help="concilia la nómina SIGE con el Libro Digital por curso y día")
    check.add_argument("--from", dest="start", required=True, metavar="AAAA-MM-DD",
                       help="primer día")
    check.add_argument("--to", dest="end", required=True, metavar="AAAA-MM-DD",
                       help="último día (incluido)")
    check.add_argument("--course", metavar="ENSE-GRADO-LETRA",
                       help="solo este curso, p. ej. 110-1-A")
    check.add_argument("--rbd", type=int, help="establecimiento (obligatorio si hay más de uno)")
    check.add_argument("--json", action="store_true", help="salida JSON (contrato estable)")
    check.set_defaults(handler=run)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"Fecha no válida en {option}: «{value}»: use AAAA-MM-DD, "
                        "p. ej. 2026-11-02.") from None


def run(args) -> int:  # noqa: ANN001
    problems = []
    dates = []
    for value, option in ((args.start, "--from"), (args.end, "--to")):
        try:
            dates.append(_date(value, option))
        except UserError as error:
            problems.extend(error.reasons)
    if problems:
        raise UserError(problems)
    start, end = dates
    check_range(start, end)
    with transaction() as session:
        rbd = resolve_rbd(session, args.rbd)
        course = check_course(session, rbd, args.course) if args.course else None
        result = run_check(session, rbd, start, end, course)
    if args.json:
        report = {"rbd": rbd, "from": start.isoformat(), "to": end.isoformat(),
                  "course_days": result.entries()}
        json.dump(report, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_table(result, rbd, start, end))
    return 0


def _ruts(values: list[str]) -> str:
    return ", ".join(rut_es(v) for v in values)


def render_table(result: Reconciliation, rbd: int, start: date, end: date) -> str:
    """The readable report: one line per course-day, then what to fix."""
    entries = result.entries()
    lines = [f"Conciliación SIGE / Libro Digital - RBD {rbd}, del {fecha(start)} al {fecha(end)}",
             ""]
    if not entries:
        lines.append("El Libro Digital no tiene registros de asistencia en esas fechas.")
        return "\n".join(lines) + "\n"
    header = ("Curso", "Fecha", "SIGE", "Libro", "Faltan", "No SIGE", "Inválidos",
              "Sugerencias", "Estado")
    rows = [(e["course"], fecha(date.fromisoformat(e["date"])), str(e["sige_enrolled"]),
             str(e["libro_students"]), str(len(e["missing_in_libro"])),
             str(len(e["unknown_to_sige"])), str(len(e["invalid_ruts"])),
             str(len(e["suggested_pairs"])),
             "Listo" if e["ready"] else ", ".join(REASONS_ES[r] for r in e["reasons"]))
            for e in entries]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = range(2, 8)

    def line(cells: tuple) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    lines += [line(header), line(tuple("-" * w for w in widths)), *map(line, rows), ""]
    ready = sum(e["ready"] for e in entries)
    lines.append(f"{ready} de {len(entries)} días-curso listos para enviar a SIGE.")
    groups = _same_problems(e for e in entries if not e["ready"] or e["suggested_pairs"])
    if groups:
        lines += ["", "Qué corregir:"]
    for course, days, e in groups:
        shown = (fecha(days[0]) if len(days) == 1 else
                 f"{len(days)} días, del {fecha(days[0])} al {fecha(days[-1])}")
        lines.append(f"  {course} ({shown}):")
        if e["missing_in_libro"]:
            lines.append(f"    Faltan en el Libro (Caso 1): {_ruts(e['missing_in_libro'])}")
        if e["unknown_to_sige"]:
            lines.append(f"    SIGE no los reconoce (Caso 2): {_ruts(e['unknown_to_sige'])}")
        if e["invalid_ruts"]:
            lines.append(f"    RUT inválidos: {_ruts(e['invalid_ruts'])}")
        for pair in e["suggested_pairs"]:
            lines.append(f"    Sugerencia: {rut_es(pair['libro'])} (Libro) sería "
                         f"{rut_es(pair['sige'])} (SIGE); motivo: "
                         f"{PAIR_REASONS_ES[pair['reason']]}; confianza "
                         f"{round(pair['confidence'] * 100)} %")
    lines += _extras(result)
    return "\n".join(lines) + "\n"


def _same_problems(entries) -> list[tuple[str, list[date], dict]]:  # noqa: ANN001
    """Per course, runs of consecutive entries with the same lists become one item."""
    groups: list[tuple[str, list[date], dict]] = []
    keys = ("missing_in_libro", "unknown_to_sige", "invalid_ruts", "suggested_pairs")
    for e in entries:
        day = date.fromisoformat(e["date"])
        if groups and groups[-1][0] == e["course"] and all(
                groups[-1][2][k] == e[k] for k in keys):
            groups[-1][1].append(day)
        else:
            groups.append((e["course"], [day], e))
    return groups


def _extras(result: Reconciliation) -> list[str]:
    """What the JSON contract does not carry but a person should know."""
    lines = []
    wrong = result.wrong_course.drop_duplicates(["course", "rut", "sige_course"])
    for row in wrong.itertuples(index=False):
        lines.append(f"  {rut_es(row.rut)} está en {row.course} en el Libro y en "
                     f"{row.sige_course} en SIGE.")
    doubles = result.duplicates.drop_duplicates(["course", "rut", "other_rut"])
    for row in doubles.itertuples(index=False):
        lines.append(f"  En {row.course}, {rut_es(row.rut)} y {rut_es(row.other_rut)} parecen el "
                     "mismo estudiante escrito dos veces en el Libro.")
    for row in result.ambiguous.itertuples(index=False):
        lines.append(f"  {rut_es(row.libro)} ({row.libro_course}) podría ser "
                     f"{' o '.join(rut_es(c) for c in row.candidates)}: revíselo a mano.")
    return (["", "Otras observaciones:", *lines]) if lines else []
