"""The client against fixed envelopes (a scripted transport, no emulator): what it
sends, how it reads other servers' answers, retries, semilla renewal, causes."""
from __future__ import annotations

import logging
from datetime import date
from xml.etree.ElementTree import canonicalize

import pytest
import requests
from requests.adapters import BaseAdapter

from reconcile.sige import (
    AttendanceRecord,
    CourseAttendance,
    Run,
    SigeClient,
    SigeCodes,
    SigeCredentialsRejected,
    SigeRejected,
    SigeUnavailable,
)
from reconcile.sige.causes import CASO_1, CASO_2, CASO_3, FUERA_DE_MES, RECHAZADO, SIN_CONVENIO
from tests.test_sige_support import CREDS, FORBIDDEN, RBD, fixture_bytes, no_secrets_in_logs  # noqa: F401

SEMILLA = "c2VtaWxsYS1maXh0dXJl"  # the value in response_semilla.xml
BASE = "http://sige.test"


class Scripted(BaseAdapter):
    """A transport that answers from a script: per operation (SOAPAction), a list of
    steps, each a (status, fixture-or-bytes) pair or an exception to raise."""

    def __init__(self, script: dict[str, list]) -> None:
        super().__init__()
        self.script = {op: list(steps) for op, steps in script.items()}
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):  # noqa: ANN001, ANN003
        self.requests.append(request)
        self.timeouts = kwargs.get("timeout")
        operation = request.headers["SOAPAction"]
        step = self.script[operation].pop(0) if len(self.script[operation]) > 1 \
            else self.script[operation][0]
        if isinstance(step, Exception):
            raise step
        status, payload = step
        response = requests.Response()
        response.status_code = status
        response._content = fixture_bytes(payload) if isinstance(payload, str) else payload
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.url, response.request = request.url, request
        return response

    def close(self) -> None:
        pass

    def sent(self, operation: str) -> list[requests.PreparedRequest]:
        return [r for r in self.requests if r.headers["SOAPAction"] == operation]


def client_with(script: dict[str, list], sleeps: list | None = None, **options) -> tuple[SigeClient, Scripted]:
    FORBIDDEN.add(SEMILLA)
    adapter = Scripted({"getSemillaServicios": [(200, "response_semilla.xml")], **script})
    session = requests.Session()
    session.mount("http://", adapter)
    defaults = dict(retries=3, backoff_initial=0.5, backoff_max=4.0, session=session,
                    sleep=(sleeps.append if sleeps is not None else (lambda _s: None)))
    credentials = options.pop("credentials", {RBD: CREDS})
    defaults.update(options)
    return SigeClient(BASE, credentials, **defaults), adapter


def record() -> AttendanceRecord:
    return AttendanceRecord(2026, RBD, 110, 1, date(2026, 11, 9), (CourseAttendance(
        "A", (Run(23456789, "6"), Run(23511402, "K"), Run(25123456, "6")), (Run(23698041, "3"),)),))


def canonical(xml: bytes) -> str:
    return canonicalize(xml.decode("utf-8"), strip_text=True)


def test_a_send_posts_the_specified_envelopes_to_the_specified_ports():
    client, wire = client_with({"addAsistencia": [(200, "response_add_accepted.xml")]})
    result = client.send_attendance(record())
    assert (result.accepted, result.code, result.ticket) == (True, 1, "884422")
    assert result.content_hash == record().content_hash()
    semilla_call, add_call = wire.requests
    assert semilla_call.url == BASE + "/WsApiAutorizacion/services/SemillaServiciosSoapPort"
    assert canonical(semilla_call.body) == canonical(fixture_bytes("request_semilla.xml"))
    assert add_call.url == BASE + "/WsApiMineduc/services/AsistenciaSigeSoapPort"
    assert add_call.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert add_call.headers["SOAPAction"] == "addAsistencia"
    expected = fixture_bytes("request_add_asistencia.xml").replace(b"SEMILLA-DE-PRUEBA", SEMILLA.encode())
    assert canonical(add_call.body) == canonical(expected)


def test_timeouts_are_the_settings():
    client, wire = client_with({"addAsistencia": [(200, "response_add_accepted.xml")]},
                               connect_timeout=3.5, read_timeout=42.0)
    client.send_attendance(record())
    assert wire.timeouts == (3.5, 42.0)


