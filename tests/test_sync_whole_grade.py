"""A grade's letters travel together (``sige.send_whole_grade``, default «si»): a
send of one letter carries its synced siblings unchanged and its ready siblings; a
letter SIGE holds that is no longer ready holds the grade-day until a Director
sends it anyway; with «no» only the letters asked for go. Through the library's
requests, the real worker and the emulator over HTTP; the CLI and the page show
the letters that ride along.

The small demo school: 110-3-A and 110-3-B ready, 110-3-C not ready (never sent);
110-8-A and 110-8-C ready, 110-8-B not ready."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from reconcile.db import transaction, upgrade
from reconcile.db.engine import get_engine
from reconcile.db.models import SyncJob
from reconcile.errors import UserError
from reconcile.imports import import_libro
from reconcile.sync import grades, rules
from tests.app_helpers import app, log_in
from tests.cli_helpers import run_cli
from tests.sync_helpers import (
    NOW_ISO,
    PASSWORD,
    build_school,
    configure,
    day_states,
    emulator_for,
    queue,
    run_worker,
)
from tests.test_grade_replace_property import libro_csv

pytestmark = pytest.mark.slow
OVERRIDE = "Enviar igual: el curso debe quedar en SIGE"


@pytest.fixture
def small(db_url, tmp_path):
    return build_school(db_url, tmp_path / "demo")


@pytest.fixture
def small_sqlite(tmp_path, monkeypatch):
    """The school on SQLite only (the grade rules' queries run on both backends in the
    tests above; these add the surfaces, not new queries)."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    yield build_school(url, tmp_path / "demo")
    get_engine(url).dispose()


def grade_calls(sige, grado: int, day) -> list[list[str]]:  # noqa: ANN001
    """The letters of each accepted call for (110, grado, day), in order."""
    return [sorted(c["letra"] for c in s["courses"]) for s in sige.emulator.sends()
            if s["answer_code"] == 1 and s["cod_grado"] == grado and s["day"] == day.isoformat()]


def change(small, code: str, day) -> None:  # noqa: ANN001
    """Invert the deciding hour of the course's first child that day and import that
    course-day's Libro file."""
    child = next(m.rut for m in small.school.marks if (m.course, m.day) == (code, day))
    marks = [replace(m, hour2=not m.hour2) if (m.course, m.rut, m.day) == (code, child, day)
             else m for m in small.school.marks]
    small.school = replace(small.school, marks=marks)
    import_day(small, [m for m in marks if (m.course, m.day) == (code, day)])


def import_day(small, marks) -> None:  # noqa: ANN001
    with transaction(small.url) as session:
        import_libro(session, libro_csv(small.school, marks), filename="libro.csv",
                     clock=small.clock, rbd=small.rbd)


def states(small, day, *codes: str) -> list[str]:  # noqa: ANN001
    found = day_states(small.url)
    return [found[(code, day)].state for code in codes]


def test_a_resent_letter_carries_its_synced_and_ready_siblings(small, tmp_path):
    day = small.school.worked_days[0]
    with emulator_for(small, tmp_path) as sige:
        first = queue(small, "asistencia", start=day, end=day, courses=["110-3-A", "110-8-A"])
        # ready though not asked for: they go; the not-ready letters stay out
        assert sorted((c.code, d) for c, d in first.riding) == [("110-3-B", day),
                                                                 ("110-8-C", day)]
        assert not first.unchanged
        run_worker(small.url)
        assert grade_calls(sige, 3, day) == [["A", "B"]]
        assert grade_calls(sige, 8, day) == [["A", "C"]]
        assert states(small, day, "110-3-A", "110-3-B", "110-8-A", "110-8-C") == \
            ["sincronizado"] * 4
        assert states(small, day, "110-3-C", "110-8-B") == ["por_sincronizar"] * 2

        change(small, "110-3-A", day)
        plan = queue(small, "asistencia", start=day, end=day, courses=["110-3-A"])
        assert [(c.code, d) for c, d in plan.riding] == [("110-3-B", day)]
        b_id = plan.riding[0][0].id
        assert plan.unchanged == {(b_id, day)}
        assert "Van con su grado (para que SIGE no borre ninguna letra): 1 día-curso." in \
            plan.lines_es()
        assert grades.describe(plan) == [f"3° Básico B {day:%d-%m-%Y} (sin cambios)"]
        assert states(small, day, "110-3-A", "110-3-B") == ["en_proceso", "sincronizado"]
        run_worker(small.url)
        assert grade_calls(sige, 3, day)[-1] == ["A", "B"]  # one call, every letter
        assert states(small, day, "110-3-A", "110-3-B") == ["sincronizado"] * 2
        with transaction(small.url) as session:
            job = session.scalars(select(SyncJob).order_by(SyncJob.id.desc())).first()
            assert sorted(c.course.code for c in job.courses) == ["110-3-A", "110-3-B"]


