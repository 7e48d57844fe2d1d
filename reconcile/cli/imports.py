"""import-sige and import-libro: load the SIGE nómina and the Libro Digital attendance."""
from __future__ import annotations

from pathlib import Path

from reconcile import auth
from reconcile.clock import default_clock
from reconcile.db import transaction
from reconcile.imports import import_libro, import_sige


def register(commands) -> None:  # noqa: ANN001
    sige = commands.add_parser("import-sige", help="carga la nómina SIGE (.xlsx, .csv, .xml)")
    sige.add_argument("file", metavar="ARCHIVO", type=Path)
    sige.add_argument("--user", help="usuario que carga (sin él: administrador)")
    sige.add_argument("--allow-removals", action="store_true",
                      help="acepta retirar más de la parte permitida de un curso "
                           "(import.max_removal_share); sin él, esa carga se rechaza")
    sige.add_argument("--whole-school", action="store_true",
                      help="vacía también los cursos del establecimiento que el archivo no "
                           "trae (sin él, esos cursos quedan sin cambios)")
    sige.set_defaults(handler=run_import_sige)

    libro = commands.add_parser("import-libro",
                                help="carga la asistencia del Libro Digital (.csv, .xlsx)")
    libro.add_argument("file", metavar="ARCHIVO", type=Path)
    libro.add_argument("--user", help="usuario que carga (sin él: administrador)")
    libro.add_argument("--rbd", type=int, help="RBD a suponer si el archivo no lo indica")
    libro.set_defaults(handler=run_import_libro)


def run_import_sige(args) -> int:  # noqa: ANN001
    with transaction() as session:
        user = auth.get_user(session, args.user) if args.user else None
        summary = import_sige(session, args.file, user=user, clock=default_clock(),
                              allow_removals=args.allow_removals,
                              whole_school=args.whole_school)
    print("\n".join(summary.lines_es()))
    return 0


def run_import_libro(args) -> int:  # noqa: ANN001
    with transaction() as session:
        user = auth.get_user(session, args.user) if args.user else None
        summary = import_libro(session, args.file, user=user, clock=default_clock(),
                               rbd=args.rbd)
    print("\n".join(summary.lines_es()))
    return 0
