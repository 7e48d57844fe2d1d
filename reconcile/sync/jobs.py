"""The durable job queue: one job per SIGE unit (school, date, tipo de enseñanza,
grado) with its courses. The database is the source of truth.

Job states, and the only moves between them:

    en_cola ──send accepted──> esperando_reporte ──final report──> terminado
       │  └─Caso 3: back to en_cola, later (backoff)    └─not yet: asked again later
       └─refused, month closed, no convenio──────────────────────> terminado

Each move checks the state it starts from (``TransitionError`` when it is not,
always a bug: the worker holds the row locked while it decides) and the database
refuses any state but these three (a CHECK constraint, as procrastinate's enum).

A worker *claims* a due job by taking its lease (``claimed_by``, ``lease_until``)
and renews the lease while it works; a lease that runs out (a worker that died)
is taken over by the next claim. PostgreSQL claims with ``FOR UPDATE SKIP
LOCKED``; SQLite, which has one writer at a time, with the same single
``UPDATE ... RETURNING``. The database refuses a second active job for the same
(course, date): a partial unique index on ``sync_job_course`` where ``active``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from reconcile import day_states as states
from reconcile.db.models import Course, CourseDay, SyncJob, SyncJobCourse

EN_COLA = "en_cola"  # to be sent (again, after a Caso 3, at next_attempt_at)
ESPERANDO_REPORTE = "esperando_reporte"  # SIGE took it (ticket); asking for the report
TERMINADO = "terminado"  # final: ``outcome`` is the days' result, ``cause`` why
ACTIVE = (EN_COLA, ESPERANDO_REPORTE)
_CHUNK = 1000  # ids per IN (...) list
LABELS_ES = {EN_COLA: "En cola", ESPERANDO_REPORTE: "Esperando el resultado de SIGE",
             TERMINADO: "Terminado"}


class TransitionError(RuntimeError):
    """A move a job's state does not allow (sent twice, finished twice...): a bug."""


def _expect(job: SyncJob, allowed: tuple[str, ...], move: str) -> None:
    if job.state not in allowed:
        raise TransitionError(f"envío {job.id}: «{move}» parte de {' o '.join(allowed)}, "
                              f"pero está {job.state}")


def create(session: Session, rbd: int, units: dict[tuple[date, int, int], list[Course]],
           requested_by: str, override_reason: str | None, now: datetime) -> list[int]:
    """One job per (date, tipo de enseñanza, grado) with its courses, due now; the
    course-days show ``en_proceso`` from here on. Returns the new jobs' ids. The
    caller's transaction holds it all (the unique index refuses a (course, date)
    queued meanwhile). Set-based: a sostenedor's month is thousands of jobs."""
    ordered = sorted(units.items(), key=lambda item: item[0])
    if not ordered:
        return []
    ids = list(session.scalars(
        insert(SyncJob).returning(SyncJob.id, sort_by_parameter_order=True),
        [{"rbd": rbd, "day": day, "cod_ense": ense, "cod_grado": grado, "state": EN_COLA,
          "attempts": 0, "polls": 0, "requested_by": requested_by,
          "override_reason": override_reason, "next_attempt_at": now, "created_at": now,
          "updated_at": now} for (day, ense, grado), _ in ordered]))
    session.execute(insert(SyncJobCourse), [
        {"job_id": job_id, "course_id": course.id, "day": day, "active": True}
        for job_id, ((day, _, _), courses) in zip(ids, ordered) for course in courses])
    keys = [(course.id, day) for (day, _, _), courses in ordered for course in courses]
    wanted = set(keys)
    day_ids = [row.id for row in session.execute(
        select(CourseDay.id, CourseDay.course_id, CourseDay.day).where(
            CourseDay.rbd == rbd, CourseDay.day.in_(sorted({day for _, day in keys})),
            CourseDay.course_id.in_(sorted({course_id for course_id, _ in keys}))))
        if (row.course_id, row.day) in wanted]
    for start in range(0, len(day_ids), _CHUNK):
        session.execute(update(CourseDay).where(CourseDay.id.in_(day_ids[start:start + _CHUNK]))
                        .values(**states.queued_values(now))
                        .execution_options(synchronize_session="evaluate"))
    return ids


def earlier_in_grade(session: Session, job: SyncJob) -> int | None:
    """An active job of the same grade-day (school, date, tipo de enseñanza, grado)
    queued before ``job``, if any: ``job`` waits for it, so SIGE gets that grade's
    calls one after the other and the later one can carry the earlier's letters."""
    return session.scalar(select(SyncJob.id).where(
        SyncJob.rbd == job.rbd, SyncJob.day == job.day, SyncJob.cod_ense == job.cod_ense,
        SyncJob.cod_grado == job.cod_grado, SyncJob.state.in_(ACTIVE), SyncJob.id < job.id)
        .order_by(SyncJob.id).limit(1))


