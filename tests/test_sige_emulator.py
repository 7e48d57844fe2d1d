"""The emulator against hand-written requests (tests/data/sige), read back with
plain ElementTree and the namespaces of SIGE_PROTOCOL.md: it must answer like
SIGE to a client it has never seen."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from xml.etree import ElementTree

import pytest
import requests

from reconcile.clock import FixedClock
from reconcile.sige.emulator import ConvenioGrant, Emulator, EmulatorStore, FaultPlan, serve_in_thread
from reconcile.sige.emulator.processing import processing_delay
from reconcile.sige_calendar import SigeCalendar
from tests.test_sige_support import (  # noqa: F401 - fixtures
    CREDS,
    RBD,
    ManualTimer,
    fixture_bytes,
    nov16,
    no_secrets_in_logs,
    sample_enrolment,
    start_emulator,
    timer,
)

ENV = "{http://schemas.xmlsoap.org/soap/envelope/}"
DIDO = "{http://dido.mineduc.cl/Archivos/Schemas/}"
WWWFS = "{http://wwwfs.mineduc.cl/Archivos/Schemas/}"
AUTH = "/WsApiAutorizacion/services/SemillaServiciosSoapPort"
ATTENDANCE = "/WsApiMineduc/services/AsistenciaSigeSoapPort"
STUDENT = "/WsApiMineduc/services/ValidaAlumnoSigeSoapPort"


def post(url: str, path: str, action: str | None, payload: bytes) -> requests.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = action
    return requests.post(url + path, data=payload, headers=headers, timeout=5)


def answer(response: requests.Response) -> ElementTree.Element:
    """The element in Body, read strictly by the specification's namespaces."""
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{ENV}Envelope"
    (content,) = list(root.find(f"{ENV}Body"))
    return content


def get_semilla(url: str) -> str:
    response = post(url, AUTH, "getSemillaServicios", fixture_bytes("request_semilla.xml"))
    assert response.status_code == 200
    content = answer(response)
    assert content.tag == f"{WWWFS}SemillaServicios"
    return content.findtext(f"{WWWFS}ValorSemilla")


def with_semilla(name: str, semilla: str) -> bytes:
    return fixture_bytes(name).replace(b"SEMILLA-DE-PRUEBA", semilla.encode())


def edit(name: str, semilla: str, pairs: list[tuple[str, str]]) -> bytes:
    text = fixture_bytes(name).decode("utf-8").replace("SEMILLA-DE-PRUEBA", semilla)
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")


def send(url: str, payload: bytes) -> tuple[int, str | None, list[tuple[str, list[str]]]]:
    response = post(url, ATTENDANCE, "addAsistencia", payload)
    content = answer(response)
    assert content.tag == f"{DIDO}SalidaAddAsistenciaSige"
    return (int(content.findtext(f"{DIDO}CodigoRespuestaAsistencia")),
            content.findtext(f"{DIDO}CodigoEnvioAsistencia"), messages(content))


def messages(content: ElementTree.Element) -> list[tuple[str, list[str]]]:
    return [(listado.findtext(f"{DIDO}Titulo"), [m.text for m in listado.findall(f"{DIDO}Mensaje")])
            for listado in content.findall(f"{DIDO}ListadoMensajes")]


def report(url: str, semilla: str, ticket: str, rbd: int = RBD) -> tuple[int, list]:
    payload = edit("request_reporte.xml", semilla, [("100001", ticket), ("<RBD>24875", f"<RBD>{rbd}")])
    content = answer(post(url, ATTENDANCE, "getReporteEnvioAsistencia", payload))
    assert content.tag == f"{DIDO}SalidaGetReporteEnvioAsistenciaSige"
    return int(content.findtext(f"{DIDO}CodigoRespuestaReporteEnvioAsistencia")), messages(content)


def test_a_day_through_hand_written_requests(start_emulator, timer):
    running = start_emulator(delay_seconds=30)
    semilla = get_semilla(running.url)
    assert len(semilla) >= 16
    code, ticket, notes = send(running.url, with_semilla("request_add_asistencia.xml", semilla))
    assert (code, notes) == (1, []) and ticket
    assert report(running.url, semilla, ticket) == (4, [])  # still in process
    timer.advance(31)
    assert report(running.url, semilla, ticket) == (1, [])
    sends = requests.get(running.url + "/_emulator/sends", timeout=5).json()
    assert [(s["ticket"], s["day"], s["courses"]) for s in sends] == [(ticket, "2026-11-09", [
        {"letra": "A", "presentes": ["23456789-6", "23511402-K", "25123456-6"], "ausentes": ["23698041-3"]}])]
    held = requests.get(running.url + "/_emulator/holdings", timeout=5).json()
    assert [(h["day"], h["letra"], h["ticket"]) for h in held] == [("2026-11-09", "A", ticket)]


