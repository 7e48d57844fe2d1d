"""`python -m reconcile demo`: the demo school's files, imported as a user would, plus users.

The files land in ``data/demo/`` so the same files can be imported by hand; the
users' passwords are random and printed once.

``sige_url`` is the address of the local SIGE emulator that ``make run`` starts
(``SIGE_PORT``): ``sige.base_url`` follows it when the database holds the demo
school and the address is still a local emulator's (127.0.0.1, localhost); an
address someone set to another host (a real SIGE) is never overwritten.
"""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import auth, settings
from reconcile.clock import Clock, default_clock
from reconcile.db import transaction
from reconcile.db.engine import PROJECT_ROOT
from reconcile.db.models import Establishment, Setting
from reconcile.demo import generate_school, write_files
from reconcile.errors import UserError
from reconcile.imports import import_libro, import_sige
from reconcile.school import calendar_for

DEMO_FOLDER = PROJECT_ROOT / "data" / "demo"
# The demo school's convenio with the local SIGE emulator (`make run` starts it with the
# same values). Demo-only stand-ins, not secrets.
DEMO_CREDENTIALS = {"sige.cliente_id": "demo-cliente", "sige.convenio_id": "demo-convenio",
                    "sige.convenio_token": "demo-token"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}  # where the emulator runs, never a real SIGE
AUTOPILOT = {"autopilot.enabled": "si", "autopilot.at": "20:00",  # the demo's envío automático
             "autopilot.enabled_by": "director"}
DEMO_USERS = [
    ("director", auth.DIRECTOR, "Directora María Soto"),
    ("asistencia", auth.ASISTENCIA, "Administrador de Asistencia Pedro Lagos"),
    ("profesor", auth.PROFESOR, "Profesora Carmen Vidal"),
]


def build_demo(seed: int = 2026, only_if_empty: bool = False, out: TextIO | None = None,
               clock: Clock | None = None, folder: Path = DEMO_FOLDER,
               sige_url: str | None = None) -> bool:
    """Build the demo school; returns False when ``only_if_empty`` found a school already.
    With ``sige_url``, ``sige.base_url`` follows the demo's emulator (``follow_emulator``)."""
    clock = clock or default_clock()
    now = clock.now()
    if sige_url is not None:
        sige_url = settings.normalise("sige.base_url", sige_url)  # a bad address: nothing done
    with transaction() as session:
        if only_if_empty and session.scalar(select(Establishment.rbd).limit(1)) is not None:
            _say(out, "La base ya tiene establecimientos: no se crea la demostración.")
            if sige_url is not None:
                follow_emulator(session, sige_url, clock, out)
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
        if sige_url is not None:
            follow_emulator(session, sige_url, clock, out)
        passwords = {}
        for username, role, display_name in DEMO_USERS:
            passwords[username] = secrets.token_urlsafe(9)
            auth.add_user(session, username, role, [school.rbd], passwords[username],
                          display_name, clock)
        for key, value in AUTOPILOT.items():  # envío automático on at 20:00, by the Director
            settings.set_value(session, key, value, school.rbd, clock)
    _say(out, f"Demostración creada: {school.name} (RBD {school.rbd}), mes SIGE "
              f"{month.label_es}, {len(school.courses)} cursos, "
              f"{len(school.worked_days)} días trabajados.")
    shown = folder.relative_to(PROJECT_ROOT) if folder.is_relative_to(PROJECT_ROOT) else folder
    _say(out, f"Archivos de ejemplo en {shown}/")
    _say(out, "Usuarios (las contraseñas se muestran solo esta vez):")
    for username, role, _ in DEMO_USERS:
        _say(out, f"  {username:12} {auth.ROLES[role]:32} contraseña: {passwords[username]}")
    return True


def follow_emulator(session: Session, url: str, clock: Clock, out: TextIO | None = None) -> bool:
    """Point ``sige.base_url`` at the demo's emulator ``url`` when this database holds
    the demo school (its convenio) and the address in use is a local emulator's.
    Returns whether the address is now ``url``."""
    demo = session.scalar(select(Setting.rbd).where(
        Setting.key == "sige.convenio_id",
        Setting.value == DEMO_CREDENTIALS["sige.convenio_id"]).limit(1))
    current = settings.get_value(session, "sige.base_url")
    if demo is None:
        _say(out, f"La base no tiene la escuela de demostración: sige.base_url sigue en "
                  f"{current}.")
        return current == url
    if urlsplit(current).hostname not in LOCAL_HOSTS:
        _say(out, f"sige.base_url sigue en {current} (no es un emulador local): no se cambia "
                  f"por el SIGE de prueba ({url}).")
        return False
    if current != url:
        settings.set_value(session, "sige.base_url", url, clock=clock)
    _say(out, f"SIGE de prueba para la demostración: sige.base_url = {url}")
    return True


def _say(out: TextIO | None, line: str) -> None:
    if out is not None:
        print(line, file=out)
