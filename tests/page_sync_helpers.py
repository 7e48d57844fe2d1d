"""The sample school ready to sync from the pages (convenio credentials, users) and a way to
put a course-day in a given state, for the Sincronización and Estado page tests."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from reconcile import settings
from reconcile.clock import FixedClock
from reconcile.db import transaction
from reconcile.db.models import Course, CourseDay, SyncJob, SyncJobCourse
from reconcile.imports import import_libro, import_sige
from reconcile.sige.config import CREDENTIAL_KEYS
from reconcile.sync import jobs
from tests.app_helpers import make_user

SAMPLES = Path(__file__).parent / "data" / "samples"
RBD = 24875
NOT_READY, READY = "110-1-A", "110-2-A"  # 1° Básico A has a Caso 1 and a Caso 2 every day
SAMPLE_DAYS = [date(2026, 11, d) for d in (2, 3, 4, 5, 6, 9)]  # the days the Libro has


def sample_school(url: str, clock: FixedClock, users: tuple[str, ...] = (
        "asistencia", "director", "profesor")) -> None:
    """The samples imported, the convenio stored, one user per role named after it."""
    with transaction(url) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock)
        import_libro(session, SAMPLES / "libro_asistencia_larga.csv", clock=clock)
        import_libro(session, SAMPLES / "libro_control_subvenciones.xlsx", clock=clock)
        for key in CREDENTIAL_KEYS:
            settings.set_value(session, key, f"prueba-{key.split('.')[-1]}", RBD, clock)
    for role in users:
        make_user(url, role, role, [RBD])


def course_id(session, code: str) -> int:  # noqa: ANN001
    ense, grado, letra = code.split("-")
    return session.scalar(select(Course.id).where(
        Course.rbd == RBD, Course.cod_ense == int(ense), Course.cod_grado == int(grado),
        Course.letra == letra))


def set_day(url: str, code: str, day: date, state: str, cause: str | None = None,
            messages: list | None = None, at: datetime | None = None) -> None:
    """Put a stored course-day in ``state`` directly (what the worker would leave)."""
    with transaction(url) as session:
        row = session.scalar(select(CourseDay).where(
            CourseDay.course_id == course_id(session, code), CourseDay.day == day))
        row.state, row.cause, row.sige_messages = state, cause, messages
        row.updated_at = at or datetime(2026, 11, 16, 9, 30)


def retrying_job(url: str, code: str, day: date, now: datetime) -> None:
    """An active job SIGE did not answer twice (Caso 3): due again in five minutes."""
    with transaction(url) as session:
        ident = course_id(session, code)
        ense, grado, _ = code.split("-")
        session.add(SyncJob(
            rbd=RBD, day=day, cod_ense=int(ense), cod_grado=int(grado), state=jobs.EN_COLA,
            attempts=2, polls=0, requested_by="asistencia", created_at=now, updated_at=now,
            next_attempt_at=now + timedelta(minutes=5),
            last_error="SIGE no respondió: no se pudo conectar.",
            courses=[SyncJobCourse(course_id=ident, day=day, active=True)]))


def active_jobs(url: str) -> set[tuple[str, date]]:
    """(course code, date) of every active job."""
    with transaction(url) as session:
        rows = session.execute(
            select(Course.cod_ense, Course.cod_grado, Course.letra, SyncJobCourse.day)
            .join(Course, Course.id == SyncJobCourse.course_id)
            .where(SyncJobCourse.active)).all()
    return {(f"{e}-{g}-{letra}", day) for e, g, letra, day in rows}


def waiting_job(url: str, code: str, day: date, now: datetime, ticket: str = "T-77",
                poll_in: timedelta = timedelta(minutes=15)) -> None:
    """An active job SIGE took (ticket held): its report is asked for again ``poll_in``
    from ``now``."""
    with transaction(url) as session:
        ident = course_id(session, code)
        ense, grado, _ = code.split("-")
        session.add(SyncJob(
            rbd=RBD, day=day, cod_ense=int(ense), cod_grado=int(grado),
            state=jobs.ESPERANDO_REPORTE, attempts=1, polls=1, ticket=ticket,
            requested_by="asistencia", created_at=now, updated_at=now,
            next_attempt_at=now + poll_in,
            courses=[SyncJobCourse(course_id=ident, day=day, active=True)]))