def test_student_check(start_emulator):
    running = start_emulator()
    semilla = get_semilla(running.url)
    known = answer(post(running.url, STUDENT, "getValidacion", with_semilla("request_validacion.xml", semilla)))
    assert known.tag == f"{DIDO}SalidaValidaAlumnoSige"
    assert known.findtext(f"{DIDO}ExisteFichaAlumno") == "true"
    payload = edit("request_validacion.xml", semilla, [("23698041", "100234567"), ("<dv>3", "<dv>2")])
    assert answer(post(running.url, STUDENT, "getValidacion", payload)).findtext(
        f"{DIDO}ExisteFichaAlumno") == "false"


@pytest.mark.parametrize("refuse_with", ["fault", "empty"])
def test_credentials_of_another_provider_are_refused(start_emulator, refuse_with):
    running = start_emulator(refuse_with=refuse_with)
    payload = fixture_bytes("request_semilla.xml").replace(b"CONV-2026", b"CONV-OTRO-PROVEEDOR")
    response = post(running.url, AUTH, "getSemillaServicios", payload)
    content = answer(response)
    if refuse_with == "fault":
        assert response.status_code == 500 and content.tag == f"{ENV}Fault"
        assert content.findtext("faultcode").endswith("Client")
    else:
        assert response.status_code == 200 and content.findtext(f"{WWWFS}ValorSemilla") == ""


@pytest.mark.parametrize("path, action, change", [
    (ATTENDANCE, "getSemillaServicios", []),  # SOAPAction of another operation
    (ATTENDANCE, None, []),  # no SOAPAction
    (STUDENT, "addAsistencia", []),  # the wrong port
    (ATTENDANCE, "addAsistencia", [('xmlns="http://dido.mineduc.cl/Archivos/Schemas/"',
                                    'xmlns="http://wwwfs.mineduc.cl/Archivos/Schemas/"')]),
    (ATTENDANCE, "addAsistencia", [('<EntradaAddAsistenciaSige xmlns="http://dido.mineduc.cl/Archivos/Schemas/">',
                                    '<d:EntradaAddAsistenciaSige xmlns:d="http://dido.mineduc.cl/Archivos/Schemas/">'),
                                   ("</EntradaAddAsistenciaSige>", "</d:EntradaAddAsistenciaSige>")]),
    (ATTENDANCE, "addAsistencia", [("</soapenv:Envelope>", "")]),
])
def test_requests_off_the_specification_get_a_client_fault(start_emulator, path, action, change):
    """The last-but-one case leaves the children unqualified: a document/literal
    service with qualified elements does not read them."""
    running = start_emulator()
    response = post(running.url, path, action, edit("request_add_asistencia.xml", "x", change))
    assert response.status_code == 500
    fault = answer(response)
    assert fault.tag == f"{ENV}Fault" and fault.findtext("faultcode") == "soapenv:Client"
    assert not requests.get(running.url + "/_emulator/sends", timeout=5).json()


def test_a_quoted_soapaction_is_accepted(start_emulator):
    running = start_emulator()
    semilla = get_semilla(running.url)
    response = post(running.url, ATTENDANCE, '"addAsistencia"', with_semilla("request_add_asistencia.xml", semilla))
    assert answer(response).findtext(f"{DIDO}CodigoRespuestaAsistencia") == "1"


