"""The sync engine's parts one by one: every day-state transition, the payload (the
deciding mark, corrections, the hash) and the job queue's claim, lease, takeover
and the database's refusal of a second active job for a (course, date)."""
from __future__ import annotations

import itertools
import threading
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from reconcile import payload
from reconcile.clock import as_santiago
from reconcile.db import transaction
from reconcile.db.models import (
    EN_PROCESO,
    ERROR,
    POR_SINCRONIZAR,
    SIN_REGISTRO,
    SINCRONIZADO,
    Course,
    CourseDay,
    RutCorrection,
    SyncJob,
    SyncJobCourse,
)
from reconcile.sync import jobs
from reconcile import day_states as states
from reconcile.day_states import Day
from tests.test_matching_db import B, D1, D2, D3, IPE, JOSE, RBD, A, E, seed_school

T0 = datetime(2026, 11, 16, 10, 0)
LATER = datetime(2026, 11, 16, 11, 0)


def day(state: str = SIN_REGISTRO, payload_hash: str | None = None, sent: str | None = None,
        synced: str | None = None, cause: str | None = None) -> Day:
    return Day(state=state, payload_hash=payload_hash, sent_hash=sent, synced_hash=synced,
               cause=cause, sige_messages=[{"text": "antes"}] if cause else None,
               updated_at=T0)


# --- states: on_payload_changed ---------------------------------------------------------------

@pytest.mark.parametrize("before, new_hash, state, back, cause", [
    # first record of a day
    (day(), "h1", POR_SINCRONIZAR, False, None),
    # the record disappears: nothing to send
    (day(POR_SINCRONIZAR, "h1"), None, SIN_REGISTRO, False, None),
    (day(SINCRONIZADO, "h1", "h1", "h1"), None, SIN_REGISTRO, False, None),
    # a mark changed after sync / while waiting for SIGE's report
    (day(SINCRONIZADO, "h1", "h1", "h1"), "h2", POR_SINCRONIZAR, True, None),
    (day(EN_PROCESO, "h1", "h1"), "h2", POR_SINCRONIZAR, True, None),
    # ... while queued, not yet sent (no sent hash)
    (day(EN_PROCESO, "h1"), "h2", POR_SINCRONIZAR, True, None),
    # changed back to what SIGE holds
    (day(POR_SINCRONIZAR, "h2", "h1", "h1"), "h1", SINCRONIZADO, False, None),
    # changed back to what is being sent: the send still carries it
    (day(EN_PROCESO, "h2", "h1"), "h1", EN_PROCESO, False, None),
    # an error day: the same content as sent stays an error with its cause
    (day(ERROR, "h2", "h1", cause="caso_2"), "h1", ERROR, False, "caso_2"),
    # an error day whose payload changed (maybe the fix): sendable, cause kept until then
    (day(ERROR, "h1", "h1", cause="caso_2"), "h2", POR_SINCRONIZAR, False, "caso_2"),
    # a waiting day that changes again
    (day(POR_SINCRONIZAR, "h1"), "h2", POR_SINCRONIZAR, False, None),
])
def test_on_payload_changed(before, new_hash, state, back, cause):
    assert states.on_payload_changed(before, new_hash, LATER) is back
    assert (before.state, before.cause, before.payload_hash) == (state, cause, new_hash)
    assert before.updated_at == LATER


@pytest.mark.parametrize("before", [
    day(SINCRONIZADO, "h1", "h1", "h1"), day(EN_PROCESO, "h1", "h1"),
    day(POR_SINCRONIZAR, "h1"), day(ERROR, "h1", "h1", cause="caso_1")])
def test_the_same_payload_moves_nothing(before):
    state, cause = before.state, before.cause
    assert states.on_payload_changed(before, "h1", LATER) is False
    assert (before.state, before.cause, before.updated_at) == (state, cause, T0)


# --- states: the send's life --------------------------------------------------------------------

@pytest.mark.parametrize("before", [day(POR_SINCRONIZAR, "h1"),
                                    day(ERROR, "h1", "h0", cause="caso_1")])
