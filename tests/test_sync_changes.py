"""A synced day is ``sincronizado`` only while SIGE holds what the Libro says now: a
mark changed after the sync, or while the send waits for SIGE's report, makes it
``por_sincronizar``; so does a correction approved afterwards, and the next send
carries the corrected RUN. A change that leaves the payload as SIGE has it moves
nothing."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date

import pytest

from reconcile import corrections
from reconcile.clock import RunningClock
from reconcile.db import transaction
from reconcile.demo import write_files
from reconcile.demo.school import REGULAR
from reconcile.imports import import_libro
from reconcile.sync import jobs
from reconcile.worker import Worker
from tests.sync_helpers import (
    NOW,
    accepted_sends,
    all_jobs,
    as_content,
    build_school,
    current_payloads,
    day_states,
    emulator_for,
    held_content,
    queue,
    run_worker,
    wait_until,
)
from tests.test_sige_support import ManualTimer

OVERRIDE = "Enviar igual: SIGE debe ver estos cursos"


@pytest.fixture
def small(db_url, tmp_path):
    return build_school(db_url, tmp_path / "demo")


def regular_children(small, course: str) -> list[str]:
    return [s.libro_rut for s in small.school.students
            if s.course == course and s.role == REGULAR]


def flip(small, folder, changes: list[tuple[str, str, date, str]]) -> None:
    """Re-import the Libro's long file with marks changed: (course, rut, day, hour)
    with hour 'hour1' or 'hour2' inverted."""
    wanted = {(c, r, d): h for c, r, d, h in changes}
    marks = []
    for mark in small.school.marks:
        hour = wanted.get((mark.course, mark.rut, mark.day))
        if hour is not None:
            mark = replace(mark, **{hour: not getattr(mark, hour)})
        marks.append(mark)
    small.school = replace(small.school, marks=marks)
    files = write_files(small.school, folder)
    with transaction(small.url) as session:
        import_libro(session, files.libro_long, clock=small.clock, rbd=small.rbd)


def ready_course(small) -> str:
    """A course whose every day is ready and written in the Libro's long file."""
    planted = {e["course"] for name in ("provisional_pairs", "missing_in_libro",
                                        "unknown_to_sige", "check_digit_typos")
               for e in getattr(small.school.manifest, name)}
    return min(c.code for c in small.school.courses
               if c.code not in planted and c.code != small.school.manifest.wide_course)


def deciding_hour2(small, course: str, rut: str, day: date) -> bool:
    return next(m.hour2 for m in small.school.marks
                if (m.course, m.rut, m.day) == (course, rut, day))


def test_a_mark_changed_after_sync(small, tmp_path):
    course = ready_course(small)
    first, second = small.school.worked_days[:2]
    child, other = regular_children(small, course)[:2]
    with emulator_for(small, tmp_path) as sige:
        queue(small, "asistencia")
        run_worker(small.url)
        before = day_states(small.url)
        assert {row.state for row in before.values()} >= {"sincronizado"}
        assert before[(course, first)].state == "sincronizado"

        was_present = deciding_hour2(small, course, child, first)
        # the 2nd hour of one child on one day, and only the 1st hour of another child
        # on another day (the 2nd hour decides: nothing changes there)
        flip(small, tmp_path / "v2", [(course, child, first, "hour2"),
                                       (course, other, second, "hour1")])
        after = day_states(small.url)
        assert after[(course, first)].state == "por_sincronizar"
        assert after[(course, first)].synced_hash == before[(course, first)].synced_hash
        assert after[(course, first)].payload_hash != before[(course, first)].payload_hash
        unchanged = {k: (v.state, v.payload_hash, v.updated_at) for k, v in before.items()
                     if k != (course, first)}
        assert {k: (v.state, v.payload_hash, v.updated_at) for k, v in after.items()
                if k != (course, first)} == unchanged

        plan = queue(small, "asistencia")  # "seleccionar todas" again: only the changed day
        assert [(c.code, d) for c, d in plan.queued] == [(course, first)]
        run_worker(small.url)
        assert day_states(small.url)[(course, first)].state == "sincronizado"
        presentes, ausentes = held_content(sige.emulator.holdings())[(course, first.isoformat())]
        assert (child in ausentes) == was_present and (child in presentes) != was_present
        assert len(accepted_sends(sige.emulator.sends())[(course, first.isoformat())]) == 2


