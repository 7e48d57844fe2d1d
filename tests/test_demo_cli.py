"""`python -m reconcile demo`: two realistic schools of one sostenedor imported through the
real importers (or the main one alone), with users whose passwords are printed once and work."""
from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import func, select

from reconcile import auth, settings
from reconcile.clock import FixedClock
from reconcile.db import session_factory
from reconcile.db.models import (
    AttendanceMark,
    Course,
    CourseDay,
    Enrolment,
    Establishment,
    Student,
)
from reconcile.demo_setup import DEMO_CREDENTIALS, EMULATOR_NOMINA
from reconcile.sige.emulator import load_nomina
from reconcile.sync.overview import schools_overview
from tests.cli_helpers import run_cli, snapshot

NOW = "2026-11-20T09:00"


def test_demo_builds_the_school_and_prints_working_passwords(db_url, tmp_path):
    result = run_cli("demo", "--folder", str(tmp_path), "--single-school",
                     env={"RECONCILE_NOW": NOW})
    assert result.returncode == 0, result.stderr
    passwords = dict(re.findall(r"^\s+(\w+)\s+.*contraseña: (\S+)$", result.stdout, re.M))
    assert set(passwords) == {"director", "asistencia", "profesor"}
    with session_factory(db_url)() as session:
        school = session.scalars(select(Establishment)).one()
        assert school.name == "Escuela Demostración Los Aromos"
        courses = session.scalar(select(func.count()).select_from(Course))
        students = session.scalar(select(func.count(func.distinct(Enrolment.student_id))))
        assert 30 <= courses <= 45 and 1100 <= students <= 1300
        provisional = session.scalar(select(func.count()).select_from(Student)
                                     .where(Student.kind == "provisional"))
        assert 0.01 <= provisional / students <= 0.04
        marks = session.scalar(select(func.count()).select_from(AttendanceMark))
        days = session.scalar(select(func.count(func.distinct(CourseDay.day))))
        assert days == 15  # 2..20 November 2026, weekdays: 15 worked days
        assert marks > students * days  # two class hours a day
        roles = {u.username: u.role for u in auth.list_users(session)}
        assert roles == {"director": "director", "asistencia": "asistencia",
                         "profesor": "profesor"}
    for username, password in passwords.items():
        assert auth.login(username, password, url=db_url).username == username
    assert not (tmp_path / EMULATOR_NOMINA).exists()


def test_demo_builds_two_schools_and_a_sostenedor_over_both(db_url, tmp_path):
    result = run_cli("demo", "--folder", str(tmp_path), env={"RECONCILE_NOW": NOW})
    assert result.returncode == 0, result.stderr
    passwords = dict(re.findall(r"^\s+(\w+)\s+.*contraseña: (\S+)$", result.stdout, re.M))
    assert set(passwords) == {"director", "asistencia", "profesor", "sostenedor"}
    assert re.search(r"^\s+sostenedor\s+Sostenedor\s+RBD 10234 y RBD 10891\s", result.stdout,
                     re.M), result.stdout
    with session_factory(db_url)() as session:
        names = dict(session.execute(select(Establishment.rbd, Establishment.name)).all())
        assert names == {10234: "Escuela Demostración Los Aromos",
                         10891: "Liceo Demostración Las Araucarias"}
        courses = dict(session.execute(select(Course.rbd, func.count()).group_by(Course.rbd)).all())
        assert courses == {10234: 36, 10891: 12}  # the second school is smaller
        users = {u.username: (u.role, u.rbds) for u in auth.list_users(session)}
        assert users == {"director": ("director", (10234,)),
                         "asistencia": ("asistencia", (10234,)),
                         "profesor": ("profesor", (10234,)),
                         "sostenedor": ("sostenedor", (10234, 10891))}
        # one convenio, signed by the sostenedor, for both schools
        for key in DEMO_CREDENTIALS:
            assert settings.get_value(session, key, 10234) == \
                settings.get_value(session, key, 10891) == DEMO_CREDENTIALS[key]
        sostenedor = auth.get_user(session, "sostenedor")
        overview = schools_overview(session, sostenedor, FixedClock(datetime(2026, 11, 20, 9)))
        assert {school.rbd for school in overview.schools} == {10234, 10891}
    assert auth.login("sostenedor", passwords["sostenedor"], url=db_url).rbds == (10234, 10891)
    # each school's own files, and both nóminas in one for the local SIGE emulator
    assert (tmp_path / "nomina_sige.xlsx").exists()
    assert (tmp_path / "10891" / "libro_asistencia_larga.csv").exists()
    enrolment, bad_rows = load_nomina(tmp_path / EMULATOR_NOMINA)
    assert bad_rows == 0 and enrolment.rbds == {10234, 10891}
    # both reconcile, each with problems of its own
    for rbd in (10234, 10891):
        checked = run_cli("check", "--from", "2026-11-02", "--to", "2026-11-20", "--rbd",
                          str(rbd), "--json", env={"RECONCILE_NOW": NOW})
        assert checked.returncode == 0, checked.stderr
        report = json.loads(checked.stdout)
        assert report["rbd"] == rbd
        ready = [entry["ready"] for entry in report["course_days"]]
        assert len(ready) == courses[rbd] * 15 and any(ready) and not all(ready)
        manifest = json.loads(((tmp_path if rbd == 10234 else tmp_path / "10891")
                               / "manifest.json").read_text(encoding="utf-8"))
        unknown = {(e["course"], e["rut"]) for e in manifest["unknown_to_sige"]}
        found = {(entry["course"], r) for entry in report["course_days"]
                 for r in entry["unknown_to_sige"]}
        assert unknown and unknown <= found


def test_demo_if_empty_leaves_an_existing_school_alone(db_url, tmp_path):
    assert run_cli("demo", "--folder", str(tmp_path), env={"RECONCILE_NOW": NOW}).returncode == 0
    before = snapshot(db_url)
    again = run_cli("demo", "--if-empty", "--folder", str(tmp_path), env={"RECONCILE_NOW": NOW})
    assert again.returncode == 0 and "no se crea" in again.stdout
    assert snapshot(db_url) == before
    twice = run_cli("demo", "--folder", str(tmp_path), env={"RECONCILE_NOW": NOW})
    assert twice.returncode == 2 and "ya existe" in twice.stderr
    assert snapshot(db_url) == before
