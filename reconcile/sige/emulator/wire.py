"""The emulator's own reading of SIGE_PROTOCOL.md: requests in, responses out.

Written apart from the client's envelopes on purpose: the emulator must catch a
client that drifts from the specification, so it does not share the client's
builders. It is strict where a real SOAP stack would be (envelope namespace,
operation element and namespace, qualified children, the port's path, the
SOAPAction header) and answers like one: a ``Client`` fault for a request it
cannot read. Its responses use prefixes (``ns2:``) the way Java SOAP stacks do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WWWFS = "http://wwwfs.mineduc.cl/Archivos/Schemas/"
DIDO = "http://dido.mineduc.cl/Archivos/Schemas/"

AUTH_PORT = "/WsApiAutorizacion/services/SemillaServiciosSoapPort"
ATTENDANCE_PORT = "/WsApiMineduc/services/AsistenciaSigeSoapPort"
STUDENT_PORT = "/WsApiMineduc/services/ValidaAlumnoSigeSoapPort"
PORTS = (AUTH_PORT, ATTENDANCE_PORT, STUDENT_PORT)

# (namespace, request element) -> (operation, port)
OPERATIONS = {
    (WWWFS, "EntradaSemillaServicios"): ("getSemillaServicios", AUTH_PORT),
    (DIDO, "EntradaAddAsistenciaSige"): ("addAsistencia", ATTENDANCE_PORT),
    (DIDO, "EntradaGetReporteEnvioAsistenciaSige"): ("getReporteEnvioAsistencia", ATTENDANCE_PORT),
    (DIDO, "EntradaValidaAlumnoSige"): ("getValidacion", STUDENT_PORT),
}

_NUMERO = re.compile(r"[1-9]\d{0,8}")
_DV = re.compile(r"[0-9K]")


class ClientFault(Exception):
    """The request cannot be read: answered with a soapenv:Client fault."""


@dataclass(frozen=True)
class SemillaRequest:
    cliente_id: str
    convenio_id: str
    convenio_token: str


@dataclass(frozen=True)
class SentCourse:
    letra: str
    presentes: tuple[tuple[int, str], ...]
    ausentes: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class AddRequest:
    semilla: str
    year: int | None
    rbd: int | None
    cod_ense: int | None
    cod_grado: int | None
    day: date | None
    courses: tuple[SentCourse, ...]
    problems: tuple[str, ...] = ()  # a malformed record: answered with code 2


@dataclass(frozen=True)
class ReporteRequest:
    semilla: str
    rbd: str
    ticket: str


@dataclass(frozen=True)
class ValidaRequest:
    semilla: str
    numero: str
    dv: str
    names: tuple[str, str, str] = field(default=("", "", ""))


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _elements(parent: Element) -> list[Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def _child(parent: Element, ns: str, name: str, *, required: bool = True) -> Element | None:
    for child in _elements(parent):
        if child.tag == f"{{{ns}}}{name}":
            return child
    if required:
        raise ClientFault(f"Falta el elemento {name} (espacio de nombres {ns}) en "
                          f"{_split(parent.tag)[1]}")
    return None


def _text(parent: Element, ns: str, name: str, *, required: bool = True) -> str:
    found = _child(parent, ns, name, required=required)
    return "" if found is None else "".join(found.itertext()).strip()


def read_request(body: bytes, path: str, soap_action: str | None) -> tuple[str, object]:
    """(operation, parsed request); raises ClientFault for anything unreadable."""
    try:
        root = SafeET.fromstring(body)
    except (ParseError, DefusedXmlException, ValueError):
        raise ClientFault("El mensaje no es XML válido") from None
    if root.tag != f"{{{ENV}}}Envelope":
        raise ClientFault("Se esperaba un soapenv:Envelope de SOAP 1.1")
    soap_body = _child(root, ENV, "Body")
    content = _elements(soap_body)
    if len(content) != 1:
        raise ClientFault("El Body debe contener exactamente un elemento")
    ns, local = _split(content[0].tag)
    known = OPERATIONS.get((ns, local))
    if known is None:
        raise ClientFault(f"Elemento de operación desconocido: {local} (espacio de nombres «{ns}»)")
    operation, port = known
    if path != port:
        raise ClientFault(f"La operación {operation} no se atiende en {path}")
    action = (soap_action or "").strip().strip('"')
    if action != operation:
        raise ClientFault(f"SOAPAction «{action}» no corresponde a la operación {operation}")
    reader = {"getSemillaServicios": _semilla, "addAsistencia": _add,
              "getReporteEnvioAsistencia": _reporte, "getValidacion": _valida}[operation]
    return operation, reader(content[0], ns)


def _semilla(element: Element, ns: str) -> SemillaRequest:
    return SemillaRequest(_text(element, ns, "ClienteId"), _text(element, ns, "ConvenioId"),
                          _text(element, ns, "ConvenioToken"))


def _int(text: str, name: str, problems: list[str]) -> int | None:
    if re.fullmatch(r"\d{1,9}", text):
        return int(text)
    problems.append(f"{name} no es un número válido: «{text}»")
    return None


def _runs(parent: Element | None, ns: str, where: str, problems: list[str]) -> tuple[tuple[int, str], ...]:
    if parent is None:
        return ()
    runs = []
    for run in _elements(parent):
        if run.tag != f"{{{ns}}}Run":
            problems.append(f"{where}: elemento inesperado {_split(run.tag)[1]}")
            continue
        numero = _text(run, ns, "numero", required=False)
        dv = _text(run, ns, "dv", required=False)
        if not _NUMERO.fullmatch(numero) or not _DV.fullmatch(dv):
            problems.append(f"{where}: Run mal formado (numero sin puntos ni ceros a la izquierda, "
                            "dv 0-9 o K mayúscula)")
            continue
        runs.append((int(numero), dv))
    return tuple(runs)


def _add(element: Element, ns: str) -> AddRequest:
    record = _child(element, ns, "RecordAsistenciaSige")
    semilla = _text(element, ns, "Semilla")
    problems: list[str] = []
    year = _int(_text(record, ns, "AnioEscolar"), "AnioEscolar", problems)
    rbd = _int(_text(record, ns, "RBD"), "RBD", problems)
    ense = _int(_text(record, ns, "CodigoTipoEnsenanza"), "CodigoTipoEnsenanza", problems)
    grado = _int(_text(record, ns, "CodigoGrado"), "CodigoGrado", problems)
    fecha = _text(record, ns, "FechaAsistencia")
    day = None
    try:
        day = date.fromisoformat(fecha) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", fecha) else None
    except ValueError:
        pass
    if day is None:
        problems.append(f"FechaAsistencia no es una fecha AAAA-MM-DD: «{fecha}»")
    courses = []
    cursos = _child(record, ns, "Cursos")
    for curso in _elements(cursos):
        if curso.tag != f"{{{ns}}}Curso":
            problems.append(f"Cursos: elemento inesperado {_split(curso.tag)[1]}")
            continue
        letra = _text(curso, ns, "LetraCurso")
        where = f"Curso {letra or '?'}"
        if not letra:
            problems.append("Curso sin LetraCurso")
        presentes = _runs(_child(curso, ns, "Presentes", required=False), ns, where, problems)
        ausentes = _runs(_child(curso, ns, "Ausentes", required=False), ns, where, problems)
        courses.append(SentCourse(letra, presentes, ausentes))
    if not courses:
        problems.append("El registro no trae cursos")
    return AddRequest(semilla, year, rbd, ense, grado, day, tuple(courses), tuple(problems))


def _reporte(element: Element, ns: str) -> ReporteRequest:
    return ReporteRequest(_text(element, ns, "Semilla"), _text(element, ns, "RBD"),
                          _text(element, ns, "CodigoEnvioAsistencia"))


def _valida(element: Element, ns: str) -> ValidaRequest:
    run = _child(element, ns, "Run")
    names = tuple(_text(element, ns, n, required=False)
                  for n in ("Nombres", "ApellidoPaterno", "ApellidoMaterno"))
    return ValidaRequest(_text(element, ns, "Semilla"), _text(run, ns, "numero"),
                         _text(run, ns, "dv"), names)  # type: ignore[arg-type]


# --- responses ---------------------------------------------------------------------------


def _e(name: str, value: object) -> str:
    return f"<ns2:{name}>{escape(str(value))}</ns2:{name}>"


def _envelope(inner: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="{ENV}"><soapenv:Body>{inner}'
            "</soapenv:Body></soapenv:Envelope>").encode("utf-8")


def _listados(groups: list[tuple[str, list[str]]]) -> str:
    return "".join(
        "<ns2:ListadoMensajes>" + _e("Titulo", titulo) + "".join(_e("Mensaje", m) for m in mensajes)
        + "</ns2:ListadoMensajes>"
        for titulo, mensajes in groups)


def semilla_response(value: str) -> bytes:
    return _envelope(f'<ns2:SemillaServicios xmlns:ns2="{WWWFS}">{_e("ValorSemilla", value)}'
                     "</ns2:SemillaServicios>")


def add_response(code: int, ticket: str | None = None,
                 groups: list[tuple[str, list[str]]] | None = None) -> bytes:
    inner = _e("CodigoRespuestaAsistencia", code)
    if ticket:
        inner += _e("CodigoEnvioAsistencia", ticket)
    inner += _listados(groups or [])
    return _envelope(f'<ns2:SalidaAddAsistenciaSige xmlns:ns2="{DIDO}">{inner}'
                     "</ns2:SalidaAddAsistenciaSige>")


def reporte_response(code: int, groups: list[tuple[str, list[str]]] | None = None) -> bytes:
    inner = _e("CodigoRespuestaReporteEnvioAsistencia", code) + _listados(groups or [])
    return _envelope(f'<ns2:SalidaGetReporteEnvioAsistenciaSige xmlns:ns2="{DIDO}">{inner}'
                     "</ns2:SalidaGetReporteEnvioAsistenciaSige>")


def valida_response(exists: bool) -> bytes:
    return _envelope(f'<ns2:SalidaValidaAlumnoSige xmlns:ns2="{DIDO}">'
                     f'{_e("ExisteFichaAlumno", "true" if exists else "false")}'
                     "</ns2:SalidaValidaAlumnoSige>")


def fault_response(code: str, message: str) -> bytes:
    """``code``: 'Client' (the request is wrong) or 'Server' (try again later)."""
    return _envelope(f"<soapenv:Fault><faultcode>soapenv:{code}</faultcode>"
                     f"<faultstring>{escape(message)}</faultstring></soapenv:Fault>")


HTML_ERROR_PAGE = (b"<!DOCTYPE html><html><head><title>Error</title></head><body>"
                   b"<h1>Servicio no disponible</h1><p>Intente m&aacute;s tarde.</p></body></html>")
