"""`python -m reconcile demo`: a realistic school imported through the real importers,
with users whose passwords are printed once and work."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from reconcile import auth
from reconcile.db import session_factory
from reconcile.db.models import (
    AttendanceMark,
    Course,
    CourseDay,
    Enrolment,
    Establishment,
    Student,
)
from tests.cli_helpers import run_cli, snapshot

NOW = "2026-11-20T09:00"


def test_demo_builds_the_school_and_prints_working_passwords(db_url, tmp_path):
    result = run_cli("demo", "--folder", str(tmp_path), env={"RECONCILE_NOW": NOW})
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


def test_demo_if_empty_leaves_an_existing_school_alone(db_url, tmp_path):
    assert run_cli("demo", "--folder", str(tmp_path), env={"RECONCILE_NOW": NOW}).returncode == 0
    before = snapshot(db_url)
    again = run_cli("demo", "--if-empty", "--folder", str(tmp_path), env={"RECONCILE_NOW": NOW})
    assert again.returncode == 0 and "no se crea" in again.stdout
    assert snapshot(db_url) == before
    twice = run_cli("demo", "--folder", str(tmp_path), env={"RECONCILE_NOW": NOW})
    assert twice.returncode == 2 and "ya existe" in twice.stderr
    assert snapshot(db_url) == before
