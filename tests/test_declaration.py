"""The summary to declare a month, against a school small enough to count by hand: two
letters of 1° Básico (three children in A, two in B), 2 to 4 November, sent to the SIGE
emulator by the real worker; then a new Libro load changes a mark and adds a day."""
from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import update

from reconcile.clock import FixedClock
from reconcile.db import transaction, upgrade
from reconcile.db.models import Course, CourseDay, Establishment
from reconcile.declaration import export
from reconcile.declaration.summary import declaration
from reconcile.demo import write_files
from reconcile.errors import UserError
from reconcile.imports import import_libro
from reconcile.sige_calendar import Month
from reconcile import payload
from tests.cli_helpers import run_cli
from tests.declaration_helpers import A, B, DAYS, MARKS, NOV_5, tiny_school
from tests.sync_helpers import NOW, NOW_ISO, build_school, emulator_for, queue, run_worker

def as_json(url: str, rbd: int) -> dict:
    with transaction(url) as session:
        return declaration(session, FixedClock(NOW), [rbd]).as_json()


def side(present, absent, days: int) -> dict:
    return {"present": present, "absent": absent,
            "average": None if present is None else round(present / days, 2)}


def block(code: str, day: str, state: str, cause: str) -> dict:
    return {"course": code, "date": day, "state": state, "cause": cause}


def course(code: str, label: str, enrolled: int, worked: int, synced: int, sige: dict,
           libro: dict) -> dict:
    return {"course": code, "label": label, "enrolled": enrolled, "worked_days": worked,
            "synced_days": synced, "sige": sige, "libro": libro}


@pytest.mark.slow
def test_the_month_summary_follows_what_sige_accepted(db_url, tmp_path):
    small = build_school(db_url, tmp_path / "files", school=tiny_school())
    rbd = small.rbd
    with transaction(db_url) as session:
        name = session.get(Establishment, rbd).name  # as the nómina's import named it
    # Before sending: the Libro counted by hand, SIGE has nothing, every course-day blocks.
    found = as_json(db_url, rbd)
    assert found["month"] == "2026-11"
    school = found["schools"][0]
    assert (school["rbd"], school["name"], school["ready"]) == (rbd, name, False)
    assert school["courses"] == [
        course(A, "1° Básico A", 3, 3, 0, side(0, 0, 3), side(6, 3, 3)),
        course(B, "1° Básico B", 2, 3, 0, side(0, 0, 3), side(5, 1, 3))]
    assert {(b["course"], b["state"], b["cause"]) for b in school["blocking"]} == {
        (A, "por_sincronizar", "no_enviado"), (B, "por_sincronizar", "no_enviado")}
    assert len(school["blocking"]) == 6

    with emulator_for(small, tmp_path):
        queue(small, "director")
        run_worker(db_url)
    school = as_json(db_url, rbd)["schools"][0]
    assert school["ready"] is True and school["blocking"] == []
    assert school["courses"] == [
        course(A, "1° Básico A", 3, 3, 3, side(6, 3, 3), side(6, 3, 3)),
        course(B, "1° Básico B", 2, 3, 3, side(5, 1, 3), side(5, 1, 3))]
    with transaction(db_url) as session:  # the same counts as the payload the worker sent
        ids = dict(session.execute(Course.__table__.select().with_only_columns(
            Course.letra, Course.id).where(Course.rbd == rbd)).all())
        sent = payload.stored_payloads(session, rbd, [(ids["A"], day) for day in DAYS])
    assert sum(len(p.presentes) for p in sent.values()) == 6

    # A later load: the third child of A present on 2 November, and A's 5 November (B has
    # none that day). SIGE keeps what it accepted; the Libro says more.
    changed = {A: ["PPPP", "PpPP", "PAPA"], B: ["PPP", "PPA"]}
    files = write_files(tiny_school(changed, NOV_5), tmp_path / "again")
    with transaction(db_url) as session:
        for path in (files.libro_long, files.libro_wide):
            import_libro(session, path, clock=small.clock, rbd=rbd)
    found = run_cli("declaration", "--rbd", str(rbd), "--json",
                    env={"DATABASE_URL": db_url, "RECONCILE_NOW": NOW_ISO})
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == {"month": "2026-11", "schools": [{
        "rbd": rbd, "name": name, "ready": False,
        "blocking": [
            block(A, "2026-11-02", "por_sincronizar", "modificado"),
            block(A, "2026-11-05", "por_sincronizar", "no_enviado"),
            block(B, "2026-11-05", "sin_registro", "sin_asistencia")],
        "courses": [course(A, "1° Básico A", 3, 4, 3, side(6, 3, 4), side(9, 3, 4)),
                    course(B, "1° Básico B", 2, 4, 3, side(5, 1, 4), side(5, 1, 4))]}]}

    # A course-day synced before SIGE's counts were kept (migration 0006): counted from the
    # Libro while unchanged; unknown once changed (never a partial sum).
    with transaction(db_url) as session:
        session.execute(update(CourseDay).where(CourseDay.rbd == rbd)
                        .values(synced_present=None, synced_absent=None))
    with transaction(db_url) as session:
        school = declaration(session, FixedClock(NOW), [rbd]).schools[0]
        by_code = {c.course: c for c in school.courses}
        assert (by_code[B].sige.present, by_code[B].sige.absent) == (5, 1)
        assert by_code[A].sige.present is None and by_code[A].sige_unknown_days == 1
        assert by_code[A].as_json()["sige"] == {"present": None, "absent": None,
                                                "average": None}
        workbook = openpyxl.load_workbook(io.BytesIO(export.school_xlsx(session, school)))
    assert workbook.sheetnames == ["Resumen", "Impiden declarar", "1° Básico A", "1° Básico B",
                                   "Autorizaciones"]
    summary = [[c.value for c in row] for row in workbook["Resumen"].iter_rows(min_row=2)]
    assert summary[1][:9] == ["1° Básico B", B, 2, 4, 3, 5, 1, 1.25, 83.33]
    assert summary[0][5:8] == ["desconocido", "desconocido", ""]
    students = [[c.value for c in row] for row in workbook["1° Básico A"].iter_rows(min_row=2)]
    assert sorted((row[2], row[3], row[4]) for row in students) == [
        (2, 2, 50.0), (3, 1, 75.0), (4, 0, 100.0)]
    assert len(workbook["Impiden declarar"]["A"]) == 4  # the header and three course-days