@pytest.mark.parametrize("change, words", [
    ([("<dv>K</dv>", "<dv>k</dv>")], "mal formado"),
    ([("<numero>23456789</numero>", "<numero>023456789</numero>")], "mal formado"),
    ([("<numero>23456789</numero>", "<numero>23.456.789</numero>")], "mal formado"),
    ([("<FechaAsistencia>2026-11-09", "<FechaAsistencia>09-11-2026")], "FechaAsistencia"),
    ([("<FechaAsistencia>2026-11-09", "<FechaAsistencia>2026-11-17")], "posterior"),
    ([("<FechaAsistencia>2026-11-09", "<FechaAsistencia>2026-10-30")], "mes en curso"),
    ([("<RBD>24875", "<RBD>99999")], "convenio"),
    ([("<AnioEscolar>2026", "<AnioEscolar>2025")], "AnioEscolar"),
    ([("<numero>25123456</numero><dv>6</dv>", "<numero>23698041</numero><dv>3</dv>")], "más de una vez"),
])
def test_rejected_at_once_with_code_2(start_emulator, change, words):
    running = start_emulator()
    semilla = get_semilla(running.url)
    code, ticket, notes = send(running.url, edit("request_add_asistencia.xml", semilla, change))
    assert (code, ticket) == (2, None)
    assert words.lower() in " ".join(t + " " + " ".join(m) for t, m in notes).lower()
    (received,) = requests.get(running.url + "/_emulator/sends", timeout=5).json()
    assert received["answer_code"] == 2 and received["ticket"] is None


def test_month_rule_follows_the_calendar_setting(start_emulator):
    """On 3 Dec 2026 the default rule (3rd working day, 17:00) still has November
    open; with November's close set to 1 Dec, December is open instead."""
    december_3 = FixedClock(datetime(2026, 12, 3, 10, 0))
    default = start_emulator(clock=december_3)
    semilla = get_semilla(default.url)
    assert send(default.url, with_semilla("request_add_asistencia.xml", semilla))[0] == 1
    closed = start_emulator(clock=december_3,
                            calendar=SigeCalendar({"2026-11": datetime(2026, 12, 1, 17, 0)}))
    semilla = get_semilla(closed.url)
    code, _, notes = send(closed.url, with_semilla("request_add_asistencia.xml", semilla))
    assert code == 2 and "diciembre 2026" in notes[0][1][0]


def test_semilla_expires_after_its_lifetime_and_on_demand(start_emulator, timer):
    running = start_emulator(semilla_ttl=60)
    semilla = get_semilla(running.url)
    assert send(running.url, with_semilla("request_add_asistencia.xml", semilla))[0] == 1
    timer.advance(61)
    assert send(running.url, with_semilla("request_add_asistencia.xml", semilla))[0] == 6
    assert report(running.url, semilla, "100001")[0] == 6
    fault = post(running.url, STUDENT, "getValidacion", with_semilla("request_validacion.xml", semilla))
    assert fault.status_code == 500 and "Semilla" in answer(fault).findtext("faultstring")
    fresh = get_semilla(running.url)
    assert send(running.url, with_semilla("request_add_asistencia.xml", fresh))[0] == 1
    assert requests.post(running.url + "/_emulator/expire-semillas", timeout=5).json() == {"expired": 2}
    assert send(running.url, with_semilla("request_add_asistencia.xml", fresh))[0] == 6
    assert send(running.url, with_semilla("request_add_asistencia.xml", "never-issued"))[0] == 6


def test_processing_names_missing_unknown_and_misplaced_students(start_emulator, timer):
    running = start_emulator(delay_seconds=0)
    semilla = get_semilla(running.url)
    payload = edit("request_add_asistencia.xml", semilla, [
        ("<FechaAsistencia>2026-11-09", "<FechaAsistencia>2026-11-05"),
        ("<numero>25123456</numero><dv>6</dv>", "<numero>100234567</numero><dv>2</dv>"),  # an IPE
        ("<numero>23698041</numero><dv>3</dv>", "<numero>9876543</numero><dv>3</dv>"),  # 2°A's Mateo
        ("</Ausentes>", "<Run><numero>23740118</numero><dv>2</dv></Run></Ausentes>"),  # withdrawn 05-11
    ])
    code, ticket, _ = send(running.url, payload)
    assert code == 1
    code, notes = report(running.url, semilla, ticket)
    assert code == 3
    (title, lines), = notes
    assert "110-1-A" in title
    assert sorted(lines) == sorted([
        "RUN 23698041-3 PÉREZ SOTO SOFÍA ANTONIA: FALTANTE",
        "RUN 25123456-6 HERNÁNDEZ CASTILLO JOSÉ MANUEL: FALTANTE",
        "RUN 100234567-2: NO EXISTE EN SIGE",
        "RUN 9876543-3 TAPIA CORTÉS MATEO: NO PERTENECE AL CURSO",
        "RUN 23740118-2 FUENTES VERA AGUSTÍN: NO PERTENECE AL CURSO",
    ])
    assert requests.get(running.url + "/_emulator/holdings", timeout=5).json() == []


