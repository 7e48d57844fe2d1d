"""The SIGE client: the four operations of SIGE_PROTOCOL.md over ``requests``.

What it promises the worker:
- Every call has a connect and a read timeout. Connection errors, timeouts, HTTP
  502/503/504, Server faults and broken bodies are retried a bounded number of
  times with exponential backoff and full jitter (tenacity), then reported as
  ``SigeUnavailable`` (Caso 3). Resending an ``addAsistencia`` whose answer was
  lost is safe: the bytes are identical and SIGE keeps the latest send.
- The semilla is cached per RBD and renewed when SIGE says it expired (code 6, or a
  fault naming the semilla); the call is then repeated once.
- SIGE's answers become typed results with the causes of DOMAIN.md, and SIGE's
  raw messages are always kept.
- Credentials, semillas and RUTs never reach a log line or an exception message.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from xml.etree.ElementTree import Element

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_random_exponential

from reconcile.sige.causes import CASO_3, SIN_CONVENIO, RECHAZADO, CauseRules, Finding, normalise
from reconcile.sige.envelopes import (
    CONTENT_TYPE,
    AddAsistenciaReply,
    OP_ADD_ASISTENCIA,
    OP_REPORTE,
    OP_SEMILLA,
    OP_VALIDACION,
    PATH_OF,
    AttendanceRecord,
    BrokenResponse,
    MessageGroup,
    Run,
    SoapFault,
    all_message_texts,
    build_add_asistencia,
    build_reporte_request,
    build_semilla_request,
    build_validacion_request,
    envelope_body,
    parse_add_asistencia,
    parse_reporte,
    parse_semilla,
    parse_validacion,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({502, 503, 504})

# Send and report states.
ACEPTADO = "aceptado"
RECHAZADO_STATE = "rechazado"
SEMILLA_EXPIRADA = "semilla_expirada"
PROCESADO = "procesado"
OBSERVACIONES = "observaciones"
EN_PROCESO = "en_proceso"


@dataclass(frozen=True)
class Credentials:
    """A convenio's three credentials. ``repr`` never shows them."""

    cliente_id: str
    convenio_id: str
    convenio_token: str

    def __repr__(self) -> str:
        return "Credentials(****)"

    __str__ = __repr__


@dataclass(frozen=True)
class SigeCodes:
    """SIGE's answer codes. Those marked *assumption* in the protocol page (6, 4)
    are not documented publicly, so they are settings here, not constants."""

    send_accepted: int = 1
    send_rejected: int = 2
    send_semilla_invalid: int = 6
    report_processed: int = 1
    report_rejected: int = 2
    report_observations: int = 3
    report_semilla_invalid: int = 6


@dataclass(frozen=True)
class SendResult:
    """SIGE's answer to one ``addAsistencia``."""

    code: int
    state: str  # aceptado | rechazado | semilla_expirada
    ticket: str | None
    messages: tuple[MessageGroup, ...] = ()
    findings: tuple[Finding, ...] = ()
    causes: tuple[str, ...] = ()
    content_hash: str = ""

    @property
    def accepted(self) -> bool:
        return self.state == ACEPTADO

    def raw_messages(self) -> list[dict]:
        return [group.as_dict() for group in self.messages]


