"""Configuration stored in the database (DESIGN.md keys), with defaults and validation.

A value set with an RBD applies to that school; without one, to every school.
Reading falls back school -> global -> default. Secret values (convenio token,
ids) are never printed back in full: ``display_value`` masks them.

Each key has one validator (``Key.check``), used by ``config set`` and by the
Configuración page alike: a value the rest of the product cannot use (a close
outside the next month, a working day 25, a timeout of «nan») is refused before
anything is stored. ``change`` is the page's way in (authorised and audited with
who made the change); ``admin_change_many`` the command line's. Values that depend
on each other are checked together (``reconcile.settings_together``) by both.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reconcile import email_address, settings_together
from reconcile.access import AuthUser, authorize
from reconcile.audit import record
from reconcile.clock import Clock, default_clock
from reconcile.db.models import Establishment, Setting
from reconcile.errors import PermissionDenied, UserError
from reconcile.es_cl import numero
from reconcile.sige_calendar import Month, _close_out_of_place, validate_close_value

GLOBAL = 0
CHANGE_ACTION = "config.change"
CLEAR_ACTION = "config.clear"
MAX_SECRET_LENGTH = 200
CLOSE_EXAMPLE = "p. ej. 2026-12-03T17:00"


def _shown(number: float) -> str:
    """A bound as people read it in Chile: 3.600, 0,5."""
    return numero(int(number)) if float(number).is_integer() else str(number).replace(".", ",")


def _integer(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        text = value.strip()
        if not re.fullmatch(r"[0-9]+", text):
            raise ValueError(f"debe ser un número entero entre {_shown(low)} y {_shown(high)}")
        number = int(text)
        if not low <= number <= high:
            raise ValueError(f"debe estar entre {_shown(low)} y {_shown(high)}")
        return str(number)
    return check


def _number(low: float, high: float) -> Callable[[str], str]:
    """A decimal number (comma or point) within [low, high]; never nan or infinite."""
    def check(value: str) -> str:
        text = value.strip().replace(",", ".")
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?|\.[0-9]+", text):
            raise ValueError(f"debe ser un número entre {_shown(low)} y {_shown(high)}")
        number = float(text)
        if not math.isfinite(number) or not low <= number <= high:
            raise ValueError(f"debe estar entre {_shown(low)} y {_shown(high)}")
        return str(int(number)) if number.is_integer() else repr(number)
    return check


def _url(value: str) -> str:
    text = value.strip()
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", text) or len(text) > 300:
        raise ValueError("debe ser una dirección http:// o https://, sin espacios, p. ej. "
                         "https://sige.mineduc.cl")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port that is not a number in 0..65535
    except ValueError:
        raise ValueError("el puerto de la dirección no es válido") from None
    if not parts.hostname:
        raise ValueError("falta el nombre del servidor")
    return text.rstrip("/")


def _secret(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("no puede estar vacío")
    if len(text) > MAX_SECRET_LENGTH:
        raise ValueError(f"es demasiado largo (más de {MAX_SECRET_LENGTH} caracteres)")
    if any(char.isspace() or not char.isprintable() for char in text):
        raise ValueError("no puede contener espacios ni caracteres de control: cópielo "
                         "tal como lo entrega el convenio")
    return text


def _hh_mm(value: str) -> str:
    if not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise ValueError("debe ser una hora HH:MM, p. ej. 17:00")
    try:
        return time.fromisoformat(value.strip().zfill(5)).strftime("%H:%M")
    except ValueError:
        raise ValueError("debe ser una hora HH:MM, p. ej. 17:00") from None


def _choice(*options: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        text = value.strip().lower()
        if text not in options:
            raise ValueError(f"debe ser una de: {', '.join(options)}")
        return text
    return check


def _yes_no(value: str) -> str:
    """On or off, stored as «si» / «no» (true/false, 1/0 accepted)."""
    text = value.strip().lower()
    if text in ("si", "sí", "true", "1", "on"):
        return "si"
    if text in ("no", "false", "0", "off"):
        return "no"
    raise ValueError("debe ser «si» o «no»")


def _login_name(value: str) -> str:
    text = value.strip()
    if not re.fullmatch(r"[a-z0-9._-]{3,50}", text):
        raise ValueError("debe ser un nombre de usuario (3 a 50 letras minúsculas, dígitos, "
                         "punto, guion o guion bajo)")
    return text


def _host(value: str) -> str:
    """A server's name or IP address, without scheme or port; empty: no server."""
    text = value.strip().lower()
    if not text:
        return ""
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*",
                        text) or len(text) > 253:
        raise ValueError("debe ser el nombre o la IP del servidor, sin http:// ni puerto, "
                         "p. ej. smtp.colegio.cl")
    return text


