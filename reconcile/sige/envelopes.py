"""SIGE's SOAP envelopes, as SIGE_PROTOCOL.md describes them: build the four
requests, parse the four responses.

Requests are written element by element as the specification shows them (the
operation element declares its namespace as the default one, so its children are
qualified too). Responses are read by *local* element name anywhere under
``Body``, so any prefix, either SIGE namespace, or none at all, parses the same.
Parsing goes through defusedxml: a response never gets to expand entities or
fetch anything.

>>> from datetime import date
>>> record = AttendanceRecord(2026, 12345, 110, 1, date(2026, 11, 9),
...     (CourseAttendance("A", (Run(12531909, "2"),), (Run(12667869, "K"),)),))
>>> b"<numero>12667869</numero><dv>K</dv>" in build_add_asistencia(record, "s")
True
>>> parse_add_asistencia(envelope_body(b'''<soap:Envelope
...   xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
...   <x:SalidaAddAsistenciaSige xmlns:x="urn:other"><x:CodigoRespuestaAsistencia>1
...   </x:CodigoRespuestaAsistencia><x:CodigoEnvioAsistencia>T-9</x:CodigoEnvioAsistencia>
...   </x:SalidaAddAsistenciaSige></soap:Body></soap:Envelope>'''))
AddAsistenciaReply(code=1, ticket='T-9', messages=())
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
AUTH_NS = "http://wwwfs.mineduc.cl/Archivos/Schemas/"
DIDO_NS = "http://dido.mineduc.cl/Archivos/Schemas/"
CONTENT_TYPE = "text/xml; charset=utf-8"

# Operation names (also the SOAPAction header) and their ports.
OP_SEMILLA = "getSemillaServicios"
OP_ADD_ASISTENCIA = "addAsistencia"
OP_REPORTE = "getReporteEnvioAsistencia"
OP_VALIDACION = "getValidacion"

AUTH_PATH = "/WsApiAutorizacion/services/SemillaServiciosSoapPort"
ATTENDANCE_PATH = "/WsApiMineduc/services/AsistenciaSigeSoapPort"
STUDENT_PATH = "/WsApiMineduc/services/ValidaAlumnoSigeSoapPort"

PATH_OF = {
    OP_SEMILLA: AUTH_PATH,
    OP_ADD_ASISTENCIA: ATTENDANCE_PATH,
    OP_REPORTE: ATTENDANCE_PATH,
    OP_VALIDACION: STUDENT_PATH,
}

_TRUTHY = {"true", "1", "s", "si", "sí", "y", "yes", "t"}


# --- what goes in a send --------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Run:
    """A RUN as SIGE takes it: ``numero`` without dots or leading zeros, ``dv`` 0-9 or K."""

    numero: int
    dv: str

    def __post_init__(self) -> None:
        dv = str(self.dv).strip().upper()
        if not isinstance(self.numero, int) or isinstance(self.numero, bool) or self.numero <= 0:
            raise ValueError("numero de RUN no válido")
        if len(dv) != 1 or dv not in "0123456789K":
            raise ValueError("dígito verificador de RUN no válido")
        object.__setattr__(self, "dv", dv)

    @classmethod
    def from_rut(cls, text: str | int) -> Run:
        """From any written form of a valid RUT (raises on an invalid one).

        >>> Run.from_rut("12.667.869-k")
        Run(numero=12667869, dv='K')
        """
        from reconcile.rut import to_sige

        numero, dv = to_sige(text)
        return cls(int(numero), dv)

    @property
    def text(self) -> str:
        return f"{self.numero}-{self.dv}"


@dataclass(frozen=True)
class CourseAttendance:
    """One course (letter) of the grade: who was present and who absent that day."""

    letra: str
    presentes: tuple[Run, ...] = ()
    ausentes: tuple[Run, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "presentes", tuple(self.presentes))
        object.__setattr__(self, "ausentes", tuple(self.ausentes))


@dataclass(frozen=True)
class AttendanceRecord:
    """One addAsistencia: one date x one (tipo de enseñanza, grado), one or more courses."""

    year: int
    rbd: int
    cod_ense: int
    cod_grado: int
    day: date
    courses: tuple[CourseAttendance, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "courses", tuple(self.courses))

    def content_hash(self) -> str:
        """A stable digest of what the send says (order of students ignored),
        independent of the semilla: equal hashes mean the same attendance."""
        payload = {
            "year": self.year, "rbd": self.rbd, "ense": self.cod_ense, "grado": self.cod_grado,
            "day": self.day.isoformat(),
            "courses": sorted(
                [c.letra, sorted(r.text for r in c.presentes), sorted(r.text for r in c.ausentes)]
                for c in self.courses),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# --- building requests ------------------------------------------------------------------


def _el(name: str, content: str | int) -> str:
    return f"<{name}>{escape(str(content))}</{name}>"


def _run(run: Run) -> str:
    return f"<Run>{_el('numero', run.numero)}{_el('dv', run.dv)}</Run>"


def _envelope(operation_element: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}">'
        f"<soapenv:Body>{operation_element}</soapenv:Body>"
        "</soapenv:Envelope>"
    ).encode("utf-8")


def build_semilla_request(cliente_id: str, convenio_id: str, convenio_token: str) -> bytes:
    return _envelope(
        f'<EntradaSemillaServicios xmlns="{AUTH_NS}">'
        f"{_el('ClienteId', cliente_id)}{_el('ConvenioId', convenio_id)}"
        f"{_el('ConvenioToken', convenio_token)}"
        "</EntradaSemillaServicios>"
    )


def build_add_asistencia(record: AttendanceRecord, semilla: str) -> bytes:
    courses = "".join(
        "<Curso>"
        f"{_el('LetraCurso', course.letra)}"
        f"<Presentes>{''.join(_run(r) for r in course.presentes)}</Presentes>"
        f"<Ausentes>{''.join(_run(r) for r in course.ausentes)}</Ausentes>"
        "</Curso>"
        for course in record.courses
    )
    return _envelope(
        f'<EntradaAddAsistenciaSige xmlns="{DIDO_NS}">'
        "<RecordAsistenciaSige>"
        f"{_el('AnioEscolar', record.year)}{_el('RBD', record.rbd)}"
        f"{_el('CodigoTipoEnsenanza', record.cod_ense)}{_el('CodigoGrado', record.cod_grado)}"
        f"{_el('FechaAsistencia', record.day.isoformat())}"
        f"<Cursos>{courses}</Cursos>"
        "</RecordAsistenciaSige>"
        f"{_el('Semilla', semilla)}"
        "</EntradaAddAsistenciaSige>"
    )


def build_reporte_request(rbd: int, ticket: str, semilla: str) -> bytes:
    return _envelope(
        f'<EntradaGetReporteEnvioAsistenciaSige xmlns="{DIDO_NS}">'
        f"{_el('RBD', rbd)}{_el('CodigoEnvioAsistencia', ticket)}{_el('Semilla', semilla)}"
        "</EntradaGetReporteEnvioAsistenciaSige>"
    )


def build_validacion_request(run: Run, nombres: str, ape_paterno: str, ape_materno: str,
                             semilla: str) -> bytes:
    return _envelope(
        f'<EntradaValidaAlumnoSige xmlns="{DIDO_NS}">'
        f"{_run(run)}"
        f"{_el('Nombres', nombres)}{_el('ApellidoPaterno', ape_paterno)}"
        f"{_el('ApellidoMaterno', ape_materno)}{_el('Semilla', semilla)}"
        "</EntradaValidaAlumnoSige>"
    )


# --- parsing responses --------------------------------------------------------------------


class BrokenResponse(Exception):
    """The body is not a SOAP envelope we can read (truncated, HTML, empty...).
    The message never quotes the body: a broken body may hold a semilla."""


class SoapFault(Exception):
    """A ``Fault`` in the body. ``is_client`` is SOAP 1.1's 'the request is wrong,
    do not resend it unchanged'; a Server fault may succeed later."""

    def __init__(self, code: str, string: str) -> None:
        super().__init__(code)
        self.code = code
        self.string = string

    def __str__(self) -> str:
        return f"SOAP Fault {self.code}"

    @property
    def is_client(self) -> bool:
        local = self.code.rsplit(":", 1)[-1].split(".", 1)[0].strip().lower()
        return local in {"client", "sender"}


