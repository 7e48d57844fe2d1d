"""Configuration stored in the database (DESIGN.md keys), with defaults and validation.

A value set with an RBD applies to that school; without one, to every school.
Reading falls back school -> global -> default. Secret values (convenio token,
ids) are never printed back in full: ``display_value`` masks them.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.clock import Clock, as_santiago, default_clock
from reconcile.db.models import Establishment, Setting
from reconcile.errors import UserError

GLOBAL = 0


def _positive_int(value: str) -> str:
    if not re.fullmatch(r"\d+", value) or int(value) <= 0:
        raise ValueError("debe ser un número entero positivo")
    return str(int(value))


def _positive_number(value: str) -> str:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise ValueError("debe ser un número") from None
    if number <= 0:
        raise ValueError("debe ser mayor que cero")
    return repr(number) if not number.is_integer() else str(int(number))


def _fraction(value: str) -> str:
    number = float(_positive_number(value))
    if number > 1:
        raise ValueError("debe estar entre 0 y 1")
    return str(number)


def _url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ValueError("debe ser una dirección http:// o https://")
    return value.rstrip("/")


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("no puede estar vacío")
    return value.strip()


def _close_instant(value: str) -> str:
    try:
        return as_santiago(datetime.fromisoformat(value)).isoformat()
    except ValueError:
        raise ValueError("debe ser una fecha y hora ISO, p. ej. 2026-12-03T17:00") from None


def _hh_mm(value: str) -> str:
    try:
        return time.fromisoformat(value).strftime("%H:%M")
    except ValueError:
        raise ValueError("debe ser una hora HH:MM, p. ej. 17:00") from None


@dataclass(frozen=True)
class Key:
    name: str
    default: str | None
    check: Callable[[str], str]
    secret: bool = False
    per_school: bool = False
    help: str = ""


KEYS: dict[str, Key] = {k.name: k for k in [
    Key("sige.base_url", "http://127.0.0.1:8765", _url, help="Dirección base del servicio SIGE"),
    Key("sige.cliente_id", None, _text, secret=True, per_school=True, help="ClienteId del convenio"),
    Key("sige.convenio_id", None, _text, secret=True, per_school=True, help="ConvenioId"),
    Key("sige.convenio_token", None, _text, secret=True, per_school=True, help="ConvenioToken"),
    Key("sige.connect_timeout", "10", _positive_number, help="Segundos para conectar con SIGE"),
    Key("sige.read_timeout", "60", _positive_number, help="Segundos de espera de respuesta"),
    Key("sync.concurrency", "2", _positive_int, help="Envíos simultáneos por trabajador"),
    Key("sync.report_poll_seconds", "60", _positive_number,
        help="Espera antes de consultar el resultado de un envío"),
    Key("sync.report_deadline_hours", "6", _positive_number,
        help="Horas de espera del resultado antes de darlo por perdido"),
    Key("sync.lease_seconds", "60", _positive_number,
        help="Segundos que un trabajador reserva un envío sin renovarlo; luego otro lo retoma"),
    Key("sync.retry_initial_seconds", "30", _positive_number,
        help="Primera espera antes de reintentar un envío que SIGE no recibió (Caso 3)"),
    Key("sync.retry_max_seconds", "900", _positive_number,
        help="Espera máxima entre reintentos de envío (crece hasta este valor)"),
    Key("sync.report_max_wait_seconds", "1800", _positive_number,
        help="Espera máxima entre consultas del resultado de un envío"),
    Key("sige.call_retries", "2", _positive_int,
        help="Reintentos breves dentro de una llamada a SIGE (luego reintenta el envío)"),
    Key("sige.call_backoff_max_seconds", "4", _positive_number,
        help="Espera máxima entre esos reintentos breves"),
    Key("import.max_removal_share", "0.1", _fraction,
        help="Parte de un curso que una nómina puede retirar sin confirmación explícita"),
    Key("auth.session_idle_minutes", "60", _positive_int,
        help="Minutos sin actividad tras los que la sesión se cierra"),
    Key("auth.session_max_hours", "12", _positive_int,
        help="Horas tras las que una sesión se cierra aunque tenga actividad"),
    Key("calendar.default_close_working_day", "3", _positive_int,
        help="Día hábil del mes siguiente en que cierra la declaración (regla por defecto)"),
    Key("calendar.default_close_time", "17:00", _hh_mm, help="Hora de cierre (regla por defecto)"),
    Key("rut.provisional_min_body", "100000000", _positive_int,
        help="Desde este número, un RUT se considera provisorio (IPE)"),
    Key("match.suggest_threshold", "0.8", _fraction,
        help="Confianza mínima para sugerir un par provisorio-definitivo"),
    Key("auth.max_failed_logins", "5", _positive_int, help="Intentos fallidos antes del bloqueo"),
    Key("auth.lockout_minutes", "15", _positive_int, help="Minutos de bloqueo"),
]}
CLOSE_PREFIX = "calendar.close."


def key_for(name: str) -> Key:
    if name in KEYS:
        return KEYS[name]
    if re.fullmatch(r"calendar\.close\.\d{4}-(0[1-9]|1[0-2])", name):
        return Key(name, None, _close_instant, help="Cierre de la declaración de ese mes")
    known = ", ".join(sorted(KEYS)) + f", {CLOSE_PREFIX}AAAA-MM"
    raise UserError(f"Clave de configuración desconocida: «{name}». Claves válidas: {known}.")


def normalise(name: str, value: str) -> str:
    """The stored form of a value, or a UserError naming the key, value and reason."""
    key = key_for(name)
    try:
        return key.check(value)
    except ValueError as problem:
        shown = mask_secret(value) if key.secret else value
        raise UserError(f"Valor no válido para {name}: «{shown}»: {problem}.") from None


def set_value(session: Session, name: str, value: str, rbd: int | None = None,
              clock: Clock | None = None) -> str:
    stored = normalise(name, value)
    if key_for(name).per_school and not rbd:
        raise UserError(f"{name} es propio de cada establecimiento: indique --rbd.")
    if rbd and session.get(Establishment, rbd) is None:
        raise UserError(f"No existe el establecimiento RBD {rbd}.")
    scope = rbd or GLOBAL
    row = session.get(Setting, (name, scope))
    now = (clock or default_clock()).now()
    if row is None:
        session.add(Setting(key=name, rbd=scope, value=stored, updated_at=now))
    else:
        row.value, row.updated_at = stored, now
    return stored


def get_value(session: Session, name: str, rbd: int | None = None) -> str | None:
    """School value, else global value, else the default."""
    key = key_for(name)
    scopes = [rbd, GLOBAL] if rbd else [GLOBAL]
    for scope in scopes:
        row = session.get(Setting, (name, scope))
        if row is not None:
            return row.value
    return key.default


def get_int(session: Session, name: str, rbd: int | None = None) -> int:
    return int(get_value(session, name, rbd))


def get_float(session: Session, name: str, rbd: int | None = None) -> float:
    return float(get_value(session, name, rbd))


def calendar_values(session: Session, rbd: int | None = None) -> dict[str, str]:
    """Every calendar setting as raw strings, school values over global ones."""
    scopes = [GLOBAL] + ([rbd] if rbd else [])
    rows = session.scalars(select(Setting).where(Setting.key.like("calendar.%"),
                                                 Setting.rbd.in_(scopes))
                           .order_by(Setting.rbd))
    values = {name: KEYS[name].default for name in KEYS if name.startswith("calendar.")}
    values.update({row.key: row.value for row in rows})  # the school's rows come last
    return values


def mask_secret(value: str | None) -> str:
    """Show only enough of a secret to recognise it: the last 4 characters."""
    if not value:
        return "(sin definir)"
    if len(value) <= 4:
        return "****"
    return "*" * min(8, len(value) - 4) + value[-4:]


def display_value(name: str, value: str | None) -> str:
    if value is None:
        return "(sin definir)"
    return mask_secret(value) if key_for(name).secret else value
