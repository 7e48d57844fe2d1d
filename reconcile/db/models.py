"""The database schema: SQLAlchemy 2 typed ORM models.

Every school-owned row carries its ``rbd`` so a sostenedor's schools share one
database. Schema changes go through the migrations in ``migrations/``.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    TypeDecorator,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from reconcile.clock import SANTIAGO, as_santiago

# Stable constraint names so migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AwareDateTime(TypeDecorator):
    """Instants stored in UTC, returned aware in America/Santiago, on every backend
    (SQLite keeps no offset; this keeps DST changes from shifting stored times)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        utc = as_santiago(value).astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SANTIAGO)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# Day states (DESIGN.md "Day states").
SIN_REGISTRO = "sin_registro"
POR_SINCRONIZAR = "por_sincronizar"
EN_PROCESO = "en_proceso"
SINCRONIZADO = "sincronizado"
ERROR = "error"
DAY_STATES = (SIN_REGISTRO, POR_SINCRONIZAR, EN_PROCESO, SINCRONIZADO, ERROR)

# Job states (reconcile.sync.jobs: en_cola, esperando_reporte, terminado); the database
# refuses any other (migration 0007).
JOB_STATES = ("en_cola", "esperando_reporte", "terminado")

# Student identifier kinds (reconcile.rut).
DEFINITIVE = "definitive"
PROVISIONAL = "provisional"
INVALID = "invalid"