def test_overrides_and_formulas_in_the_workbook(db_url, tmp_path):
    """A Director's override (B's second child is missing from the Libro: Caso 1) is in its
    sheet with who, when and why; a reason that looks like a formula stays text."""
    small = build_school(db_url, tmp_path / "files",
                         school=tiny_school({A: MARKS[A], B: ["PPP", "---"]}))
    reason = '=HYPERLINK("x") la niña se retiró y SIGE aún no lo refleja'
    queue(small, "director", override=reason, start=DAYS[0], end=DAYS[0], courses=[B])
    with transaction(db_url) as session:
        school = declaration(session, FixedClock(NOW), [small.rbd]).schools[0]
        workbook = openpyxl.load_workbook(io.BytesIO(export.school_xlsx(session, school)))
    rows = [[c.value for c in row] for row in workbook["Autorizaciones"].iter_rows(min_row=2)]
    assert rows == [["16-11-2026 10:00", "director", "1° Básico B", B, "02-11-2026",
                     "'" + reason, "Caso 1: faltan estudiantes que SIGE tiene matriculados"]]
    queued = [b for b in school.blocking if b.day == DAYS[0] and b.course == B]
    assert [(b.state, b.cause, b.where_es) for b in queued] == [
        ("en_proceso", "esperando_resultado", "Estado")]


def test_bad_month_and_school_are_refused_in_spanish(db_url):
    with transaction(db_url) as session:
        for month, school in ((Month(2026, 12), None), (None, 99999)):
            with pytest.raises(UserError) as refused:
                declaration(session, FixedClock(NOW), [school] if school else None, month)
            assert refused.value.reasons


@pytest.mark.parametrize("args, words", [
    (("--month", "2026-13"), "Mes no válido en --month: «2026-13»"),
    (("--month", "2027-01"), "Mes futuro en --month: «2027-01»"),
    (("--rbd", "424242"), "No existe el establecimiento RBD 424242"),
])
def test_cli_bad_input_exits_2(tmp_path, args, words):
    """On SQLite only: the refusal comes before any school's data is read."""
    url = f"sqlite:///{tmp_path / 'vacia.db'}"
    upgrade(url)
    done = run_cli("declaration", *args, "--json",
                   env={"DATABASE_URL": url, "RECONCILE_NOW": NOW_ISO})
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr and done.stdout == ""