def test_unknown_courses_reject_the_whole_send_or_only_themselves(start_emulator):
    running = start_emulator(delay_seconds=0)
    semilla = get_semilla(running.url)
    alone = edit("request_add_asistencia.xml", semilla, [("<LetraCurso>A", "<LetraCurso>C")])
    assert report(running.url, semilla, send(running.url, alone)[1])[0] == 2
    both = edit("request_add_asistencia.xml", semilla, [
        ("</Cursos>", "<Curso><LetraCurso>C</LetraCurso><Presentes/><Ausentes/></Curso></Cursos>")])
    code, notes = report(running.url, semilla, send(running.url, both)[1])
    assert code == 3 and len(notes) == 1 and "110-1-C" in notes[0][0]
    held = requests.get(running.url + "/_emulator/holdings", timeout=5).json()
    assert [(h["letra"], h["day"]) for h in held] == [("A", "2026-11-09")]  # the clean course got in


def test_unknown_ticket_or_other_school_is_rejected(start_emulator):
    running = start_emulator()
    semilla = get_semilla(running.url)
    assert report(running.url, semilla, "999999")[0] == 2
    _, ticket, _ = send(running.url, with_semilla("request_add_asistencia.xml", semilla))
    assert report(running.url, semilla, ticket, rbd=11111)[0] == 2


def test_the_latest_accepted_send_is_what_sige_holds(start_emulator, timer):
    running = start_emulator(delay_seconds=10)
    semilla = get_semilla(running.url)
    first = with_semilla("request_add_asistencia.xml", semilla)
    _, ticket1, _ = send(running.url, first)
    timer.advance(1)
    swapped = edit("request_add_asistencia.xml", semilla, [
        ("<Presentes>", "<Presentes><Run><numero>23698041</numero><dv>3</dv></Run>"),
        ("<Ausentes>\n              <Run><numero>23698041</numero><dv>3</dv></Run>", "<Ausentes>")])
    _, ticket2, _ = send(running.url, swapped)
    timer.advance(60)
    held = requests.get(running.url + "/_emulator/holdings", timeout=5).json()
    assert [(h["ticket"], h["ausentes"]) for h in held] == [(ticket2, [])]
    assert ticket1 != ticket2


def test_processing_slows_down_towards_the_close(start_emulator, timer):
    far = start_emulator(delay_seconds=10, clock=FixedClock(datetime(2026, 11, 16, 10, 0)))
    near = start_emulator(delay_seconds=10, clock=FixedClock(datetime(2026, 12, 3, 12, 0)))
    delays = []
    for running in (far, near):
        semilla = get_semilla(running.url)
        send(running.url, with_semilla("request_add_asistencia.xml", semilla))
        (received,) = requests.get(running.url + "/_emulator/sends", timeout=5).json()
        delays.append(received["ready_at"] - received["received_at"])
    assert delays[0] == pytest.approx(10.0)
    assert delays[1] > 3 * delays[0]
    close = datetime(2026, 12, 3, 17, 0)
    assert processing_delay(10, close - timedelta(days=2), close) < processing_delay(10, close - timedelta(hours=1), close)


def test_state_survives_a_restart(tmp_path, nov16):
    store = tmp_path / "emu.db"
    timer = ManualTimer()
    grants = [ConvenioGrant(CREDS.cliente_id, CREDS.convenio_id, CREDS.convenio_token, frozenset({RBD}))]

    def emulator() -> Emulator:
        return Emulator(sample_enrolment(), grants, store=EmulatorStore(store), clock=nov16,
                        timer=timer, delay_seconds=5)

    with serve_in_thread(emulator()) as first:
        semilla = get_semilla(first.url)
        _, ticket, _ = send(first.url, with_semilla("request_add_asistencia.xml", semilla))
    first.emulator.store.close()
    timer.advance(10)
    with serve_in_thread(emulator()) as second:
        assert report(second.url, semilla, ticket) == (1, [])
        assert len(second.emulator.sends()) == 1
    second.emulator.store.close()


