"""``declaration [--month AAAA-MM] [--rbd N] [--json]``: is the month ready to declare in SIGE?

Per school and course: enrolled, worked days, days synced, and present, absent and
asistencia media as SIGE accepted them and as the Libro has them now; «lista para
declarar», or the course-days that block it. With ``--json``, ``{"month", "schools":
[{"rbd", "name", "ready", "blocking": [{"course", "date", "state", "cause"}], "courses":
[{"course", "label", "enrolled", "worked_days", "synced_days", "sige": {"present",
"absent", "average"}, "libro": {...}}]}]}``; without, a Spanish summary. Every school
unless ``--rbd``; SIGE's current month unless ``--month``. Read-only, as ``status``.
"""
from __future__ import annotations

import json
import sys

from reconcile.clock import default_clock
from reconcile.db import transaction
from reconcile.declaration.summary import Declaration, Tally, declaration, parse_month
from reconcile.es_cl import cantidad, fecha

MAX_BLOCKS_SHOWN = 10  # per school, in the text; --json lists them all


def register(commands) -> None:  # noqa: ANN001
    parser = commands.add_parser(
        "declaration", help="resumen para declarar: asistencia media por curso (SIGE y Libro) "
                            "y si el mes está listo para declarar")
    parser.add_argument("--month", metavar="AAAA-MM",
                        help="mes a revisar (por defecto: el mes actual de SIGE)")
    parser.add_argument("--rbd", type=int, help="solo este establecimiento")
    parser.add_argument("--json", action="store_true", help="salida JSON (contrato estable)")
    parser.set_defaults(handler=run)


def run(args) -> int:  # noqa: ANN001
    clock = default_clock()
    month = parse_month(args.month, clock.now()) if args.month is not None else None
    with transaction() as session:
        found = declaration(session, clock, [args.rbd] if args.rbd is not None else None, month)
    if args.json:
        json.dump(found.as_json(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(found))
    return 0


def _media(tally: Tally) -> str:
    return "desconocida" if tally.average is None else f"{tally.average:.2f}".replace(".", ",")


def render(found: Declaration) -> str:
    lines = [f"Resumen para declarar, {found.month.label_es}"]
    if not found.schools:
        lines.append("No hay establecimientos en la base de datos.")
    for school in found.schools:
        lines += ["", f"RBD {school.rbd} {school.name}: {school.status_es()}",
                  f"  Días trabajados: {len(school.worked_days)}. Asistencia media: SIGE "
                  f"{_media(school.sige)}, Libro {_media(school.libro)}."]
        for course in school.courses:
            mark = "✔" if course.ready else "✖"
            lines.append(f"  {mark} {course.label}: matrícula {course.enrolled}, "
                         f"{course.synced_days} de {course.worked_days} días sincronizados, "
                         f"asistencia media SIGE {_media(course.sige)} / Libro "
                         f"{_media(course.libro)}")
        if school.blocking:
            lines.append("  Impiden declarar:")
            for block in school.blocking[:MAX_BLOCKS_SHOWN]:
                lines.append(f"    {block.label} {fecha(block.day)}: {block.state_es}, "
                             f"{block.cause_es}. {block.fix_es}")
            rest = len(school.blocking) - MAX_BLOCKS_SHOWN
            if rest > 0:
                lines.append(f"    … y {cantidad(rest, 'día-curso', 'días-curso')} más "
                             "(todos en --json o en la página «Declaración»).")
    return "\n".join(lines) + "\n"
