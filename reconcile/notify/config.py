"""The mail settings, read once per delivery round: the server, its security, the
sender, the panel's address, and the ``.eml`` folder used when no server is set.

The folder is an environment value (``RECONCILE_MAIL_DIR``), not a setting a person
can change from the panel: it is a place on the server's disk. By default it sits
beside the SQLite database (``data/correo`` for the default database), else in the
project's ``data/correo``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.db.engine import DEFAULT_SQLITE, database_url

MAIL_DIR_ENV = "RECONCILE_MAIL_DIR"
FOLDER_NAME = "correo"
KEYS = ("mail.smtp_host", "mail.smtp_port", "mail.smtp_security", "mail.smtp_user",
        "mail.smtp_password", "mail.from", "app.base_url")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True)
class MailSettings:
    host: str | None  # None: write .eml files into ``folder``
    port: int
    security: str  # none | starttls | ssl
    user: str | None
    password: str | None = None
    sender: str = ""
    base_url: str = ""
    folder: Path = Path()

    def __repr__(self) -> str:  # a settings object in a log line never shows the password
        return (f"MailSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
                f"user={'sí' if self.user else 'no'}, folder={str(self.folder)!r})")

    @property
    def server(self) -> str:
        """``host:port``, as messages name the server."""
        return f"{self.host}:{self.port}"


def mail_folder(url: str | None = None) -> Path:
    """Where ``.eml`` files go when no server is set."""
    configured = os.environ.get(MAIL_DIR_ENV, "").strip()
    if configured:
        return Path(configured)
    parsed = make_url(url or database_url())
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database).resolve().parent / FOLDER_NAME
    return DEFAULT_SQLITE.parent / FOLDER_NAME


def read(session: Session, url: str | None = None) -> MailSettings:
    host, port, security, user, password, sender, base_url = settings.get_values(
        session, list(KEYS))
    return MailSettings(host=host or None, port=int(port), security=security,
                        user=user or None, password=password or None, sender=sender,
                        base_url=base_url, folder=mail_folder(url))


def settings_check(session: Session, url: str | None = None) -> list[str]:
    """What is odd about the mail settings, in Spanish, for the Configuración page and
    ``mail test`` (nothing is refused here: the validators already refused bad values)."""
    mail = read(session, url)
    notes = []
    if mail.host is None:
        notes.append(f"Sin servidor de correo (mail.smtp_host): los correos se guardan como "
                     f"archivos .eml en {mail.folder}.")
        return notes
    usual = DEFAULT_PORTS[mail.security]
    if mail.port in DEFAULT_PORTS.values() and mail.port != usual:
        notes.append(f"El puerto {mail.port} no es el habitual para «{mail.security}» "
                     f"(suele ser {usual}): revise mail.smtp_port y mail.smtp_security.")
    if mail.user and not mail.password:
        notes.append("Hay usuario de correo (mail.smtp_user) pero falta su contraseña "
                     "(mail.smtp_password).")
    if mail.password and not mail.user:
        notes.append("Hay contraseña de correo pero falta el usuario (mail.smtp_user).")
    if mail.user and mail.security == "none":
        notes.append("La contraseña del correo viajaría sin cifrar (mail.smtp_security = "
                     "none): use starttls o ssl si el servidor lo permite.")
    return notes