class Establishment(Base):
    """A school. Its convenio credentials are per-school settings (``sige.*``)."""

    __tablename__ = "establishment"

    rbd: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    dgv_rbd: Mapped[str | None] = mapped_column(String(1))
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    comuna: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class Course(Base):
    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("rbd", "year", "cod_ense", "cod_grado", "letra"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    cod_ense: Mapped[int] = mapped_column(Integer)
    cod_grado: Mapped[int] = mapped_column(Integer)
    letra: Mapped[str] = mapped_column(String(5))
    desc_grado: Mapped[str | None] = mapped_column(String(100))

    @property
    def code(self) -> str:
        """The course as the CLI names it: ``ENSE-GRADO-LETRA``, e.g. ``110-1-A``."""
        return f"{self.cod_ense}-{self.cod_grado}-{self.letra}"


class Student(Base):
    """One identifier as a school's sources write it. A provisional IPE in the Libro
    and the definitive RUN in SIGE are two rows until a RutCorrection links them."""

    __tablename__ = "student"
    __table_args__ = (UniqueConstraint("rbd", "rut"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # indexed by the (rbd, rut) unique key, which leads with it
    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"))
    rut: Mapped[str] = mapped_column(String(40))  # canonical BODY-DV (wrong digit kept)
    run: Mapped[int | None] = mapped_column(BigInteger)  # body; None when unparseable
    dv: Mapped[str | None] = mapped_column(String(1))
    kind: Mapped[str] = mapped_column(String(12))  # definitive / provisional / invalid
    nombres: Mapped[str | None] = mapped_column(String(200))
    ape_paterno: Mapped[str | None] = mapped_column(String(100))
    ape_materno: Mapped[str | None] = mapped_column(String(100))
    full_name: Mapped[str | None] = mapped_column(String(300))  # as the Libro writes it
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(1))


class ImportBatch(Base):
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # sige_nomina / libro
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    rows_removed: Mapped[int] = mapped_column(Integer, default=0)


class Enrolment(Base):
    """A student enrolled in a course according to SIGE's nómina."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("course_id", "student_id"),)

    # As for marks, rbd and the batch are plain columns (course_id already ties the
    # enrolment to its school; the batch is bookkeeping): two key checks fewer per row.
    # course_id is indexed by the (course_id, student_id) unique key, which leads with it.
    id: Mapped[int] = mapped_column(primary_key=True)
    rbd: Mapped[int] = mapped_column(Integer, index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    incorporated_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)  # not enrolled from this date on
    import_batch_id: Mapped[int | None] = mapped_column(Integer)

    course: Mapped[Course] = relationship()
    student: Mapped[Student] = relationship()


class AttendanceMark(Base):
    """One mark from the Libro Digital. ``hour`` 0 means the source gave no class hour;
    when hours are given, the 2nd hour is the one that counts for the subsidy."""

    __tablename__ = "attendance_mark"
    __table_args__ = (
        # (course, day) first: the course-day every reader asks for; a school's marks by
        # date range are read through its courses (no index of their own to keep).
        UniqueConstraint("course_id", "day", "student_id", "hour"),
    )

    # The largest table (a school's year is millions of marks): no column is a foreign
    # key, because a per-row key check was most of PostgreSQL's bulk-load time (the
    # last two, course and student, two thirds of it). Marks are written only by
    # the Libro import, with course and student ids it has just read or written in
    # the same transaction; courses and students are never deleted.
    id: Mapped[int] = mapped_column(primary_key=True)
    rbd: Mapped[int] = mapped_column(Integer)
    course_id: Mapped[int] = mapped_column(Integer)
    student_id: Mapped[int] = mapped_column(Integer, index=True)
    day: Mapped[date] = mapped_column(Date)
    hour: Mapped[int] = mapped_column(Integer, default=0)
    present: Mapped[bool] = mapped_column(Boolean)
    import_batch_id: Mapped[int | None] = mapped_column(Integer)


class CourseDay(Base):
    """The unit the user sees: one course on one date, with its sync state."""

    __tablename__ = "course_day"
    __table_args__ = (
        UniqueConstraint("course_id", "day"),
        Index("ix_course_day_rbd_day", "rbd", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    day: Mapped[date] = mapped_column(Date)
    # hash of the payload SIGE would get now (reconcile.payload: deciding marks,
    # approved corrections applied); None when the day has no record
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default=SIN_REGISTRO)
    cause: Mapped[str | None] = mapped_column(String(40))
    sent_hash: Mapped[str | None] = mapped_column(String(64))  # what the last send carried
    synced_hash: Mapped[str | None] = mapped_column(String(64))  # what SIGE accepted
    # Presentes and Ausentes counted in the last send and in what SIGE accepted (the
    # declaration summary's SIGE side, also after a later change of the marks)
    sent_present: Mapped[int | None] = mapped_column(Integer)
    sent_absent: Mapped[int | None] = mapped_column(Integer)
    synced_present: Mapped[int | None] = mapped_column(Integer)
    synced_absent: Mapped[int | None] = mapped_column(Integer)
    ticket: Mapped[str | None] = mapped_column(String(100))
    sige_messages: Mapped[list[Any] | None] = mapped_column(JSON)
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    course: Mapped[Course] = relationship()


class SyncJob(Base):
    """A durable request to send one SIGE unit: (school, date, tipo de enseñanza,
    grado) with the selected courses (``SyncJobCourse``). States and transitions
    live in ``reconcile.sync.jobs``; a worker claims a job by taking its lease."""

    __tablename__ = "sync_job"
    __table_args__ = (
        Index("ix_sync_job_state_next", "state", "next_attempt_at"),
        CheckConstraint("state IN ({})".format(", ".join(f"'{s}'" for s in JOB_STATES)),
                        name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"), index=True)
    day: Mapped[date] = mapped_column(Date)
    cod_ense: Mapped[int] = mapped_column(Integer)
    cod_grado: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # sends tried
    polls: Mapped[int] = mapped_column(Integer, default=0)  # report requests made
    record_hash: Mapped[str | None] = mapped_column(String(64))  # the last record sent
    ticket: Mapped[str | None] = mapped_column(String(100))
    requested_by: Mapped[str | None] = mapped_column(String(100))
    override_reason: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    outcome: Mapped[str | None] = mapped_column(String(20))  # final: a day state
    cause: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)  # Spanish, log-safe
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    courses: Mapped[list[SyncJobCourse]] = relationship(
        back_populates="job", cascade="all, delete-orphan", lazy="selectin")


class SyncJobCourse(Base):
    """One course-day carried by a job. ``active`` while the job is not final: the
    database refuses a second active job for the same (course, date)."""

    __tablename__ = "sync_job_course"
    __table_args__ = (
        Index("uq_sync_job_course_active", "course_id", "day", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("sync_job.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    day: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    job: Mapped[SyncJob] = relationship(back_populates="courses")
    course: Mapped[Course] = relationship(lazy="joined")


class ConvenioRejection(Base):
    """SIGE refused this school's convenio credentials: its jobs wait (instead of
    being sent with bad credentials) until the stored credentials change."""

    __tablename__ = "convenio_rejection"

    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"), primary_key=True)
    credentials_hash: Mapped[str] = mapped_column(String(64))
    rejected_at: Mapped[datetime] = mapped_column(AwareDateTime())
    detail: Mapped[str | None] = mapped_column(Text)


class RutCorrection(Base):
    """An approved provisional -> definitive (or mistyped -> right) identifier."""

    __tablename__ = "rut_correction"
    __table_args__ = (Index("ix_rut_correction_rbd_from", "rbd", "from_rut"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"))
    from_rut: Mapped[str] = mapped_column(String(40))  # as the Libro has it
    to_rut: Mapped[str] = mapped_column(String(40))  # as SIGE has it
    reason: Mapped[str] = mapped_column(String(20))  # provisional / check_digit / name
    confidence: Mapped[float | None]
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime] = mapped_column(AwareDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Closed by itself when a later nómina or Libro made it unnecessary (why: resolved_reason).
    resolved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    resolved_reason: Mapped[str | None] = mapped_column(String(40))


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))  # digest and alerts go here
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    schools: Mapped[list[UserSchool]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def rbds(self) -> list[int]:
        return sorted(s.rbd for s in self.schools)


class UserSchool(Base):
    """A user's scope: the schools they may see (a sostenedor has many)."""

    __tablename__ = "user_school"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"), primary_key=True)


class LoginSession(Base):
    """A browser's login, kept across refreshes by a signed cookie. Only the token's
    hash is stored; logout and a password change revoke it; it expires when idle."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(AwareDateTime())
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class LoginThrottle(Base):
    """Failed logins per typed user name, known or not, so that an unknown name is
    answered exactly as a known one (no account enumeration)."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())


class Setting(Base):
    """Configuration (DESIGN.md keys). ``rbd`` 0 holds the global value."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    rbd: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())


class AutopilotRun(Base):
    """One envío automático of a school on one date (``kind`` auto: at the school's hour;
    manual: asked for now). Claimed in the transaction that queues its jobs: the unique
    key makes a second worker, a restart or a crash unable to make two runs or half one."""

    __tablename__ = "autopilot_run"
    __table_args__ = (UniqueConstraint("rbd", "run_date", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"))
    run_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(AwareDateTime())
    requested_by: Mapped[str | None] = mapped_column(String(100))
    queued: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SchoolRisk(Base):
    """The close-risk level last seen for a school: an alert goes when it turns."""

    __tablename__ = "school_risk"

    rbd: Mapped[int] = mapped_column(ForeignKey("establishment.rbd"), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime())
    checked_at: Mapped[datetime] = mapped_column(AwareDateTime())
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OutboxMessage(Base):
    """A mail to deliver (digest, alert, test). Marked sent only after the server (or
    the .eml folder) accepted it; ``dedupe_key`` makes a coalesced alert unique."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rbd: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    recipients: Mapped[list[Any]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    delivered_to: Mapped[str | None] = mapped_column(String(300))  # the server or .eml file


class AuditLog(Base):
    """Append-only: who did what, when, to which school, course or day."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    username: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    rbd: Mapped[int | None] = mapped_column(Integer, index=True)
    course: Mapped[str | None] = mapped_column(String(30))
    day: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _audit_is_append_only(mapper, connection, target) -> None:  # noqa: ANN001
    raise PermissionError("audit_log es solo de agregado: no se modifica ni se borra")
