"""A real SMTP server for the mail tests (aiosmtpd on 127.0.0.1), the mail settings
pointing at it, and the messages read back as a person's mail program would."""
from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.sync_helpers import configure

# A RUT written any way people or SIGE write one: 12.345.678-5, 12345678-5, 123456785,
# 100.234.567-K: a body of 7 to 9 digits, with or without dots, then the check digit.
RUT_PATTERN = re.compile(r"(?<![\d.])(\d{1,3}\.\d{3}\.\d{3}|\d{7,9})\s*-?\s*[\dkK](?![\d])")
SMTP_USER, SMTP_PASSWORD = "avisos@colegio.cl", "clave correcta del correo"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """What the server accepted: the envelope and the message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    port: int
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      read_message(envelope.original_content)))
        return "250 OK"


def _check_password(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
    right = (auth_data.login.decode(), auth_data.password.decode()) == (SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=right, handled=False)  # not handled: the server answers 535


@contextmanager
def smtp_server(port: int | None = None, *, login: bool = False) -> Iterator[Inbox]:
    """A running SMTP server (with AUTH PLAIN/LOGIN when ``login``)."""
    inbox = Inbox(port or free_port())
    extra = {"authenticator": _check_password, "auth_require_tls": False} if login else {}
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **extra)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def point_at(url: str, port: int, *, security: str = "none", login: bool = False) -> None:
    values = {"mail.smtp_host": "127.0.0.1", "mail.smtp_port": port,
              "mail.smtp_security": security, "mail.from": "Asistencia SIGE <avisos@colegio.cl>",
              "app.base_url": "https://asistencia.colegio.cl/panel"}
    if login:
        values |= {"mail.smtp_user": SMTP_USER, "mail.smtp_password": SMTP_PASSWORD}
    configure(url, values)


def read_message(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def readable(message: EmailMessage) -> str:
    """Every header and every text part, decoded: all a person could read in it."""
    parts = [f"{name}: {value}" for name, value in message.items()]
    parts += [part.get_content() for part in message.walk()
              if part.get_content_maintype() == "text"]
    return "\n".join(parts)


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The plain text (its words, as read: the wrapping's line breaks do not count) and
    the HTML alternative."""
    return (" ".join(message.get_body(("plain",)).get_content().split()),
            message.get_body(("html",)).get_content())


SCHOOL_RBD = 24680


def small_school(url: str) -> int:
    """A school with a Director, an Administradora de Asistencia and a Profesor (no
    attendance: what a delivery needs). Returns its RBD."""
    from reconcile import access, auth
    from reconcile.clock import FixedClock
    from reconcile.db import transaction
    from reconcile.db.models import Establishment
    from tests.sync_helpers import NOW, PASSWORD

    clock = FixedClock(NOW)
    with transaction(url) as session:
        session.add(Establishment(rbd=SCHOOL_RBD, dgv_rbd="5", name="Escuela Los Aromos",
                                  created_at=clock.now()))
        session.flush()
        for username, role in (("director", access.DIRECTOR), ("asistencia", access.ASISTENCIA),
                               ("profesor", access.PROFESOR)):
            auth.add_user(session, username, role, [SCHOOL_RBD], PASSWORD, username, clock)
    return SCHOOL_RBD
