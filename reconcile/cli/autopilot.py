"""``autopilot enable|disable|run|status``: the envío automático of a school from the
command line (the rules are in ``reconcile.autopilot``; exit codes as the rest)."""
from __future__ import annotations

import json

from reconcile import auth
from reconcile.autopilot import risk as close_risk
from reconcile.autopilot import run as autopilot_run
from reconcile.autopilot import setting as autopilot_setting
from reconcile.autopilot.schedule import next_run
from reconcile.autopilot.status import all_status, status
from reconcile.clock import default_clock
from reconcile.db import transaction
from reconcile.es_cl import fecha_hora


def register(commands) -> None:  # noqa: ANN001
    autopilot = commands.add_parser(
        "autopilot", help="envío automático: cada día trabajado, a su hora, lo listo va a SIGE")
    actions = autopilot.add_subparsers(title="acciones", dest="action", metavar="ACCIÓN")
    actions.required = True

    enable = actions.add_parser("enable", help="activar (o cambiar la hora), solo Director(a)")
    enable.add_argument("--rbd", type=int, required=True, help="establecimiento")
    enable.add_argument("--at", metavar="HH:MM",
                        help="hora del envío, hora de Chile (por defecto la guardada, 07:00)")
    enable.add_argument("--user", required=True, help="Director(a) del establecimiento")
    enable.set_defaults(handler=run_enable)

    disable = actions.add_parser("disable", help="desactivar, solo Director(a)")
    disable.add_argument("--rbd", type=int, required=True, help="establecimiento")
    disable.add_argument("--user", required=True, help="Director(a) del establecimiento")
    disable.set_defaults(handler=run_disable)

    now = actions.add_parser("run", help="hacer el envío automático ahora (una vez al día)")
    now.add_argument("--rbd", type=int, required=True, help="establecimiento")
    now.add_argument("--user", required=True, help="Director(a) o Administrador(a) de "
                     "Asistencia")
    now.add_argument("--dry-run", action="store_true",
                     help="solo mostrar qué se enviaría y qué quedaría retenido")
    now.set_defaults(handler=run_now)

    shown = actions.add_parser("status", help="estado del envío automático y riesgo del cierre")
    shown.add_argument("--rbd", type=int, help="solo este establecimiento")
    shown.add_argument("--json", action="store_true", help="salida JSON (contrato estable)")
    shown.set_defaults(handler=run_status)


def run_enable(args) -> int:  # noqa: ANN001
    clock = default_clock()
    with transaction() as session:
        user = auth.get_user(session, args.user)
        config = autopilot_setting.enable(session, user, args.rbd, args.at, clock)
        upcoming = next_run(session, args.rbd, clock)
    print(f"Envío automático activado para RBD {args.rbd} a las {config.at_text} "
          "(hora de Chile continental).")
    if upcoming is not None:
        print(f"Próximo envío: {fecha_hora(upcoming)}.")
    return 0


def run_disable(args) -> int:  # noqa: ANN001
    clock = default_clock()
    with transaction() as session:
        user = auth.get_user(session, args.user)
        autopilot_setting.disable(session, user, args.rbd, clock)
    print(f"Envío automático desactivado para RBD {args.rbd}.")
    return 0


def run_now(args) -> int:  # noqa: ANN001
    clock = default_clock()
    with transaction() as session:
        user = auth.get_user(session, args.user)
        summary = autopilot_run.run_now(session, user, args.rbd, clock, args.dry_run)
    print("\n".join(autopilot_run.lines_es(summary)))
    if summary.dry_run:
        print("Simulación: no se puso nada en cola.")
    elif summary.queued:
        print("El trabajador («worker») los enviará a SIGE; vea el avance con «status».")
    return 0


def run_status(args) -> int:  # noqa: ANN001
    clock = default_clock()
    with transaction() as session:
        schools = [status(session, args.rbd, clock)] if args.rbd is not None else \
            all_status(session, clock)
    if args.json:
        print(json.dumps({"schools": [school.as_json() for school in schools]},
                         ensure_ascii=False))
        return 0
    for school in schools:
        state = f"activado a las {school.at}" if school.enabled else "desactivado"
        print(f"RBD {school.rbd}: envío automático {state}.")
        if school.next_run is not None:
            print(f"  Próximo envío: {fecha_hora(school.next_run)}.")
        if school.last_run is not None:
            print("  Último: " + autopilot_run.lines_es(school.last_run)[0])
        for line in close_risk.lines_es(school.risk):
            print(f"  {line}")
    return 0