def _password(value: str) -> str:
    """Mail passwords may hold spaces (app passwords are often shown in groups)."""
    text = value.strip()
    if not text:
        raise ValueError("no puede estar vacía")
    if len(text) > MAX_SECRET_LENGTH:
        raise ValueError(f"es demasiado larga (más de {MAX_SECRET_LENGTH} caracteres)")
    if not text.isprintable():
        raise ValueError("no puede contener caracteres de control")
    return text


def _user_name(value: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_SECRET_LENGTH or any(
            char.isspace() or not char.isprintable() for char in text):
        raise ValueError("debe ser el usuario de la cuenta de correo, sin espacios")
    return text


def _close_of(month: Month) -> Callable[[str], str]:
    """The close of ``month``: an ISO date-time inside the next month (otherwise two
    months, or none, would be open at once: SIGE's month must follow the calendar)."""
    def check(value: str) -> str:
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(f"falta la hora del cierre: use una fecha y hora ISO, {CLOSE_EXAMPLE}")
        try:
            datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"debe ser una fecha y hora ISO, {CLOSE_EXAMPLE}") from None
        try:
            close = validate_close_value(text)
        except UserError:  # a wall time the spring-forward change skips
            raise ValueError("esa hora no existe en Chile continental (se salta por el cambio "
                             "de horario): elija otra") from None
        problem = _close_out_of_place(month, close)
        if problem:
            raise ValueError(problem.rstrip("."))
        return close.isoformat()
    return check


@dataclass(frozen=True)
class Key:
    """A setting. ``per_school``: only a school's own value exists (the convenio).
    ``school_value``: a global value a school may override (read with the school's RBD).
    Neither: one value for the whole installation (the worker, SIGE's address)."""

    name: str
    default: str | None
    check: Callable[[str], str]
    secret: bool = False
    per_school: bool = False
    help: str = ""
    school_value: bool = False

    @property
    def for_each_school(self) -> bool:
        return self.per_school or self.school_value


