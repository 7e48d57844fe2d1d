"""«Verificar en SIGE»: does SIGE know this child at all? (getValidacion)

Asked for a RUT of the Libro that the school's SIGE nómina does not list, so a
Caso 2 is understood before sending (the child may be enrolled in another school,
or SIGE may not know that identifier). It is one short, bounded call with the
school's convenio (a few seconds at most: the page must never hang on SIGE); the
answer and the question are audited (the RUT masked).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import audit
from reconcile import rut as rutlib
from reconcile.access import AuthUser, authorize
from reconcile.clock import Clock, default_clock
from reconcile.db.models import Student
from reconcile.errors import UserError
from reconcile.sige.client import SigeClient, SigeCredentialsRejected, SigeError
from reconcile.sige.config import client_from_settings
from reconcile.sige.envelopes import Run

log = logging.getLogger(__name__)
ACTION = "sige.verificar_estudiante"
CONNECT_SECONDS = 3.0
READ_SECONDS = 6.0  # the bound: one attempt, no in-call retries


@dataclass(frozen=True)
class Verification:
    rut: str
    known: bool | None  # None: SIGE could not be asked
    message: str  # Spanish, for the person who asked


def bounded_client(url: str | None = None) -> SigeClient:
    """A client that gives up fast: one attempt with short timeouts."""
    return client_from_settings(url, retries=0, connect_timeout=CONNECT_SECONDS,
                                read_timeout=READ_SECONDS)


def verify_student(session: Session, user: AuthUser, rbd: int, rut: str,
                   client: SigeClient, clock: Clock | None = None) -> Verification:
    """Ask SIGE whether it knows ``rut``. Only Director and Administrador de
    Asistencia (it uses the school's convenio)."""
    authorize(user, "sync", rbd)
    clock = clock or default_clock()
    parsed = rutlib.parse(rut)
    if not parsed.is_valid:
        raise UserError(f"El RUT «{rut}» no es válido ({parsed.reason}): SIGE no puede "
                        "verificarlo. Corríjalo en el Libro Digital.")
    shown = rutlib.format(parsed.canonical)
    person = session.scalar(select(Student).where(Student.rbd == rbd,
                                                  Student.rut == parsed.canonical))
    names = _names(person)
    try:
        known = client.validate_student(rbd, Run.from_rut(parsed.canonical), *names)
    except SigeCredentialsRejected as error:
        result = Verification(parsed.canonical, None, f"No se pudo preguntar a SIGE: "
                              f"{error.detail}")
    except SigeError:
        result = Verification(parsed.canonical, None,
                              "SIGE no respondió a tiempo. Intente de nuevo en unos minutos.")
    else:
        result = Verification(parsed.canonical, known, (
            f"SIGE conoce a {shown}: tiene ficha en SIGE, pero la nómina de este "
            "establecimiento no lo tiene en ese curso. Puede estar matriculado en otro curso "
            "u otro establecimiento: revise su matrícula en SIGE antes de enviar."
            if known else f"SIGE no conoce a {shown}. {_unknown_advice(parsed)}"))
    audit.record(session, clock, user.username, ACTION, rbd=rbd, rut=rutlib.mask(parsed.canonical),
                 known=result.known)
    log.info("verificación en SIGE para RBD %s: %s", rbd,
             {True: "conocido", False: "desconocido", None: "sin respuesta"}[result.known])
    return result


def _unknown_advice(parsed: rutlib.Rut) -> str:
    """What to do about a RUT SIGE does not know: an IPE in the Libro gives way to the
    RUN; a RUN in the Libro may be right while SIGE still has the IPE (then SIGE, not
    the Libro, is updated: ``reconcile.pair_advice``)."""
    if parsed.kind == rutlib.PROVISIONAL:
        return ("Es un RUT provisorio (IPE): si el estudiante ya tiene RUN definitivo, "
                "reemplace el IPE por el RUN en el Libro Digital.")
    return ("Si SIGE aún tiene a este estudiante con un RUT provisorio (IPE), no cambie el "
            "Libro: el establecimiento actualiza su RUN en SIGE (vea «Pendientes»). Si el RUT "
            "del Libro está mal escrito, corríjalo en el Libro Digital.")


def _names(person: Student | None) -> tuple[str, str, str]:
    if person is None:
        return "", "", ""
    if person.nombres or person.ape_paterno:
        return person.nombres or "", person.ape_paterno or "", person.ape_materno or ""
    return person.full_name or "", "", ""