def test_on_queued_shows_the_clock_and_keeps_the_last_cause(before):
    cause = before.cause
    states.on_queued(before, LATER)
    assert (before.state, before.sent_hash, before.cause) == (EN_PROCESO, None, cause)
    assert before.updated_at == LATER


@pytest.mark.parametrize("payload_now, state", [("h1", EN_PROCESO), ("h2", POR_SINCRONIZAR)])
def test_on_sent_keeps_ticket_and_time(payload_now, state):
    queued = day(EN_PROCESO, payload_now)
    states.on_sent(queued, "h1", "T-9", LATER)
    assert (queued.state, queued.sent_hash, queued.ticket, queued.sent_at) == \
        (state, "h1", "T-9", LATER)


def test_on_sent_and_reports_leave_a_day_without_record_alone():
    gone = day(SIN_REGISTRO, None)
    states.on_sent(gone, "h1", "T-1", LATER)
    states.on_accepted(gone, LATER)
    states.on_failed(gone, "caso_1", [{"text": "x"}], LATER)
    assert gone.state == SIN_REGISTRO and gone.synced_hash == "h1" and gone.ticket == "T-1"


@pytest.mark.parametrize("payload_now, state", [("h1", SINCRONIZADO), ("h2", POR_SINCRONIZAR)])
def test_on_accepted(payload_now, state):
    sent = day(EN_PROCESO, payload_now, "h1", cause="caso_1")
    states.on_accepted(sent, LATER)
    assert (sent.state, sent.synced_hash, sent.cause) == (state, "h1", None)
    if state == SINCRONIZADO:
        assert sent.sige_messages is None  # SIGE's old words go with the error


@pytest.mark.parametrize("sent_hash, payload_now, state", [
    ("h1", "h1", ERROR),  # what SIGE refused is what the Libro says: an error
    ("h1", "h2", POR_SINCRONIZAR),  # changed meanwhile: the change may be the fix
    (None, "h1", ERROR),  # never sent (month closed, no convenio)
])
def test_on_failed(sent_hash, payload_now, state):
    failed = day(EN_PROCESO, payload_now, sent_hash)
    states.on_failed(failed, "caso_2", [{"text": "RUT no existe"}], LATER)
    assert (failed.state, failed.cause, failed.sige_messages) == \
        (state, "caso_2", [{"text": "RUT no existe"}])
    assert failed.updated_at == LATER


def test_only_por_sincronizar_and_error_may_be_sent():
    assert {s for s in (SIN_REGISTRO, POR_SINCRONIZAR, EN_PROCESO, SINCRONIZADO, ERROR)
            if states.is_sendable(Day(state=s))} == {POR_SINCRONIZAR, ERROR}


def test_every_state_and_cause_has_spanish_words():
    for state in (SIN_REGISTRO, POR_SINCRONIZAR, EN_PROCESO, SINCRONIZADO, ERROR):
        assert states.LABELS_ES[state] and states.SYMBOLS[state]
    for cause in ("caso_1", "caso_2", "caso_3", "fuera_de_mes", "sin_convenio", "rechazado",
                  states.SIN_RESPUESTA):
        assert states.CAUSES_ES[cause] and states.FIX_ES[cause]
    assert states.label(ERROR, states.SIN_RESPUESTA) == \
        "Error en la sincronización (Sin respuesta de SIGE dentro del plazo)"
    assert states.label(SINCRONIZADO, "caso_1") == "Sincronizado"


# --- payload -----------------------------------------------------------------------------------

@pytest.mark.parametrize("hours, deciding", [
    ([1, 2, 3], 2),  # the 2nd hour, wherever it is
    ([3, 2, 1], 2),
    ([1, 0, 3], 0),  # no 2nd hour: the mark without hour
    ([3, 1, 4], 1),  # else the earliest hour given
    ([4, 3], 3),
])
def test_the_deciding_mark(hours, deciding):
    keys = [np.zeros(len(hours), dtype=int)]
    [position] = payload.deciding_rows(keys, np.array(hours))
    assert hours[position] == deciding