def carry(session: Session, job: SyncJob, course_ids: Iterable[int]) -> None:
    """Add letters to the job (they ride along with the send; its result updates them)."""
    for course_id in course_ids:
        job.courses.append(SyncJobCourse(course_id=course_id, day=job.day, active=True))
    session.flush()


def active_schools(session: Session) -> set[int]:
    """The schools (RBD) with an active job."""
    return set(session.scalars(select(SyncJob.rbd).where(SyncJob.state.in_(ACTIVE))))


def active_course_days(session: Session, rbd: int, first: date, last: date
                       ) -> set[tuple[int, date]]:
    """(course id, date) pairs of the school that an active job holds."""
    rows = session.execute(
        select(SyncJobCourse.course_id, SyncJobCourse.day)
        .join(SyncJob, SyncJob.id == SyncJobCourse.job_id)
        .where(SyncJob.rbd == rbd, SyncJobCourse.active,
               SyncJobCourse.day.between(first, last)))
    return {(row.course_id, row.day) for row in rows}


@dataclass(frozen=True)
class Claimed:
    """A job just claimed, with what a report poll needs (no second read)."""

    id: int
    state: str
    rbd: int
    ticket: str | None
    sent_at: datetime | None


def claim_due(session: Session, worker: str, limit: int, now: datetime,
              lease: timedelta) -> list[Claimed]:
    """Take the lease of up to ``limit`` due jobs that no live worker holds (commit
    right after, so the lease is seen by others)."""
    if limit <= 0:
        return []
    # As procrastinate's fetch_job: the due jobs are picked and locked once, in a
    # MATERIALIZED CTE (never folded into the UPDATE, so the LIMIT cannot run again per
    # row whatever the planner chooses), then leased by joining on it.
    due = (select(SyncJob.id)
           .where(SyncJob.state.in_(ACTIVE), SyncJob.next_attempt_at <= now,
                  or_(SyncJob.lease_until.is_(None), SyncJob.lease_until < now))
           .order_by(SyncJob.next_attempt_at, SyncJob.id)
           .limit(limit)
           .with_for_update(skip_locked=True)
           .cte("due").prefix_with("MATERIALIZED"))
    rows = session.execute(
        update(SyncJob)
        .where(SyncJob.id == due.c.id, SyncJob.state.in_(ACTIVE),
               or_(SyncJob.lease_until.is_(None), SyncJob.lease_until < now))
        .values(claimed_by=worker, lease_until=now + lease)
        .returning(SyncJob.id, SyncJob.state, SyncJob.rbd, SyncJob.ticket, SyncJob.sent_at)
        .execution_options(synchronize_session=False)).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def claim(session: Session, worker: str, limit: int, now: datetime,
          lease: timedelta) -> list[int]:
    """``claim_due``, the ids only."""
    return [job.id for job in claim_due(session, worker, limit, now, lease)]


def renew(session: Session, worker: str, job_ids: Iterable[int], now: datetime,
          lease: timedelta) -> int:
    """Extend the lease of the jobs this worker still holds (the heartbeat)."""
    ids = list(job_ids)
    if not ids:
        return 0
    return session.execute(
        update(SyncJob).where(SyncJob.id.in_(ids), SyncJob.claimed_by == worker,
                              SyncJob.state.in_(ACTIVE))
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)).rowcount


def release(session: Session, worker: str, job_ids: Iterable[int]) -> int:
    """Give the jobs back untouched (a worker stopping): the next claim takes them."""
    ids = list(job_ids)
    if not ids:
        return 0
    return session.execute(
        update(SyncJob).where(SyncJob.id.in_(ids), SyncJob.claimed_by == worker,
                              SyncJob.state.in_(ACTIVE))
        .values(claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)).rowcount


def held(session: Session, job_id: int, worker: str) -> SyncJob | None:
    """The job, locked for this transaction, if this worker still holds its lease
    (None when it lapsed and another worker took the job: this one writes nothing)."""
    job = session.scalar(select(SyncJob).where(SyncJob.id == job_id)
                         .with_for_update())
    return job if job is not None and job.claimed_by == worker else None