KEYS: dict[str, Key] = {k.name: k for k in [
    Key("sige.base_url", "http://127.0.0.1:8765", _url, help="Dirección base del servicio SIGE"),
    Key("sige.cliente_id", None, _secret, secret=True, per_school=True,
        help="ClienteId del convenio"),
    Key("sige.convenio_id", None, _secret, secret=True, per_school=True, help="ConvenioId"),
    Key("sige.convenio_token", None, _secret, secret=True, per_school=True, help="ConvenioToken"),
    Key("sige.connect_timeout", "10", _number(0.5, 120), help="Segundos para conectar con SIGE"),
    Key("sige.read_timeout", "60", _number(1, 600), help="Segundos de espera de respuesta"),
    Key("sync.concurrency", "2", _integer(1, 32), help="Envíos simultáneos por trabajador"),
    Key("sync.report_poll_seconds", "60", _number(0.1, 3600),
        help="Espera antes de consultar el resultado de un envío"),
    Key("sync.report_deadline_hours", "6", _number(0.1, 168),
        help="Horas de espera del resultado antes de darlo por perdido"),
    Key("sync.lease_seconds", "60", _number(1, 3600),
        help="Segundos que un trabajador reserva un envío sin renovarlo; luego otro lo retoma"),
    Key("sync.retry_initial_seconds", "30", _number(0.1, 3600),
        help="Primera espera antes de reintentar un envío que SIGE no recibió (Caso 3)"),
    Key("sync.retry_max_seconds", "900", _number(0.1, 86400),
        help="Espera máxima entre reintentos de envío (crece hasta este valor)"),
    Key("sync.report_max_wait_seconds", "1800", _number(0.1, 86400),
        help="Espera máxima entre consultas del resultado de un envío"),
    Key("sige.call_retries", "2", _integer(0, 10),
        help="Reintentos breves dentro de una llamada a SIGE (luego reintenta el envío)"),
    Key("sige.call_backoff_max_seconds", "4", _number(0, 300),
        help="Espera máxima entre esos reintentos breves"),
    Key("sige.send_whole_grade", "si", _yes_no, school_value=True,
        help="Enviar cada grado completo: al reenviar una letra van también las demás letras "
             "del grado ese día (si SIGE reemplaza el grado entero, nada se borra)"),
    Key("import.max_removal_share", "0.1", _number(0, 1), school_value=True,
        help="Parte de un curso que una nómina puede retirar sin confirmación explícita"),
    Key("auth.session_idle_minutes", "60", _integer(1, 1440),
        help="Minutos sin actividad tras los que la sesión se cierra"),
    Key("auth.session_max_hours", "12", _integer(1, 168),
        help="Horas tras las que una sesión se cierra aunque tenga actividad"),
    Key("calendar.default_close_working_day", "3", _integer(1, 10), school_value=True,
        help="Día hábil del mes siguiente en que cierra la declaración (regla por defecto)"),
    Key("calendar.default_close_time", "17:00", _hh_mm, school_value=True,
        help="Hora de cierre (regla por defecto)"),
    Key("rut.provisional_min_body", "100000000", _integer(30_000_000, 999_999_999),
        school_value=True, help="Desde este número, un RUT se considera provisorio (IPE)"),
    Key("match.suggest_threshold", "0.8", _number(0.5, 1), school_value=True,
        help="Confianza mínima para sugerir un par provisorio-definitivo"),
    Key("auth.max_failed_logins", "5", _integer(3, 50), help="Intentos fallidos antes del bloqueo"),
    Key("auth.lockout_minutes", "15", _integer(1, 1440), help="Minutos de bloqueo"),
    Key("app.base_url", "http://127.0.0.1:8501", _url,
        help="Dirección del panel (el enlace de los correos)"),
    Key("mail.smtp_host", None, _host,
        help="Servidor de correo (SMTP); sin él, los correos quedan como archivos .eml"),
    Key("mail.smtp_port", "587", _integer(1, 65535), help="Puerto del servidor de correo"),
    Key("mail.smtp_security", "starttls", _choice("none", "starttls", "ssl"),
        help="Conexión segura: starttls (puerto 587), ssl (465) o none"),
    Key("mail.smtp_user", None, _user_name, help="Usuario de la cuenta de correo"),
    Key("mail.smtp_password", None, _password, secret=True,
        help="Contraseña de la cuenta de correo"),
    Key("mail.from", "Asistencia SIGE <asistencia-sige@localhost>", email_address.sender,
        help="Remitente de los correos"),
    Key("autopilot.enabled", "no", _yes_no, per_school=True,
        help="Envío automático: cada día trabajado, a su hora, lo listo se envía a SIGE"),
    Key("autopilot.at", "07:00", _hh_mm, school_value=True,
        help="Hora del envío automático (HH:MM, hora de Chile continental)"),
    Key("autopilot.enabled_by", None, _login_name, per_school=True,
        help="Quién activó el envío automático (figura como solicitante de cada envío)"),
    Key("autopilot.risk_margin_hours", "24", _number(0, 720), school_value=True,
        help="Horas antes del cierre en que un envío pendiente ya es un riesgo"),
    Key("autopilot.default_minutes", "120", _number(1, 1440),
        help="Minutos que se supone tarda SIGE en dar el resultado mientras haya menos de "
             "10 envíos observados"),
]}
CLOSE_PREFIX = "calendar.close."


