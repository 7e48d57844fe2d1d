"""``sync``, ``worker`` and ``status``: send attendance to SIGE and see where it stands.

``sync`` only checks and queues (the rules of ``reconcile.sync.rules``); the
``worker`` process sends and follows the tickets; ``status`` reads the day states.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading

from sqlalchemy import select

from reconcile import access, auth
from reconcile import day_states as states
from reconcile.cli.check import _date
from reconcile.clock import default_clock, running_clock
from reconcile.db import transaction
from reconcile.db.models import Establishment
from reconcile.errors import UserError
from reconcile.es_cl import cantidad, fecha, fecha_hora
from reconcile.school import calendar_for
from reconcile.sige_calendar import Month
from reconcile.sync import rules
from reconcile.sync.status import MonthStatus, month_status
from reconcile.worker import Worker


def register(commands) -> None:  # noqa: ANN001
    sync = commands.add_parser("sync", help="pone en cola el envío de días a SIGE")
    sync.add_argument("--from", dest="start", metavar="AAAA-MM-DD", help="primer día")
    sync.add_argument("--to", dest="end", metavar="AAAA-MM-DD", help="último día (incluido)")
    sync.add_argument("--month", action="store_true",
                      help="«seleccionar todas»: cada día trabajado del mes actual de SIGE")
    sync.add_argument("--course", action="append", metavar="ENSE-GRADO-LETRA",
                      help="solo este curso (se puede repetir), p. ej. 110-1-A")
    sync.add_argument("--user", required=True, help="usuario que envía (Director o Asistencia)")
    sync.add_argument("--rbd", type=int, help="establecimiento (si el usuario tiene varios)")
    sync.add_argument("--override-reason", metavar="MOTIVO",
                      help="(solo Director) enviar también días que no están listos, con motivo")
    sync.set_defaults(handler=run_sync)

    worker = commands.add_parser("worker", help="envía a SIGE lo que está en cola y sigue "
                                 "cada envío hasta su resultado")
    worker.add_argument("--until-idle", action="store_true",
                        help="terminar cuando no quede nada por hacer")
    worker.add_argument("--concurrency", type=int, metavar="N",
                        help="envíos simultáneos (por defecto: sync.concurrency)")
    worker.set_defaults(handler=run_worker_command)

    status = commands.add_parser("status", help="estado de sincronización de cada día-curso")
    status.add_argument("--month", metavar="AAAA-MM",
                        help="mes a mostrar (por defecto: el mes actual de SIGE)")
    status.add_argument("--rbd", type=int, help="solo este establecimiento")
    status.add_argument("--json", action="store_true", help="salida JSON (contrato estable)")
    status.set_defaults(handler=run_status)


def run_sync(args) -> int:  # noqa: ANN001
    if args.month and (args.start or args.end):
        raise UserError("Use --month o bien --from y --to, no ambos.")
    if not args.month and not (args.start and args.end):
        raise UserError("Indique --from y --to (AAAA-MM-DD), o --month para todo el mes de SIGE.")
    clock = default_clock()
    with transaction() as session:
        user = auth.get_user(session, args.user)
        rules.refuse_role(session, user, args.rbd, clock)  # a sostenedor: before --rbd
        rbd = _school_of(user, args.rbd)
        if args.month:
            start, end = rules.month_range(session, rbd, clock)
        else:
            start, end = _date(args.start, "--from"), _date(args.end, "--to")
        plan = rules.request(session, user, rbd, start, end, args.course, args.override_reason,
                             clock, whole_month=args.month)
    print("\n".join(plan.lines_es()))
    print("El trabajador («worker») los enviará a SIGE; vea el avance con «status».")
    return 0


def _school_of(user: access.AuthUser, rbd: int | None) -> int:
    if rbd is not None:
        return rbd  # the rules refuse a school outside the user's scope, with the reason
    if len(user.rbds) == 1:
        return user.rbds[0]
    raise UserError(f"El usuario {user.username} tiene {len(user.rbds)} establecimientos: "
                    f"indique cuál con --rbd ({', '.join(map(str, user.rbds))}).")


def run_worker_command(args) -> int:  # noqa: ANN001
    if args.concurrency is not None and args.concurrency < 1:
        raise UserError(f"--concurrency {args.concurrency}: debe ser 1 o más.")
    worker = Worker(running_clock(), concurrency=args.concurrency)

    def stop(signum, _frame) -> None:  # noqa: ANN001
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"Trabajador iniciado ({worker.concurrency} envíos simultáneos).", flush=True)
    finished = worker.run(until_idle=args.until_idle)
    worker.client.close()
    print(f"Trabajador detenido: {cantidad(finished, 'envío terminado', 'envíos terminados')}.",
          flush=True)
    if threading.active_count() > 1:  # a SIGE call still hanging past the grace period
        sys.stdout.flush()
        os._exit(0)  # its job was given back; another worker takes it
    return 0


def run_status(args) -> int:  # noqa: ANN001
    """The day states through ``reconcile.sync.status``: what the pages show."""
    clock = default_clock()
    with transaction() as session:
        if args.month:
            try:
                month = Month.parse(args.month)
            except ValueError:
                raise UserError(f"Mes no válido en --month: «{args.month}»: use AAAA-MM, "
                                "p. ej. 2026-11.") from None
        else:
            month = calendar_for(session, args.rbd).current_month(clock.now())
        if args.rbd is not None and session.get(Establishment, args.rbd) is None:
            raise UserError(f"No existe el establecimiento RBD {args.rbd} en la base de datos.")
        rbds = [args.rbd] if args.rbd is not None else list(
            session.scalars(select(Establishment.rbd).order_by(Establishment.rbd)))
        schools = [month_status(session, rbd, clock, month, with_errors=False) for rbd in rbds]
    if args.json:  # the stored course-days (DESIGN.md); the pages add the empty worked days
        print(json.dumps({"course_days": [cell.as_json() for school in schools
                                          for cell in school.course_days if cell.stored]},
                         ensure_ascii=False))
        return 0
    _print_table(month, schools)
    return 0


def _print_table(month: Month, schools: list[MonthStatus]) -> None:
    total = sum(cell.stored for school in schools for cell in school.course_days)
    print(f"Estado de sincronización, {month.label_es}: {cantidad(total, 'día-curso')}.")
    for school in schools:
        stored = [cell for cell in school.course_days if cell.stored]
        counts = {s: sum(cell.state == s for cell in stored) for s in states.LABELS_ES}
        print(f"RBD {school.rbd}: " + " · ".join(
            f"{states.SYMBOLS[s]} {states.LABELS_ES[s]}: {n}" for s, n in counts.items() if n))
        empty = len(school.course_days) - len(stored)
        if empty:
            print(f"  Además, {cantidad(empty, 'día-curso trabajado', 'días-curso trabajados')} "
                  "sin asistencia en el Libro Digital.")
        print(f"  {school.notice or school.close_line_es()}")
        for cell in stored:
            when = fecha_hora(cell.updated_at) if cell.updated_at else ""
            print(f"  {cell.rbd}  {cell.course:<10} {fecha(cell.day)}  {cell.symbol} "
                  f"{states.label(cell.state, cell.cause):<60} {when}")
