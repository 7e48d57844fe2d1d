"""``python -m reconcile emulator``: run the local SIGE stand-in.

The declaration calendar is the project's: when ``DATABASE_URL`` is set, the
``calendar.*`` settings stored there are used; ``--close YYYY-MM=ISO`` options
(repeatable) add or override closes. The clock honours ``RECONCILE_NOW``.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from reconcile.clock import default_clock
from reconcile.db.engine import PROJECT_ROOT
from reconcile.errors import UserError
from reconcile.es_cl import cantidad
from reconcile.sige_calendar import CLOSE_KEY_PREFIX, SigeCalendar

DEFAULT_STATE = PROJECT_ROOT / "data" / "sige_emulator.db"


def register(commands) -> None:  # noqa: ANN001
    emu = commands.add_parser("emulator", help="emulador local del servicio web SIGE")
    emu.add_argument("--host", default="127.0.0.1", help="dirección de escucha (127.0.0.1)")
    emu.add_argument("--port", type=int, default=8765, help="puerto (8765; 0 = cualquiera libre)")
    emu.add_argument("--nomina", required=True, help="nómina SIGE (.xlsx, .csv, .xml): la matrícula")
    emu.add_argument("--credentials", required=True, metavar="CLIENTE:CONVENIO:TOKEN",
                     help="credenciales válidas del convenio que nombra a este proveedor")
    emu.add_argument("--rbd", type=int, action="append",
                     help="RBD que cubren las credenciales (repetible; por defecto, los de la nómina)")
    emu.add_argument("--delay", type=float, default=5.0,
                     help="segundos hasta procesar un envío (crece cerca del cierre; 5)")
    emu.add_argument("--latency", type=float, default=0.0, metavar="SEGUNDOS",
                     help="demora de cada respuesta SOAP, p. ej. 0.2 (0)")
    emu.add_argument("--fault-rate", type=float, default=0.0, help="fracción de llamadas con falla (0)")
    emu.add_argument("--seed", type=int, default=None, help="semilla de las fallas (reproducibles)")
    emu.add_argument("--slow-seconds", type=float, default=65.0,
                     help="demora de una respuesta lenta (65: más que sige.read_timeout por defecto)")
    emu.add_argument("--semilla-ttl", type=float, default=1800.0, help="vida de una semilla en segundos")
    emu.add_argument("--refuse-with", choices=("fault", "empty"), default="fault",
                     help="cómo rechaza credenciales inválidas: SOAP Fault o ValorSemilla vacío")
    emu.add_argument("--close", action="append", default=[], metavar="AAAA-MM=FECHA_HORA",
                     help="cierre de la declaración de un mes, p. ej. 2026-11=2026-12-03T17:00")
    emu.add_argument("--grade-replace", action="store_true",
                     help="cada envío reemplaza todo el grado ese día: las letras que no trae "
                          "se borran de lo que SIGE tiene (por defecto, solo las letras que trae)")
    emu.add_argument("--state", default=None,
                     help="archivo SQLite del estado del emulador (data/sige_emulator.db)")
    emu.add_argument("--fresh", action="store_true", help="borra el estado anterior al iniciar")
    emu.set_defaults(handler=run_emulator, needs_db=False)


def parse_credentials(text: str) -> tuple[str, str, str]:
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise UserError("--credentials: se espera CLIENTE:CONVENIO:TOKEN, los tres no vacíos.")
    return parts[0].strip(), parts[1].strip(), parts[2].strip()


def calendar_settings(closes: list[str]) -> dict[str, str]:
    """The calendar settings: the project DB's (if DATABASE_URL is set), then --close."""
    values: dict[str, str] = {}
    if os.environ.get("DATABASE_URL"):
        try:
            from reconcile import settings
            from reconcile.db import transaction

            with transaction() as session:
                values.update({k: v for k, v in settings.calendar_values(session).items()
                               if v is not None})
        except Exception as error:  # noqa: BLE001 - the emulator still runs on the default rule
            print(f"Aviso: no se pudo leer el calendario desde DATABASE_URL ({type(error).__name__}); "
                  "se usa la regla por defecto y las opciones --close.", file=sys.stderr)
    problems = []
    for item in closes:
        month, sep, instant = item.partition("=")
        if not sep or not month.strip() or not instant.strip():
            problems.append(f"--close «{item}»: se espera AAAA-MM=FECHA_HORA, p. ej. 2026-11=2026-12-03T17:00.")
            continue
        values[f"{CLOSE_KEY_PREFIX}{month.strip()}"] = instant.strip()
    if problems:
        raise UserError(problems)
    return values


def run_emulator(args) -> int:  # noqa: ANN001
    from reconcile.sige.emulator import (
        ConvenioGrant, Emulator, EmulatorServer, EmulatorStore, FaultPlan, NominaUnavailable,
        load_nomina)

    problems = []
    if not 0.0 <= args.fault_rate <= 1.0:
        problems.append(f"--fault-rate {args.fault_rate}: debe estar entre 0 y 1.")
    if args.delay < 0 or args.slow_seconds < 0 or args.semilla_ttl <= 0:
        problems.append("--delay, --slow-seconds y --semilla-ttl deben ser positivos.")
    if args.latency < 0:
        problems.append(f"--latency {args.latency}: debe ser 0 o más segundos.")
    if not 0 <= args.port <= 65535:
        problems.append(f"--port {args.port}: puerto no válido.")
    if not Path(args.nomina).is_file():
        problems.append(f"--nomina {args.nomina}: el archivo no existe.")
    if problems:
        raise UserError(problems)
    cliente, convenio, token = parse_credentials(args.credentials)
    calendar = SigeCalendar.from_settings(calendar_settings(args.close))
    try:
        enrolment, bad_rows = load_nomina(args.nomina)
    except NominaUnavailable as error:
        raise UserError(error.reasons) from None
    if bad_rows:
        print(f"Aviso: no se cargaron {cantidad(bad_rows, 'fila')} de la nómina con errores.",
              file=sys.stderr)
    rbds = frozenset(args.rbd or enrolment.rbds)
    state = Path(args.state) if args.state else DEFAULT_STATE
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)
    emulator = Emulator(
        enrolment, [ConvenioGrant(cliente, convenio, token, rbds)],
        store=EmulatorStore(state), clock=default_clock(), calendar=calendar,
        delay_seconds=args.delay, latency_seconds=args.latency, semilla_ttl=args.semilla_ttl,
        faults=FaultPlan(args.fault_rate, args.seed, slow_seconds=args.slow_seconds),
        refuse_with=args.refuse_with, grade_replace=args.grade_replace)
    try:
        server = EmulatorServer((args.host, args.port), emulator)
    except OSError as error:
        raise UserError(f"No se pudo escuchar en {args.host}:{args.port}: {error.strerror}.") from None

    def stop(_signum, _frame) -> None:  # noqa: ANN001
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    print(f"Emulador SIGE escuchando en {server.url} (RBD {', '.join(map(str, sorted(rbds)))}; "
          f"{len(enrolment)} alumnos; estado en {state}"
          f"{'; cada envío reemplaza su grado del día' if args.grade_replace else ''})",
          flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        emulator.store.close()
    print("Emulador SIGE detenido.", flush=True)
    return 0
