"""Settings that depend on each other, checked together whenever one of them is set.

Each value alone may be fine (``settings.Key.check``) and still make no sense beside
another: a first retry wait longer than the longest one, SSL on the STARTTLS port, a
mail user without its password, an idle limit longer than a session's whole life, a
close rule that would close the month SIGE has open at a moment already past. A rule
looks at the values as they would be after the change (``after``) and speaks only when
one of its keys is in the change, so an old odd pair never blocks an unrelated change.
Every reason names both keys and both values, in Spanish.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from reconcile.errors import UserError
from reconcile.es_cl import fecha_hora
from reconcile.sige_calendar import (
    CLOSE_KEY_PREFIX,
    DEFAULT_TIME_KEY,
    DEFAULT_WORKING_DAY_KEY,
    SigeCalendar,
)

Values = Mapping[str, "str | None"]
TOGETHER = "Cámbielos juntos (en el mismo formulario, o en un solo «config set» con ambos)."


class Conflicting(UserError):
    """Values fine alone that do not go together; ``keys``: every key named."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__([conflict.reason for conflict in conflicts])
        self.keys = tuple(dict.fromkeys(key for c in conflicts for key in c.keys))


@dataclass(frozen=True)
class Conflict:
    keys: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Rule:
    keys: tuple[str, ...]
    check: Callable[[Values], Conflict | None]


def _pair(name: str, value: str | None) -> str:
    return f"{name} = «{value if value is not None else '(sin definir)'}»"


def _at_most(low: str, high: str, why: str, scale: float = 1.0) -> Rule:
    """``low`` may not exceed ``high`` (times ``scale``: hours to seconds, ...)."""
    def check(after: Values) -> Conflict | None:
        if float(after[low]) <= float(after[high]) * scale:
            return None
        return Conflict((low, high), f"{_pair(low, after[low])} no puede ser mayor que "
                                     f"{_pair(high, after[high])}: {why}. {TOGETHER}")
    return Rule((low, high), check)


def _port_fits_security(after: Values) -> Conflict | None:
    security, port = after["mail.smtp_security"], int(after["mail.smtp_port"])
    if security == "ssl" and port in (25, 587):
        why = (f"el puerto {port} empieza sin cifrar y SSL cifra desde el primer byte: use "
               "starttls con ese puerto, o ssl con el 465")
    elif security != "ssl" and port == 465:
        why = f"el puerto 465 cifra desde el primer byte: use ssl con él, o {security} con 587"
    else:
        return None
    return Conflict(("mail.smtp_security", "mail.smtp_port"),
                    f"{_pair('mail.smtp_security', security)} no va con "
                    f"{_pair('mail.smtp_port', str(port))}: {why}. {TOGETHER}")


def _user_with_password(after: Values) -> Conflict | None:
    """A mail user logs in with a password. (A password kept without a user is only
    noted, by ``notify.config.settings_check``: it is never used.)"""
    user, password = after["mail.smtp_user"], after["mail.smtp_password"]
    if not user or password:
        return None
    return Conflict(("mail.smtp_user", "mail.smtp_password"),
                    f"{_pair('mail.smtp_user', user)} sin {_pair('mail.smtp_password', None)}: "
                    f"el servidor de correo pide la contraseña de ese usuario. {TOGETHER}")


RULES = [
    _at_most("sync.retry_initial_seconds", "sync.retry_max_seconds",
             "la primera espera antes de reintentar un envío sería más larga que la máxima"),
    _at_most("sync.report_poll_seconds", "sync.report_max_wait_seconds",
             "la primera consulta del resultado esperaría más que la espera máxima entre "
             "consultas"),
    _at_most("sync.report_poll_seconds", "sync.report_deadline_hours",
             "el resultado se daría por perdido antes de consultarlo por primera vez",
             scale=3600),
    _at_most("auth.session_idle_minutes", "auth.session_max_hours",
             "una sesión se cierra al cumplir su máximo de horas, así que el límite sin "
             "actividad nunca se aplicaría", scale=60),
    Rule(("mail.smtp_security", "mail.smtp_port"), _port_fits_security),
    Rule(("mail.smtp_user", "mail.smtp_password"), _user_with_password),
]
KEYS = tuple(dict.fromkeys(key for rule in RULES for key in rule.keys))


def check(before: Values, changes: Values, now: datetime) -> None:
    """Raise ``Conflicting`` when the values ``changes`` would leave (over ``before``,
    which holds ``KEYS`` and every calendar value in use) do not go together."""
    after = {**before, **changes}
    found = [conflict for rule in RULES if set(rule.keys) & set(changes)
             for conflict in [rule.check(after)] if conflict is not None]
    if any(name.startswith("calendar.") for name in changes):
        found += _close_in_the_past(before, after, now)
    if found:
        raise Conflicting(found)


def _calendar(values: Values) -> SigeCalendar | None:
    try:
        return SigeCalendar.from_settings({k: v for k, v in values.items()
                                           if k.startswith("calendar.") and v is not None})
    except UserError:  # values stored before they were checked: nothing to compare with
        return None


def _close_in_the_past(before: Values, after: Values, now: datetime) -> list[Conflict]:
    """The month SIGE has open may not be closed, by a new rule or its own close, at a
    moment that has already passed: its days could no longer be sent."""
    old, new = _calendar(before), _calendar(after)
    if old is None or new is None:
        return []
    month = old.current_month(now)
    was, would = old.close_of(month), new.close_of(month)
    if not would <= now < was:
        return []
    own = f"{CLOSE_KEY_PREFIX}{month}"
    rule = (DEFAULT_WORKING_DAY_KEY, DEFAULT_TIME_KEY)
    if after.get(own) is not None:
        keys = (own, *rule) if before.get(own) is None else (own,)
        cause = f"{_pair(own, after[own])} cerraría"
    else:
        keys = rule
        cause = f"{_pair(rule[0], after[rule[0]])} y {_pair(rule[1], after[rule[1]])} cerrarían"
    source = (_pair(own, before[own]) if before.get(own) is not None else
              f"{_pair(rule[0], before[rule[0]])} y {_pair(rule[1], before[rule[1]])}")
    return [Conflict(keys, f"{cause} {month.label_es}, el mes abierto en SIGE, el "
                           f"{fecha_hora(would)}, que ya pasó (ahora: {fecha_hora(now)}); hoy "
                           f"cierra el {fecha_hora(was)} ({source}). Sus días ya no se podrían "
                           "enviar: fije un cierre futuro.")]
