"""User accounts: password hashes (Argon2id, memory-hard), login with lock-out per
typed name, per-school scope, and a Director's management of their school's users.

Who may do what is ``reconcile.access`` (below this module); open login sessions are
``reconcile.sessions`` (between the two).
"""
from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconcile import email_address, sessions, settings
from reconcile.access import (ASISTENCIA, DIRECTOR, PROFESOR, ROLES, SOSTENEDOR, AuthUser,
                              as_auth_user, authorize)
from reconcile.audit import record
from reconcile.clock import Clock, default_clock
from reconcile.db.engine import session_factory
from reconcile.db.models import Establishment, LoginThrottle, User, UserSchool
from reconcile.errors import PermissionDenied, UserError

MIN_PASSWORD_LENGTH = 8
FORGET_FAILURES_AFTER = timedelta(days=1)  # failures older than this no longer count

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres.")


def check_email(text: str | None) -> str | None:
    """A user's e-mail address as stored (None when empty), or a Spanish UserError."""
    if text is None or not text.strip():
        return None
    try:
        return email_address.address(text)
    except ValueError as problem:
        raise UserError(f"Correo no válido: «{text.strip()}»: {problem}.") from None


def add_user(session: Session, username: str, role: str, rbds: list[int], password: str,
             display_name: str | None = None, clock: Clock | None = None,
             email: str | None = None) -> AuthUser:
    """Create a user scoped to existing schools. A non-sostenedor has exactly one school."""
    problems = []
    try:
        email = check_email(email)
    except UserError as error:
        problems.extend(error.reasons)
    if not re.fullmatch(r"[a-z0-9._-]{3,50}", username or ""):
        problems.append(f"Nombre de usuario no válido: «{username}»: use 3 a 50 letras minúsculas, "
                        "dígitos, punto, guion o guion bajo.")
    if role not in ROLES:
        problems.append(f"Rol desconocido: «{role}». Roles válidos: {', '.join(ROLES)}.")
    if not rbds:
        problems.append("Indique el RBD del establecimiento del usuario (--rbd).")
    elif role != SOSTENEDOR and len(rbds) > 1:
        problems.append("Solo un sostenedor puede tener más de un establecimiento.")
    for rbd in rbds:
        if session.get(Establishment, rbd) is None:
            problems.append(f"No existe el establecimiento RBD {rbd}: cargue primero su nómina "
                            "o cree la demostración.")
    if session.scalar(select(User).where(User.username == username)) is not None:
        problems.append(f"El usuario «{username}» ya existe.")
    try:
        check_new_password(password)
    except UserError as error:
        problems.extend(error.reasons)
    if problems:
        raise UserError(problems)
    user = User(username=username, display_name=display_name or username, role=role,
                email=email, password_hash=hash_password(password), failed_attempts=0,
                active=True,
                created_at=(clock or default_clock()).now(),
                schools=[UserSchool(rbd=rbd) for rbd in rbds])
    session.add(user)
    session.flush()
    return as_auth_user(user)


def set_password(session: Session, username: str, password: str,
                 clock: Clock | None = None) -> None:
    """Change a password; every open login session of the user ends with it."""
    user = _find(session, username)
    check_new_password(password)
    user.password_hash = hash_password(password)
    sessions.revoke_all(session, user.username, clock or default_clock())


OWN_PASSWORD_ACTION = "user.password_change"


def change_own_password(session: Session, user: AuthUser, current: str, new: str,
                        repeated: str, clock: Clock | None = None) -> None:
    """Any logged-in user changes their own password: the current one, then the new one
    twice. Every reason is given at once and nothing changes on a refusal; on success
    every open session of the user ends (as ``set_password``) and it is audited."""
    clock = clock or default_clock()
    found = _find(session, user.username)
    problems = []
    wrong_current = _current_password_refusal(session, found, current or "", clock.now())
    if wrong_current:
        problems.append(wrong_current)
    if new != repeated:
        problems.append("La contraseña nueva y su repetición no coinciden.")
    try:
        check_new_password(new or "")
    except UserError as short:
        problems.extend(short.reasons)
    if new and new == current:
        problems.append("La contraseña nueva debe ser distinta de la actual.")
    if problems:
        raise UserError(problems)
    set_password(session, found.username, new, clock)
    record(session, clock, found.username, OWN_PASSWORD_ACTION)


def _current_password_refusal(session: Session, user: User, current: str,
                              now: datetime) -> str | None:
    """Why the typed current password does not do, or None. A wrong one counts as a failed
    login of that name (a stolen open session cannot guess freely), in a transaction of its
    own: the caller's is rolled back on a refusal."""
    name = throttle_name(user.username)
    throttle = session.get(LoginThrottle, name)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        return ("Demasiados intentos fallidos con este usuario: intente de nuevo en "
                f"{max(1, math.ceil((throttle.locked_until - now).total_seconds() / 60))} "
                "minutos.")
    if _verify(user.password_hash if user.active else None, current):
        return None
    with Session(bind=session.get_bind()) as counter:
        try:
            _count_failure(counter, name, counter.get(LoginThrottle, name), now)
        except LoginFailed as failed:
            counter.commit()
            return "La contraseña actual no es correcta." if str(failed) == WRONG else str(failed)
    return None  # not reached: _count_failure always raises


