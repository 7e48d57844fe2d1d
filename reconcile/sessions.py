"""Login sessions that survive a browser refresh: a random token, kept by the browser
in a signed cookie; only the token's sha256 is stored (table ``login_session``).

A session ends on logout, on a password change (every session of the user), after
``auth.session_idle_minutes`` without activity, after ``auth.session_max_hours`` in
all, or when the user is no longer active.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.audit import record
from reconcile.access import AuthUser, as_auth_user
from reconcile.clock import Clock
from reconcile.db.models import LoginSession, Setting, User

COOKIE_NAME = "asistencia_sesion"
# The signing secret lives in the database (one per installation, shared by every
# dashboard process); its key is outside settings.KEYS so no command prints or sets it.
SECRET_KEY = "auth.session_signing_secret"
SALT = "login-session"
TOUCH_EVERY = timedelta(minutes=1)  # fewer writes: last_seen_at moves at most once a minute


def max_age_seconds(session: Session) -> int:
    """How long the browser keeps the cookie: the session's whole allowed life."""
    return settings.get_int(session, "auth.session_max_hours") * 3600


def create(session: Session, username: str, clock: Clock) -> str:
    """Start a login session for ``username``; return the signed cookie value."""
    secret = _create_signing_secret(session, clock)
    now = clock.now()
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_hash(token), username=username, created_at=now,
                             last_seen_at=now,
                             expires_at=now + timedelta(seconds=max_age_seconds(session))))
    session.flush()
    return Signer(secret, salt=SALT).sign(token).decode()


def resolve(session: Session, cookie: str | None, clock: Clock) -> AuthUser | None:
    """The user of a live session, or None (bad signature, unknown, revoked, expired,
    idle too long, user inactive). A live session is marked as seen now."""
    row = _find(session, cookie)
    if row is None or row.revoked_at is not None:
        return None
    now = clock.now()
    idle = timedelta(minutes=settings.get_int(session, "auth.session_idle_minutes"))
    longest = timedelta(hours=settings.get_int(session, "auth.session_max_hours"))
    if now >= row.expires_at or now - row.created_at >= longest or now - row.last_seen_at >= idle:
        return None
    user = session.scalar(select(User).where(User.username == row.username))
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return as_auth_user(user)


def revoke(session: Session, cookie: str | None, clock: Clock) -> str | None:
    """End one session (logout, audited); return its user name, or None if there was none."""
    row = _find(session, cookie)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        record(session, clock, row.username, "logout")
    return row.username


def revoke_all(session: Session, username: str, clock: Clock) -> int:
    """End every open session of ``username`` (a password change); return how many."""
    result = session.execute(update(LoginSession)
                             .where(LoginSession.username == username,
                                    LoginSession.revoked_at.is_(None))
                             .values(revoked_at=clock.now()))
    return result.rowcount


def purge_ended(session: Session, now: datetime) -> int:
    """Delete the sessions that can no longer be used (revoked, expired, idle or open too
    long, by ``resolve``'s rules and today's settings); returns how many."""
    idle = timedelta(minutes=settings.get_int(session, "auth.session_idle_minutes"))
    longest = timedelta(hours=settings.get_int(session, "auth.session_max_hours"))
    return session.execute(delete(LoginSession).where(or_(
        LoginSession.revoked_at.is_not(None), LoginSession.expires_at <= now,
        LoginSession.created_at <= now - longest,
        LoginSession.last_seen_at <= now - idle))).rowcount


def _find(session: Session, cookie: str | None) -> LoginSession | None:
    secret = _signing_secret(session)
    if not cookie or secret is None:
        return None
    try:
        token = Signer(secret, salt=SALT).unsign(cookie).decode()
    except BadSignature:
        return None
    return session.scalar(select(LoginSession).where(LoginSession.token_hash == _hash(token)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signing_secret(session: Session) -> str | None:
    row = session.get(Setting, (SECRET_KEY, settings.GLOBAL), populate_existing=True)
    return row.value if row is not None else None


def _create_signing_secret(session: Session, clock: Clock) -> str:
    """The installation's secret, made the first time a session is created. Two
    processes may make it at the same moment: the loser's insert fails (in a savepoint,
    so its transaction goes on) and it uses the winner's."""
    secret = _signing_secret(session)
    if secret is not None:
        return secret
    try:
        with session.begin_nested():
            session.add(Setting(key=SECRET_KEY, rbd=settings.GLOBAL,
                                value=secrets.token_urlsafe(48), updated_at=clock.now()))
    except IntegrityError:
        pass
    return _signing_secret(session)
