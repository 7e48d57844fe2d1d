"""The protocol layer against envelopes written by hand from SIGE_PROTOCOL.md:
request bytes compared after canonicalisation, responses with other prefixes
and namespaces, and SIGE's messages mapped to DOMAIN.md's causes."""
from __future__ import annotations

from datetime import date
from xml.etree.ElementTree import canonicalize

import pytest

from reconcile.sige import envelopes as E
from reconcile.sige.causes import CASO_1, CASO_2, FUERA_DE_MES, RECHAZADO, SIN_CONVENIO, CauseRules
from tests.test_sige_support import fixture_bytes, no_secrets_in_logs  # noqa: F401 - autouse fixture


def canonical(xml: bytes) -> str:
    return canonicalize(xml.decode("utf-8"), strip_text=True)


def sample_record() -> E.AttendanceRecord:
    return E.AttendanceRecord(
        2026, 24875, 110, 1, date(2026, 11, 9),
        (E.CourseAttendance("A",
                            (E.Run.from_rut("23.456.789-6"), E.Run.from_rut("23511402-k"),
                             E.Run(25123456, "6")),
                            (E.Run.from_rut("23698041-3"),)),))


def test_semilla_request_matches_the_specification():
    built = E.build_semilla_request("CLI-77", "CONV-2026", "tok&en-secreto")
    assert canonical(built) == canonical(fixture_bytes("request_semilla.xml"))


def test_add_asistencia_request_matches_the_specification():
    built = E.build_add_asistencia(sample_record(), "SEMILLA-DE-PRUEBA")
    assert canonical(built) == canonical(fixture_bytes("request_add_asistencia.xml"))


def test_add_asistencia_with_two_courses_and_an_empty_list():
    record = E.AttendanceRecord(
        2026, 12345, 110, 1, date(2026, 11, 9),
        (E.CourseAttendance("A", (E.Run(12531909, "2"),), (E.Run(12667869, "k"),)),
         E.CourseAttendance("B", (E.Run.from_rut("9.876.543-3"),), ())))
    built = E.build_add_asistencia(record, "SEMILLA-DE-PRUEBA")
    assert canonical(built) == canonical(fixture_bytes("request_add_asistencia_two_courses.xml"))


def test_reporte_and_validacion_requests_match_the_specification():
    assert canonical(E.build_reporte_request(24875, "100001", "SEMILLA-DE-PRUEBA")) == \
        canonical(fixture_bytes("request_reporte.xml"))
    built = E.build_validacion_request(E.Run(23698041, "3"), "Sofía Antonia", "Pérez", "Soto",
                                       "SEMILLA-DE-PRUEBA")
    assert canonical(built) == canonical(fixture_bytes("request_validacion.xml"))


@pytest.mark.parametrize("numero, dv", [(0, "1"), (-5, "1"), (12531909, "X"), (12531909, "22")])
def test_run_refuses_what_sige_cannot_take(numero, dv):
    with pytest.raises(ValueError):
        E.Run(numero, dv)


def test_content_hash_ignores_order_and_semilla_but_not_content():
    record = sample_record()
    course = record.courses[0]
    shuffled = E.AttendanceRecord(record.year, record.rbd, record.cod_ense, record.cod_grado,
                                  record.day, (E.CourseAttendance("A", course.presentes[::-1],
                                                                  course.ausentes),))
    moved = E.AttendanceRecord(record.year, record.rbd, record.cod_ense, record.cod_grado,
                               record.day, (E.CourseAttendance("A", course.presentes[1:],
                                                               course.ausentes + course.presentes[:1]),))
    assert shuffled.content_hash() == record.content_hash()
    assert moved.content_hash() != record.content_hash()


# --- responses ----------------------------------------------------------------------------


def body(name: str):
    return E.envelope_body(fixture_bytes(name))


def test_semilla_responses():
    assert E.parse_semilla(body("response_semilla.xml")) == "c2VtaWxsYS1maXh0dXJl"
    assert E.parse_semilla(body("response_semilla_empty.xml")) == ""


