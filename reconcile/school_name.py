"""A school's name as people call it: a school first seen in a nómina is named «Establecimiento
RBD N» until its Director (on Configuración) or the administrator (``school rename``)
gives it its own. Checked before anything changes; audited with who renamed it."""
from __future__ import annotations

from sqlalchemy.orm import Session

from reconcile.audit import record
from reconcile.access import AuthUser, authorize
from reconcile.clock import Clock, default_clock
from reconcile.db.models import Establishment
from reconcile.errors import UserError

RENAME_ACTION = "school.rename"
MAX_LENGTH = 200  # the column's width


def check_name(text: str | None) -> str:
    """The name as stored (spaces trimmed and single), or a Spanish UserError."""
    name = " ".join((text or "").split())
    if not name:
        raise UserError("El nombre del establecimiento no puede quedar vacío.")
    if len(name) > MAX_LENGTH:
        raise UserError(f"El nombre del establecimiento es demasiado largo ({len(name)} "
                        f"caracteres; máximo {MAX_LENGTH}).")
    if not name.isprintable():
        raise UserError("El nombre del establecimiento no puede contener caracteres de control.")
    return name


def rename(session: Session, rbd: int, text: str, user: AuthUser | None = None,
           clock: Clock | None = None) -> str:
    """Give school ``rbd`` the name ``text``; returns it as stored. ``user``: the
    Director of that school (the page, or the CLI's ``--user``); None: the system's
    administrator (the CLI). The same name again changes nothing and is not audited."""
    problems = []
    try:
        name = check_name(text)
    except UserError as error:
        problems.extend(error.reasons)
    school = session.get(Establishment, rbd)
    if school is None:
        problems.append(f"No existe el establecimiento RBD {rbd}: se registra al cargar su "
                        "primera nómina.")
    if problems:
        raise UserError(problems)
    if user is not None:
        authorize(user, "configure", rbd)
    if school.name != name:
        previous, school.name = school.name, name
        record(session, clock or default_clock(), user.username if user else None,
               RENAME_ACTION, rbd=rbd, nombre=name, anterior=previous)
    return name