def test_one_deciding_mark_per_course_student_and_day():
    course = np.array([1, 1, 1, 2, 2])
    student = np.array([7, 7, 8, 7, 7])
    hour = np.array([1, 2, 1, 3, 1])
    chosen = payload.deciding_rows([course, student], hour)
    assert sorted(zip(course[chosen], student[chosen], hour[chosen])) == \
        [(1, 7, 2), (1, 8, 1), (2, 7, 1)]


def test_corrections_replace_the_libro_rut():
    marks = [(IPE, True), (A, False), (B, True)]
    fixed = payload.course_payload(marks, {IPE: JOSE})
    assert fixed == payload.CoursePayload(tuple(sorted((B, JOSE))), (A,))
    assert payload.course_payload(marks).presentes == tuple(sorted((B, IPE)))
    assert payload.course_payload([]) is None and payload.payload_hash([]) is None


def test_a_child_written_twice_counts_present_if_either_mark_says_so():
    assert payload.course_payload([(IPE, False), (JOSE, True)], {IPE: JOSE}) == \
        payload.CoursePayload((JOSE,), ())


def test_the_hash_is_stable_under_order_and_changes_with_content():
    marks = [(A, True), (B, False), (E, True), (IPE, False)]
    first = payload.payload_hash(marks)
    for order in itertools.permutations(marks):
        assert payload.payload_hash(list(order)) == first
    assert payload.payload_hash([(A, False), (B, False), (E, True), (IPE, False)]) != first
    assert payload.payload_hash(marks, {IPE: JOSE}) != first
    # presentes and ausentes are not interchangeable
    assert payload.CoursePayload((A,), (B,)).hash != payload.CoursePayload((B,), (A,)).hash


def test_runs_leave_out_what_cannot_be_a_run():
    presentes, ausentes = payload.CoursePayload((A, "sin-rut", "0-0"), (IPE,)).runs()
    assert [f"{r.numero}-{r.dv}" for r in presentes] == [A]
    assert [f"{r.numero}-{r.dv}" for r in ausentes] == [IPE]


def test_stored_payloads_apply_the_second_hour_and_the_corrections(db_url):
    with transaction(db_url) as session:
        courses = seed_school(session)
        first, second = courses["110-1-A"], courses["110-2-A"]
        found = payload.stored_payloads(session, RBD, [
            (first.id, D1), (first.id, D2), (second.id, D1), (second.id, date(2026, 11, 9))])
        # B is present at the 1st hour and absent at the 2nd on D1: the 2nd decides
        assert found[(first.id, D1)] == payload.CoursePayload(tuple(sorted((A, IPE))), (B,))
        assert found[(first.id, D2)] == payload.CoursePayload(tuple(sorted((A, B, IPE))), ())
        assert found[(second.id, D1)] == payload.CoursePayload((E,), ())
        assert found[(second.id, date(2026, 11, 9))] is None
        session.add(RutCorrection(rbd=RBD, from_rut=IPE, to_rut=JOSE, reason="provisional",
                                  approved_by="directora", approved_at=as_santiago(T0)))
        session.flush()
        fixed = payload.stored_payloads(session, RBD, [(first.id, D1)])
        assert fixed[(first.id, D1)] == payload.CoursePayload(tuple(sorted((A, JOSE))), (B,))
        record, hashes = payload.build_record(session, RBD, D1, [first])
        assert record.courses[0].letra == "A" and hashes == {first.id: fixed[(first.id, D1)].hash}
        assert {f"{r.numero}-{r.dv}" for r in record.courses[0].presentes} == {A, JOSE}
        none, no_hashes = payload.build_record(session, RBD, date(2026, 11, 9), [first])
        assert none is None and no_hashes == {}


# --- jobs: claim, lease, takeover, the unique index ----------------------------------------------

def seed_jobs(session, count: int = 3) -> tuple[list[int], dict[str, Course]]:
    """``count`` due jobs (one per day, course 110-1-A) and the school's courses."""
    courses = seed_school(session, with_marks=False)
    course = courses["110-1-A"]
    ids = []
    for n in range(count):
        job = SyncJob(rbd=RBD, day=date(2026, 11, 2) + timedelta(n), cod_ense=110, cod_grado=1,
                      state=jobs.EN_COLA, attempts=0, polls=0, next_attempt_at=as_santiago(T0),
                      created_at=as_santiago(T0),
                      courses=[SyncJobCourse(course_id=course.id,
                                             day=date(2026, 11, 2) + timedelta(n), active=True)])
        session.add(job)
        session.flush()
        ids.append(job.id)
    return ids, courses


