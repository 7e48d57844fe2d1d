"""es-CL presentation for the CLI and the pages: dates dd-mm-aaaa, RUTs 12.345.678-5, durations in words."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from reconcile import rut
from reconcile.clock import as_santiago


def fecha(day: date) -> str:
    """dd-mm-aaaa, as users read dates.

    >>> fecha(date(2026, 11, 2))
    '02-11-2026'
    """
    return day.strftime("%d-%m-%Y")


def fecha_hora(moment: datetime) -> str:
    """dd-mm-aaaa HH:MM in Santiago wall time."""
    return as_santiago(moment).strftime("%d-%m-%Y %H:%M")


def rut_es(text: str) -> str:
    """12.345.678-5 when it parses; otherwise as written, so a bad RUT stays visible.

    >>> rut_es("125319092"), rut_es("no-es-rut")
    ('12.531.909-2', 'no-es-rut')
    """
    try:
        return rut.format(text)
    except Exception:  # noqa: BLE001 - any unparseable text is shown as is
        return text


def numero(value: int) -> str:
    """Thousands separated by a dot, as in Chile.

    >>> numero(1194), numero(3541790)
    ('1.194', '3.541.790')
    """
    return f"{value:,}".replace(",", ".")


def decimal(value: float, places: int = 2) -> str:
    """A decimal number as written in Chile: dot for thousands, comma for decimals.

    >>> decimal(1055), decimal(599.2), decimal(0.125, 1)
    ('1.055,00', '599,20', '0,1')
    """
    whole, _, fraction = f"{value:,.{places}f}".partition(".")
    return whole.replace(",", ".") + ("," + fraction if fraction else "")


def duracion(delta: timedelta) -> str:
    """A span as people say it: days and hours, or hours and minutes (no "y 0 minutos").

    >>> duracion(timedelta(hours=2)), duracion(timedelta(minutes=125))
    ('2 horas', '2 horas y 5 minutos')
    >>> duracion(timedelta(days=33, hours=3, minutes=9)), duracion(timedelta(seconds=30))
    ('33 días y 3 horas', '0 minutos')
    """
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} día{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hora{'s' if hours != 1 else ''}")
    if not days and (minutes or not hours):
        parts.append(f"{minutes} minuto{'s' if minutes != 1 else ''}")
    return " y ".join(parts)


def plural(word: str) -> str:
    """The plural of a Spanish noun as the product writes them; in a compound the
    first word takes it (``día-curso`` → ``días-curso``).

    >>> plural("envío"), plural("día-curso"), plural("error"), plural("curso")
    ('envíos', 'días-curso', 'errores', 'cursos')
    """
    head, dash, tail = word.partition("-")
    head = head + ("s" if head[-1] in "aeiouáéíóú" else "es")
    return head + dash + tail


def cantidad(count: int, singular: str, plural_form: str | None = None) -> str:
    """A count and its noun in the right number (never "día(s)"); thousands with a dot.

    >>> cantidad(1, "día-curso"), cantidad(0, "envío"), cantidad(1194, "estudiante")
    ('1 día-curso', '0 envíos', '1.194 estudiantes')
    >>> cantidad(2, "día trabajado", "días trabajados")
    '2 días trabajados'
    """
    noun = singular if count == 1 else (plural_form or plural(singular))
    return f"{numero(count)} {noun}"
