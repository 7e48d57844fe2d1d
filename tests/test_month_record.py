"""Inicio shows what the database holds of SIGE's month (courses and days with
attendance, the last load of each kind and by whom) and the gap so far, not just the
last Libro file."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from reconcile import auth
from reconcile.clock import FixedClock
from reconcile.db import session_factory, transaction
from reconcile.imports import import_libro, import_sige
from reconcile.school import month_record
from tests.app_helpers import PASSWORD, app, log_in

SAMPLES = Path(__file__).parent / "data" / "samples"
# One course-day: 2° Básico A on Tuesday 10-11, loaded by a person after the samples.
ONE_COURSE_DAY = ("RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia\n"
                  "24875;2° Básico A;22.987.654-6;Florencia Silva Reyes;10-11-2026;2;P\n"
                  "24875;2° Básico A;22.876.123-0;Tomás Andrés Morales Araya;10-11-2026;2;P\n"
                  "24875;2° Básico A;9.876.543-3;Mateo Tapia Cortés;10-11-2026;2;P\n")


@pytest.fixture
def samples(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    with transaction(db_url) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock)
        import_libro(session, SAMPLES / "libro_asistencia_larga.csv", clock=clock)
        auth.add_user(session, "asistencia", "asistencia", [24875], PASSWORD,
                      display_name="Ana Rojas")
    return db_url


def record(url: str, clock: FixedClock):
    with session_factory(url)() as session:
        return month_record(session, 24875, clock)


def nov(*days: int) -> list[date]:
    return [date(2026, 11, d) for d in days]


def test_the_month_in_the_database(samples, clock):
    month = record(samples, clock)
    assert str(month.month) == "2026-11" and month.until == date(2026, 11, 16)
    assert month.enrolled == ["110-1-A", "110-2-A"]
    assert month.days == {day: 2 for day in nov(2, 3, 4, 5, 6, 9)}
    assert month.course_days == 12 and month.courses_with_record == 2
    assert month.missing_days == nov(10, 11, 12, 13, 16)  # worked days so far, today included
    assert month.course_gaps == {} and month.silent_courses == []
    assert month.last_loads["libro"].filename == "libro_asistencia_larga.csv"
    assert month.last_loads["libro"].by is None  # loaded from the CLI without --user


def test_a_one_course_day_file_is_not_the_whole_libro(samples, clock):
    with transaction(samples) as session:
        user = auth.get_user(session, "asistencia")
        import_libro(session, ONE_COURSE_DAY.encode("utf-8"), filename="correccion.csv",
                     user=user, clock=clock)
    month = record(samples, clock)
    assert month.days[date(2026, 11, 10)] == 1
    assert month.course_days == 13
    assert month.missing_days == nov(11, 12, 13, 16)
    assert month.course_gaps == {"110-1-A": nov(10)}  # others have 10-11, 1° Básico A not
    load = month.last_loads["libro"]
    assert (load.filename, load.by) == ("correccion.csv", "Ana Rojas")  # a name, not a login
    assert month.last_loads["sige_nomina"].filename == "nomina_sige.xlsx"


def test_weekends_and_holidays_are_not_a_gap(samples):
    # SIGE is in December from its close (3rd working day); 08-12 is a national holiday.
    month = record(samples, FixedClock(datetime(2026, 12, 9, 18, 0)))
    assert str(month.month) == "2026-12"
    assert month.missing_days == [date(2026, 12, d) for d in (1, 2, 3, 4, 7, 9)]
    assert month.days == {} and month.silent_courses == ["110-1-A", "110-2-A"]


def test_the_landing_page_shows_the_month_and_the_gap(samples, clock):
    with transaction(samples) as session:
        user = auth.get_user(session, "asistencia")
        import_libro(session, ONE_COURSE_DAY.encode("utf-8"), filename="correccion.csv",
                     user=user, clock=clock)
    at = log_in(app().run(), "asistencia")
    assert not at.exception
    text = "\n".join(m.value for m in (*at.markdown, *at.warning))
    assert "**2 de 2 cursos** con asistencia, en **7 días**" in text
    assert "10-11 (1 de 2 cursos)" in text
    assert "Días hábiles sin ningún registro: 11-11-2026, 12-11-2026, 13-11-2026, 16-11-2026." \
        in text
    assert "1° Básico A no tiene registro el 10-11-2026, aunque otros cursos sí." in text
    assert "«correccion.csv», 16-11-2026 10:00, por Ana Rojas." in text
    assert "«nomina_sige.xlsx»" in text
