"""The emulated SIGE itself: the four operations over the emulator's state.

``Emulator.handle(path, soap_action, body)`` is everything the HTTP server needs:
it reads the request (``wire``), draws a fault (``faults``), applies SIGE's rules
(credentials per RBD, semilla expiry, the current-month rule, delayed processing)
and says what to answer. The calendar decides the month from ``clock`` (which
honours RECONCILE_NOW); delays and semilla lifetimes run on ``timer`` (real
seconds), so a demo pinned to a date still sees sends finish.

What a processed send does to what SIGE holds is not documented by SIGE, so the
emulator knows both readings: by default each clean letter of the send replaces
that letter only (the others of the grade-day stay as they were); with
``grade_replace`` (CLI ``--grade-replace``) the send replaces the whole grade-day
(rbd, tipo de enseñanza, grado, date): the letters it carries clean are held, every
other letter an earlier send left there is erased, also one the send carried that
failed. A send rejected as a whole (report 2) changes nothing. Either way a send
processed later never loses to an earlier one.
"""
from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from reconcile.clock import Clock, default_clock
from reconcile.sige.emulator import faults as F
from reconcile.sige.emulator import wire
from reconcile.sige.emulator.processing import REJECTED, evaluate, processing_delay
from reconcile.sige.emulator.store import EmulatorStore
from reconcile.sige.emulator.truth import Enrolment
from reconcile.sige_calendar import SigeCalendar

log = logging.getLogger(__name__)

SEND_ACCEPTED = 1
SEND_REJECTED = 2


@dataclass(frozen=True)
class ConvenioGrant:
    """Credentials of a convenio that names our provider, and the RBDs it covers."""

    cliente_id: str
    convenio_id: str
    convenio_token: str
    rbds: frozenset[int]

    def __repr__(self) -> str:
        return f"ConvenioGrant(****, rbds={sorted(self.rbds)})"

    def matches(self, request: wire.SemillaRequest) -> bool:
        pairs = ((self.cliente_id, request.cliente_id), (self.convenio_id, request.convenio_id),
                 (self.convenio_token, request.convenio_token))
        return all(hmac.compare_digest(a.encode(), b.encode()) for a, b in pairs)


@dataclass(frozen=True)
class WireReply:
    status: int
    body: bytes
    content_type: str = "text/xml; charset=utf-8"
    delay: float = 0.0  # seconds to wait before answering
    truncate: bool = False  # send only the first half of the body


def _groups(*pairs: tuple[str, list[str]]) -> list[tuple[str, list[str]]]:
    return list(pairs)


