"""``python -m reconcile``: the command-line contract of DESIGN.md.

Each command group lives in its own module with a ``register(subparsers)``
function that adds its sub-commands and sets ``handler`` on them (and
``needs_db=False`` for a command that does not use the project database; every
other command finds the schema migrated). A handler takes
the parsed arguments and returns the exit code (0). Bad input or a refused action
raises ``UserError``: its reasons go to stderr, one per line, and the exit code is 2.
Anything unexpected exits 1 with a short Spanish line, never a stack trace.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys

from reconcile.errors import UserError

# Command modules, in the order they appear in --help.
COMMAND_MODULES = [
    "reconcile.cli.admin",
    "reconcile.cli.imports",
    "reconcile.cli.sige",
    "reconcile.cli.check",
    "reconcile.cli.sync",
    "reconcile.cli.autopilot",
    "reconcile.cli.mail",
    "reconcile.cli.worklist",
    "reconcile.cli.backup",
    "reconcile.cli.declaration",
]

log = logging.getLogger("reconcile")


def migrated() -> None:
    """Commands work on the current schema: create or update it on the way."""
    from sqlalchemy.exc import OperationalError

    from reconcile.db import database_url, upgrade
    from reconcile.db.engine import describe_url

    try:
        upgrade()
    except OperationalError as error:
        raise UserError(f"No se pudo abrir la base de datos {describe_url(database_url())}: "
                        f"{type(error.orig).__name__}. Revise DATABASE_URL.") from None


# argparse's own words, in Spanish: what it prints is built from these English
# messages, so each is rewritten where it appears (the "argumento X:" prefix included).
_MESSAGES_ES: list[tuple[str, str]] = [
    (r"\bargument (\S+): ", r"argumento \1: "),
    (r"invalid choice: (.+?) \(choose from (.+)\)", r"opción no válida: \1 (elija entre \2)"),
    (r"the following arguments are required: (.+)", r"faltan argumentos obligatorios: \1"),
    (r"unrecognized arguments: (.+)", r"argumentos no reconocidos: \1"),
    (r"expected one argument", "falta su valor"),
    (r"expected at most one argument", "se esperaba a lo más un valor"),
    (r"expected at least one argument", "se esperaba al menos un valor"),
    (r"expected (\d+) arguments?", r"se esperaban \1 valores"),
    (r"invalid int value: (.+)", r"no es un número entero: \1"),
    (r"invalid float value: (.+)", r"no es un número: \1"),
    (r"invalid (\S+) value: (.+)", r"valor no válido: \2"),
    (r"not allowed with argument (.+)", r"no se permite junto con \1"),
    (r"ignored explicit argument (.+)", r"no lleva valor (se recibió \1)"),
    (r"one of the arguments (.+) is required", r"falta uno de estos argumentos: \1"),
    (r"ambiguous option: (.+?) could match (.+)", r"opción ambigua: \1 puede ser \2"),
    (r"unexpected option string: (.+)", r"opción inesperada: \1"),
]
# Default placeholders for values in --help (argparse would write the English dest).
_METAVARS_ES = {"name": "NOMBRE", "key": "CLAVE", "value": "VALOR", "user": "USUARIO",
                "display_name": "NOMBRE", "seed": "SEMILLA", "folder": "CARPETA",
                "host": "DIRECCIÓN", "port": "PUERTO", "nomina": "ARCHIVO", "state": "ARCHIVO",
                "file": "ARCHIVO", "delay": "SEGUNDOS", "slow_seconds": "SEGUNDOS",
                "semilla_ttl": "SEGUNDOS", "fault_rate": "FRACCIÓN", "month": "AAAA-MM",
                "start": "AAAA-MM-DD", "end": "AAAA-MM-DD", "days": "DÍAS"}


def spanish_message(message: str) -> str:
    """An argparse message in Spanish.

    >>> spanish_message("argument COMANDO: invalid choice: 'x' (choose from 'a', 'b')")
    "argumento COMANDO: opción no válida: 'x' (elija entre 'a', 'b')"
    >>> spanish_message("argument --rbd: invalid int value: 'abc'")
    "argumento --rbd: no es un número entero: 'abc'"
    >>> spanish_message("the following arguments are required: --from, --to")
    'faltan argumentos obligatorios: --from, --to'
    """
    for pattern, spanish in _MESSAGES_ES:
        message = re.sub(pattern, spanish, message)
    return message


class SpanishHelpFormatter(argparse.HelpFormatter):
    """--help in Spanish: "uso:" and Spanish placeholders for values."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:  # noqa: ANN001
        super().add_usage(usage, actions, groups, "uso: " if prefix is None else prefix)

    def _get_default_metavar_for_optional(self, action: argparse.Action) -> str:
        return _METAVARS_ES.get(action.dest, action.dest.upper())

    def _get_default_metavar_for_positional(self, action: argparse.Action) -> str:
        return _METAVARS_ES.get(action.dest, action.dest.upper())


class SpanishParser(argparse.ArgumentParser):
    """argparse speaking Spanish: group titles, -h, usage errors (every sub-command
    parser is one too: argparse builds them with the parent's class)."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs.setdefault("formatter_class", SpanishHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "argumentos"
        self._optionals.title = "opciones"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="muestra esta ayuda y termina")

    def error(self, message: str) -> None:  # argparse's own usage errors
        self.print_usage(sys.stderr)
        print(f"Error: argumentos no válidos: {spanish_message(message)}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = SpanishParser(prog="python -m reconcile",
                           description="Conciliación de asistencia con SIGE.")
    commands = parser.add_subparsers(title="comandos", dest="command", metavar="COMANDO",
                                     parser_class=SpanishParser)
    commands.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


# A reader that stops early (``| head``) closes the pipe: end as a pipe's writer
# does, quietly, with the exit status of a process ended by SIGPIPE (128 + 13).
PIPE_CLOSED = 141


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            code = _run(argv)
        except SystemExit as done:  # --help, usage errors
            code = 0 if done.code is None else done.code
        sys.stdout.flush()  # a closed pipe shows up here, not as a message at exit
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush goes nowhere
        return PIPE_CLOSED
    return code


def _run(argv: list[str] | None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "needs_db", True):
            migrated()
        return args.handler(args) or 0
    except UserError as error:
        for reason in error.reasons:
            print(reason, file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # not a failure: main ends quietly
    except KeyboardInterrupt:
        print("Interrumpido.", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the user gets one line, the log the type
        from reconcile.db.outage import UNREACHABLE_ES, is_unreachable

        if is_unreachable(error):  # what the command wrote is rolled back with its transaction
            print(UNREACHABLE_ES, file=sys.stderr)
            return 2
        if os.environ.get("RECONCILE_DEBUG"):
            raise  # developers: the full traceback
        log.debug("fallo inesperado", exc_info=True)
        print(f"Error inesperado ({type(error).__name__}). Revise la configuración "
              "y vuelva a intentar; si persiste, contacte a soporte.", file=sys.stderr)
        return 1
