"""Who a user is and what each role may do: plain data and pure functions.

Only a Director or an Administrador de Asistencia may send attendance to SIGE
(DOMAIN.md); every rule about who may do what lives here, at the bottom, so the
CLI, the worker and the pages cannot disagree. Nothing here reads or writes the
database: accounts and login are ``auth``, open sessions ``sessions``.
"""
from __future__ import annotations

from dataclasses import dataclass

from reconcile.db.models import User
from reconcile.errors import PermissionDenied

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
AUDIT_READERS = (DIRECTOR, ASISTENCIA, SOSTENEDOR)

# What each role may do. "view" is everyone's; the rest is explicit.
PERMISSIONS = {
    "view": set(ROLES),
    "import": {DIRECTOR, ASISTENCIA},
    "correct": {DIRECTOR, ASISTENCIA},
    "sync": {DIRECTOR, ASISTENCIA},
    "configure": {DIRECTOR},
    "autopilot": {DIRECTOR},  # turn the envío automático on or off, or change its hour
    "audit": set(AUDIT_READERS),
}
ACTIONS_ES = {
    "view": "ver la información",
    "import": "cargar archivos",
    "correct": "aplicar correcciones de RUT",
    "sync": "sincronizar con SIGE",
    "configure": "cambiar la configuración",
    "autopilot": "activar, desactivar ni cambiar la hora del envío automático",
    "audit": "ver la auditoría",
}


@dataclass(frozen=True)
class AuthUser:
    """What the rest of the product knows about a logged-in user."""

    username: str
    display_name: str
    role: str
    rbds: tuple[int, ...]
    email: str | None = None  # where the digest and alerts go (reconcile.notify)

    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    def can(self, action: str, rbd: int | None = None) -> bool:
        allowed = self.role in PERMISSIONS[action]
        return allowed and (rbd is None or rbd in self.rbds)


def as_auth_user(user: User) -> AuthUser:
    return AuthUser(user.username, user.display_name or user.username, user.role,
                    tuple(user.rbds), user.email)


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


def allowed_roles_es(action: str) -> str:
    """Who may do ``action``, in Spanish: «Director(a) o Administrador(a) de Asistencia»."""
    labels = [ROLES[role] for role in ROLES if role in PERMISSIONS[action]]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " o " + labels[-1]


def page_refusal(user: AuthUser, action: str) -> str:
    """Why ``user`` cannot use a page that needs ``action`` (the dashboard's guard)."""
    verb = "puede" if len(PERMISSIONS[action]) == 1 else "pueden"
    return (f"Esta página no está disponible para su rol ({user.role_label}). "
            f"Solo {allowed_roles_es(action)} {verb} {ACTIONS_ES[action]}.")