def key_for(name: str) -> Key:
    if name in KEYS:
        return KEYS[name]
    found = re.fullmatch(r"calendar\.close\.(\d{4}-(?:0[1-9]|1[0-2]))", name)
    if found:
        return Key(name, None, _close_of(Month.parse(found.group(1))), school_value=True,
                   help="Cierre de la declaración de ese mes")
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
    """Validate and store one value (global without ``rbd``). Not authorised: the
    caller is the administrator (CLI, demo, tests); people go through ``change``."""
    stored = normalise(name, value)
    _check_scope(session, name, rbd)
    scope = rbd or GLOBAL
    row = session.get(Setting, (name, scope))
    now = (clock or default_clock()).now()
    if row is None:
        session.add(Setting(key=name, rbd=scope, value=stored, updated_at=now))
    else:
        row.value, row.updated_at = stored, now
    return stored


def _check_scope(session: Session, name: str, rbd: int | None) -> None:
    key = key_for(name)
    if key.per_school and not rbd:
        raise UserError(f"{name} es propio de cada establecimiento: indique --rbd.")
    if rbd and not key.for_each_school:
        raise UserError(f"{name} rige para toda la instalación (el trabajador y todos los "
                        "establecimientos lo leen sin RBD): no use --rbd.")
    if rbd and session.get(Establishment, rbd) is None:
        raise UserError(f"No existe el establecimiento RBD {rbd}.")


def stored_value(session: Session, name: str, rbd: int | None = None) -> str | None:
    """The value set exactly at that scope (the school's own, or the global one), or None."""
    row = session.get(Setting, (name, rbd or GLOBAL))
    return row.value if row is not None else None


def get_value(session: Session, name: str, rbd: int | None = None) -> str | None:
    """School value, else global value, else the default."""
    key = key_for(name)
    scopes = [rbd, GLOBAL] if rbd else [GLOBAL]
    for scope in scopes:
        row = session.get(Setting, (name, scope))
        if row is not None:
            return row.value
    return key.default


def get_values(session: Session, names: list[str], rbd: int | None = None
               ) -> list[str | None]:
    """``get_value`` of several keys in one query (same fallbacks, same order)."""
    keys = [key_for(name) for name in names]
    scopes = [rbd, GLOBAL] if rbd else [GLOBAL]
    found = {(row.key, row.rbd): row.value for row in session.execute(
        select(Setting.key, Setting.rbd, Setting.value)
        .where(Setting.key.in_(names), Setting.rbd.in_(scopes)))}
    return [next((found[(k.name, scope)] for scope in scopes if (k.name, scope) in found),
                 k.default) for k in keys]


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


# --- changes made by people (the Configuración page) and by the administrator (CLI) ----


def installation_wide_allowed(session: Session, rbd: int) -> bool:
    """A Director may change an installation-wide value (SIGE's address, the worker's
    timings) only when the installation serves their school alone; with several
    schools those values belong to the system's administrator."""
    schools = session.scalars(select(Establishment.rbd).limit(2)).all()
    return schools == [rbd]


def change(session: Session, user: AuthUser, name: str, value: str, rbd: int,
           clock: Clock | None = None) -> str:
    """A person changes one setting of school ``rbd``: see ``change_many``."""
    return change_many(session, user, {name: value}, rbd, clock)[name]