def test_report_and_validation_use_their_ports():
    client, wire = client_with({
        "getReporteEnvioAsistencia": [(200, "response_reporte_processed.xml")],
        "getValidacion": [(200, "response_validacion_true.xml")],
    })
    assert client.get_report(RBD, "100001").state == "procesado"
    assert client.validate_student(RBD, Run(23698041, "3"), "Sofía Antonia", "Pérez", "Soto") is True
    reporte, = wire.sent("getReporteEnvioAsistencia")
    assert canonical(reporte.body) == canonical(
        fixture_bytes("request_reporte.xml").replace(b"SEMILLA-DE-PRUEBA", SEMILLA.encode()))
    valida, = wire.sent("getValidacion")
    assert valida.url == BASE + "/WsApiMineduc/services/ValidaAlumnoSigeSoapPort"
    assert canonical(valida.body) == canonical(
        fixture_bytes("request_validacion.xml").replace(b"SEMILLA-DE-PRUEBA", SEMILLA.encode()))


def test_the_semilla_is_asked_once_per_rbd_and_reused():
    client, wire = client_with({"addAsistencia": [(200, "response_add_accepted.xml")],
                                "getValidacion": [(200, "response_validacion_false.xml")]})
    client.send_attendance(record())
    client.send_attendance(record())
    assert client.validate_student(RBD, Run(1, "9")) is False
    assert len(wire.sent("getSemillaServicios")) == 1


def test_an_old_semilla_is_renewed_before_use():
    clock = [0.0]
    client, wire = client_with({"addAsistencia": [(200, "response_add_accepted.xml")]},
                               semilla_max_age=600, timer=lambda: clock[0])
    client.send_attendance(record())
    clock[0] += 599
    client.send_attendance(record())
    clock[0] += 2
    client.send_attendance(record())
    assert len(wire.sent("getSemillaServicios")) == 2


@pytest.mark.parametrize("expired", ["response_add_semilla.xml", "response_fault_semilla.xml"])
def test_expired_semilla_is_renewed_and_the_send_repeated_once(expired):
    client, wire = client_with({"addAsistencia": [(200 if "add" in expired else 500, expired),
                                                  (200, "response_add_accepted.xml")]})
    result = client.send_attendance(record())
    assert result.accepted and result.ticket == "884422"
    assert len(wire.sent("getSemillaServicios")) == 2
    first, second = wire.sent("addAsistencia")
    assert first.body == second.body  # same bytes: the same semilla value came back


def test_semilla_still_expired_after_renewal_is_reported_not_looped():
    client, wire = client_with({"addAsistencia": [(200, "response_add_semilla.xml")],
                                "getReporteEnvioAsistencia": [(200, "response_reporte_semilla.xml")]})
    result = client.send_attendance(record())
    assert (result.accepted, result.state, result.causes) == (False, "semilla_expirada", (CASO_3,))
    assert len(wire.sent("addAsistencia")) == 2
    assert client.get_report(RBD, "1").state == "semilla_expirada"
    assert len(wire.sent("getReporteEnvioAsistencia")) == 2


@pytest.mark.parametrize("trouble", [
    requests.ConnectionError("refused"),
    requests.ConnectTimeout("connect timeout"),
    requests.ReadTimeout("read timeout"),
    requests.exceptions.ChunkedEncodingError("cut"),
    (502, b"Bad Gateway"), (503, b"<html>busy</html>"), (504, b""),
    (500, "response_fault_server.xml"),
    (200, "broken_html.html"), (200, "broken_truncated.xml"),
    (200, "response_add_accepted_no_ticket.xml"),
])
def test_transient_troubles_are_retried_then_succeed(trouble):
    sleeps: list[float] = []
    client, wire = client_with({"addAsistencia": [trouble, trouble, (200, "response_add_accepted.xml")]},
                               sleeps=sleeps)
    result = client.send_attendance(record())
    assert result.accepted
    bodies = {r.body for r in wire.sent("addAsistencia")}
    assert len(wire.sent("addAsistencia")) == 3 and len(bodies) == 1  # resent unchanged
    assert len(sleeps) == 2


def test_retries_are_bounded_with_jittered_exponential_backoff():
    sleeps: list[float] = []
    client, wire = client_with({"addAsistencia": [(503, b"busy")]}, sleeps=sleeps, retries=5,
                               backoff_initial=0.5, backoff_max=4.0)
    with pytest.raises(SigeUnavailable) as failure:
        client.send_attendance(record())
    assert failure.value.cause == CASO_3
    assert len(wire.sent("addAsistencia")) == 6
    caps = [min(4.0, 0.5 * 2 ** n) for n in range(5)]  # 0.5, 1, 2, 4, 4
    assert len(sleeps) == 5 and all(0 <= s <= cap for s, cap in zip(sleeps, caps))
    assert len(set(sleeps)) > 1  # jittered, not a fixed schedule