def retry_later(job: SyncJob, at: datetime, why: str | None, now: datetime) -> None:
    """Keep the job active (in its state) and give it back, due at ``at``."""
    _expect(job, ACTIVE, "reintentar más tarde")
    job.next_attempt_at, job.last_error, job.updated_at = at, why, now
    job.claimed_by, job.lease_until = None, None


def send_failed(job: SyncJob, wait: Callable[[int], timedelta], why: str,
                now: datetime) -> None:
    """SIGE could not take the send (Caso 3): one attempt more, due again after
    ``wait(attempts)``."""
    _expect(job, (EN_COLA,), "reintentar el envío")
    job.attempts += 1
    retry_later(job, now + wait(job.attempts), why, now)


def sent(job: SyncJob, ticket: str, record_hash: str, first_poll: datetime,
         now: datetime) -> None:
    """SIGE took the send (a ticket): ask for its report from ``first_poll`` on."""
    _expect(job, (EN_COLA,), "enviado")
    job.state, job.ticket, job.record_hash = ESPERANDO_REPORTE, ticket, record_hash
    job.attempts += 1
    job.sent_at, job.polls, job.last_error = now, 0, None
    retry_later(job, first_poll, None, now)


def poll_later(job: SyncJob, wait: Callable[[int], timedelta], deadline: datetime,
               why: str | None, now: datetime) -> None:
    """No final report yet: one poll more, asked again after ``wait(polls)`` (never
    after ``deadline``)."""
    _expect(job, (ESPERANDO_REPORTE,), "preguntar de nuevo por el resultado")
    job.polls += 1
    retry_later(job, min(now + wait(job.polls), deadline), why, now)


def finish(job: SyncJob, outcome: str, cause: str | None, now: datetime,
           why: str | None = None) -> None:
    """The job is over: its courses free for a new request."""
    _expect(job, ACTIVE, "terminar")
    job.state, job.outcome, job.cause = TERMINADO, outcome, cause
    job.finished_at, job.updated_at, job.claimed_by, job.lease_until = now, now, None, None
    job.next_attempt_at = None
    if why is not None:
        job.last_error = why
    for course in job.courses:
        course.active = False


def course_days(session: Session, job: SyncJob) -> dict[int, CourseDay]:
    """The job's course-days by course id."""
    found = _course_days(session, job.rbd, [(c.course_id, job.day) for c in job.courses])
    return {course_id: day for (course_id, _), day in found.items()}


def _course_days(session: Session, rbd: int, keys: list[tuple[int, date]]
                 ) -> dict[tuple[int, date], CourseDay]:
    if not keys:
        return {}
    days = sorted({day for _, day in keys})
    ids = sorted({course_id for course_id, _ in keys})
    wanted = set(keys)
    found = {}
    for row in session.scalars(select(CourseDay).where(
            CourseDay.rbd == rbd, CourseDay.day.in_(days), CourseDay.course_id.in_(ids))):
        if (row.course_id, row.day) in wanted:
            found[(row.course_id, row.day)] = row
    return found


def next_due(session: Session) -> datetime | None:
    """When the earliest active job may be claimed: when it is due, or when the lease
    another worker holds on it runs out (None when there is none). An idle worker
    waits for that instead of asking the database again and again."""
    claimable = case((SyncJob.lease_until > SyncJob.next_attempt_at, SyncJob.lease_until),
                     else_=SyncJob.next_attempt_at)
    return session.scalar(select(func.min(claimable)).where(SyncJob.state.in_(ACTIVE)))


def active_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SyncJob)
                          .where(SyncJob.state.in_(ACTIVE))) or 0


def stale_leases(session: Session, now: datetime) -> int:
    """Active jobs whose lease ran out (a worker died holding them)."""
    return session.scalar(select(func.count()).select_from(SyncJob).where(
        and_(SyncJob.state.in_(ACTIVE), SyncJob.lease_until.is_not(None),
             SyncJob.lease_until < now))) or 0


def report_times(session: Session, rbd: int | None, limit: int) -> list[timedelta]:
    """How long SIGE took from the send to the final report, for the ``limit`` jobs
    last finished after a send (of school ``rbd``; of the installation when None)."""
    query = (select(SyncJob.sent_at, SyncJob.finished_at)
             .where(SyncJob.state == TERMINADO, SyncJob.sent_at.is_not(None),
                    SyncJob.finished_at.is_not(None))
             .order_by(SyncJob.finished_at.desc(), SyncJob.id.desc()).limit(limit))
    if rbd is not None:
        query = query.where(SyncJob.rbd == rbd)
    return [max(finished - sent, timedelta(0)) for sent, finished in session.execute(query)]
