"""One message out: by SMTP (the standard library) or, with no server set, as an
``.eml`` file written whole (fsynced, then renamed into place). A failure becomes a
``DeliveryFailed`` in Spanish that names the setting to check and never carries the
password nor an address; ``permanent`` when retrying cannot help.
"""
from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from sqlalchemy.orm import Session

from reconcile import email_address
from reconcile.clock import Clock
from reconcile.errors import UserError
from reconcile.es_cl import fecha_hora
from reconcile.notify import config, wording
from reconcile.notify.config import MailSettings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30  # per SMTP operation; the outbox's lease is far longer


class DeliveryFailed(UserError):
    """The server (or the folder) did not take the message; ``permanent``: the server
    refused every recipient for good, so trying again cannot help."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class Letter:
    """What a message says, as the outbox stores it."""

    recipients: list[str]
    subject: str
    text: str
    html: str | None
    created_at: datetime
    # unique and stable: the Message-ID and the .eml file's name (dates written with
    # dashes: a long run of digits would read as a RUT)
    reference: str


def build(letter: Letter, mail: MailSettings) -> EmailMessage:
    """The MIME message: plain text with an HTML alternative."""
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(letter.recipients)
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(letter.created_at)
    domain = parseaddr(mail.sender)[1].rpartition("@")[2] or "localhost"
    # Stable: a message sent again after a crash keeps its id, so mail readers see one.
    message["Message-ID"] = f"<{letter.reference}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message.set_content(letter.text)
    if letter.html:
        message.add_alternative(letter.html, subtype="html")
    return message


def deliver(letter: Letter, mail: MailSettings) -> str:
    """Send it (or write its file); returns where it went: ``host:port`` or the path."""
    message = build(letter, mail)
    if mail.host is None:
        return str(write_eml(message, mail.folder, letter.reference))
    return send_smtp(message, letter.recipients, mail)


def write_eml(message: EmailMessage, folder: Path, name: str) -> Path:
    """``folder/name.eml``, complete or absent: a temporary file, fsynced, renamed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{name}.eml"
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(message.as_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)
    except OSError as error:
        raise DeliveryFailed(f"No se pudo escribir el correo en la carpeta {folder}: "
                             f"{error.strerror or type(error).__name__}.") from None
    return target