def test_a_mark_changed_while_queued_or_waiting_for_the_report(small, tmp_path):
    course = ready_course(small)
    waiting_day, queued_day = small.school.worked_days[:2]
    child = regular_children(small, course)[0]
    timer = ManualTimer()  # SIGE processes a send only when the test says so
    with emulator_for(small, tmp_path, delay=10, timer=timer) as sige:
        original = current_payloads(small.url, small.rbd)
        plan = queue(small, "asistencia", start=waiting_day, end=queued_day, courses=[course])
        assert len(plan.queued) == 2
        # changed while queued, before any send: the send will carry the change
        flip(small, tmp_path / "v2", [(course, child, queued_day, "hour2")])
        assert day_states(small.url)[(course, queued_day)].state == "por_sincronizar"
        new_queued = current_payloads(small.url, small.rbd)[(course, queued_day)]
        assert new_queued != original[(course, queued_day)]

        worker = Worker(RunningClock(NOW), url=small.url, idle_wait=0.1, grace_seconds=5)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        try:
            wait_until(lambda: {j.state for j in all_jobs(small.url)} ==
                       {jobs.ESPERANDO_REPORTE}, what="los envíos esperando el reporte")
            days = day_states(small.url)
            assert {days[(course, d)].state for d in (waiting_day, queued_day)} == \
                {"en_proceso"}
            # changed after the send, while SIGE is still processing it
            flip(small, tmp_path / "v3", [(course, child, waiting_day, "hour2")])
            assert day_states(small.url)[(course, waiting_day)].state == "por_sincronizar"
            timer.advance(60)  # SIGE processes both sends
            wait_until(lambda: {j.state for j in all_jobs(small.url)} == {jobs.TERMINADO},
                       what="los reportes de SIGE")
        finally:
            worker.stop.set()
            thread.join(timeout=30)
            worker.client.close()

        days = day_states(small.url)
        # SIGE accepted what was sent; the day changed after the send is not synced
        assert days[(course, waiting_day)].state == "por_sincronizar"
        assert days[(course, waiting_day)].synced_hash == original[(course, waiting_day)].hash
        assert days[(course, queued_day)].state == "sincronizado"
        held = held_content(sige.emulator.holdings())
        assert held[(course, queued_day.isoformat())] == as_content(new_queued)
        assert held[(course, waiting_day.isoformat())] == \
            as_content(original[(course, waiting_day)])


def test_a_correction_approved_after_sync_is_sent_with_the_corrected_run(small, tmp_path):
    typo = small.school.manifest.check_digit_typos[0]
    course, wrong, right = typo["course"], typo["libro_rut"], typo["sige_rut"]
    days = small.school.worked_days
    with emulator_for(small, tmp_path) as sige:
        queue(small, "asistencia")
        queue(small, "director", OVERRIDE)
        run_worker(small.url)
        before = day_states(small.url)
        assert {before[(course, d)].state for d in days} == {"error"}
        sent = accepted_sends(sige.emulator.sends())
        for d in days:
            [(presentes, ausentes)] = sent[(course, d.isoformat())]
            assert wrong in presentes + ausentes  # SIGE got the Libro's mistyped RUT

        director = small.user("director")
        with transaction(small.url) as session:
            correction = corrections.approve(session, director, small.rbd, wrong, right,
                                             "check_digit", 0.95, small.clock)
        after = day_states(small.url)
        assert {after[(course, d)].state for d in days} == {"por_sincronizar"}
        assert {k: (v.state, v.updated_at) for k, v in after.items() if k[0] != course} == \
            {k: (v.state, v.updated_at) for k, v in before.items() if k[0] != course}

        # now ready: the Administrador de Asistencia sends them, no override needed
        plan = queue(small, "asistencia")
        assert sorted((c.code, d) for c, d in plan.queued) == [(course, d) for d in days]
        assert not plan.overridden
        run_worker(small.url)
        synced = day_states(small.url)
        assert {synced[(course, d)].state for d in days} == {"sincronizado"}
        held = held_content(sige.emulator.holdings())
        for day in days:
            presentes, ausentes = held[(course, day.isoformat())]
            assert right in presentes + ausentes and wrong not in presentes + ausentes
            last = accepted_sends(sige.emulator.sends())[(course, day.isoformat())][-1]
            assert right in last[0] + last[1]

        # undone by mistake: the days go back to waiting (SIGE holds the corrected RUN) ...
        with transaction(small.url) as session:
            corrections.undo(session, director, correction.id, small.clock)
        assert {day_states(small.url)[(course, d)].state for d in days} == {"por_sincronizar"}
        # ... approved again: the payload is what SIGE holds, nothing to send
        with transaction(small.url) as session:
            corrections.approve(session, director, small.rbd, wrong, right, "check_digit",
                                0.95, small.clock)
        again = day_states(small.url)
        assert {again[(course, d)].state for d in days} == {"sincronizado"}
        assert {k: v.state for k, v in again.items()} == {k: v.state for k, v in synced.items()}
