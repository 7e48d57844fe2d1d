"""``worklist [--rbd N] [--json]``: Pendientes, one row per child and problem over SIGE's month.

With ``--json``, ``{"items": [{"course", "name", "libro_rut", "sige_rut", "days",
"first", "last", "problem", "fix_in", "can_approve", "state", "state_on"}]}``
(RUTs ``BODY-DV``, dates ISO); without, a Spanish list. The school is ``--rbd``
or the database's only one, as for ``check``. Read-only.
"""
from __future__ import annotations

import json
import sys

from reconcile.clock import default_clock
from reconcile.db import transaction
from reconcile.es_cl import fecha, rut_es
from reconcile.matching import resolve_rbd
from reconcile.worklist import Item, Worklist, worklist


def register(commands) -> None:  # noqa: ANN001
    parser = commands.add_parser(
        "worklist", help="pendientes del mes SIGE: un renglón por estudiante y problema")
    parser.add_argument("--rbd", type=int, help="establecimiento (obligatorio si hay más de uno)")
    parser.add_argument("--json", action="store_true", help="salida JSON (contrato estable)")
    parser.set_defaults(handler=run)


def run(args) -> int:  # noqa: ANN001
    with transaction() as session:
        rbd = resolve_rbd(session, args.rbd)
        found = worklist(session, rbd, default_clock())
    if args.json:
        json.dump({"rbd": rbd, "month": str(found.month),
                   "items": [item.as_json() for item in found.items]},
                  sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(found))
    return 0


def _days(item: Item) -> str:
    if not item.days:
        return "sin días este mes"
    if item.days == 1:
        return f"1 día-curso, {fecha(item.first)}"
    return f"{item.days} días-curso, del {fecha(item.first)} al {fecha(item.last)}"


def render(found: Worklist) -> str:
    lines = [f"Pendientes de {found.month.label_es} - RBD {found.rbd}", ""]
    if not found.items:
        lines.append("No hay pendientes: cada estudiante del Libro coincide con SIGE.")
    for item in found.items:
        ruts = " / ".join(f"{side} {rut_es(value)}" for side, value in
                          (("Libro", item.libro_rut), ("SIGE", item.sige_rut)) if value)
        lines += [f"{item.course}  {item.name or '(sin nombre)'}  {ruts}",
                  f"    {item.problem}; {_days(item)}",
                  f"    Dónde corregir: {item.where_es}. {item.fix}",
                  f"    Estado: {item.state_es}"
                  + (" · se puede aprobar aquí" if item.can_approve else ""), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
