"""A job's state moves only from the state each move starts from (the code refuses
the rest loudly) and is only ever one of the queue's three (the database refuses any
other, on SQLite and PostgreSQL, also after upgrading a database that has jobs)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from reconcile.clock import as_santiago
from reconcile.db import get_engine, transaction, upgrade
from reconcile.db.migrate import alembic_config
from reconcile.db.models import ERROR, JOB_STATES, SINCRONIZADO, SyncJob
from reconcile.sync import jobs
from tests.conftest import BACKENDS, postgres_schema
from tests.test_matching_db import RBD
from tests.test_sync_units import T0, seed_jobs

NOW = as_santiago(T0)


def _waits(_: int) -> timedelta:
    return timedelta(minutes=1)


def test_the_queue_states_are_the_ones_the_database_allows():
    assert (jobs.EN_COLA, jobs.ESPERANDO_REPORTE, jobs.TERMINADO) == JOB_STATES


def test_each_move_starts_only_from_its_state(db_url):
    with transaction(db_url) as session:
        ids, _ = seed_jobs(session, count=1)
    with transaction(db_url) as session:
        job = session.get(SyncJob, ids[0])
        with pytest.raises(jobs.TransitionError, match="esperando_reporte, pero está en_cola"):
            jobs.poll_later(job, _waits, NOW + timedelta(hours=1), None, NOW)
        jobs.send_failed(job, _waits, "SIGE no disponible", NOW)
        jobs.sent(job, "T-1", "h" * 64, NOW + timedelta(minutes=1), NOW)
        assert (job.state, job.attempts) == (jobs.ESPERANDO_REPORTE, 2)
        for sent_again in (lambda: jobs.sent(job, "T-2", "h" * 64, NOW, NOW),
                           lambda: jobs.send_failed(job, _waits, "otra vez", NOW)):
            with pytest.raises(jobs.TransitionError, match=f"envío {job.id}: .*en_cola"):
                sent_again()
        jobs.poll_later(job, _waits, NOW + timedelta(hours=1), None, NOW)
        jobs.finish(job, SINCRONIZADO, None, NOW)
    with transaction(db_url) as session:
        job = session.get(SyncJob, ids[0])
        for move in (lambda: jobs.finish(job, ERROR, "rechazado", NOW),
                     lambda: jobs.retry_later(job, NOW, "otra vez", NOW),
                     lambda: jobs.sent(job, "T-3", "h" * 64, NOW, NOW)):
            with pytest.raises(jobs.TransitionError, match="pero está terminado"):
                move()
    with transaction(db_url) as session:  # the refused moves wrote nothing
        job = session.get(SyncJob, ids[0])
        assert (job.state, job.outcome, job.ticket, job.polls) == (
            jobs.TERMINADO, SINCRONIZADO, "T-1", 1)


def test_a_finished_job_is_never_claimed_renewed_or_released(db_url):
    lease = timedelta(seconds=60)
    with transaction(db_url) as session:
        ids, _ = seed_jobs(session, count=1)
    with transaction(db_url) as session:
        assert jobs.claim(session, "w1", 1, NOW, lease) == ids
        jobs.finish(session.get(SyncJob, ids[0]), SINCRONIZADO, None, NOW)
    with transaction(db_url) as session:
        assert jobs.renew(session, "w1", ids, NOW, lease) == 0
        assert jobs.release(session, "w1", ids) == 0
        assert jobs.claim(session, "w2", 1, NOW + timedelta(hours=1), lease) == []


def test_a_claim_never_takes_more_than_its_limit_among_many_jobs(db_url):
    """The due jobs are picked once (a materialized CTE): whatever plan the database
    chooses, a claim leases at most ``limit``, the earliest due, and claims never overlap."""
    lease = timedelta(seconds=60)
    with transaction(db_url) as session:
        ids, _ = seed_jobs(session, count=120)
        session.execute(update(SyncJob).where(SyncJob.id.in_(ids[:10]))
                        .values(state=jobs.TERMINADO, outcome=SINCRONIZADO))
    taken = []
    for n in range(55):
        with transaction(db_url) as session:
            claimed = jobs.claim(session, f"w{n}", 2, NOW, lease)
        assert len(claimed) <= 2
        taken += claimed
    assert taken == ids[10:]  # each once, in order, none finished


def test_the_database_refuses_a_state_outside_the_queue(db_url):
    with transaction(db_url) as session:
        ids, _ = seed_jobs(session, count=1)
    with pytest.raises(IntegrityError, match="ck_sync_job_state|CHECK"):
        with transaction(db_url) as session:
            session.add(SyncJob(rbd=RBD, day=T0.date(), cod_ense=110, cod_grado=1,
                                state="enviado", attempts=0, polls=0, created_at=NOW))
    with pytest.raises(IntegrityError, match="ck_sync_job_state|CHECK"):
        with transaction(db_url) as session:
            session.execute(update(SyncJob).where(SyncJob.id == ids[0]).values(state="hecho"))
    with transaction(db_url) as session:
        assert session.get(SyncJob, ids[0]).state == jobs.EN_COLA


def _at_0006(url: str) -> None:
    config = alembic_config(url)
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")


def _with_a_queued_job(url: str) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(text("INSERT INTO establishment (rbd, name, created_at) "
                          "VALUES (1, 'E', '2026-11-02 10:00:00')"))
        conn.execute(text("INSERT INTO course (rbd, year, cod_ense, cod_grado, letra) "
                          "VALUES (1, 2026, 110, 1, 'A')"))
        conn.execute(text("INSERT INTO sync_job (rbd, day, cod_ense, cod_grado, state, attempts, "
                          "polls, created_at) VALUES (1, '2026-11-02', 110, 1, 'en_cola', 0, 0, "
                          "'2026-11-02 10:00:00')"))
        conn.execute(text("INSERT INTO sync_job_course (job_id, course_id, day, active) "
                          "SELECT id, 1, '2026-11-02', true FROM sync_job"))


def _jobs_and_their_courses(url: str) -> list[tuple]:
    with get_engine(url).connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            "SELECT j.state, c.course_id, c.active FROM sync_job j "
            "JOIN sync_job_course c ON c.job_id = j.id"))]


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrading_a_database_with_jobs_keeps_them_and_checks_the_state(backend, tmp_path):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'con_envios.db'}"
        _at_0006(url)
        _check_the_upgrade(url)
        get_engine(url).dispose()
    else:
        with postgres_schema(_at_0006) as url:
            _check_the_upgrade(url)


def _check_the_upgrade(url: str) -> None:
    _with_a_queued_job(url)
    upgrade(url)
    assert _jobs_and_their_courses(url) == [("en_cola", 1, True)]
    with pytest.raises(IntegrityError):
        with get_engine(url).begin() as conn:
            conn.execute(text("UPDATE sync_job SET state = 'enviado'"))
    config = alembic_config(url)  # and back, the jobs still there
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    assert _jobs_and_their_courses(url) == [("en_cola", 1, True)]
    upgrade(url)
    assert _jobs_and_their_courses(url) == [("en_cola", 1, True)]