@dataclass(frozen=True)
class ReportResult:
    """SIGE's answer about a ticket. Unknown codes read as ``en_proceso``."""

    code: int | None
    state: str  # procesado | rechazado | observaciones | en_proceso | semilla_expirada
    messages: tuple[MessageGroup, ...] = ()
    findings: tuple[Finding, ...] = ()
    causes: tuple[str, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.state in (PROCESADO, RECHAZADO_STATE, OBSERVACIONES)

    def raw_messages(self) -> list[dict]:
        return [group.as_dict() for group in self.messages]


class SigeError(Exception):
    """SIGE could not be used. ``cause`` is one of reconcile.sige.causes; ``detail``
    is Spanish and safe to log; ``messages`` are SIGE's own words, if any."""

    cause = RECHAZADO

    def __init__(self, detail: str, messages: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.messages = tuple(messages)


class SigeUnavailable(SigeError):
    """No usable answer after the bounded retries (Caso 3): try again later."""

    cause = CASO_3


class SigeCredentialsRejected(SigeError):
    """The convenio's credentials are missing or refused (sin_convenio)."""

    cause = SIN_CONVENIO


class SigeRejected(SigeError):
    """SIGE refused the request itself (a Client fault): resending it unchanged won't help."""

    cause = RECHAZADO


class _Transient(Exception):
    """One attempt failed in a way that may pass (retried). Message is log-safe."""

    def __init__(self, detail: str, fault: SoapFault | None = None) -> None:
        super().__init__(detail)
        self.fault = fault


CredentialSource = Mapping[int, Credentials] | Callable[[int], Credentials | None]


class SigeClient:
    """Talks to SIGE (or the emulator) at ``base_url``.

    ``credentials`` maps an RBD to its convenio's credentials (a mapping or a
    function). ``retries`` is the number of *extra* attempts after the first.
    The n-th wait (n from 0) is random in [0, min(backoff_max, backoff_initial * 2**n)]
    ("full jitter"), so many workers retrying at once do not hammer SIGE together.
    """

    def __init__(
        self,
        base_url: str,
        credentials: CredentialSource,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        retries: int = 4,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        semilla_max_age: float | None = 25 * 60,
        codes: SigeCodes | None = None,
        rules: CauseRules | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if retries < 0:
            raise ValueError("retries no puede ser negativo")
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.semilla_max_age = semilla_max_age
        self.codes = codes or SigeCodes()
        self.rules = rules or CauseRules()
        self._credentials = credentials
        self._sleep = sleep
        self._timer = timer
        self._session = session or _new_session()
        self._semillas: dict[int, tuple[str, float]] = {}
        self._guard = threading.Lock()
        self._rbd_locks: dict[int, threading.Lock] = {}

    # --- public operations -------------------------------------------------------------

    def send_attendance(self, record: AttendanceRecord) -> SendResult:
        """addAsistencia: send one date x (tipo de enseñanza, grado)."""
        where = (f"RBD {record.rbd} {record.day.isoformat()} {record.cod_ense}-{record.cod_grado} "
                 f"cursos {','.join(c.letra for c in record.courses)}")
        reply = self._with_semilla(
            record.rbd,
            lambda semilla: self._call(OP_ADD_ASISTENCIA, build_add_asistencia(record, semilla),
                                       where, self._parse_send),
            lambda reply: reply.code == self.codes.send_semilla_invalid,
        )
        findings = self.rules.findings(reply.messages)
        if reply.code == self.codes.send_accepted:
            result = SendResult(reply.code, ACEPTADO, reply.ticket, reply.messages, findings, (),
                                record.content_hash())
        elif reply.code == self.codes.send_semilla_invalid:
            result = SendResult(reply.code, SEMILLA_EXPIRADA, None, reply.messages, findings,
                                (CASO_3,), record.content_hash())
        else:  # 2, or a code we do not know: not accepted, SIGE's words say why
            result = SendResult(reply.code, RECHAZADO_STATE, None, reply.messages, findings,
                                self.rules.causes(findings), record.content_hash())
        log.info("addAsistencia %s: código %s (%s)", where, result.code, result.state)
        return result

    def _parse_send(self, element: Element) -> AddAsistenciaReply:
        reply = parse_add_asistencia(element)
        if reply.code == self.codes.send_accepted and not reply.ticket:
            # Accepted but unfollowable: treated as a lost answer, so the same bytes go again.
            raise BrokenResponse("addAsistencia aceptado sin CodigoEnvioAsistencia")
        return reply

    def get_report(self, rbd: int, ticket: str) -> ReportResult:
        """getReporteEnvioAsistencia: what became of a send."""
        where = f"RBD {rbd} envío {ticket}"
        reply = self._with_semilla(
            rbd,
            lambda semilla: self._call(OP_REPORTE, build_reporte_request(rbd, ticket, semilla),
                                       where, parse_reporte),
            lambda reply: reply.code == self.codes.report_semilla_invalid,
        )
        codes = self.codes
        states = {codes.report_processed: PROCESADO, codes.report_rejected: RECHAZADO_STATE,
                  codes.report_observations: OBSERVACIONES,
                  codes.report_semilla_invalid: SEMILLA_EXPIRADA}
        state = states.get(reply.code, EN_PROCESO)
        findings = self.rules.findings(reply.messages)
        causes: tuple[str, ...] = ()
        if state in (RECHAZADO_STATE, OBSERVACIONES):
            causes = self.rules.causes(findings)
        log.info("getReporteEnvioAsistencia %s: código %s (%s)", where, reply.code, state)
        return ReportResult(reply.code, state, reply.messages, findings, causes)

    def validate_student(self, rbd: int, run: Run, nombres: str = "", ape_paterno: str = "",
                         ape_materno: str = "") -> bool:
        """getValidacion: does SIGE know this student? (``rbd`` picks the semilla)."""
        return self._with_semilla(
            rbd,
            lambda semilla: self._call(
                OP_VALIDACION,
                build_validacion_request(run, nombres, ape_paterno, ape_materno, semilla),
                f"RBD {rbd} validación", parse_validacion),
            lambda _reply: False,
        )

    def semilla(self, rbd: int) -> str:
        """The cached semilla for the RBD, asking SIGE for one when needed."""
        lock = self._lock_for(rbd)
        with lock:
            cached = self._semillas.get(rbd)
            if cached is not None and (self.semilla_max_age is None
                                       or self._timer() - cached[1] < self.semilla_max_age):
                return cached[0]
            value = self._fetch_semilla(rbd)
            self._semillas[rbd] = (value, self._timer())
            return value

    def forget_semilla(self, rbd: int, value: str | None = None) -> None:
        """Drop the cached semilla (only if it is still ``value``, when given)."""
        with self._lock_for(rbd):
            cached = self._semillas.get(rbd)
            if cached is not None and (value is None or cached[0] == value):
                del self._semillas[rbd]

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SigeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- semilla ---------------------------------------------------------------------

    def _lock_for(self, rbd: int) -> threading.Lock:
        with self._guard:
            return self._rbd_locks.setdefault(rbd, threading.Lock())

    def _credentials_for(self, rbd: int) -> Credentials:
        source = self._credentials
        found = source.get(rbd) if isinstance(source, Mapping) else source(rbd)
        if found is None:
            raise SigeCredentialsRejected(
                f"No hay credenciales de convenio SIGE para el RBD {rbd}: regístrelas en Configuración.")
        return found

    def _fetch_semilla(self, rbd: int) -> str:
        creds = self._credentials_for(rbd)
        payload = build_semilla_request(creds.cliente_id, creds.convenio_id, creds.convenio_token)
        try:
            value = self._call(OP_SEMILLA, payload, f"RBD {rbd}", parse_semilla,
                               permanent=self._is_credentials_fault)
        except SoapFault as fault:
            raise SigeCredentialsRejected(
                f"SIGE rechazó las credenciales del convenio del RBD {rbd}: revise que el convenio "
                "nombre a este proveedor y que ClienteId, ConvenioId y ConvenioToken estén bien.",
                (fault.string,) if fault.string else ()) from None
        if not value:
            raise SigeCredentialsRejected(
                f"SIGE no entregó semilla para el RBD {rbd}: credenciales del convenio rechazadas.")
        log.info("semilla obtenida para RBD %s", rbd)
        return value

    def _is_credentials_fault(self, fault: SoapFault) -> bool:
        return fault.is_client or self.rules.cause_of(fault.string) == SIN_CONVENIO

    @staticmethod
    def _is_semilla_fault(fault: SoapFault) -> bool:
        return "SEMILLA" in normalise(fault.string)

    def _with_semilla(self, rbd: int, attempt: Callable[[str], T],
                      expired: Callable[[T], bool]) -> T:
        """Run ``attempt`` with the RBD's semilla; if SIGE says the semilla is no
        good, get a new one and run it once more (its answer then stands)."""
        for renewed in (False, True):
            semilla = self.semilla(rbd)
            try:
                result = attempt(semilla)
            except SoapFault as fault:
                if renewed or not self._is_semilla_fault(fault):
                    raise SigeRejected("SIGE rechazó la solicitud.",
                                       (fault.string,) if fault.string else ()) from None
            else:
                if renewed or not expired(result):
                    return result
            log.info("SIGE indicó semilla no válida o expirada para RBD %s: se renueva y se "
                     "repite la llamada una vez", rbd)
            self.forget_semilla(rbd, semilla)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- one SOAP call with bounded retries ----------------------------------------------

    def _call(self, operation: str, payload: bytes, where: str, parse: Callable[[Element], T],
              permanent: Callable[[SoapFault], bool] | None = None) -> T:
        """POST one envelope and parse the answer, retrying what may pass.

        A fault for which ``permanent`` is true (default: a Client fault, or one
        naming the semilla) is raised as ``SoapFault`` at once, never retried.
        """
        permanent = permanent or (lambda f: f.is_client or self._is_semilla_fault(f))
        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_random_exponential(multiplier=self.backoff_initial, max=self.backoff_max),
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            before_sleep=lambda state: self._log_retry(operation, where, state),
            reraise=True,
        )
        try:
            return retrying(self._attempt, operation, payload, parse, permanent)
        except _Transient as error:
            faults = (error.fault.string,) if error.fault and error.fault.string else ()
            log.warning("%s %s: SIGE no disponible tras %d intentos (%s)",
                        operation, where, self.retries + 1, error)
            raise SigeUnavailable(
                f"SIGE no respondió a {operation} ({where}) tras {self.retries + 1} intentos: "
                f"{error}. Se reintentará más tarde.", faults) from None

    def _attempt(self, operation: str, payload: bytes, parse: Callable[[Element], T],
                 permanent: Callable[[SoapFault], bool]) -> T:
        url = self.base_url + PATH_OF[operation]
        headers = {"Content-Type": CONTENT_TYPE, "SOAPAction": operation}
        try:
            response = self._session.post(url, data=payload, headers=headers,
                                          timeout=(self.connect_timeout, self.read_timeout))
        except requests.Timeout:
            raise _Transient("tiempo de espera agotado") from None
        except requests.ConnectionError:
            raise _Transient("no se pudo conectar") from None
        except requests.RequestException as error:  # broken chunked body, bad encoding...
            raise _Transient(f"respuesta interrumpida ({type(error).__name__})") from None
        status = response.status_code
        if status in RETRY_STATUSES:
            raise _Transient(f"HTTP {status}")
        try:
            return parse(envelope_body(response.content))
        except SoapFault as fault:
            if permanent(fault):
                raise
            raise _Transient(f"SOAP Fault de servidor (HTTP {status})", fault) from None
        except BrokenResponse as error:
            if status == 200 or status >= 500:
                raise _Transient(f"{error} (HTTP {status})") from None
            raise SigeUnavailable(
                f"SIGE respondió HTTP {status} a {operation}: revise la dirección del servicio "
                "(sige.base_url).") from None

    @staticmethod
    def _log_retry(operation: str, where: str, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s %s: intento %d falló (%s); nuevo intento en %.2f s",
                    operation, where, state.attempt_number, error, wait)


def _new_session() -> requests.Session:
    session = requests.Session()
    # Retries live in tenacity (they must also cover broken bodies); the adapter makes one try.
    adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def message_lines(result: SendResult | ReportResult) -> list[str]:
    """SIGE's words as plain lines (titles and messages), for display."""
    return all_message_texts(result.messages)


__all__ = [
    "ACEPTADO", "EN_PROCESO", "OBSERVACIONES", "PROCESADO", "RECHAZADO_STATE", "SEMILLA_EXPIRADA",
    "Credentials", "ReportResult", "SendResult", "SigeClient", "SigeCodes", "SigeCredentialsRejected",
    "SigeError", "SigeRejected", "SigeUnavailable", "message_lines",
]
