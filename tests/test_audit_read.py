"""Reading the audit log: only the user's schools and their own logins, newest first;
filters by person, action and dates (Santiago days); pages; the CSV export; who may
read it."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from reconcile import audit, audit_report, auth
from reconcile.db import session_factory, transaction
from reconcile.errors import PermissionDenied, UserError
from tests.audit_helpers import FORMULA_NAME, HOME, OTHER, OTHER_NAME, at, audited_schools


@pytest.fixture
def audited(db_url, clock):
    audited_schools(db_url, clock)
    return db_url


def read(url: str, username: str, filters: audit.Filters = audit.Filters(), **paging):
    with session_factory(url)() as session:
        return audit.read(session, auth.get_user(session, username), filters, **paging)


def test_a_user_sees_their_schools_and_their_own_logins(audited):
    found = read(audited, "directora")
    assert {entry.rbd for entry in found.entries} == {HOME, None}
    logins = [entry for entry in found.entries if entry.action == "login"]
    assert [entry.username for entry in logins] == ["directora"]  # not the others' logins
    assert found.total == len(found.entries) == 6
    assert [entry.at for entry in found.entries] == sorted(
        (entry.at for entry in found.entries), reverse=True)
    other = read(audited, "ajeno")
    assert {entry.rbd for entry in other.entries} == {OTHER, None}
    assert {entry.school for entry in other.entries} == {OTHER_NAME, None}


def test_people_by_their_names_and_the_actions_in_view(audited):
    with session_factory(audited)() as session:
        user = auth.get_user(session, "directora")
        people = audit.people(session, user)
        actions = audit.actions(session, user)
    assert people == {"directora": "Directora María Soto", "asistencia": FORMULA_NAME,
                      audit.SYSTEM: audit.SYSTEM_ES}
    assert actions == ["import_sige", "login", "rut_correction.approve", "sync.outcome",
                       "sync.override", "sync.request"]


def test_filters_narrow_the_list(audited):
    by_person = read(audited, "directora", audit.Filters(people=("asistencia",)))
    assert [e.action for e in by_person.entries] == ["rut_correction.approve", "import_sige"]
    system = read(audited, "directora", audit.Filters(people=(audit.SYSTEM,)))
    assert [e.action for e in system.entries] == ["sync.outcome"]
    by_action = read(audited, "directora", audit.Filters(actions=("sync.request",
                                                                  "sync.override")))
    assert {e.action for e in by_action.entries} == {"sync.request", "sync.override"}
    assert by_action.total == 2
    days = read(audited, "directora", audit.Filters(start=date(2026, 11, 4),
                                                    end=date(2026, 11, 5)))
    assert {e.at.date() for e in days.entries} == {date(2026, 11, 4), date(2026, 11, 5)}
    assert days.total == 3


def test_a_day_is_a_day_in_santiago(audited):
    # 23:30 on the 15th in Santiago is already the 16th in UTC
    on_15 = read(audited, "directora", audit.Filters(start=date(2026, 11, 15),
                                                     end=date(2026, 11, 15)))
    assert [e.action for e in on_15.entries] == ["sync.outcome"]
    assert not read(audited, "directora", audit.Filters(start=date(2026, 11, 16))).entries


def test_pages_of_entries(audited):
    with transaction(audited) as session:
        for minute in range(30):
            audit.record(session, at(10, 9, minute), "asistencia", "import_libro", HOME,
                         filename=f"libro_{minute}.csv")
    first = read(audited, "directora", limit=25)
    second = read(audited, "directora", limit=25, offset=25)
    assert first.total == second.total == 36
    assert len(first.entries) == 25 and len(second.entries) == 11
    assert not {e.id for e in first.entries} & {e.id for e in second.entries}


def test_what_each_entry_says(audited):
    rows = {entry.action: audit_report.row(entry) for entry in read(audited, "directora").entries}
    assert (rows["import_sige"]["Acción"], rows["import_sige"]["Establecimiento"]) == (
        "Carga de nómina SIGE", "Escuela Los Aromos (RBD 24875)")
    assert rows["import_sige"]["Detalle"] == "«nomina.xlsx», filas: 120, nuevos: 118, " \
        "cambiados: 0, retirados: 2"
    approve = rows["rut_correction.approve"]
    assert (approve["Resultado"], approve["Detalle"]) == ("Aprobada",
                                                         "100.234.567-2 → 25.123.456-6")
    assert rows["sync.outcome"]["Persona"] == audit.SYSTEM_ES
    assert rows["sync.outcome"]["Resultado"].startswith("Error en la sincronización: Caso 1")
    assert (rows["sync.override"]["Curso"], rows["sync.override"]["Día"]) == ("1° Básico A",
                                                                              "02-11-2026")
    assert (rows["sync.request"]["Resultado"], rows["sync.request"]["Detalle"]) == (
        "En cola: 1", "Del 02-11-2026 al 05-11-2026. Motivo del Director: «Apoderado confirmó»")
    assert rows["login"]["Fecha y hora"] == "02-11-2026 08:00"


def test_the_csv_export(audited):
    with session_factory(audited)() as session:
        data, matched = audit_report.export_csv(session, auth.get_user(session, "directora"),
                                                audit.Filters(people=("asistencia",)))
    assert data.startswith(b"\xef\xbb\xbf") and matched == 2
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == audit_report.CSV_HEADERS
    person = audit_report.CSV_HEADERS.index("Persona")
    assert [row[person] for row in rows[1:]] == ["'" + FORMULA_NAME] * 2  # never a formula
    assert OTHER_NAME not in data.decode("utf-8-sig")


def test_who_may_read_it(audited):
    with pytest.raises(PermissionDenied, match="Profesor"):
        read(audited, "profesor")
    with pytest.raises(UserError, match="posterior"):
        read(audited, "directora", audit.Filters(start=date(2026, 11, 9), end=date(2026, 11, 2)))


def test_the_configuracion_entries_in_words():
    def entry(action: str, **detail) -> dict:  # noqa: ANN003
        return audit_report.row(audit.Entry(1, at(9).now(), "directora", "Directora María Soto",
                                            action, HOME, "Escuela Los Aromos", None, None,
                                            detail))

    change = entry("config.change", key="sync.concurrency", scope="instalación", value="4",
                   previous="2")
    assert (change["Acción"], change["Detalle"]) == ("Cambio de configuración",
                                                     "sync.concurrency: 2 → 4")
    role = entry("user.role", target="ana", role="asistencia", previous="profesor")
    assert role["Detalle"] == "ana: Profesor(a) → Administrador(a) de Asistencia"
    probe = entry("sige.test_connection", outcome="credenciales_rechazadas", base_url="http://s")
    assert probe["Resultado"] == "Credenciales rechazadas"


def test_the_newer_entries_in_words():
    """The envío automático, a correction closed by a load and a user's e-mail read as
    people say them (no action key, no course code, no cause key)."""
    def entry(action: str, **detail) -> dict:  # noqa: ANN003
        return audit_report.row(audit.Entry(1, at(9).now(), "directora", "Directora María Soto",
                                            action, HOME, "Escuela Los Aromos", None, None,
                                            detail))

    run = entry("autopilot.run", kind="auto", queued=["110-1-A 2026-11-02"],
                held=["110-3-A 2026-11-05 caso_1", "110-3-B 2026-11-05 sin_registro"])
    assert run["Acción"] == "Envío automático"
    assert run["Resultado"] == "En cola: 1; retenidos: 2"
    assert run["Detalle"] == ("Retenidos: 3° Básico A 05-11-2026: Caso 1 (faltan estudiantes); "
                              "3° Básico B 05-11-2026: sin registro de asistencia")
    resolved = entry("rut_correction.resolved", correction_id=7, resolved_reason="nomina")
    assert resolved["Acción"] == "Corrección de RUT cerrada por una nueva carga"
    assert resolved["Detalle"] == "Corrección 7: la nómina SIGE ya tiene el RUT del Libro"
    email = entry("user.email", target="ana", email="definido")
    assert (email["Acción"], email["Detalle"]) == ("Correo de usuario cambiado",
                                                   "ana: correo definido")
    enabled = entry("autopilot.enable", at="20:00", previous={"enabled": False, "at": "07:00"})
    assert (enabled["Acción"], enabled["Detalle"]) == ("Envío automático activado o cambiado",
                                                       "Hora: 20:00")