def test_a_claim_takes_a_lease_that_others_respect_until_it_runs_out(db_url):
    now, lease = as_santiago(T0), timedelta(seconds=60)
    with transaction(db_url) as session:
        ids, _ = seed_jobs(session)
    with transaction(db_url) as session:
        assert jobs.claim(session, "w1", 2, now, lease) == ids[:2]
    with transaction(db_url) as session:
        assert jobs.claim(session, "w2", 5, now, lease) == ids[2:]
        assert jobs.claim(session, "w3", 5, now + timedelta(seconds=30), lease) == []
    with transaction(db_url) as session:
        job = session.get(SyncJob, ids[0])
        assert (job.claimed_by, job.lease_until) == ("w1", now + lease)
        # the heartbeat renews only what the worker still holds
        assert jobs.renew(session, "w1", ids, now + timedelta(seconds=50), lease) == 2
    later = now + timedelta(seconds=90)  # w2's lease ran out (it died); w1 renewed
    with transaction(db_url) as session:
        assert jobs.stale_leases(session, later) == 1
        assert jobs.claim(session, "w3", 5, later, lease) == ids[2:]
    with transaction(db_url) as session:
        assert session.get(SyncJob, ids[2]).claimed_by == "w3"
        assert jobs.held(session, ids[2], "w2") is None  # the dead worker's late answer is ignored
        assert jobs.held(session, ids[2], "w3").id == ids[2]
        assert jobs.release(session, "w1", ids) == 2
    with transaction(db_url) as session:
        assert jobs.claim(session, "w4", 5, later, lease) == ids[:2]


def test_only_due_active_jobs_are_claimed(db_url):
    now, lease = as_santiago(T0), timedelta(seconds=60)
    with transaction(db_url) as session:
        ids, _ = seed_jobs(session)
        first, second, _ = (session.get(SyncJob, i) for i in ids)
        jobs.retry_later(first, now + timedelta(minutes=5), "SIGE no disponible", now)
        jobs.finish(second, ERROR, "fuera_de_mes", now)
    with transaction(db_url) as session:
        assert jobs.claim(session, "w1", 5, now, lease) == ids[2:]
        assert jobs.claim(session, "w1", 0, now, lease) == []
        assert jobs.active_count(session) == 2
        jobs.finish(session.get(SyncJob, ids[2]), SINCRONIZADO, None, now)
    with transaction(db_url) as session:
        assert jobs.next_due(session) == now + timedelta(minutes=5)
    with transaction(db_url) as session:
        assert jobs.claim(session, "w2", 5, now + timedelta(minutes=5), lease) == ids[:1]


def test_a_job_another_worker_holds_is_due_when_its_lease_runs_out(db_url):
    """An idle worker sleeps until then instead of polling the database in a loop."""
    now, lease = as_santiago(T0), timedelta(seconds=60)
    with transaction(db_url) as session:
        ids, _ = seed_jobs(session, count=2)
        assert jobs.next_due(session) == now
    with transaction(db_url) as session:
        assert jobs.claim(session, "w1", 2, now, lease) == ids
    with transaction(db_url) as session:
        assert jobs.next_due(session) == now + lease
        assert jobs.release(session, "w1", ids[1:]) == 1
    with transaction(db_url) as session:
        assert jobs.next_due(session) == now