USER_EMAIL_ACTION = "user.email"


def set_email(session: Session, username: str, email: str | None,
              clock: Clock | None = None, actor: str | None = None,
              rbd: int | None = None) -> str | None:
    """Change (or, empty, remove) a user's address; audited without the address (it is
    personal). The administrator's way (CLI); a Director uses ``change_email``."""
    stored = check_email(email)
    user = _find(session, username)
    if user.email != stored:
        user.email = stored
        record(session, clock or default_clock(), actor, USER_EMAIL_ACTION, rbd=rbd,
               target=username, email="definido" if stored else "quitado")
    return stored


def list_users(session: Session) -> list[AuthUser]:
    users = session.scalars(select(User).order_by(User.username))
    return [as_auth_user(user) for user in users]


def get_user(session: Session, username: str) -> AuthUser:
    return as_auth_user(_find(session, username))


def _find(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"No existe el usuario «{username}».")
    return user


class LoginFailed(UserError):
    """Wrong user or password, or the account is locked. The message never says which
    of user or password was wrong."""


WRONG = "Usuario o contraseña incorrectos."


def throttle_name(username: str) -> str:
    """Failures are counted per typed name, normalised as the lookup does."""
    return username.strip().lower()[:100]


def authenticate(session: Session, username: str, password: str,
                 clock: Clock | None = None) -> AuthUser:
    """Check a password; count failures per typed name and lock it after too many.

    Known and unknown names go through the same steps (one password verification,
    the same counter, the same messages), so the answers and their timing never tell
    whether an account exists. A locked name refuses even the right password."""
    now = (clock or default_clock()).now()
    name = throttle_name(username)
    user = session.scalar(select(User).where(User.username == name))
    matches = _verify(user.password_hash if user is not None and user.active else None, password)
    forget_stale_failures(session, now)  # the table stays small
    throttle = session.get(LoginThrottle, name)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        minutes = max(1, math.ceil((throttle.locked_until - now).total_seconds() / 60))
        raise LoginFailed("Demasiados intentos fallidos con este usuario. Intente de nuevo en "
                          f"{minutes} minutos.")
    if not matches:
        _count_failure(session, name, throttle, now)
    if throttle is not None:
        session.delete(throttle)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return as_auth_user(user)


def forget_stale_failures(session: Session, now: datetime) -> int:
    """Drop the failure counts older than ``FORGET_FAILURES_AFTER`` whose lock-out, if
    any, has ended; returns how many (logins do it on the way, the worker daily)."""
    return session.execute(delete(LoginThrottle).where(
        LoginThrottle.updated_at < now - FORGET_FAILURES_AFTER,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now))).rowcount


def _verify(password_hash: str | None, password: str) -> bool:
    """One Argon2 verification in every case: without a user, against a dummy hash
    (same cost), and the answer is no."""
    try:
        _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def _count_failure(session: Session, name: str, throttle: LoginThrottle | None,
                   now: datetime) -> None:
    """Add one failure to ``name``; lock it at the limit. Always raises LoginFailed."""
    if throttle is None:
        throttle = LoginThrottle(username=name, failed_attempts=0)
        session.add(throttle)
    throttle.failed_attempts += 1
    throttle.updated_at = now
    throttle.locked_until = None
    if throttle.failed_attempts >= settings.get_int(session, "auth.max_failed_logins"):
        minutes = settings.get_int(session, "auth.lockout_minutes")
        throttle.locked_until = now + timedelta(minutes=minutes)
        throttle.failed_attempts = 0
        raise LoginFailed("Demasiados intentos fallidos con este usuario: queda bloqueado por "
                          f"{minutes} minutos.")
    raise LoginFailed(WRONG)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("contraseña de relleno")


def login(username: str, password: str, clock: Clock | None = None,
          url: str | None = None) -> AuthUser:
    """Authenticate in a session of its own, so a failure is counted (and audited)
    even though the login is refused."""
    clock = clock or default_clock()
    try:
        return _login_once(username, password, clock, url)
    except IntegrityError:  # the same new name failed at the same moment elsewhere: once more
        return _login_once(username, password, clock, url)


def _login_once(username: str, password: str, clock: Clock, url: str | None) -> AuthUser:
    with session_factory(url)() as session:
        try:
            user = authenticate(session, username, password, clock)
        except LoginFailed:
            record(session, clock, throttle_name(username), "login_rechazado")
            session.commit()
            raise
        record(session, clock, user.username, "login")
        session.commit()
        return user


# --- a Director manages the users of their school (the Configuración page) ---------------

USER_ADD_ACTION = "user.add"
USER_ROLE_ACTION = "user.role"
USER_DISABLE_ACTION = "user.disable"
USER_ENABLE_ACTION = "user.enable"
USER_RESET_ACTION = "user.password_reset"
# A sostenedor spans several schools: the system's administrator manages them (CLI).
SCHOOL_ROLES = (DIRECTOR, ASISTENCIA, PROFESOR)