def test_a_letter_sige_holds_that_is_no_longer_ready_holds_its_grade(small, tmp_path):
    day = small.school.worked_days[0]
    with emulator_for(small, tmp_path) as sige:
        queue(small, "asistencia")
        run_worker(small.url)
        assert states(small, day, "110-8-A", "110-8-C") == ["sincronizado"] * 2
        # 110-8-A loses a child in the Libro that day (Caso 1): SIGE has its old version
        marks = [m for m in small.school.marks if (m.course, m.day) == ("110-8-A", day)]
        import_day(small, marks[2:])
        change(small, "110-8-C", day)
        with pytest.raises(UserError) as refused:
            queue(small, "asistencia", start=day, end=day, courses=["110-8-C"])
        text = "\n".join(refused.value.reasons)
        assert "retenido con su grado: 8° Básico A ya está en SIGE y ahora no está listo" in text
        assert "podría borrarla en SIGE" in text
        with transaction(small.url) as session:
            plan = rules.plan(session, small.user("asistencia"), small.rbd, day, day,
                              ["110-8-C"], clock=small.clock)
            assert [r.cause for r in plan.refused] == [grades.GRADE_HELD]
            assert session.scalar(select(SyncJob).where(SyncJob.state != "terminado")) is None

        sent = queue(small, "director", OVERRIDE, day, day, ["110-8-C"])
        assert [(c.code, d) for c, d in sent.riding] == [("110-8-A", day)]
        assert [(code, d) for code, d, _ in sent.overridden] == [("110-8-A", day)]
        run_worker(small.url)
        assert grade_calls(sige, 8, day)[-1] == ["A", "C"]
        # the job's result updates every letter it carried: SIGE rejects 110-8-A
        assert states(small, day, "110-8-A", "110-8-C") == ["error", "sincronizado"]
        assert day_states(small.url)[("110-8-A", day)].cause == "caso_1"


def test_an_in_process_sibling_goes_first_and_with_no_only_the_asked_letters(small_sqlite,
                                                                            tmp_path):
    small = small_sqlite
    day = small.school.worked_days[0]
    with emulator_for(small, tmp_path) as sige:
        queue(small, "asistencia")
        run_worker(small.url)
        change(small, "110-3-A", day)
        queue(small, "asistencia", start=day, end=day, courses=["110-3-A"])
        change(small, "110-3-B", day)
        second = queue(small, "asistencia", start=day, end=day, courses=["110-3-B"])
        assert [c.code for c, _ in second.queued] == ["110-3-B"] and not second.riding
        run_worker(small.url)
        # one after the other: the later call carries the earlier's letter
        assert grade_calls(sige, 3, day)[-2:] == [["A"], ["A", "B"]]
        assert states(small, day, "110-3-A", "110-3-B") == ["sincronizado"] * 2

        configure(small.url, {grades.SETTING: "no"}, small.rbd)
        change(small, "110-3-A", day)
        plan = queue(small, "asistencia", start=day, end=day, courses=["110-3-A"])
        assert not plan.riding
        run_worker(small.url)
        assert grade_calls(sige, 3, day)[-1] == ["A"]


def test_the_cli_and_the_page_name_the_letters_that_ride_along(small_sqlite, tmp_path,
                                                               monkeypatch):
    small = small_sqlite
    day = small.school.worked_days[0]
    with emulator_for(small, tmp_path):
        queue(small, "asistencia", start=day, end=day, courses=["110-3-A", "110-3-B"])
        run_worker(small.url)
    change(small, "110-3-A", day)

    monkeypatch.setenv("RECONCILE_NOW", NOW_ISO)
    at = log_in(app().run(), "asistencia", PASSWORD).switch_page("pages/sincronizacion.py").run()
    at.selectbox(key="sync_course").set_value("110-3-A")
    at = at.run()
    at = at.button(key=f"send_{day.isoformat()}").click().run()
    assert not at.exception
    shown = [str(el.value) for el in at.get("alert")] + [str(el.value) for el in at.info]
    assert any("Van con su grado" in t and f"3° Básico B {day:%d-%m-%Y} (sin cambios)" in t
               for t in shown), shown

    done = run_cli("sync", "--user", "asistencia", "--from", day.isoformat(), "--to",
                   day.isoformat(), "--course", "110-3-A",
                   env={"DATABASE_URL": small.url, "RECONCILE_NOW": NOW_ISO})
    assert done.returncode == 0, done.stderr
    assert "Van con su grado (para que SIGE no borre ninguna letra): 1 día-curso." in done.stdout
    assert f"  110-3-B {day:%d-%m-%Y}" in done.stdout