@pytest.mark.parametrize("kind", ["http_503", "soap_fault", "html", "truncated"])
def test_each_fault_kind_on_the_wire(start_emulator, kind):
    running = start_emulator()
    semilla = get_semilla(running.url)
    running.emulator.faults = FaultPlan(rate=1.0, seed=1, weights={kind: 1})
    response = post(running.url, ATTENDANCE, "addAsistencia", with_semilla("request_add_asistencia.xml", semilla))
    if kind == "http_503":
        assert response.status_code == 503
    elif kind == "soap_fault":
        assert response.status_code == 500 and answer(response).findtext("faultcode") == "soapenv:Server"
    else:
        assert response.status_code == 200
        with pytest.raises(ElementTree.ParseError):
            answer(response)
    calls = running.emulator.calls()
    assert calls[-1]["fault"] == kind
    processed = kind == "truncated"  # SIGE did the work, the answer was lost
    assert len(running.emulator.sends()) == (1 if processed else 0)


def test_slow_answers_arrive_after_the_delay_and_were_processed(start_emulator):
    running = start_emulator(faults=FaultPlan(rate=1.0, seed=1, weights={"slow": 1}, slow_seconds=0.4))
    started = time.monotonic()
    response = post(running.url, AUTH, "getSemillaServicios", fixture_bytes("request_semilla.xml"))
    assert time.monotonic() - started >= 0.4
    assert answer(response).findtext(f"{WWWFS}ValorSemilla")
    with pytest.raises(requests.ReadTimeout):
        requests.post(running.url + AUTH, data=fixture_bytes("request_semilla.xml"), timeout=(2, 0.1),
                      headers={"SOAPAction": "getSemillaServicios"})
    time.sleep(0.4)
    assert len(running.emulator.issued_semillas()) == 2


def test_latency_delays_every_soap_answer_but_not_inspection(start_emulator):
    running = start_emulator(latency_seconds=0.3)
    started = time.monotonic()
    semilla = get_semilla(running.url)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    code, ticket, _ = send(running.url, with_semilla("request_add_asistencia.xml", semilla))
    assert code == 1 and ticket
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()  # a refused call waits too: SIGE is slow, not only its successes
    assert post(running.url, ATTENDANCE, "noSuchAction", b"<x/>").status_code == 500
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert requests.get(running.url + "/_emulator/health", timeout=5).json() == {"ok": True}
    assert time.monotonic() - started < 0.3


def test_latency_adds_to_a_slow_fault(start_emulator):
    running = start_emulator(latency_seconds=0.2,
                             faults=FaultPlan(rate=1.0, seed=1, weights={"slow": 1}, slow_seconds=0.3))
    started = time.monotonic()
    assert get_semilla(running.url)
    assert time.monotonic() - started >= 0.5


def test_forced_semilla_expiry_fault(start_emulator):
    running = start_emulator()
    semilla = get_semilla(running.url)
    running.emulator.faults = FaultPlan(rate=1.0, seed=1, weights={"semilla_expired": 1})
    assert send(running.url, with_semilla("request_add_asistencia.xml", semilla))[0] == 6
    # getSemillaServicios carries no semilla: that fault cannot hit it.
    assert get_semilla(running.url)


def test_fault_rate_can_change_at_runtime(start_emulator):
    running = start_emulator()
    assert requests.post(running.url + "/_emulator/faults", json={"rate": 1.0}, timeout=5).json() == {"rate": 1.0}
    assert requests.post(running.url + "/_emulator/faults", json={"rate": 7}, timeout=5).status_code == 400
    assert requests.get(running.url + "/_emulator/health", timeout=5).json() == {"ok": True}
    assert requests.get(running.url + "/nowhere", timeout=5).status_code == 404


def test_faults_are_reproducible_with_a_seed():
    first = FaultPlan(rate=0.3, seed=42)
    second = FaultPlan(rate=0.3, seed=42)
    draws = [first.draw("addAsistencia") for _ in range(200)]
    assert draws == [second.draw("addAsistencia") for _ in range(200)]
    share = sum(d is not None for d in draws) / len(draws)
    assert 0.2 < share < 0.4


def test_enrolment_dates_decide_who_is_enrolled():
    enrolment = sample_enrolment()
    first_a = (RBD, 2026, 110, 1, "A")
    second_a = (RBD, 2026, 110, 2, "A")
    agustin = (23740118, "2")
    mateo = (9876543, "3")
    assert agustin in enrolment.enrolled(first_a, date(2026, 11, 4))
    assert agustin not in enrolment.enrolled(first_a, date(2026, 11, 5))
    assert mateo not in enrolment.enrolled(second_a, date(2026, 11, 3))
    assert mateo in enrolment.enrolled(second_a, date(2026, 11, 4))