class Emulator:
    def __init__(
        self,
        enrolment: Enrolment,
        grants: Iterable[ConvenioGrant],
        *,
        store: EmulatorStore | str | Path = ":memory:",
        clock: Clock | None = None,
        calendar: SigeCalendar | None = None,
        delay_seconds: float = 5.0,
        latency_seconds: float = 0.0,
        rush_window: timedelta = timedelta(days=5),
        rush_factor: float = 3.0,
        semilla_ttl: float = 30 * 60,
        faults: F.FaultPlan | None = None,
        refuse_with: str = "fault",  # how wrong credentials are refused: 'fault' | 'empty'
        in_process_code: int = 4,
        semilla_invalid_code: int = 6,
        timer: Callable[[], float] = time.time,
        grade_replace: bool = False,
    ) -> None:
        if refuse_with not in ("fault", "empty"):
            raise ValueError("refuse_with debe ser 'fault' o 'empty'")
        self.enrolment = enrolment
        self.grants = tuple(grants)
        self.store = store if isinstance(store, EmulatorStore) else EmulatorStore(store)
        self.clock = clock or default_clock()
        self.calendar = calendar or SigeCalendar()
        self.delay_seconds = delay_seconds
        self.latency_seconds = latency_seconds
        self.rush_window = rush_window
        self.rush_factor = rush_factor
        self.semilla_ttl = semilla_ttl
        self.faults = faults or F.FaultPlan()
        self.refuse_with = refuse_with
        self.in_process_code = in_process_code
        self.semilla_invalid_code = semilla_invalid_code
        self.timer = timer
        self.grade_replace = grade_replace  # a send replaces its whole grade-day (see above)
        self._processing = threading.Lock()

    # --- the SOAP entry point --------------------------------------------------------------

    def handle(self, path: str, soap_action: str | None, body: bytes) -> WireReply:
        """The reply to one SOAP call; ``latency_seconds`` is added to every answer's
        wait (a SIGE that takes that long to answer any call, faults included)."""
        reply = self._answer(path, soap_action, body)
        if self.latency_seconds > 0:
            reply = replace(reply, delay=reply.delay + self.latency_seconds)
        return reply

    def _answer(self, path: str, soap_action: str | None, body: bytes) -> WireReply:
        now = self.timer()
        self.process_due()
        try:
            operation, request = wire.read_request(body, path, soap_action)
        except wire.ClientFault as problem:
            self.store.add_call(now, "desconocida", None, None)
            log.info("solicitud rechazada con Client fault en %s", path)
            return WireReply(500, wire.fault_response("Client", str(problem)))
        fault = self.faults.draw(operation, operation != "getSemillaServicios")
        if fault in F.BEFORE_PROCESSING:
            self.store.add_call(now, operation, fault, None)
            log.info("falla inyectada en %s: %s", operation, fault)
            return self._fault_reply(fault)
        if fault == F.SEMILLA_EXPIRED:
            self.store.revoke_semilla(request.semilla)  # type: ignore[attr-defined]
        reply, send_id = self._dispatch(operation, request, now)
        self.store.add_call(now, operation, fault, send_id)
        if fault:
            log.info("falla inyectada en %s: %s", operation, fault)
        if fault == F.SLOW:
            reply = replace(reply, delay=self.faults.slow_seconds)
        elif fault == F.TRUNCATED:
            reply = replace(reply, truncate=True)
        return reply

    @staticmethod
    def _fault_reply(fault: str) -> WireReply:
        if fault == F.HTTP_503:
            return WireReply(503, b"<html><body><h1>503 Service Unavailable</h1></body></html>",
                             "text/html; charset=utf-8")
        if fault == F.HTML:
            return WireReply(200, wire.HTML_ERROR_PAGE, "text/html; charset=utf-8")
        return WireReply(500, wire.fault_response("Server", "Error interno del servicio; "
                                                            "intente más tarde."))

    def _dispatch(self, operation: str, request: object, now: float) -> tuple[WireReply, int | None]:
        if operation == "getSemillaServicios":
            return self._semilla(request, now), None  # type: ignore[arg-type]
        if operation == "addAsistencia":
            return self._add(request, now)  # type: ignore[arg-type]
        if operation == "getReporteEnvioAsistencia":
            return self._reporte(request, now), None  # type: ignore[arg-type]
        return self._valida(request, now), None  # type: ignore[arg-type]

    # --- semillas --------------------------------------------------------------------------

    def _semilla(self, request: wire.SemillaRequest, now: float) -> WireReply:
        index = next((i for i, g in enumerate(self.grants) if g.matches(request)), None)
        if index is None:
            log.info("getSemillaServicios: credenciales rechazadas")
            if self.refuse_with == "empty":
                return WireReply(200, wire.semilla_response(""))
            return WireReply(500, wire.fault_response(
                "Client", "Credenciales de convenio no válidas: el convenio no corresponde a este "
                          "proveedor o los datos son incorrectos."))
        value = secrets.token_urlsafe(24)
        self.store.add_semilla(value, f"convenio-{index}", now, now + self.semilla_ttl)
        return WireReply(200, wire.semilla_response(value))

    def _grant_for(self, semilla: str, now: float) -> ConvenioGrant | None:
        found = self.store.semilla(semilla) if semilla else None
        if found is None:
            return None
        convenio, expires_at, revoked = found
        if revoked or now >= expires_at:
            return None
        index = int(convenio.rsplit("-", 1)[1])
        return self.grants[index] if index < len(self.grants) else None

    def _semilla_refused(self, answer: Callable[..., bytes]) -> WireReply:
        return WireReply(200, answer(self.semilla_invalid_code, groups=_groups(
            ("Semilla", ["Semilla no válida o expirada: solicite una nueva."]))))

    # --- addAsistencia -------------------------------------------------------------------------

    def _add(self, request: wire.AddRequest, now: float) -> tuple[WireReply, int]:
        courses = [{"letra": c.letra,
                    "presentes": [f"{n}-{d}" for n, d in c.presentes],
                    "ausentes": [f"{n}-{d}" for n, d in c.ausentes]} for c in request.courses]
        grant = self._grant_for(request.semilla, now)
        if grant is None:
            code, groups = self.semilla_invalid_code, _groups(
                ("Semilla", ["Semilla no válida o expirada: solicite una nueva."]))
        else:
            groups = self._refusals(request, grant)
            code = SEND_REJECTED if groups else SEND_ACCEPTED
        current = self.calendar.current_month(self.clock.now())
        ready_at = None
        if code == SEND_ACCEPTED:
            close = self.calendar.close_of(current)
            ready_at = now + processing_delay(self.delay_seconds, self.clock.now(), close,
                                              self.rush_window, self.rush_factor)
        send_id = self.store.add_send(
            received_at=now, received_clock=self.clock.now().isoformat(), rbd=request.rbd,
            year=request.year, cod_ense=request.cod_ense, cod_grado=request.cod_grado,
            day=request.day.isoformat() if request.day else None, courses=courses,
            answer_code=code, answer_messages=groups, ready_at=ready_at)
        ticket = None
        if code == SEND_ACCEPTED:
            ticket = str(100000 + send_id)
            self.store.set_ticket(send_id, ticket)
        log.info("addAsistencia RBD %s %s %s-%s: código %s", request.rbd, request.day,
                 request.cod_ense, request.cod_grado, code)
        return WireReply(200, wire.add_response(code, ticket, groups)), send_id

    def _refusals(self, request: wire.AddRequest, grant: ConvenioGrant) -> list[tuple[str, list[str]]]:
        """Why SIGE rejects the send at once (code 2); empty when it accepts it."""
        if request.problems:
            return _groups(("Registro de asistencia mal formado", list(request.problems)))
        if request.rbd not in grant.rbds:
            return _groups(("Convenio", [
                f"El convenio de interoperabilidad no autoriza a este proveedor para el RBD "
                f"{request.rbd}."]))
        day = request.day
        if request.year != day.year:
            return _groups(("Registro de asistencia mal formado", [
                f"AnioEscolar {request.year} no corresponde a la fecha {day.isoformat()}."]))
        now = self.clock.now()
        current = self.calendar.current_month(now)
        if not current.contains(day):
            return _groups(("Fecha fuera de período", [
                f"La fecha {day.isoformat()} no corresponde al mes en curso en SIGE "
                f"({current.label_es}); solo se recibe asistencia del mes en curso."]))
        if day > now.date():
            return _groups(("Fecha fuera de período", [
                f"La fecha {day.isoformat()} es posterior a la fecha actual."]))
        letters = [c.letra for c in request.courses]
        if len(set(letters)) != len(letters):
            return _groups(("Registro de asistencia mal formado", ["Un curso viene repetido en el envío."]))
        seen: set[tuple[int, str]] = set()
        repeated = []
        for course in request.courses:
            for run in course.presentes + course.ausentes:
                if run in seen:
                    repeated.append(f"RUN {run[0]}-{run[1]} viene más de una vez en el envío.")
                seen.add(run)
        if repeated:
            return _groups(("Registro de asistencia mal formado", repeated))
        return []

    # --- reports --------------------------------------------------------------------------------

    def process_due(self) -> int:
        """Process every accepted send whose time has come, oldest first."""
        with self._processing:
            due = self.store.due_sends(self.timer())
            for send in due:
                report = evaluate(self.enrolment, send["rbd"], send["year"], send["cod_ense"],
                                  send["cod_grado"], date.fromisoformat(send["day"]), send["courses"])
                self.store.finish_send(send, report.code, report.groups, report.clean,
                                       replace_grade=self.grade_replace
                                       and report.code != REJECTED)
            return len(due)

    def _reporte(self, request: wire.ReporteRequest, now: float) -> WireReply:
        grant = self._grant_for(request.semilla, now)
        if grant is None:
            return self._semilla_refused(wire.reporte_response)
        # The convenio's cover first, as for a send: asking about any ticket of a school
        # the convenio leaves out is refused (so a harmless read proves the cover).
        rbd = request.rbd.lstrip("0")
        if not rbd.isdigit() or int(rbd) not in grant.rbds:
            return WireReply(200, wire.reporte_response(SEND_REJECTED, _groups(("Convenio", [
                f"El convenio de interoperabilidad no autoriza a este proveedor para el RBD "
                f"{request.rbd}."]))))
        send = self.store.send_by_ticket(request.ticket)
        if send is None or str(send["rbd"]) != rbd:
            return WireReply(200, wire.reporte_response(SEND_REJECTED, _groups(("Envío", [
                f"El código de envío {request.ticket} no existe para el RBD {request.rbd}."]))))
        if not send["processed"]:
            return WireReply(200, wire.reporte_response(self.in_process_code))
        groups = [(t, list(m)) for t, m in send["report_messages"]]
        return WireReply(200, wire.reporte_response(send["report_code"], groups))

    # --- student check ----------------------------------------------------------------------------

    def _valida(self, request: wire.ValidaRequest, now: float) -> WireReply:
        if self._grant_for(request.semilla, now) is None:
            return WireReply(500, wire.fault_response("Client", "Semilla no válida o expirada."))
        exists = (request.numero.isdigit() and
                  self.enrolment.find(int(request.numero), request.dv.upper()) is not None)
        return WireReply(200, wire.valida_response(exists))

    # --- inspection (tests, demos) -------------------------------------------------------------

    def sends(self) -> list[dict]:
        """Every send received, oldest first, with its answer and (once processed) report."""
        self.process_due()
        return self.store.sends()

    def calls(self) -> list[dict]:
        return self.store.calls()

    def holdings(self) -> list[dict]:
        """What SIGE holds per (date, course): the lists of the latest accepted send
        that carried it clean (in grade-replace mode, only while no later send of its
        grade-day left it out)."""
        self.process_due()
        by_id = {send["id"]: send for send in self.store.sends()}
        held = []
        for row in self.store.holdings():
            send = by_id[row["send_id"]]
            course = next(c for c in send["courses"] if c["letra"] == row["letra"])
            held.append({**row, "ticket": send["ticket"], "presentes": course["presentes"],
                         "ausentes": course["ausentes"]})
        return held

    def expire_semillas(self) -> int:
        """Expire every semilla issued so far (SIGE's bad day, on demand)."""
        count = self.store.revoke_all_semillas()
        log.info("semillas expiradas a pedido: %d", count)
        return count

    def issued_semillas(self) -> list[str]:
        return self.store.issued_semillas()