def change_many(session: Session, user: AuthUser, values: Mapping[str, str], rbd: int,
                clock: Clock | None = None) -> dict[str, str]:
    """A person (``reconcile.access.AuthUser``) changes settings of school ``rbd``: all
    or none. Authorised (``configure`` at ``rbd``); every value is checked before any
    is written, and every reason is reported; each change is audited with who made it
    (a secret only masked). A school's own value for keys read per school, the
    installation's value otherwise (see ``installation_wide_allowed``)."""
    authorize(user, "configure", rbd)
    clock = clock or default_clock()
    problems, denied, checked = [], [], {}
    for name, value in values.items():
        try:
            checked[name] = normalise(name, value)
        except UserError as error:
            problems.extend(error.reasons)
            continue
        key = key_for(name)
        if not key.for_each_school and not installation_wide_allowed(session, rbd):
            denied.append(f"«{key.help}» ({name}) rige para todos los establecimientos de "
                          "esta instalación: solo lo cambia el administrador del sistema.")
    if denied:
        raise PermissionDenied(denied + problems)
    if problems:
        raise UserError(problems)
    check_together(session, checked, rbd, clock)
    stored = {}
    for name, value in checked.items():
        school = rbd if key_for(name).for_each_school else None
        stored[name] = _write(session, name, value, school, clock, user.username, rbd)
    return stored


def admin_change(session: Session, name: str, value: str, rbd: int | None = None,
                 clock: Clock | None = None) -> str:
    """The administrator's change of one value: see ``admin_change_many``."""
    return admin_change_many(session, {name: value}, rbd, clock)[name]


def admin_change_many(session: Session, values: Mapping[str, str], rbd: int | None = None,
                      clock: Clock | None = None) -> dict[str, str]:
    """The administrator's change (``config set``), all or none: the same validators and
    the same checks of values together as the page, audited without a user (the
    command line has none)."""
    clock = clock or default_clock()
    problems, checked = [], {}
    for name, value in values.items():
        try:
            checked[name] = normalise(name, value)
            _check_scope(session, name, rbd)
        except UserError as error:
            problems.extend(error.reasons)
    if problems:
        raise UserError(problems)
    check_together(session, checked, rbd, clock)
    return {name: _write(session, name, value, rbd, clock, None, rbd)
            for name, value in checked.items()}


def check_together(session: Session, checked: Mapping[str, str], rbd: int | None,
                   clock: Clock | None = None) -> None:
    """Refuse (``settings_together.Conflicting``) values that are fine alone but not
    beside the others in use at ``rbd``'s view (or the installation's)."""
    names = list(settings_together.KEYS)
    before = dict(zip(names, get_values(session, names, rbd))) | calendar_values(session, rbd)
    settings_together.check(before, checked, (clock or default_clock()).now())


def _write(session: Session, name: str, value: str, scope: int | None, clock: Clock,
           username: str | None, audit_rbd: int | None) -> str:
    before = stored_value(session, name, scope)
    stored = set_value(session, name, value, scope, clock)
    record(session, clock, username, CHANGE_ACTION, rbd=audit_rbd, key=name,
           scope="establecimiento" if scope else "instalación",
           value=display_value(name, stored), previous=display_value(name, before))
    return stored


def clear_school_value(session: Session, user: AuthUser, name: str, rbd: int,
                       clock: Clock | None = None) -> bool:
    """Drop school ``rbd``'s own value of ``name`` (e.g. a month's close: back to the
    default rule). Authorised and audited; returns whether there was one."""
    authorize(user, "configure", rbd)
    key = key_for(name)
    if not key.school_value:
        raise UserError(f"{name} no tiene un valor propio del establecimiento que quitar.")
    before = stored_value(session, name, rbd)
    if before is None:
        return False
    session.execute(delete(Setting).where(Setting.key == name, Setting.rbd == rbd))
    record(session, clock or default_clock(), user.username, CLEAR_ACTION, rbd=rbd, key=name,
           previous=display_value(name, before))
    return True


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
