"""Approving and undoing RUT corrections: roles, validation, audit, exports."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from reconcile import corrections, payload
from reconcile.access import ASISTENCIA, DIRECTOR, PROFESOR, AuthUser
from reconcile.db import transaction
from reconcile.db.models import AuditLog, RutCorrection, Student
from reconcile.errors import PermissionDenied, UserError
from reconcile.matching import check_report
from tests.test_matching_db import C, D1, IPE, JOSE, RBD, A, run, seed_school

DIRECTORA = AuthUser("directora", "Directora", DIRECTOR, (RBD,))
ASISTENTE = AuthUser("asistente", "Asistente", ASISTENCIA, (RBD,))
PROFE = AuthUser("profe", "Profesor", PROFESOR, (RBD,))
OTHER_SCHOOL = AuthUser("otra", "Otra directora", DIRECTOR, (11111,))


def approve(session, clock, user=DIRECTORA, libro=IPE, sige=JOSE, reason="provisional",
            confidence=0.96):
    return corrections.approve(session, user, RBD, libro, sige, reason, confidence, clock)


def test_approve_stores_audits_and_applies(db_url, clock):
    with transaction(db_url) as session:
        seed_school(session)
        correction = approve(session, clock, libro="100.234.567-2")
        assert (correction.from_rut, correction.to_rut) == (IPE, JOSE)
        assert correction.approved_by == "directora" and correction.approved_at == clock.now()
        assert payload.active_corrections(session, RBD) == {IPE: JOSE}
        [log] = session.scalars(select(AuditLog)).all()
        assert log.action == corrections.APPROVE_ACTION and log.username == "directora"
        assert log.detail["correction_id"] == correction.id and log.detail["to_rut"] == JOSE
        entry = check_report(session, RBD, D1, D1, "110-1-A")["course_days"][0]
    assert entry["missing_in_libro"] == [C] and entry["unknown_to_sige"] == []


def test_undo_revokes_audits_and_allows_a_new_approval(db_url, clock):
    with transaction(db_url) as session:
        seed_school(session)
        correction = approve(session, clock)
        clock.advance(timedelta(minutes=5))
        undone = corrections.undo(session, ASISTENTE, correction.id, clock)
        assert undone.revoked_by == "asistente" and undone.revoked_at == clock.now()
        assert payload.active_corrections(session, RBD) == {}
        assert session.get(RutCorrection, correction.id) is not None  # never deleted
        actions = [log.action for log in session.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert actions == [corrections.APPROVE_ACTION, corrections.UNDO_ACTION]
        entry = check_report(session, RBD, D1, D1, "110-1-A")["course_days"][0]
        assert entry["unknown_to_sige"] == [IPE]
        with pytest.raises(UserError, match="ya fue deshecha"):
            corrections.undo(session, DIRECTORA, correction.id, clock)
        approve(session, clock)
        assert payload.active_corrections(session, RBD) == {IPE: JOSE}
        assert len(corrections.list_corrections(session, RBD, include_revoked=True)) == 2


@pytest.mark.parametrize("user", [PROFE, OTHER_SCHOOL])
def test_only_the_right_role_at_the_right_school_may_correct(db_url, clock, user):
    with transaction(db_url) as session:
        seed_school(session)
        with pytest.raises(PermissionDenied):
            approve(session, clock, user=user)
        correction = approve(session, clock)
        with pytest.raises(UserError):
            corrections.undo(session, user, correction.id, clock)
        assert payload.active_corrections(session, RBD) == {IPE: JOSE}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sige": JOSE[:-1] + ("0" if JOSE[-1] != "0" else "1")}, "no es válido"),
    ({"sige": IPE, "libro": IPE}, "son el mismo"),
    ({"reason": "capricho"}, "Motivo de corrección desconocido"),
    ({"confidence": 1.5}, "entre 0 y 1"),
    ({"sige": run(24111222)}, "no está en la nómina SIGE"),
    ({"libro": run(24111222)}, "no tiene asistencia"),
])
def test_bad_corrections_are_refused_and_change_nothing(db_url, clock, kwargs, message):
    with transaction(db_url) as session:
        seed_school(session)
        with pytest.raises(UserError, match=message):
            approve(session, clock, **kwargs)
        assert payload.active_corrections(session, RBD) == {}
        assert session.scalars(select(AuditLog)).all() == []


def test_one_child_is_never_in_two_corrections(db_url, clock):
    with transaction(db_url) as session:
        seed_school(session)
        approve(session, clock)
        with pytest.raises(UserError, match="ya tiene una corrección vigente"):
            approve(session, clock, sige=C)
        with pytest.raises(UserError, match="dos correcciones"):
            approve(session, clock, libro=A)
        assert payload.active_corrections(session, RBD) == {IPE: JOSE}


def test_exports_list_what_to_fix_with_formulas_neutralised(db_url, clock):
    with transaction(db_url) as session:
        seed_school(session)
        student = session.scalar(select(Student).where(Student.rut == JOSE))
        student.nombres = "=HYPERLINK(\"http://x\")"
        approve(session, clock)
        csv_bytes = corrections.export_csv(session, DIRECTORA, RBD)
        xlsx_bytes = corrections.export_xlsx(session, ASISTENTE, RBD)
        with pytest.raises(PermissionDenied):
            corrections.export_csv(session, OTHER_SCHOOL, RBD)
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == corrections.EXPORT_HEADERS
    [row] = rows[1:]
    record = dict(zip(rows[0], row, strict=True))
    assert record["RUT en el Libro"] == "100.234.567-2"
    assert record["RUT en SIGE"] == record["RUT que se envía"] == "25.123.456-6"
    assert record["Dónde corregir"] == "Libro Digital"  # the Libro holds the IPE
    assert "Reemplace el IPE por el RUN definitivo" in record["Qué hacer"]
    assert record["Curso"] == "1° Básico A"
    assert record["Estudiante"].startswith("'=HYPERLINK")
    assert record["Aprobado por"] == "directora"
    assert record["Fecha de aprobación"] == clock.now().strftime("%d-%m-%Y %H:%M")

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes)).active
    values = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert values[0] == corrections.EXPORT_HEADERS
    assert values[1] == row
    assert sheet.cell(2, 2).data_type == "s"  # text, not a formula


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_every_formula_start_is_guarded(text):
    assert corrections.neutralise(text) == "'" + text
