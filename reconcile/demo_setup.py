"""`python -m reconcile demo`: two demo schools of one sostenedor, their files imported as a
user would, and users.

The main school's files land in ``data/demo/``, the second, smaller school's in
``data/demo/<its RBD>/``, so the same files can be imported by hand; both schools'
nómina in one file (``EMULATOR_NOMINA``) is what the local SIGE emulator serves
(`make run`): one convenio, signed by the sostenedor, covers both. The users'
passwords are random and printed once.

``sige_url`` is the address of the local SIGE emulator that ``make run`` starts
(``SIGE_PORT``): ``sige.base_url`` follows it when the database holds the demo
school and the address is still a local emulator's (127.0.0.1, localhost); an
address someone set to another host (a real SIGE) is never overwritten.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import access, auth, settings
from reconcile.clock import Clock, default_clock
from reconcile.db import transaction
from reconcile.db.engine import PROJECT_ROOT
from reconcile.db.models import Establishment, Setting
from reconcile.demo import DemoSchool, generate_school, write_files, write_nomina
from reconcile.errors import UserError
from reconcile.imports import import_libro, import_sige
from reconcile.school import calendar_for

DEMO_FOLDER = PROJECT_ROOT / "data" / "demo"
# Both schools' nómina, for the emulator (the Makefile's DEMO_NOMINA).
EMULATOR_NOMINA = "nomina_sige_sostenedor.xlsx"
# The sostenedor's convenio with the local SIGE emulator, for both schools (`make run`
# starts it with the same values). Demo-only stand-ins, not secrets.
DEMO_CREDENTIALS = {"sige.cliente_id": "demo-cliente", "sige.convenio_id": "demo-convenio",
                    "sige.convenio_token": "demo-token"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}  # where the emulator runs, never a real SIGE
AUTOPILOT = {"autopilot.enabled": "si", "autopilot.at": "20:00",  # the demo's envío automático
             "autopilot.enabled_by": "director"}


@dataclass(frozen=True)
class SecondSchool:
    """The sostenedor's other school: smaller (one letter per grade), its own problems."""

    rbd: int = 10891  # fictional, like the main school's
    name: str = "Liceo Demostración Las Araucarias"
    seed_offset: int = 1
    letters: tuple[str, ...] = ("A",)


SECOND_SCHOOL = SecondSchool()
MAIN, BOTH = "main", "both"  # which schools a demo user sees
DEMO_USERS = [
    ("director", access.DIRECTOR, "Directora María Soto", MAIN),
    ("asistencia", access.ASISTENCIA, "Administrador de Asistencia Pedro Lagos", MAIN),
    ("profesor", access.PROFESOR, "Profesora Carmen Vidal", MAIN),
    ("sostenedor", access.SOSTENEDOR, "Sostenedora Rosa Fuentes", BOTH),
]
# the digest goes to the Director and the Administrador de Asistencia with an address: with
# these, make run's first automatic run leaves it under data/correo/ and in Inicio's «Avisos»
DEMO_EMAILS = {"director": "directora@demo.example", "asistencia": "asistencia@demo.example"}


def build_demo(seed: int = 2026, only_if_empty: bool = False, out: TextIO | None = None,
               clock: Clock | None = None, folder: Path = DEMO_FOLDER,
               sige_url: str | None = None, second_school: bool = True) -> bool:
    """Build the demo schools; returns False when ``only_if_empty`` found a school already.
    With ``sige_url``, ``sige.base_url`` follows the demo's emulator (``follow_emulator``).
    ``second_school=False`` builds the main school alone (no sostenedor)."""
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
        schools = [generate_school(month, today=now.date(), seed=seed)]
        if second_school:
            schools.append(generate_school(
                month, today=now.date(), seed=seed + SECOND_SCHOOL.seed_offset,
                rbd=SECOND_SCHOOL.rbd, name=SECOND_SCHOOL.name, letters=SECOND_SCHOOL.letters))
        for school in schools:
            if session.get(Establishment, school.rbd) is not None:
                raise UserError(f"La demostración (RBD {school.rbd}) ya existe en esta base.")
        for school in schools:
            _import_school(session, school, folder if school is schools[0]
                           else folder / str(school.rbd), clock)
        if second_school:
            write_nomina(schools, folder / EMULATOR_NOMINA)
        if sige_url is not None:
            follow_emulator(session, sige_url, clock, out)
        passwords = {}
        for username, role, display_name, sees in DEMO_USERS:
            if sees == BOTH and not second_school:
                continue
            rbds = [school.rbd for school in schools] if sees == BOTH else [schools[0].rbd]
            passwords[username] = secrets.token_urlsafe(9)
            auth.add_user(session, username, role, rbds, passwords[username],
                          display_name, clock, DEMO_EMAILS.get(username))
        for key, value in AUTOPILOT.items():  # envío automático on at 20:00, by the Director
            settings.set_value(session, key, value, schools[0].rbd, clock)
    for school in schools:
        _say(out, f"Demostración creada: {school.name} (RBD {school.rbd}), mes SIGE "
                  f"{month.label_es}, {len(school.courses)} cursos, "
                  f"{len(school.worked_days)} días trabajados.")
    shown = folder.relative_to(PROJECT_ROOT) if folder.is_relative_to(PROJECT_ROOT) else folder
    _say(out, f"Archivos de ejemplo en {shown}/" + (
        f" (RBD {schools[1].rbd} en {shown}/{schools[1].rbd}/; las nóminas de ambos, para el "
        f"SIGE de prueba, en {shown}/{EMULATOR_NOMINA})" if second_school else ""))
    _say(out, "Usuarios (las contraseñas se muestran solo esta vez):")
    for username, role, _, sees in DEMO_USERS:
        if username in passwords:
            rbds = [school.rbd for school in schools] if sees == BOTH else [schools[0].rbd]
            sees_text = " y ".join(f"RBD {rbd}" for rbd in rbds)
            _say(out, f"  {username:12} {access.ROLES[role]:32} {sees_text:22} contraseña: "
                      f"{passwords[username]}")
    return True


def _import_school(session: Session, school: DemoSchool, folder: Path, clock: Clock) -> None:
    """Write a demo school's files and import them as the administrator would, then give
    the school its name and the sostenedor's demo convenio."""
    files = write_files(school, folder)
    import_sige(session, files.nomina, clock=clock)
    for path in (files.libro_long, files.libro_wide):
        import_libro(session, path, clock=clock, rbd=school.rbd)
    establishment = session.get(Establishment, school.rbd)
    establishment.name, establishment.dgv_rbd = school.name, school.dgv_rbd
    for key, value in DEMO_CREDENTIALS.items():
        settings.set_value(session, key, value, school.rbd, clock)


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
