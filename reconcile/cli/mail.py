"""``mail test --to ADDRESS``: a test message sent now with the stored mail settings
(not through the worker's outbox), so a wrong host, port, password or TLS shows at
once, in Spanish (exit 2)."""
from __future__ import annotations

from reconcile.clock import default_clock
from reconcile.db import transaction
from reconcile.notify import config, delivery


def register(commands) -> None:  # noqa: ANN001
    mail = commands.add_parser("mail", help="correo: resumen diario y avisos").add_subparsers(
        dest="mail_command", metavar="ACCIÓN")
    mail.required = True
    test = mail.add_parser("test", help="envía ahora un correo de prueba")
    test.add_argument("--to", required=True, metavar="CORREO", help="a quién enviarlo")
    test.set_defaults(handler=mail_test)


def mail_test(args) -> int:  # noqa: ANN001
    with transaction() as session:
        for note in config.settings_check(session):
            print(f"Aviso: {note}")
        sent = delivery.send_test(session, args.to, default_clock())
    print(sent.line_es(args.to.strip()))
    return 0
