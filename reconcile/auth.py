"""Users, roles, password hashes (Argon2id, memory-hard), lock-out, per-school scope.

Only a Director or an Administrador de Asistencia may send attendance to SIGE
(DOMAIN.md); every rule about who may do what lives here so the CLI, the worker
and the pages cannot disagree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.audit import record
from reconcile.clock import Clock, default_clock
from reconcile.db.engine import session_factory
from reconcile.db.models import Establishment, User, UserSchool
from reconcile.errors import PermissionDenied, UserError

DIRECTOR = "director"
ASISTENCIA = "asistencia"
PROFESOR = "profesor"
SOSTENEDOR = "sostenedor"
ROLES = {
    DIRECTOR: "Director(a)",
    ASISTENCIA: "Administrador(a) de Asistencia",
    PROFESOR: "Profesor(a)",
    SOSTENEDOR: "Sostenedor",
}

# What each role may do. "view" is everyone's; the rest is explicit.
PERMISSIONS = {
    "view": set(ROLES),
    "import": {DIRECTOR, ASISTENCIA},
    "correct": {DIRECTOR, ASISTENCIA},
    "sync": {DIRECTOR, ASISTENCIA},
    "configure": {DIRECTOR},
}
ACTIONS_ES = {
    "view": "ver la información",
    "import": "cargar archivos",
    "correct": "aplicar correcciones de RUT",
    "sync": "sincronizar con SIGE",
    "configure": "cambiar la configuración",
}
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class AuthUser:
    """What the rest of the product knows about a logged-in user."""

    username: str
    display_name: str
    role: str
    rbds: tuple[int, ...]

    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    def can(self, action: str, rbd: int | None = None) -> bool:
        allowed = self.role in PERMISSIONS[action]
        return allowed and (rbd is None or rbd in self.rbds)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres.")


def _as_auth_user(user: User) -> AuthUser:
    return AuthUser(user.username, user.display_name or user.username, user.role,
                    tuple(user.rbds))


def add_user(session: Session, username: str, role: str, rbds: list[int], password: str,
             display_name: str | None = None, clock: Clock | None = None) -> AuthUser:
    """Create a user scoped to existing schools. A non-sostenedor has exactly one school."""
    problems = []
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
                password_hash=hash_password(password), failed_attempts=0, active=True,
                created_at=(clock or default_clock()).now(),
                schools=[UserSchool(rbd=rbd) for rbd in rbds])
    session.add(user)
    session.flush()
    return _as_auth_user(user)


def set_password(session: Session, username: str, password: str) -> None:
    user = _find(session, username)
    check_new_password(password)
    user.password_hash = hash_password(password)
    user.failed_attempts, user.locked_until = 0, None


def list_users(session: Session) -> list[AuthUser]:
    users = session.scalars(select(User).order_by(User.username))
    return [_as_auth_user(user) for user in users]


def get_user(session: Session, username: str) -> AuthUser:
    return _as_auth_user(_find(session, username))


def _find(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"No existe el usuario «{username}».")
    return user


class LoginFailed(UserError):
    """Wrong user or password, or the account is locked. The message never says which
    of user or password was wrong."""


def authenticate(session: Session, username: str, password: str,
                 clock: Clock | None = None) -> AuthUser:
    """Check a password; count failures and lock the account after too many."""
    now = (clock or default_clock()).now()
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        _hasher_dummy_verify(password)  # same cost whether or not the user exists
        raise LoginFailed("Usuario o contraseña incorrectos.")
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginFailed(f"Cuenta bloqueada por intentos fallidos. Intente en {minutes} minutos.")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_attempts += 1
        limit = settings.get_int(session, "auth.max_failed_logins")
        if user.failed_attempts >= limit:
            minutes = settings.get_int(session, "auth.lockout_minutes")
            user.locked_until = now + timedelta(minutes=minutes)
            user.failed_attempts = 0
            raise LoginFailed(f"Demasiados intentos fallidos: la cuenta queda bloqueada por "
                              f"{minutes} minutos.") from None
        raise LoginFailed("Usuario o contraseña incorrectos.") from None
    user.failed_attempts, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return _as_auth_user(user)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("contraseña de relleno")


def _hasher_dummy_verify(password: str) -> None:
    try:
        _hasher.verify(_dummy_hash(), password)
    except VerificationError:
        pass


def login(username: str, password: str, clock: Clock | None = None,
          url: str | None = None) -> AuthUser:
    """Authenticate in a session of its own, so a failure is counted (and audited)
    even though the login is refused."""
    clock = clock or default_clock()
    with session_factory(url)() as session:
        try:
            user = authenticate(session, username, password, clock)
        except LoginFailed:
            record(session, clock, username.strip().lower()[:100], "login_rechazado")
            session.commit()
            raise
        record(session, clock, user.username, "login")
        session.commit()
        return user


def authorize(user: AuthUser, action: str, rbd: int | None = None) -> None:
    """Raise PermissionDenied, in Spanish, unless ``user`` may do ``action`` at ``rbd``."""
    if user.role not in PERMISSIONS[action]:
        raise PermissionDenied(f"El rol {user.role_label} no puede {ACTIONS_ES[action]}: "
                               "solo Director(a) o Administrador(a) de Asistencia."
                               if action in ("import", "correct", "sync") else
                               f"El rol {user.role_label} no puede {ACTIONS_ES[action]}.")
    if rbd is not None and rbd not in user.rbds:
        raise PermissionDenied(f"El usuario {user.username} no tiene acceso al establecimiento "
                               f"RBD {rbd}.")