@dataclass(frozen=True)
class MessageGroup:
    """One ``Titulo`` of a ``ListadoMensajes`` and the ``Mensaje`` lines under it."""

    titulo: str
    mensajes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"titulo": self.titulo, "mensajes": list(self.mensajes)}


@dataclass(frozen=True)
class AddAsistenciaReply:
    code: int
    ticket: str | None
    messages: tuple[MessageGroup, ...]


@dataclass(frozen=True)
class ReporteReply:
    code: int | None  # None: SIGE answered without a code (read as still in process)
    messages: tuple[MessageGroup, ...]


def local_name(tag: str) -> str:
    """``{ns}Name`` or ``prefix:Name`` -> ``Name``.

    >>> local_name("{http://x}Body"), local_name("Body")
    ('Body', 'Body')
    """
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _children(element: Element) -> Iterator[Element]:
    return (child for child in element if isinstance(child.tag, str))


def find_local(element: Element, name: str) -> Element | None:
    """The first descendant (or the element itself) with that local name."""
    for node in element.iter():
        if isinstance(node.tag, str) and local_name(node.tag) == name:
            return node
    return None


def text_of(element: Element | None) -> str:
    return "" if element is None else "".join(element.itertext()).strip()


def envelope_body(payload: bytes) -> Element:
    """The element inside ``Envelope/Body``; raises ``SoapFault`` for a Fault and
    ``BrokenResponse`` for anything that is not a SOAP envelope."""
    if not payload or not payload.strip():
        raise BrokenResponse("respuesta vacía")
    try:
        root = SafeET.fromstring(payload)
    except (ParseError, DefusedXmlException, ValueError):
        raise BrokenResponse("respuesta XML ilegible o incompleta") from None
    if local_name(root.tag) != "Envelope":
        raise BrokenResponse("la respuesta no es un sobre SOAP")
    body = next((c for c in _children(root) if local_name(c.tag) == "Body"), None)
    if body is None:
        raise BrokenResponse("el sobre SOAP no tiene Body")
    content = next(_children(body), None)
    if content is None:
        raise BrokenResponse("el Body de la respuesta está vacío")
    if local_name(content.tag) == "Fault":
        raise _fault(content)
    return content


