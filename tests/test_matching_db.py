"""The database side of the reconciliation, on SQLite and PostgreSQL: frames loaded
set-based, the 2nd hour deciding, corrections and settings applied, one course."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from reconcile import rut as rutlib
from reconcile import settings
from reconcile.db import transaction
from reconcile.db.models import (
    AttendanceMark,
    Course,
    Enrolment,
    Establishment,
    RutCorrection,
    Student,
)
from reconcile.errors import UserError
from reconcile.matching import (
    check_course,
    check_report,
    load_frames,
    resolve_rbd,
    run_check,
)

RBD = 24875
D1, D2, D3 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
NOW = datetime(2026, 11, 16, 10, 0)


def run(body: int) -> str:
    return f"{body}-{rutlib.calc_check_digit(body)}"


A, B, C, E = run(23456789), run(23511402), run(23698041), run(22987654)
JOSE, IPE = run(25123456), run(100234567)


def seed_school(session, rbd: int = RBD, with_marks: bool = True) -> dict[str, Course]:
    """A small school: 110-1-A (A, B, C, JOSE in SIGE; the Libro has A, B and José's
    IPE; C is missing) and 110-2-A (E). B is present at the 1st hour and absent at
    the 2nd on D1. José's names differ slightly between SIGE and the Libro."""
    session.add(Establishment(rbd=rbd, name=f"Escuela {rbd}", created_at=NOW))
    session.flush()
    courses = {code: Course(rbd=rbd, year=2026, cod_ense=110, cod_grado=grado, letra="A",
                            desc_grado=f"{grado}° Básico")
               for code, grado in (("110-1-A", 1), ("110-2-A", 2))}
    session.add_all(courses.values())
    session.flush()

    def student(value: str, nombres=None, paterno=None, materno=None, full=None, born=None):
        parsed = rutlib.parse(value)
        row = Student(rbd=rbd, rut=parsed.canonical, run=parsed.body, dv=parsed.dv,
                      kind=parsed.kind, nombres=nombres, ape_paterno=paterno,
                      ape_materno=materno, full_name=full, birth_date=born)
        session.add(row)
        return row

    people = {
        A: student(A, "Martina", "González", "Muñoz"),
        B: student(B, "Benjamín", "Rojas", "Díaz"),
        C: student(C, "Sofía Antonia", "Pérez", "Soto"),
        JOSE: student(JOSE, "José Manuel", "Hernández", "Castillo", born=date(2019, 5, 9)),
        E: student(E, "Florencia", "Silva", "Reyes"),
        IPE: student(IPE, full="José Hernández Castillo"),
    }
    session.flush()
    for value, code in ((A, "110-1-A"), (B, "110-1-A"), (C, "110-1-A"), (JOSE, "110-1-A"),
                        (E, "110-2-A")):
        session.add(Enrolment(rbd=rbd, course_id=courses[code].id, student_id=people[value].id))
    if with_marks:
        for day in (D1, D2, D3):
            for value, code in ((A, "110-1-A"), (B, "110-1-A"), (IPE, "110-1-A"),
                                (E, "110-2-A")):
                for hour in (1, 2):
                    present = not (value == B and day == D1 and hour == 2)
                    session.add(AttendanceMark(rbd=rbd, course_id=courses[code].id,
                                               student_id=people[value].id, day=day,
                                               hour=hour, present=present))
    session.flush()
    return courses


def test_frames_are_loaded_with_the_second_hour_deciding(db_url):
    with transaction(db_url) as session:
        seed_school(session)
        frames = load_frames(session, RBD, D1, D2)
    assert set(frames.enrolment["course"]) == {"110-1-A", "110-2-A"}
    assert len(frames.enrolment) == 5
    assert len(frames.marks) == 4 * 2  # one deciding mark per student and day
    b_day1 = frames.marks[(frames.marks["rut"] == B) & (frames.marks["day"] == D1)]
    assert b_day1["present"].tolist() == [False]
    assert frames.people.loc[IPE, "full_name"] == "José Hernández Castillo"