def test_two_claimers_at_once_never_take_the_same_job(db_url):
    now, lease = as_santiago(T0), timedelta(seconds=600)
    with transaction(db_url) as session:
        ids, _ = seed_jobs(session, count=30)
    taken: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def claimer(name: str) -> None:
        start.wait()
        while True:
            with transaction(db_url) as session:
                got = jobs.claim(session, name, 2, now, lease)
            if not got:
                return
            taken[name] += got

    threads = [threading.Thread(target=claimer, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not set(taken["a"]) & set(taken["b"])
    assert sorted(taken["a"] + taken["b"]) == ids
    with transaction(db_url) as session:
        owners = dict(session.execute(select(SyncJob.id, SyncJob.claimed_by)).all())
    assert {i: owners[i] for i in taken["a"]} == {i: "a" for i in taken["a"]}
    assert {i: owners[i] for i in taken["b"]} == {i: "b" for i in taken["b"]}


def test_the_database_refuses_a_second_active_job_for_a_course_day(db_url):
    with transaction(db_url) as session:
        ids, courses = seed_jobs(session, count=1)
        course_id = courses["110-1-A"].id
    with pytest.raises(IntegrityError):
        with transaction(db_url) as session:
            session.add(SyncJob(rbd=RBD, day=D1, cod_ense=110, cod_grado=1, state=jobs.EN_COLA,
                                attempts=0, polls=0, created_at=as_santiago(T0),
                                courses=[SyncJobCourse(course_id=course_id, day=D1,
                                                       active=True)]))
    # the same course another day, and another course the same day, are fine
    with transaction(db_url) as session:
        session.add(SyncJobCourse(job_id=ids[0], course_id=course_id, day=D3, active=True))
        session.add(SyncJobCourse(job_id=ids[0], course_id=courses["110-2-A"].id, day=D1,
                                  active=True))
    # once the first job is over, the course-day may be queued again
    with transaction(db_url) as session:
        jobs.finish(session.get(SyncJob, ids[0]), SINCRONIZADO, None, as_santiago(T0))
    with transaction(db_url) as session:
        session.add(SyncJob(rbd=RBD, day=D1, cod_ense=110, cod_grado=1, state=jobs.EN_COLA,
                            attempts=0, polls=0, created_at=as_santiago(T0),
                            courses=[SyncJobCourse(course_id=course_id, day=D1, active=True)]))
    with transaction(db_url) as session:
        active = session.scalars(select(SyncJobCourse).where(
            SyncJobCourse.course_id == course_id, SyncJobCourse.day == D1,
            SyncJobCourse.active)).all()
        assert len(active) == 1
    # reactivating the old row would make two: refused by the database too
    with pytest.raises(IntegrityError):
        with transaction(db_url) as session:
            session.execute(update(SyncJobCourse).where(
                SyncJobCourse.job_id == ids[0], SyncJobCourse.day == D1,
                SyncJobCourse.course_id == course_id).values(active=True))


def test_create_makes_one_job_per_unit_and_shows_the_days_in_process(db_url):
    now = as_santiago(T0)
    with transaction(db_url) as session:
        courses = seed_school(session, with_marks=False)
        first, second = courses["110-1-A"], courses["110-2-A"]
        for course in (first, second):
            for when in (D1, D2):
                session.add(CourseDay(rbd=RBD, course_id=course.id, day=when,
                                      payload_hash="h", state=POR_SINCRONIZAR))
        session.flush()
        units = {(D1, 110, 1): [first], (D1, 110, 2): [second], (D2, 110, 1): [first]}
        ids = jobs.create(session, RBD, units, "directora", None, now)
        created = [session.get(SyncJob, job_id) for job_id in ids]
        assert [(j.day, j.cod_grado, j.state) for j in created] == \
            [(D1, 1, jobs.EN_COLA), (D1, 2, jobs.EN_COLA), (D2, 1, jobs.EN_COLA)]
        assert jobs.active_course_days(session, RBD, D1, D2) == \
            {(first.id, D1), (second.id, D1), (first.id, D2)}
        shown = {(d.course_id, d.day): d.state for d in session.scalars(select(CourseDay))}
        assert shown == {(first.id, D1): EN_PROCESO, (second.id, D1): EN_PROCESO,
                         (first.id, D2): EN_PROCESO, (second.id, D2): POR_SINCRONIZAR}
    with pytest.raises(IntegrityError):  # the same course-day queued meanwhile
        with transaction(db_url) as session:
            jobs.create(session, RBD, {(D1, 110, 1): [session.get(Course, first.id)]},
                        "asistente", None, now)
