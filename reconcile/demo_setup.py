"""`python -m reconcile demo`: the demo school's files, imported as a user would, plus users.

The files land in ``data/demo/`` so the same files can be imported by hand; the
users' passwords are random and printed once.
"""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import TextIO

from sqlalchemy import select

from reconcile import auth, settings
from reconcile.clock import Clock, default_clock
from reconcile.db import transaction
from reconcile.db.engine import PROJECT_ROOT
from reconcile.db.models import Establishment
from reconcile.demo import generate_school, write_files
from reconcile.errors import UserError
from reconcile.imports import import_libro, import_sige
from reconcile.school import calendar_for

DEMO_FOLDER = PROJECT_ROOT / "data" / "demo"
# The demo school's convenio with the local SIGE emulator (`make run` starts it with the
# same values). Demo-only stand-ins, not secrets.
DEMO_CREDENTIALS = {"sige.cliente_id": "demo-cliente", "sige.convenio_id": "demo-convenio",
                    "sige.convenio_token": "demo-token"}
DEMO_USERS = [
    ("director", auth.DIRECTOR, "Directora María Soto"),
    ("asistencia", auth.ASISTENCIA, "Administrador de Asistencia Pedro Lagos"),
    ("profesor", auth.PROFESOR, "Profesora Carmen Vidal"),
]


def build_demo(seed: int = 2026, only_if_empty: bool = False, out: TextIO | None = None,
               clock: Clock | None = None, folder: Path = DEMO_FOLDER) -> bool:
    """Build the demo school; returns False when ``only_if_empty`` found a school already."""
    clock = clock or default_clock()
    now = clock.now()
    with transaction() as session:
        if only_if_empty and session.scalar(select(Establishment.rbd).limit(1)) is not None:
            _say(out, "La base ya tiene establecimientos: no se crea la demostración.")
            return False
        month = calendar_for(session).current_month(now)
        school = generate_school(month, today=now.date(), seed=seed)
        if session.get(Establishment, school.rbd) is not None:
            raise UserError(f"La demostración (RBD {school.rbd}) ya existe en esta base.")
        files = write_files(school, folder)
        for path in (files.nomina,):
            import_sige(session, path, clock=clock)
        for path in (files.libro_long, files.libro_wide):
            import_libro(session, path, clock=clock, rbd=school.rbd)
        establishment = session.get(Establishment, school.rbd)
        establishment.name, establishment.dgv_rbd = school.name, school.dgv_rbd
        for key, value in DEMO_CREDENTIALS.items():
            settings.set_value(session, key, value, school.rbd, clock)
        passwords = {}
        for username, role, display_name in DEMO_USERS:
            passwords[username] = secrets.token_urlsafe(9)
            auth.add_user(session, username, role, [school.rbd], passwords[username],
                          display_name, clock)
    _say(out, f"Demostración creada: {school.name} (RBD {school.rbd}), mes SIGE "
              f"{month.label_es}, {len(school.courses)} cursos, "
              f"{len(school.worked_days)} días trabajados.")
    shown = folder.relative_to(PROJECT_ROOT) if folder.is_relative_to(PROJECT_ROOT) else folder
    _say(out, f"Archivos de ejemplo en {shown}/")
    _say(out, "Usuarios (las contraseñas se muestran solo esta vez):")
    for username, role, _ in DEMO_USERS:
        _say(out, f"  {username:12} {auth.ROLES[role]:32} contraseña: {passwords[username]}")
    return True


def _say(out: TextIO | None, line: str) -> None:
    if out is not None:
        print(line, file=out)
