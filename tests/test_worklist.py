"""Pendientes in the library and its CLI, on SQLite and PostgreSQL: the right advice
for a reversed pair (the Libro has the RUN, SIGE still the IPE), one item per child,
approve-all in one transaction, and corrections that close themselves after a load."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from reconcile import corrections, payload
from reconcile.access import ASISTENCIA, PROFESOR, AuthUser
from reconcile.db import transaction
from reconcile.db.models import AuditLog, CourseDay, RutCorrection
from reconcile.errors import PermissionDenied, UserError
from reconcile.imports import import_libro, import_sige
from reconcile.matching import check_report
from reconcile.worklist import (
    ABIERTO,
    CORREGIDO,
    RESUELTO,
    approve_all_certain,
    worklist,
)
from tests.cli_helpers import run_cli, snapshot
from tests.test_app_conciliacion import TYPO_IN_SECOND_GRADE

SAMPLES = Path(__file__).parent / "data" / "samples"
RBD = 24875
RUN, IPE = "25123456-6", "100234567-2"  # José: his RUN and his IPE
ASISTENTE = AuthUser("asistencia", "Ana Rojas", ASISTENCIA, (RBD,))
PROFE = AuthUser("profesor", "Profe", PROFESOR, (RBD,))


def libro_csv(with_run: bool) -> bytes:
    """The samples' long Libro, José under his RUN (``with_run``) or his IPE."""
    text = (SAMPLES / "libro_asistencia_larga.csv").read_bytes().decode("latin-1")
    return (text.replace("100.234.567-2", "25.123.456-6") if with_run else text).encode("utf-8")


def nomina_with_ipe(tmp_path: Path) -> Path:
    """The samples' nómina with José still under his IPE in SIGE."""
    book = openpyxl.load_workbook(SAMPLES / "nomina_sige.xlsx")
    sheet = book.worksheets[1]
    for row in sheet.iter_rows(min_row=2):
        if row[6].value == 25123456:
            row[6].value, row[7].value = 100234567, "2"
    path = tmp_path / "nomina_ipe.xlsx"
    book.save(path)
    return path


@pytest.fixture
def reversed_pair(db_url, clock, tmp_path):
    """SIGE enrols José under his IPE; the Libro has his definitive RUN."""
    with transaction(db_url) as session:
        import_sige(session, nomina_with_ipe(tmp_path), clock=clock)
        import_libro(session, libro_csv(with_run=True), filename="libro.csv", clock=clock)
    return db_url


@pytest.fixture
def usual_pair(db_url, clock):
    """SIGE has José's RUN; the Libro still his IPE (the samples as they are)."""
    with transaction(db_url) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock)
        import_libro(session, libro_csv(with_run=False), filename="libro.csv", clock=clock)
    return db_url


def jose(found):  # noqa: ANN001, ANN201
    [item] = [i for i in found.items if RUN in (i.libro_rut, i.sige_rut)]
    return item


def test_a_reversed_pair_says_to_fix_sige_not_the_libro(reversed_pair, clock):
    with transaction(reversed_pair) as session:
        item = jose(worklist(session, RBD, clock))
    assert (item.libro_rut, item.sige_rut, item.fix_in, item.can_approve) == (RUN, IPE, "sige",
                                                                              True)
    assert "SIGE aún tiene el RUT provisorio (IPE)" in item.problem
    assert "No cambie el Libro Digital" in item.fix and "actualizar en SIGE el RUN" in item.fix
    assert "se envía a SIGE el RUT que SIGE tiene matriculado (el IPE" in item.fix


def test_the_usual_pair_says_to_fix_the_libro(usual_pair, clock):
    with transaction(usual_pair) as session:
        item = jose(worklist(session, RBD, clock))
    assert (item.libro_rut, item.sige_rut, item.fix_in) == (IPE, RUN, "libro")
    assert "El Libro tiene el RUT provisorio (IPE)" in item.problem
    assert "Reemplace el IPE por el RUN definitivo en el Libro Digital" in item.fix


def test_the_export_of_a_reversed_pair_sends_the_ipe_and_says_fix_sige(reversed_pair, clock):
    with transaction(reversed_pair) as session:
        corrections.approve(session, ASISTENTE, RBD, RUN, IPE, "provisional", 1.0, clock)
        text = corrections.export_csv(session, ASISTENTE, RBD).decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert row["RUT en el Libro"] == "25.123.456-6" and row["RUT en SIGE"] == "100.234.567-2"
    assert row["RUT que se envía"] == "100.234.567-2"  # what SIGE has enrolled
    assert row["Dónde corregir"].startswith("SIGE") and "No cambie el Libro" in row["Qué hacer"]
    assert "RUT correcto (SIGE)" not in text


def test_one_item_per_child_over_the_month(usual_pair, clock):
    with transaction(usual_pair) as session:
        found = worklist(session, RBD, clock)
        entries = check_report(session, RBD, found.month.first_day, found.month.last_day)
    days_with_ipe = [e["date"] for e in entries["course_days"] if IPE in e["unknown_to_sige"]]
    item = jose(found)
    assert item.days == len(days_with_ipe) > 1
    assert (item.first.isoformat(), item.last.isoformat()) == (min(days_with_ipe),
                                                               max(days_with_ipe))
    assert [i.sige_rut for i in found.items].count(RUN) == 1  # the pair only, not also Caso 1
    sofia = [i for i in found.items if i.sige_rut == "23698041-3"]
    assert len(sofia) == 1 and sofia[0].libro_rut is None and sofia[0].fix_in == "libro"


