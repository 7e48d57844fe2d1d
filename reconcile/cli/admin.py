"""Administration commands: init-db, demo, user add|passwd|list|email, school rename,
config set|get|list."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

from reconcile import access, auth, school_name, settings
from reconcile.db import database_url, transaction
from reconcile.db.engine import describe_url
from reconcile.errors import UserError


def register(commands) -> None:  # noqa: ANN001
    init = commands.add_parser("init-db", help="crea o actualiza la base de datos")
    init.set_defaults(handler=init_db)

    demo = commands.add_parser("demo", help="crea los establecimientos de demostración")
    demo.add_argument("--seed", type=int, default=2026, help="semilla (misma semilla, mismos datos)")
    demo.add_argument("--if-empty", action="store_true",
                      help="no hace nada si la base ya tiene algún establecimiento")
    demo.add_argument("--folder", type=Path, default=None,
                      help="carpeta donde escribir los archivos (por defecto data/demo)")
    demo.add_argument("--sige-url", metavar="URL",
                      help="dirección del SIGE de prueba (make run); sige.base_url la sigue "
                           "si la base es la de la demostración y apunta a un emulador local")
    demo.add_argument("--single-school", action="store_true",
                      help="solo la escuela principal (sin la segunda ni el sostenedor)")
    demo.set_defaults(handler=run_demo)

    user = commands.add_parser("user", help="usuarios").add_subparsers(
        dest="user_command", metavar="ACCIÓN")
    user.required = True
    add = user.add_parser("add", help="crea un usuario")
    add.add_argument("name")
    add.add_argument("--role", default=access.PROFESOR, choices=list(access.ROLES),
                     help="rol del usuario (por defecto profesor: el de menos permisos)")
    add.add_argument("--rbd", required=True, type=int, action="append",
                     help="establecimiento (repetible para un sostenedor)")
    add.add_argument("--display-name")
    add.add_argument("--email", metavar="CORREO",
                     help="correo del usuario: ahí llegan el resumen diario y los avisos")
    add.add_argument("--password-stdin", action="store_true",
                     help="lee la contraseña de la entrada estándar")
    add.set_defaults(handler=user_add)
    passwd = user.add_parser("passwd", help="cambia la contraseña")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(handler=user_passwd)
    user.add_parser("list", help="lista los usuarios").set_defaults(handler=user_list)
    email = user.add_parser("email", help="cambia (o quita) el correo de un usuario")
    email.add_argument("name")
    email.add_argument("address", nargs="?", metavar="CORREO")
    email.add_argument("--remove", action="store_true", help="quita el correo del usuario")
    email.set_defaults(handler=user_email)

    school = commands.add_parser("school", help="establecimientos").add_subparsers(
        dest="school_command", metavar="ACCIÓN")
    school.required = True
    rename = school.add_parser("rename", help="cambia el nombre de un establecimiento")
    rename.add_argument("name", metavar="NOMBRE", help="el nombre nuevo (entre comillas)")
    rename.add_argument("--rbd", required=True, type=int, help="el establecimiento")
    rename.add_argument("--user", help="Director(a) del establecimiento (sin él: administrador)")
    rename.set_defaults(handler=school_rename)

    config = commands.add_parser("config", help="configuración").add_subparsers(
        dest="config_command", metavar="ACCIÓN")
    config.required = True
    set_ = config.add_parser("set", help="fija un valor (o varios que van juntos, todos o "
                             "ninguno: config set mail.smtp_port 465 mail.smtp_security ssl)")
    set_.add_argument("key", metavar="CLAVE")
    set_.add_argument("value", metavar="VALOR")
    set_.add_argument("more", nargs="*", default=[], metavar="CLAVE VALOR",
                      help="más pares clave valor, revisados junto con el primero")
    set_.add_argument("--rbd", type=int, help="solo para ese establecimiento")
    set_.set_defaults(handler=config_set)
    get = config.add_parser("get", help="muestra un valor")
    get.add_argument("key")
    get.add_argument("--rbd", type=int)
    get.set_defaults(handler=config_get)
    list_ = config.add_parser("list", help="muestra todas las claves")
    list_.add_argument("--rbd", type=int)
    list_.set_defaults(handler=config_list)


def init_db(_args) -> int:  # noqa: ANN001
    print(f"Base de datos lista: {describe_url(database_url())}")
    return 0


def run_demo(args) -> int:  # noqa: ANN001
    from reconcile.demo_setup import DEMO_FOLDER, build_demo  # heavy, only for this command

    build_demo(seed=args.seed, only_if_empty=args.if_empty, out=sys.stdout,
               folder=args.folder or DEMO_FOLDER, sige_url=args.sige_url,
               second_school=not args.single_school)
    return 0


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UserError("No se recibió ninguna contraseña por la entrada estándar.")
        return password
    if not sys.stdin.isatty():
        raise UserError("Sin terminal: use --password-stdin para entregar la contraseña.")
    first = getpass.getpass("Contraseña: ")
    if first != getpass.getpass("Repita la contraseña: "):
        raise UserError("Las contraseñas no coinciden.")
    return first


def user_add(args) -> int:  # noqa: ANN001
    password = read_password(args.password_stdin)
    with transaction() as session:
        user = auth.add_user(session, args.name, args.role, args.rbd, password, args.display_name,
                             email=args.email)
    print(f"Usuario {user.username} creado ({user.role_label}, RBD "
          f"{', '.join(map(str, user.rbds))}).")
    return 0


def user_passwd(args) -> int:  # noqa: ANN001
    password = read_password(args.password_stdin)
    with transaction() as session:
        auth.set_password(session, args.name, password)
    print(f"Contraseña de {args.name} actualizada.")
    return 0


def user_list(_args) -> int:  # noqa: ANN001
    with transaction() as session:
        users = auth.list_users(session)
    if not users:
        print("No hay usuarios.")
    for user in users:
        print(f"{user.username:20} {user.role_label:32} {user.email or '(sin correo)':32} "
              f"RBD {', '.join(map(str, user.rbds))}")
    return 0


def user_email(args) -> int:  # noqa: ANN001
    if args.remove == (args.address is not None):
        raise UserError("Indique el correo nuevo, o --remove para quitarlo (no ambos).")
    with transaction() as session:
        stored = auth.set_email(session, args.name, None if args.remove else args.address)
    print(f"Correo de {args.name}: {stored}." if stored else f"Correo de {args.name} quitado.")
    return 0


def school_rename(args) -> int:  # noqa: ANN001
    with transaction() as session:
        user = auth.get_user(session, args.user) if args.user else None
        name = school_name.rename(session, args.rbd, args.name, user)
    print(f"RBD {args.rbd}: {name}")
    return 0


def config_set(args) -> int:  # noqa: ANN001
    if len(args.more) % 2:
        raise UserError(f"Falta el valor de {args.more[-1]}: indique pares CLAVE VALOR.")
    pairs = [(args.key, args.value), *zip(args.more[::2], args.more[1::2])]
    repeated = sorted({key for key, _ in pairs if [k for k, _ in pairs].count(key) > 1})
    if repeated:
        raise UserError(f"Clave repetida en el mismo comando: {', '.join(repeated)}.")
    with transaction() as session:
        stored = settings.admin_change_many(session, dict(pairs), args.rbd)
    where = f" (RBD {args.rbd})" if args.rbd else ""
    for key, value in stored.items():
        print(f"{key}{where} = {settings.display_value(key, value)}")
    return 0


def config_get(args) -> int:  # noqa: ANN001
    with transaction() as session:
        value = settings.get_value(session, args.key, args.rbd)
    print(settings.display_value(args.key, value))
    return 0


def config_list(args) -> int:  # noqa: ANN001
    with transaction() as session:
        for name, key in settings.KEYS.items():
            value = settings.get_value(session, name, args.rbd)
            print(f"{name:36} {settings.display_value(name, value):28} {key.help}")
        for name, value in sorted(settings.calendar_values(session, args.rbd).items()):
            if name.startswith(settings.CLOSE_PREFIX):
                print(f"{name:36} {value:28} Cierre de la declaración de ese mes")
    return 0