def send_smtp(message: EmailMessage, recipients: list[str], mail: MailSettings) -> str:
    """Hand the message to the server; returns ``host:port`` once it accepted it (for
    at least one recipient). Raises ``DeliveryFailed``."""
    stage = "connect"
    smtp: smtplib.SMTP | None = None
    context = ssl.create_default_context()
    try:
        if mail.security == "ssl":
            smtp = smtplib.SMTP_SSL(mail.host, mail.port, timeout=TIMEOUT_SECONDS,
                                    context=context)
        else:
            smtp = smtplib.SMTP(mail.host, mail.port, timeout=TIMEOUT_SECONDS)
        smtp.ehlo()
        if mail.security == "starttls":
            stage = "starttls"
            smtp.starttls(context=context)
            smtp.ehlo()
        if mail.user:
            stage = "login"
            smtp.login(mail.user, mail.password or "")
        stage = "send"
        refused = smtp.send_message(message, from_addr=parseaddr(mail.sender)[1],
                                    to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(*_spanish(error, stage, mail)) from None
    finally:
        if smtp is not None:
            _quit(smtp)
    if refused:  # accepted for the others: it is sent; the log says how many were not
        log.warning("el servidor de correo rechazó %d de %d destinatarios",
                    len(refused), len(recipients))
    return mail.server


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; the message is already accepted, so a failure here changes nothing."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _spanish(error: BaseException, stage: str, mail: MailSettings) -> tuple[str, bool]:
    """What went wrong, for a person, and whether it is permanent."""
    server = f"el servidor de correo {mail.server}"
    server_ = f"El servidor de correo {mail.server}"  # at the start of a sentence
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (f"{server_} rechazó el usuario o la contraseña: revise "
                "mail.smtp_user y mail.smtp_password.", False)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        if stage == "starttls":
            return (f"{server_} no ofrece conexión segura STARTTLS: revise "
                    "mail.smtp_security (ssl para el puerto 465) y mail.smtp_port.", False)
        return (f"{server_} no ofrece inicio de sesión (AUTH) en esta conexión: "
                "use starttls o ssl en mail.smtp_security, o quite mail.smtp_user.", False)
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (f"{server_} rechazó el remitente (código {error.smtp_code}): "
                "revise mail.from.", False)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return (f"{server_} rechazó {wording.recipients_es(len(codes))} "
                f"(código {', '.join(sorted({str(c) for c in codes}))}): revise las "
                "direcciones de correo de los usuarios.", permanent)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        if stage == "connect" and mail.security != "ssl":
            return (f"{server_} cortó la conexión al saludar: si usa SSL directo "
                    "(puerto 465), ponga mail.smtp_security en ssl.", False)
        return f"{server_} cortó la conexión antes de aceptar el correo.", False
    if isinstance(error, smtplib.SMTPResponseException):
        return (f"{server_} respondió con un error (código {error.smtp_code}) "
                "y no aceptó el correo.", False)
    if isinstance(error, ssl.SSLCertVerificationError):
        return (f"El certificado de {server} no es válido para «{mail.host}»: revise "
                "mail.smtp_host (use el nombre que figura en el certificado).", False)
    if isinstance(error, ssl.SSLError):
        return (f"Falló la conexión segura (TLS) con {server}: revise mail.smtp_security "
                "y mail.smtp_port (465 usa ssl, 587 usa starttls).", False)
    if isinstance(error, TimeoutError):
        return (f"{server_} no respondió a tiempo ({TIMEOUT_SECONDS} s): revise "
                "mail.smtp_host y mail.smtp_port, o la red.", False)
    if isinstance(error, socket.gaierror):
        return (f"No se encontró el servidor de correo «{mail.host}»: revise "
                "mail.smtp_host.", False)
    if isinstance(error, ConnectionRefusedError):
        return (f"{server_} rechazó la conexión: revise mail.smtp_port, o que el "
                "servidor esté funcionando.", False)
    if isinstance(error, smtplib.SMTPException):
        return f"{server_} no aceptó el correo ({type(error).__name__}).", False
    return (f"No se pudo conectar con {server} ({error.strerror or type(error).__name__}): "
            "revise mail.smtp_host y mail.smtp_port.", False)


# --- the test message: sent now, not through the outbox (the CLI and the page button) ---

@dataclass(frozen=True)
class SentTo:
    """Where a test message went: ``server`` (host:port) or ``file`` (an .eml)."""

    server: str | None
    file: Path | None

    def line_es(self, to: str) -> str:
        if self.file is not None:
            return (f"Sin servidor de correo (mail.smtp_host): el correo de prueba para {to} "
                    f"quedó en {self.file}.")
        return f"Correo de prueba para {to} aceptado por el servidor {self.server}."


def send_test(session: Session, to: str, clock: Clock, url: str | None = None) -> SentTo:
    """Send a test message to ``to`` now with the stored settings. Raises UserError for
    a bad address and ``DeliveryFailed`` (Spanish) when the server did not take it."""
    try:
        recipient = email_address.address(to)
    except ValueError as problem:
        raise UserError(f"La dirección «{to}» no es válida: {problem}.") from None
    mail = config.read(session, url)
    now = clock.now()
    where = (f"por el servidor {mail.server}" if mail.host else
             "como archivo .eml (no hay servidor de correo configurado)")
    outline = wording.Outline(
        heading="Correo de prueba · Asistencia SIGE",
        paragraphs=[f"Este es un correo de prueba, enviado el {fecha_hora(now)} {where}.",
                    "Si lo recibe, los resúmenes diarios y los avisos del envío automático "
                    "llegarán a las direcciones registradas de cada usuario."],
        sections=[], link=mail.base_url)
    text, html = wording.render(outline)
    letter = Letter([recipient], "Correo de prueba · Asistencia SIGE", text, html, now,
                    f"{now:%Y-%m-%d_%H%M%S}_prueba_{os.urandom(3).hex()}")
    went = deliver(letter, mail)
    log.info("correo de prueba entregado (%s)", "archivo .eml" if mail.host is None
             else f"servidor {mail.server}")
    return SentTo(None, Path(went)) if mail.host is None else SentTo(went, None)