@dataclass(frozen=True)
class SchoolUser:
    username: str
    display_name: str
    role: str
    active: bool
    manageable: bool  # a user of this school alone, not a sostenedor
    email: str | None = None

    @property
    def role_label(self) -> str:
        return ROLES[self.role]


def school_users(session: Session, actor: AuthUser, rbd: int) -> list[SchoolUser]:
    """Everyone who can see school ``rbd``, for its Director."""
    authorize(actor, "configure", rbd)
    users = session.scalars(select(User).join(UserSchool).where(UserSchool.rbd == rbd)
                            .order_by(User.username))
    return [SchoolUser(user.username, user.display_name or user.username, user.role,
                       user.active, _manageable(user, rbd), user.email) for user in users]


def change_email(session: Session, actor: AuthUser, rbd: int, username: str,
                 email: str | None, clock: Clock | None = None) -> str | None:
    """A Director sets the address of a user of their school, or their own (empty
    removes it). Nothing changes on a refusal."""
    stored = check_email(email)
    if username != actor.username:
        _managed(session, actor, rbd, username, "cambiar el correo de")
    else:
        authorize(actor, "configure", rbd)
    return set_email(session, username, stored, clock, actor.username, rbd)


def _manageable(user: User, rbd: int) -> bool:
    return user.role in SCHOOL_ROLES and user.rbds == [rbd]


def _managed(session: Session, actor: AuthUser, rbd: int, username: str,
             action: str) -> User:
    """The user ``actor`` (a Director of ``rbd``) may manage; never themselves."""
    authorize(actor, "configure", rbd)
    user = session.scalar(select(User).where(User.username == username))
    if user is None or rbd not in user.rbds:
        raise UserError(f"No existe el usuario «{username}» en este establecimiento.")
    if not _manageable(user, rbd):
        raise PermissionDenied(f"«{username}» ({ROLES[user.role]}) tiene acceso a otros "
                               "establecimientos: lo administra el administrador del sistema.")
    if user.username == actor.username:
        raise PermissionDenied(f"No puede {action} su propio usuario: pídalo a otro "
                               "Director(a) o al administrador del sistema.")
    return user


def new_password() -> str:
    """A random password to hand over once (12 characters, URL-safe)."""
    return secrets.token_urlsafe(9)


def create_school_user(session: Session, actor: AuthUser, rbd: int, username: str, role: str,
                       display_name: str = "", clock: Clock | None = None,
                       email: str | None = None) -> str:
    """A Director adds a user to their school (``email``: where the digest and alerts
    go, optional); returns the new password (shown once)."""
    authorize(actor, "configure", rbd)
    clock = clock or default_clock()
    if role not in SCHOOL_ROLES:
        raise UserError(f"Rol no válido para un usuario del establecimiento: «{role}». Use "
                        f"{', '.join(ROLES[r] for r in SCHOOL_ROLES)}.")
    password = new_password()
    user = add_user(session, (username or "").strip(), role, [rbd], password,
                    display_name.strip() or None, clock, email)
    record(session, clock, actor.username, USER_ADD_ACTION, rbd=rbd, target=user.username,
           role=role)
    return password


def change_role(session: Session, actor: AuthUser, rbd: int, username: str, role: str,
                clock: Clock | None = None) -> None:
    """A Director changes the role of a user of their school (never their own)."""
    user = _managed(session, actor, rbd, username, "cambiar el rol de")
    if role not in SCHOOL_ROLES:
        raise UserError(f"Rol no válido para un usuario del establecimiento: «{role}».")
    if role == user.role:
        return
    previous, user.role = user.role, role
    record(session, clock or default_clock(), actor.username, USER_ROLE_ACTION, rbd=rbd,
           target=username, role=role, previous=previous)


def set_active(session: Session, actor: AuthUser, rbd: int, username: str, active: bool,
               clock: Clock | None = None) -> None:
    """Disable (every open session ends) or enable again a user of the school."""
    clock = clock or default_clock()
    user = _managed(session, actor, rbd, username, "desactivar" if not active else "activar")
    if user.active == active:
        return
    user.active = active
    if not active:
        sessions.revoke_all(session, username, clock)
    record(session, clock, actor.username,
           USER_ENABLE_ACTION if active else USER_DISABLE_ACTION, rbd=rbd, target=username)


def reset_password(session: Session, actor: AuthUser, rbd: int, username: str,
                   clock: Clock | None = None) -> str:
    """A new random password for a user of the school (returned, to show once); their
    open sessions end and a lock-out on their name is lifted."""
    clock = clock or default_clock()
    user = _managed(session, actor, rbd, username, "restablecer la contraseña de")
    password = new_password()
    set_password(session, user.username, password, clock)
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.username == throttle_name(user.username)))
    record(session, clock, actor.username, USER_RESET_ACTION, rbd=rbd, target=username)
    return password
