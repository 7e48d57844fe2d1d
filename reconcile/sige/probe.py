"""«Probar conexión»: ask SIGE for a semilla with the school's convenio and say, in
plain words, what happened: it works, SIGE refused the credentials, or nothing
answered at the configured address.

One bounded call (``reconcile.sync.verify.bounded_client``: short timeouts, no
in-call retries) so the page never hangs; the semilla itself is never shown or
stored. Audited with who asked and the outcome.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from reconcile import audit, settings
from reconcile.auth import AuthUser, authorize
from reconcile.clock import Clock, default_clock
from reconcile.sige.client import SigeClient, SigeCredentialsRejected, SigeError
from reconcile.sige.config import CREDENTIAL_KEYS

log = logging.getLogger(__name__)
ACTION = "sige.test_connection"
OK, REFUSED, UNREACHABLE, MISSING = ("ok", "credenciales_rechazadas", "sin_respuesta",
                                     "sin_credenciales")
KEY_NAMES = {"sige.cliente_id": "ClienteId", "sige.convenio_id": "ConvenioId",
             "sige.convenio_token": "ConvenioToken"}


@dataclass(frozen=True)
class ConnectionCheck:
    outcome: str  # OK | REFUSED | UNREACHABLE | MISSING
    message: str  # Spanish, for the person who asked

    @property
    def ok(self) -> bool:
        return self.outcome == OK


def probe_connection(session: Session, user: AuthUser, rbd: int, client: SigeClient,
                     clock: Clock | None = None) -> ConnectionCheck:
    """Ask SIGE for a semilla for ``rbd``. Only a Director of the school (it tries the
    convenio's credentials)."""
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
        check = ConnectionCheck(OK, f"Conexión correcta: SIGE ({where}) aceptó las "
                                "credenciales del convenio y entregó una semilla.")
    audit.record(session, clock or default_clock(), user.username, ACTION, rbd=rbd,
                 outcome=check.outcome, base_url=where)
    log.info("prueba de conexión con SIGE para RBD %s: %s", rbd, check.outcome)
    return check