def test_add_asistencia_responses_in_any_prefix_or_namespace():
    accepted = E.parse_add_asistencia(body("response_add_accepted.xml"))
    assert (accepted.code, accepted.ticket, accepted.messages) == (1, "884422", ())
    rejected = E.parse_add_asistencia(body("response_add_rejected_month.xml"))  # wrapped, wwwfs ns
    assert rejected.code == 2 and rejected.ticket is None
    assert rejected.messages == (E.MessageGroup("Error en el registro de asistencia",
                                                ("La fecha 2026-12-01 está fuera del mes en curso",)),)
    assert E.parse_add_asistencia(body("response_add_rejected_convenio.xml")).code == 2  # no namespace
    assert E.parse_add_asistencia(body("response_add_semilla.xml")).code == 6


def test_reporte_messages_group_under_each_title():
    reply = E.parse_reporte(body("response_reporte_observations.xml"))
    assert reply.code == 3
    assert [g.titulo for g in reply.messages] == ["Curso 1 A", "Curso 1 B"]
    assert reply.messages[0].mensajes == ("Alumno 23.698.041-3 FALTANTE",
                                          "Alumno 100234567-2 no existe en sige")
    assert E.parse_reporte(body("response_reporte_unknown_code.xml")).code == 9


def test_validacion_truthy_and_falsy():
    assert E.parse_validacion(body("response_validacion_true.xml")) is True
    assert E.parse_validacion(body("response_validacion_false.xml")) is False


def test_faults_are_raised_with_their_kind():
    with pytest.raises(E.SoapFault) as client:
        body("response_fault_client.xml")
    assert client.value.is_client and client.value.string == "Datos de autenticación incorrectos"
    with pytest.raises(E.SoapFault) as server:
        body("response_fault_server.xml")
    assert not server.value.is_client


@pytest.mark.parametrize("payload", [
    fixture_bytes("broken_html.html"), fixture_bytes("broken_truncated.xml"), b"", b"   ",
    b"<a>not soap</a>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
])
def test_broken_bodies_never_parse(payload):
    with pytest.raises(E.BrokenResponse) as problem:
        E.envelope_body(payload)
    assert "boom" not in str(problem.value)


def test_accepted_without_code_is_broken_but_report_without_code_is_in_process():
    envelope = (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                b"<Salida/></s:Body></s:Envelope>")
    with pytest.raises(E.BrokenResponse):
        E.parse_add_asistencia(E.envelope_body(envelope))
    assert E.parse_reporte(E.envelope_body(envelope)).code is None


# --- causes ---------------------------------------------------------------------------------


def test_findings_map_keywords_and_keep_raw_text():
    rules = CauseRules()
    groups = E.parse_reporte(body("response_reporte_observations.xml")).messages
    findings = rules.findings(groups)
    assert [(f.run, f.cause) for f in findings] == [
        ("23698041-3", CASO_1), ("100234567-2", CASO_2), ("9876543-3", CASO_2)]
    assert findings[0].text == "Alumno 23.698.041-3 FALTANTE"
    assert rules.causes(findings) == (CASO_1, CASO_2)


@pytest.mark.parametrize("text, cause", [
    ("La fecha 2026-12-01 está fuera del mes en curso", FUERA_DE_MES),
    ("RUN 1-9 no pertenece al mes actual", FUERA_DE_MES),
    ("No existe convenio vigente con el proveedor", SIN_CONVENIO),
    ("RUN 25123456-6 NO PERTENECE AL CURSO", CASO_2),
    ("Alumno no encontrado", CASO_2),
    ("Total meses declarados: 3", None),
])
def test_cause_keywords(text, cause):
    assert CauseRules().cause_of(text) == cause


def test_keywords_are_a_setting():
    rules = CauseRules({CASO_1: ("SIN REGISTRO DE ASISTENCIA",)})
    assert rules.cause_of("Alumno sin registro de asistencia") == CASO_1
    assert rules.causes(rules.findings([E.MessageGroup("x", ("algo raro",))])) == (RECHAZADO,)
