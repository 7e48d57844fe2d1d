"""``backup FILE`` and ``restore FILE``: the whole database in one portable archive, and back."""
from __future__ import annotations

from pathlib import Path

from reconcile.backup import backup, restore, without_secrets
from reconcile.db import database_url
from reconcile.db.engine import describe_url
from reconcile.es_cl import cantidad, numero


def register(commands) -> None:  # noqa: ANN001
    save = commands.add_parser(
        "backup", help="respalda toda la base de datos en un archivo (permiso 0600)",
        description="Escribe un respaldo de toda la base (DATABASE_URL) en ARCHIVO: sirve para "
                    "SQLite y PostgreSQL. Contiene contraseñas cifradas y credenciales del "
                    "convenio SIGE: solo su dueño puede leerlo.")
    save.add_argument("file", type=Path)
    save.add_argument("--without-secrets", action="store_true",
                      help="sin contraseñas, sesiones ni credenciales (al restaurar hay que "
                           "darlas de nuevo)")
    save.set_defaults(handler=run_backup)

    load = commands.add_parser(
        "restore", help="carga un respaldo en una base vacía (SQLite o PostgreSQL)",
        description="Carga ARCHIVO en la base de DATABASE_URL, que debe estar vacía (recién "
                    "creada o con «init-db»); crea el esquema si falta. Si algo no está bien, "
                    "no cambia nada.")
    load.add_argument("file", type=Path)
    load.add_argument("--replace", action="store_true",
                      help="borra el contenido actual de la base y carga el respaldo")
    # The schema is the archive's to make: nothing is migrated before the checks.
    load.set_defaults(handler=run_restore, needs_db=False)


def _rows(counts: dict[str, int]) -> str:
    return (f"{cantidad(len(counts), 'tabla')}, "
            f"{cantidad(sum(counts.values()), 'fila')}")


def run_backup(args) -> int:  # noqa: ANN001
    done = backup(args.file, with_secrets=not args.without_secrets)
    print(f"Respaldo guardado en {done.path}: {_rows(done.rows)}, esquema {done.schema_version}, "
          f"{numero(max(1, round(done.size / 1024)))} KB, en {_seconds(done.seconds)}.")
    if done.secrets_included:
        print("Contiene las contraseñas cifradas, las sesiones y las credenciales del convenio "
              "SIGE: guárdelo en un lugar protegido (solo su dueño puede leerlo).")
    else:
        print(without_secrets.SUMMARY)
        print(without_secrets.AFTER_RESTORE)
    return 0


def run_restore(args) -> int:  # noqa: ANN001
    done = restore(args.file, replace=args.replace)
    print(f"Respaldo {done.path} restaurado en {describe_url(database_url())}: "
          f"{_rows(done.rows)}, en {_seconds(done.seconds)}."
          + (" Se reemplazó el contenido anterior." if done.replaced else ""))
    if done.migrated_to:
        print(f"El respaldo era del esquema {done.schema_version}; la base quedó actualizada "
              f"al {done.migrated_to}.")
    if not done.secrets_included:
        print(without_secrets.AFTER_RESTORE)
    return 0


def _seconds(value: float) -> str:
    return f"{value:.1f} s".replace(".", ",")
