"""«Probar conexión»: check what a send to SIGE needs, and say in plain words what
happened: the convenio's credentials give a semilla, and the convenio covers this
school (RBD); or SIGE refused the credentials, or the convenio leaves this RBD out, or
nothing answered at the configured address, or the cover could not be checked.

The cover is asked with a harmless RBD-scoped read: the report of a ticket that
cannot exist (``getReporteEnvioAsistencia``; it sends nothing and changes nothing).
A convenio that leaves the RBD out is refused there in SIGE's words (``causes``); any
other plain answer means SIGE attended this RBD without objecting to the convenio.

Bounded calls (``reconcile.sync.verify.bounded_client``: short timeouts, no in-call
retries) so the page never hangs; the semilla itself is never shown or stored.
Audited with who asked and the outcome.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from reconcile import audit, settings
from reconcile.access import AuthUser, authorize
from reconcile.clock import Clock, default_clock
from reconcile.sige.causes import OUTSIDE_CONVENIO_FIX, SIN_CONVENIO, outside_convenio
from reconcile.sige.client import (
    RECHAZADO_STATE,
    SigeClient,
    SigeCredentialsRejected,
    SigeError,
    SigeUnavailable,
)
from reconcile.sige.config import CREDENTIAL_KEYS

log = logging.getLogger(__name__)
ACTION = "sige.test_connection"
OK, REFUSED, UNREACHABLE, MISSING = ("ok", "credenciales_rechazadas", "sin_respuesta",
                                     "sin_credenciales")
NOT_COVERED, UNCHECKED = "rbd_fuera_del_convenio", "rbd_sin_comprobar"
KEY_NAMES = {"sige.cliente_id": "ClienteId", "sige.convenio_id": "ConvenioId",
             "sige.convenio_token": "ConvenioToken"}
# A ticket SIGE never issues (the emulator's start at 100000; SIGE's are positive
# numbers): asking for its report reads nothing and changes nothing.
PROBE_TICKET = "0"


@dataclass(frozen=True)
class ConnectionCheck:
    outcome: str  # OK | REFUSED | NOT_COVERED | UNCHECKED | UNREACHABLE | MISSING
    message: str  # Spanish, for the person who asked

    @property
    def ok(self) -> bool:
        return self.outcome == OK

    @property
    def uncertain(self) -> bool:
        """The credentials work; whether the convenio covers the RBD is not known."""
        return self.outcome == UNCHECKED


def probe_connection(session: Session, user: AuthUser, rbd: int, client: SigeClient,
                     clock: Clock | None = None) -> ConnectionCheck:
    """Ask SIGE for a semilla for ``rbd``, then whether the convenio covers ``rbd``.
    Only a Director of the school (it tries the convenio's credentials)."""
    authorize(user, "configure", rbd)
    where = client.base_url
    missing = [KEY_NAMES[key] for key in CREDENTIAL_KEYS
               if not settings.get_value(session, key, rbd)]
    if missing:  # SIGE is not asked: the answer is known
        return ConnectionCheck(MISSING, "Faltan credenciales del convenio ("
                               + ", ".join(missing) + "): regístrelas antes de probar.")
    try:
        client.forget_semilla(rbd)  # always a fresh question, never a cached answer
        client.semilla(rbd)
    except SigeCredentialsRejected as error:
        check = ConnectionCheck(REFUSED, f"SIGE respondió en {where}, pero no aceptó las "
                                f"credenciales: {error.detail}")
    except SigeError:
        check = ConnectionCheck(UNREACHABLE, f"SIGE no respondió en {where}. Revise la "
                                "dirección de SIGE (sige.base_url) y la conexión a internet "
                                "del servidor, o intente de nuevo en unos minutos.")
    else:
        check = _cover(client, rbd, where)
    audit.record(session, clock or default_clock(), user.username, ACTION, rbd=rbd,
                 outcome=check.outcome, base_url=where)
    log.info("prueba de conexión con SIGE para RBD %s: %s", rbd, check.outcome)
    return check


def _cover(client: SigeClient, rbd: int, where: str) -> ConnectionCheck:
    """The credentials gave a semilla: does the convenio cover ``rbd``?"""
    unknown = (f"SIGE ({where}) aceptó las credenciales del convenio, pero no se pudo "
               f"comprobar que el convenio cubra el RBD {rbd}")
    try:
        report = client.get_report(rbd, PROBE_TICKET)
    except SigeUnavailable:
        return ConnectionCheck(UNCHECKED, f"{unknown}: SIGE no respondió esa consulta. "
                               "Intente de nuevo en unos minutos.")
    except SigeError as error:
        words = " ".join(error.messages) or error.detail
        if outside_convenio([words]):
            return _not_covered(rbd, where)
        return ConnectionCheck(UNCHECKED, f"{unknown}: SIGE rechazó la consulta ({words}).")
    words = [text for group in report.messages for text in (group.titulo, *group.mensajes)]
    if SIN_CONVENIO in report.causes or outside_convenio(words):
        return _not_covered(rbd, where)
    if report.state != RECHAZADO_STATE:  # an answer other than «that ticket does not exist»
        return ConnectionCheck(UNCHECKED, f"{unknown}: SIGE dio una respuesta inesperada "
                               f"(código {report.code}).")
    return ConnectionCheck(OK, f"Conexión correcta: SIGE ({where}) aceptó las credenciales "
                           f"del convenio y atendió una consulta del RBD {rbd} sin objetar el "
                           "convenio.")


def _not_covered(rbd: int, where: str) -> ConnectionCheck:
    return ConnectionCheck(NOT_COVERED, f"SIGE ({where}) aceptó las credenciales del convenio, "
                           f"pero el convenio no cubre el RBD {rbd}: {OUTSIDE_CONVENIO_FIX}")
