"""The durable outbox: mail is written to the database in the caller's transaction
and delivered later by the worker, so a message is never lost and never sent twice.

A message is due while it is not sent and ``next_attempt_at`` has come. A worker
*claims* due messages by taking their lease (as ``reconcile.sync.jobs`` claims jobs:
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, one ``UPDATE ... RETURNING`` on SQLite),
delivers each outside any transaction, and only then marks it sent; a failure gives
it back for later (backoff). A message every recipient of which the server refused
for good is not tried again (``next_attempt_at`` empty, the reason kept). The lease
is far longer than an SMTP exchange can last, so no other worker takes a message
while it is being sent; a crash between the server's acceptance and the mark can
send it once more, with the same Message-ID.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from reconcile.clock import Clock
from reconcile.db.engine import session_factory, transaction
from reconcile.db.models import OutboxMessage
from reconcile.es_cl import fecha_hora
from reconcile.notify import config
from reconcile.notify.delivery import DeliveryFailed, Letter, deliver

log = logging.getLogger(__name__)
DIGEST = "digest"
ALERT = "alert"
KINDS_ES = {DIGEST: "Resumen diario", ALERT: "Alerta"}
LEASE = timedelta(minutes=10)
BATCH = 20
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)


def queue(session: Session, *, rbd: int | None, kind: str, recipients: list[str],
          subject: str, text: str, html: str | None, clock: Clock,
          dedupe_key: str | None = None) -> bool:
    """Add a message to the caller's transaction, due now. With ``dedupe_key``, a
    message already written under that key wins and nothing is added (in a SAVEPOINT:
    the caller's transaction goes on). Returns whether it was added."""
    if not recipients:
        raise ValueError("un correo necesita al menos un destinatario")
    now = clock.now()
    values = {"rbd": rbd, "kind": kind, "dedupe_key": dedupe_key, "recipients": recipients,
              "subject": subject, "body_text": text, "body_html": html, "created_at": now,
              "attempts": 0, "next_attempt_at": now}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(OutboxMessage).values(**values)
                 .on_conflict_do_nothing(index_elements=["dedupe_key"])
                 .returning(OutboxMessage.id))
    with session.begin_nested():
        added = session.execute(statement).scalar() is not None
    return added


def retry_wait(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour: a server down all night is tried hourly."""
    return min(RETRY_MAX, RETRY_FIRST * 2 ** max(0, attempts - 1))


def claim(session: Session, worker: str, limit: int, now: datetime,
          lease: timedelta = LEASE) -> list[int]:
    """Take the lease of up to ``limit`` due messages nobody holds (commit right after)."""
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now,
                  or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))
           .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
           .limit(limit)
           .with_for_update(skip_locked=True))
    rows = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.sent_at.is_(None),
               or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))
        .values(claimed_by=worker, lease_until=now + lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)).scalars().all()
    return sorted(rows)


def deliver_due(clock: Clock, *, worker: str, url: str | None = None) -> int:
    """Deliver every message due now (in sessions of its own); returns how many went."""
    delivered = 0
    while True:
        with transaction(url) as session:
            ids = claim(session, worker, BATCH, clock.now())
        if not ids:
            return delivered
        with session_factory(url)() as session:
            mail = config.read(session, url)
            letters = {row.id: _letter(row) for row in session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
        server_down: DeliveryFailed | None = None
        for message_id in ids:
            try:
                if server_down is not None:  # the server is out: the rest wait with it
                    raise server_down
                where = deliver(letters[message_id], mail)
            except DeliveryFailed as failure:
                if not failure.permanent:
                    server_down = failure
                _failed(url, message_id, worker, failure, clock)
                continue
            delivered += _sent(url, message_id, worker, where, clock)
        if len(ids) < BATCH:
            return delivered


def _letter(row: OutboxMessage) -> Letter:
    return Letter(list(row.recipients), row.subject, row.body_text, row.body_html,
                  row.created_at, f"{row.created_at:%Y-%m-%d_%H%M%S}_{row.kind}_{row.id}")


def _sent(url: str | None, message_id: int, worker: str, where: str, clock: Clock) -> int:
    now = clock.now()
    with transaction(url) as session:
        marked = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.claimed_by == worker)
            .values(sent_at=now, delivered_to=where[-300:], last_error=None,
                    attempts=OutboxMessage.attempts + 1, next_attempt_at=None,
                    claimed_by=None, lease_until=None)
            .execution_options(synchronize_session=False)).rowcount
    if not marked:  # the lease ran out mid-send (a stalled server): say so, never hide it
        log.warning("correo %s entregado, pero otro trabajador ya lo había retomado",
                    message_id)
    log.info("correo %s entregado", message_id)
    return 1


def _failed(url: str | None, message_id: int, worker: str, failure: DeliveryFailed,
            clock: Clock) -> None:
    now = clock.now()
    with transaction(url) as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id)
                             .with_for_update())
        if row is None or row.claimed_by != worker or row.sent_at is not None:
            return
        row.attempts += 1
        row.last_error = failure.reasons[0][:2000]
        row.next_attempt_at = None if failure.permanent else now + retry_wait(row.attempts)
        row.claimed_by, row.lease_until = None, None
        attempts, retry = row.attempts, row.next_attempt_at
    if retry is None:
        log.warning("correo %s no entregado y no se reintentará: %s", message_id,
                    failure.reasons[0])
    else:
        log.warning("correo %s no entregado (intento %d), se reintentará el %s: %s",
                    message_id, attempts, fecha_hora(retry), failure.reasons[0])


def next_due(session: Session) -> datetime | None:
    """When the earliest unsent message may be claimed (its due time, or the end of a
    lease another worker holds on it); None when there is none."""
    claimable = case((OutboxMessage.lease_until > OutboxMessage.next_attempt_at,
                      OutboxMessage.lease_until), else_=OutboxMessage.next_attempt_at)
    return session.scalar(select(func.min(claimable)).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at.is_not(None)))


# --- what the panel lists (Inicio's «Avisos») ----------------------------------------

@dataclass(frozen=True)
class Notice:
    """A message of a school as the panel shows it (no addresses: only how many)."""

    id: int
    kind: str
    kind_es: str
    subject: str
    body_text: str
    created_at: datetime
    sent_at: datetime | None
    recipients: int
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None

    @property
    def state_es(self) -> str:
        if self.sent_at is not None:
            return f"Enviado el {fecha_hora(self.sent_at)}"
        if self.next_attempt_at is None:
            return f"No enviado: {self.last_error}"
        if self.last_error:
            return (f"Pendiente: se reintenta el {fecha_hora(self.next_attempt_at)} "
                    f"({self.last_error})")
        return "Pendiente de envío"


def recent(session: Session, rbd: int, limit: int = 10) -> list[Notice]:
    """School ``rbd``'s latest messages, newest first."""
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.rbd == rbd)
                           .order_by(OutboxMessage.created_at.desc(),
                                     OutboxMessage.id.desc()).limit(limit))
    return [Notice(row.id, row.kind, KINDS_ES.get(row.kind, row.kind), row.subject,
                   row.body_text, row.created_at, row.sent_at, len(row.recipients or []),
                   row.attempts, row.last_error, row.next_attempt_at) for row in rows]