def test_approve_all_certain_approves_every_sure_pair_in_one_go(usual_pair, clock):
    with transaction(usual_pair) as session:
        import_libro(session, TYPO_IN_SECOND_GRADE.encode("utf-8"), filename="segundo.csv",
                     clock=clock)
    with transaction(usual_pair) as session:
        assert len(worklist(session, RBD, clock).certain()) == 2
        done = approve_all_certain(session, ASISTENTE, RBD, clock, expected=2)
        assert {(c.from_rut, c.to_rut) for c in done} == {(IPE, RUN),
                                                           ("22876123-1", "22876123-0")}
        states = {i.libro_rut: i.state for i in worklist(session, RBD, clock).items}
    assert states[IPE] == states["22876123-1"] == CORREGIDO


@pytest.mark.parametrize(("user", "expected", "error"), [
    (PROFE, None, PermissionDenied), (ASISTENTE, 5, UserError)])
def test_approve_all_refused_changes_nothing(usual_pair, clock, user, expected, error):
    before = snapshot(usual_pair)
    with pytest.raises(error), transaction(usual_pair) as session:
        approve_all_certain(session, user, RBD, clock, expected=expected)
    assert snapshot(usual_pair) == before


def test_a_libro_fixed_at_the_source_closes_the_correction(usual_pair, clock):
    with transaction(usual_pair) as session:
        correction = corrections.approve(session, ASISTENTE, RBD, IPE, RUN, "provisional", 1.0,
                                         clock)
        correction_id = correction.id
        assert jose(worklist(session, RBD, clock)).state == CORREGIDO
    with transaction(usual_pair) as session:
        import_libro(session, libro_csv(with_run=True), filename="corregido.csv", clock=clock,
                     user=ASISTENTE)
    with transaction(usual_pair) as session:
        closed = session.get(RutCorrection, correction_id)
        assert (closed.resolved_at, closed.resolved_reason) == (clock.now(), "libro")
        assert payload.active_corrections(session, RBD) == {}
        [log] = session.scalars(select(AuditLog).where(
            AuditLog.action == corrections.RESOLVED_ACTION)).all()
        assert log.username == "asistencia" and log.detail["correction_id"] == correction_id
        assert RUN not in json.dumps(log.detail) and IPE not in json.dumps(log.detail)
        item = next(i for i in worklist(session, RBD, clock).items if i.libro_rut == IPE)
        assert item.state == RESUELTO and item.state_on == clock.now().date()
        assert "resuelta por una nueva carga el 16-11-2026 (Libro)" in item.fix
        entries = check_report(session, RBD, item.state_on.replace(day=1), item.state_on)
    assert all(RUN not in e["missing_in_libro"] for e in entries["course_days"])


def test_sige_updating_the_run_closes_a_reversed_correction(reversed_pair, clock):
    with transaction(reversed_pair) as session:
        corrections.approve(session, ASISTENTE, RBD, RUN, IPE, "provisional", 1.0, clock)
        days = session.scalars(select(CourseDay.payload_hash)).all()
    with transaction(reversed_pair) as session:  # SIGE now has José's RUN
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock, allow_removals=True)
    with transaction(reversed_pair) as session:
        [closed] = corrections.list_corrections(session, RBD, include_revoked=True)
        assert closed.resolved_reason == "nomina" and closed.resolved_at == clock.now()
        assert payload.active_corrections(session, RBD) == {}
        assert session.scalars(select(CourseDay.payload_hash)).all() != days  # re-hashed
        found = worklist(session, RBD, clock)
        with pytest.raises(UserError, match="resuelta por una nueva carga"):
            corrections.undo(session, ASISTENTE, closed.id, clock)
    assert jose(found).state == RESUELTO and "(nómina)" in jose(found).fix
    assert not any(i.state == ABIERTO and RUN in (i.libro_rut, i.sige_rut) for i in found.items)


def test_the_cli_prints_the_contract(usual_pair, clock):
    now = {"RECONCILE_NOW": clock.now().isoformat()}  # the CLI's month is SIGE's of that day
    result = run_cli("worklist", "--json", env=now)
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    [pair] = [i for i in items if i["libro_rut"] == IPE]
    assert {k: pair[k] for k in ("course", "sige_rut", "fix_in", "can_approve", "state")} == {
        "course": "110-1-A", "sige_rut": RUN, "fix_in": "libro", "can_approve": True,
        "state": "abierto"}
    assert set(pair) >= {"course", "name", "libro_rut", "sige_rut", "days", "first", "last",
                         "problem", "fix_in", "can_approve", "state"}
    assert pair["first"] == "2026-11-02" and pair["days"] > 1
    text = run_cli("worklist", env=now)
    assert text.returncode == 0 and "Dónde corregir: Libro Digital" in text.stdout


def test_the_cli_refuses_an_unknown_school_in_spanish(usual_pair):
    before = snapshot(usual_pair)
    result = run_cli("worklist", "--rbd", "999", "--json")
    assert result.returncode == 2 and result.stdout == ""
    assert "No existe el establecimiento RBD 999" in result.stderr
    assert snapshot(usual_pair) == before


class _SigeDoesNotKnow:
    """A SIGE that knows no one (verify_student's one call)."""

    def validate_student(self, *args) -> bool:  # noqa: ANN002
        return False


def test_verifying_a_run_sige_does_not_know_does_not_send_the_school_to_the_libro(
        reversed_pair, clock):
    from reconcile.access import DIRECTOR
    from reconcile.sync.verify import verify_student

    director = AuthUser("directora", "Directora", DIRECTOR, (RBD,))
    with transaction(reversed_pair) as session:
        said = verify_student(session, director, RBD, RUN, _SigeDoesNotKnow(), clock).message
        ipe = verify_student(session, director, RBD, IPE, _SigeDoesNotKnow(), clock).message
    assert "no cambie el Libro" in said and "actualiza su RUN en SIGE" in said
    assert "reemplace el IPE por el RUN en el Libro Digital" in ipe