def test_server_fault_after_retries_keeps_sige_words():
    client, _ = client_with({"getReporteEnvioAsistencia": [(500, "response_fault_server.xml")]}, retries=1)
    with pytest.raises(SigeUnavailable) as failure:
        client.get_report(RBD, "1")
    assert failure.value.messages == ("java.lang.NullPointerException",)


def test_a_client_fault_is_not_retried():
    client, wire = client_with({"addAsistencia": [(500, "response_fault_client.xml")]})
    with pytest.raises(SigeRejected) as failure:
        client.send_attendance(record())
    assert failure.value.cause == RECHAZADO
    assert failure.value.messages == ("Datos de autenticación incorrectos",)
    assert len(wire.sent("addAsistencia")) == 1


def test_a_wrong_address_is_not_hammered():
    client, wire = client_with({"addAsistencia": [(404, b"<html>Not Found</html>")]})
    with pytest.raises(SigeUnavailable):
        client.send_attendance(record())
    assert len(wire.sent("addAsistencia")) == 1


@pytest.mark.parametrize("answer", [(500, "response_fault_client.xml"), (200, "response_semilla_empty.xml")])
def test_refused_credentials_are_sin_convenio(answer):
    client, wire = client_with({"getSemillaServicios": [answer], "addAsistencia": [(200, "response_add_accepted.xml")]})
    with pytest.raises(SigeCredentialsRejected) as failure:
        client.send_attendance(record())
    assert failure.value.cause == SIN_CONVENIO
    assert not wire.sent("addAsistencia")
    assert len(wire.sent("getSemillaServicios")) == 1


def test_a_school_without_credentials_never_calls_sige():
    client, wire = client_with({}, credentials=lambda rbd: None)
    with pytest.raises(SigeCredentialsRejected):
        client.semilla(RBD)
    assert not wire.requests


@pytest.mark.parametrize("fixture, causes", [
    ("response_add_rejected_month.xml", (FUERA_DE_MES,)),
    ("response_add_rejected_convenio.xml", (SIN_CONVENIO,)),
])
def test_rejected_sends_carry_cause_and_raw_messages(fixture, causes):
    client, _ = client_with({"addAsistencia": [(200, fixture)]})
    result = client.send_attendance(record())
    assert (result.accepted, result.state, result.ticket, result.causes) == (False, "rechazado", None, causes)
    assert result.raw_messages() and all(m["mensajes"] for m in result.raw_messages())


def test_reports_map_codes_and_causes():
    client, _ = client_with({"getReporteEnvioAsistencia": [
        (200, "response_reporte_observations.xml"), (200, "response_reporte_rejected.xml"),
        (200, "response_reporte_unknown_code.xml")]})
    observed = client.get_report(RBD, "1")
    assert (observed.state, observed.causes, observed.is_final) == ("observaciones", (CASO_1, CASO_2), True)
    assert [f.run for f in observed.findings if f.cause == CASO_1] == ["23698041-3"]
    rejected = client.get_report(RBD, "1")
    assert (rejected.state, rejected.causes) == ("rechazado", (RECHAZADO,))
    assert rejected.raw_messages() == [{"titulo": "Envío rechazado", "mensajes": ["Curso 110-1-C no registrado"]}]
    unknown = client.get_report(RBD, "1")
    assert (unknown.code, unknown.state, unknown.is_final) == (9, "en_proceso", False)


def test_codes_are_settings():
    client, _ = client_with({"getReporteEnvioAsistencia": [(200, "response_reporte_unknown_code.xml")]},
                            codes=SigeCodes(report_processed=9))
    assert client.get_report(RBD, "1").state == "procesado"


def test_secrets_stay_out_of_logs_repr_and_errors(caplog):
    assert "tok&en" not in repr(CREDS) and "CLI-77" not in str(CREDS)
    client, _ = client_with({"addAsistencia": [requests.ReadTimeout("slow")]}, retries=2)
    with pytest.raises(SigeUnavailable) as failure:
        client.send_attendance(record())
    assert SEMILLA not in str(failure.value)
    assert any(r.name == "reconcile.sige.client" and r.levelno == logging.WARNING for r in caplog.records)


def test_the_session_makes_one_try_per_attempt():
    """Retries belong to tenacity alone, or attempts would multiply."""
    client = SigeClient(BASE, {RBD: CREDS})
    adapter = client._session.get_adapter(BASE)  # noqa: SLF001
    assert adapter.max_retries.total == 0
    client.close()
