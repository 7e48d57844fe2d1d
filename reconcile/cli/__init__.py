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
import sys

from reconcile.errors import UserError

# Command modules, in the order they appear in --help.
COMMAND_MODULES = [
    "reconcile.cli.admin",
    "reconcile.cli.imports",
    "reconcile.cli.sige",
    "reconcile.cli.check",
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


class SpanishParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors
        self.print_usage(sys.stderr)
        print(f"Error: argumentos no válidos: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = SpanishParser(prog="python -m reconcile",
                           description="Conciliación de asistencia con SIGE.")
    commands = parser.add_subparsers(dest="command", metavar="COMANDO",
                                     parser_class=SpanishParser)
    commands.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
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
    except KeyboardInterrupt:
        print("Interrumpido.", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the user gets one line, the log the type
        if os.environ.get("RECONCILE_DEBUG"):
            raise  # developers: the full traceback
        log.debug("fallo inesperado", exc_info=True)
        print(f"Error inesperado ({type(error).__name__}). Revise la configuración "
              "y vuelva a intentar; si persiste, contacte a soporte.", file=sys.stderr)
        return 1