def test_check_on_the_database(db_url):
    with transaction(db_url) as session:
        seed_school(session)
        report = check_report(session, RBD, D1, D3)
    assert report["rbd"] == RBD and report["from"] == D1.isoformat()
    first = [e for e in report["course_days"] if e["course"] == "110-1-A"]
    assert len(first) == 3
    for e in first:
        assert e["missing_in_libro"] == sorted([C, JOSE])
        assert e["unknown_to_sige"] == [IPE]
        assert [(p["libro"], p["sige"], p["reason"]) for p in e["suggested_pairs"]] == [
            (IPE, JOSE, "provisional")]
    assert all(e["ready"] for e in report["course_days"] if e["course"] == "110-2-A")


def test_the_threshold_setting_is_read_per_school(db_url):
    with transaction(db_url) as session:
        seed_school(session)
        confidence = run_check(session, RBD, D1, D1).pairs["confidence"].iloc[0]
        assert confidence < 1.0  # the Libro omits a second name
        settings.set_value(session, "match.suggest_threshold", str(min(1.0, confidence + 0.01)),
                           rbd=RBD)
        assert run_check(session, RBD, D1, D1).pairs.empty


def test_the_provisional_setting_changes_what_a_number_is(db_url):
    with transaction(db_url) as session:
        seed_school(session)
        settings.set_value(session, "rut.provisional_min_body", "200000000")
        # IPE's body is now a definitive RUN: two definitive RUTs are never paired.
        assert run_check(session, RBD, D1, D1).pairs.empty


def test_an_approved_correction_is_applied(db_url):
    with transaction(db_url) as session:
        seed_school(session)
        session.add(RutCorrection(rbd=RBD, from_rut=IPE, to_rut=JOSE, reason="provisional",
                                  confidence=0.96, approved_by="directora", approved_at=NOW))
        session.flush()
        entry = check_report(session, RBD, D1, D1, "110-1-A")["course_days"][0]
    assert entry["missing_in_libro"] == [C]
    assert entry["unknown_to_sige"] == [] and entry["suggested_pairs"] == []
    assert entry["libro_students"] == 3 and entry["sige_enrolled"] == 4


def test_a_revoked_correction_is_not_applied(db_url):
    with transaction(db_url) as session:
        seed_school(session)
        session.add(RutCorrection(rbd=RBD, from_rut=IPE, to_rut=JOSE, reason="provisional",
                                  approved_by="d", approved_at=NOW, revoked_by="d",
                                  revoked_at=NOW))
        session.flush()
        entry = check_report(session, RBD, D1, D1, "110-1-A")["course_days"][0]
    assert entry["unknown_to_sige"] == [IPE]


def test_one_course_only_and_the_range(db_url):
    with transaction(db_url) as session:
        seed_school(session)
        report = check_report(session, RBD, D2, D3, "110-2-A")
    assert [(e["course"], e["date"]) for e in report["course_days"]] == [
        ("110-2-A", D2.isoformat()), ("110-2-A", D3.isoformat())]


def test_the_school_and_course_are_resolved_or_refused(db_url):
    with transaction(db_url) as session:
        with pytest.raises(UserError, match="No hay establecimientos"):
            resolve_rbd(session, None)
        seed_school(session)
        assert resolve_rbd(session, None) == RBD
        seed_school(session, rbd=11111, with_marks=False)
        with pytest.raises(UserError, match="--rbd"):
            resolve_rbd(session, None)
        assert resolve_rbd(session, 11111) == 11111
        with pytest.raises(UserError, match="No existe el establecimiento"):
            resolve_rbd(session, 99)
        assert check_course(session, RBD, "110-1-a") == "110-1-A"
        with pytest.raises(UserError, match="no existe"):
            check_course(session, RBD, "110-9-A")
        with pytest.raises(UserError, match="Curso no válido"):
            check_course(session, RBD, "primero A")


def test_schools_do_not_mix(db_url):
    with transaction(db_url) as session:
        seed_school(session)
        seed_school(session, rbd=11111, with_marks=False)
        report = check_report(session, 11111, D1, D3)
    assert report["course_days"] == []