def _fault(element: Element) -> SoapFault:
    code = text_of(find_local(element, "faultcode"))
    if not code:  # SOAP 1.2 shape, tolerated: Code/Value
        code_element = find_local(element, "Code")
        code = text_of(find_local(code_element, "Value")) if code_element is not None else ""
    string = text_of(find_local(element, "faultstring")) or text_of(find_local(element, "Text"))
    return SoapFault(code or "Server", string)


def _code(element: Element, name: str) -> int | None:
    """The integer in ``name``; None when absent or not a number."""
    text = text_of(find_local(element, name))
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


def parse_messages(element: Element) -> tuple[MessageGroup, ...]:
    """Every ``Titulo`` with the ``Mensaje`` lines that follow it, in document order.

    Works whether SIGE sends one ``ListadoMensajes`` per title or one list with
    several titles; a ``Mensaje`` before any ``Titulo`` goes under an empty title.
    """
    groups: list[tuple[str, list[str]]] = []
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        name = local_name(node.tag)
        if name == "Titulo":
            groups.append((text_of(node), []))
        elif name == "Mensaje":
            if not groups:
                groups.append(("", []))
            groups[-1][1].append(text_of(node))
    return tuple(MessageGroup(t, tuple(m)) for t, m in groups)


def parse_semilla(element: Element) -> str:
    """The ``ValorSemilla``; empty when SIGE refused the credentials that way."""
    return text_of(find_local(element, "ValorSemilla"))


def parse_add_asistencia(element: Element) -> AddAsistenciaReply:
    code = _code(element, "CodigoRespuestaAsistencia")
    if code is None:
        raise BrokenResponse("la respuesta de addAsistencia no trae CodigoRespuestaAsistencia")
    ticket = text_of(find_local(element, "CodigoEnvioAsistencia")) or None
    return AddAsistenciaReply(code, ticket, parse_messages(element))


def parse_reporte(element: Element) -> ReporteReply:
    return ReporteReply(_code(element, "CodigoRespuestaReporteEnvioAsistencia"),
                        parse_messages(element))


def parse_validacion(element: Element) -> bool:
    found = find_local(element, "ExisteFichaAlumno")
    if found is None:
        raise BrokenResponse("la respuesta de getValidacion no trae ExisteFichaAlumno")
    return text_of(found).lower() in _TRUTHY


def all_message_texts(groups: Iterable[MessageGroup]) -> list[str]:
    return [text for group in groups for text in (group.titulo, *group.mensajes) if text]
