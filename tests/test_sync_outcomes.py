"""The worker's final answers without a report of observations: the month closed
while the job waited (``fuera_de_mes``, nothing sent), credentials SIGE refuses
(``sin_convenio``: the school's other jobs wait for new ones), and a ticket SIGE
never answers (``sin_respuesta`` at the deadline)."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest

from reconcile.clock import RunningClock
from reconcile.sync import jobs
from reconcile.worker import Worker
from tests.sync_helpers import (
    NOW,
    all_jobs,
    build_school,
    configure,
    day_states,
    emulator_for,
    queue,
    run_worker,
    wait_until,
)
from tests.test_sige_support import ManualTimer


@pytest.fixture
def small(db_url, tmp_path):
    return build_school(db_url, tmp_path / "demo")


def queued_days(plan) -> set:
    return {(c.code, d) for c, d in plan.queued}


def test_a_job_still_queued_when_the_month_closes_is_not_sent(small, tmp_path):
    with emulator_for(small, tmp_path) as sige:
        queued = queued_days(queue(small, "asistencia"))
        # the worker only runs after November's close (3rd working day of December, 17:00)
        late = Worker(RunningClock(datetime(2026, 12, 3, 17, 0, 1)), url=small.url,
                      idle_wait=0.1)
        late.run(until_idle=True)
        late.client.close()
        assert sige.emulator.sends() == []
    found = all_jobs(small.url)
    assert {(j.state, j.outcome, j.cause) for j in found} == \
        {(jobs.TERMINADO, "error", "fuera_de_mes")}
    assert all("noviembre 2026 ya cerró" in j.last_error for j in found)
    days = day_states(small.url)
    assert {(days[k].state, days[k].cause) for k in queued} == {("error", "fuera_de_mes")}


def test_refused_credentials_hold_the_school_until_they_change(small, tmp_path):
    configure(small.url, {"sige.convenio_token": "token-equivocado"}, rbd=small.rbd)
    with emulator_for(small, tmp_path) as sige:
        queued = queued_days(queue(small, "asistencia"))
        run_worker(small.url, concurrency=1)
        found = all_jobs(small.url)
        refused = [j for j in found if j.state == jobs.TERMINADO]
        waiting = [j for j in found if j.state != jobs.TERMINADO]
        # one job learnt that the credentials are wrong; the others were not sent with them
        assert [(j.outcome, j.cause) for j in refused] == [("error", "sin_convenio")]
        assert waiting and all("credenciales del convenio" in j.last_error for j in waiting)
        assert sige.emulator.sends() == []
        assert {c["operation"] for c in sige.emulator.calls()} == {"getSemillaServicios"}
        days = day_states(small.url)
        assert Counter(days[k].state for k in queued) == \
            {"error": len(refused[0].courses), "en_proceso": len(queued) - len(refused[0].courses)}

        # the Director fixes the token: the next worker sends what waited
        configure(small.url, {"sige.convenio_token": "demo-token"}, rbd=small.rbd)
        run_worker(small.url)
        days = day_states(small.url)
        assert {days[k].state for k in queued if days[k].cause != "sin_convenio"} == \
            {"sincronizado"}
        assert len(sige.emulator.sends()) == len(waiting)


class JumpingClock(RunningClock):
    """A running clock the test can move forward by hours."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.jumped = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.jumped


def test_a_ticket_without_an_answer_ends_at_the_deadline(small, tmp_path):
    course = min(c.code for c in small.school.courses)
    day = small.school.worked_days[0]
    timer = ManualTimer()  # SIGE never gets to process the send
    clock = JumpingClock(NOW)
    with emulator_for(small, tmp_path, delay=60, timer=timer) as sige:
        queue(small, "director", "Enviar igual: SIGE debe ver estos cursos", start=day,
              courses=[course])
        worker = Worker(clock, url=small.url, idle_wait=0.1)
        thread = threading.Thread(target=worker.run, kwargs={"until_idle": True}, daemon=True)
        thread.start()
        try:
            wait_until(lambda: all_jobs(small.url)[0].polls >= 2,
                       what="el trabajador pregunta por el resultado")
            [job] = all_jobs(small.url)
            assert job.state == jobs.ESPERANDO_REPORTE
            clock.jumped = timedelta(hours=6, minutes=1)  # the 6 h deadline passes
            thread.join(timeout=30)
            assert not thread.is_alive()
        finally:
            worker.stop.set()
            worker.client.close()
        [send] = sige.emulator.sends()
        assert send["answer_code"] == 1 and not send["processed"]
    [job] = all_jobs(small.url)
    assert (job.state, job.outcome, job.cause) == (jobs.TERMINADO, "error", "sin_respuesta")
    assert job.attempts == 1  # never sent again: only asked for the report
    stored = day_states(small.url)[(course, day)]
    assert (stored.state, stored.cause, stored.ticket) == ("error", "sin_respuesta",
                                                           send["ticket"])
