"""SIGE's declaration calendar: which month SIGE is on, when it closes, what can be sent.

SIGE's month does not change on day 1: it changes when the previous month's
declaration period closes, a few days into the new month. Each close is a
setting (``calendar.close.YYYY-MM``); a month without one follows a default rule
(an assumption: the 3rd working day of the next month at 17:00, Santiago).

Pure: no database, no system clock. "Now" is always an argument. All instants
are America/Santiago; comparisons and differences are made in UTC, because
Python compares aware datetimes that share a tzinfo by their wall time, which
is wrong across a DST change.

>>> cal = SigeCalendar()
>>> cal.close_of(Month(2026, 10)).strftime("%d-%m-%Y %H:%M")
'04-11-2026 17:00'
>>> str(cal.current_month(datetime(2026, 11, 2, 9, 0)))
'2026-10'
>>> str(cal.current_month(datetime(2026, 11, 4, 17, 0)))
'2026-11'
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import holidays

from reconcile.clock import SANTIAGO, as_santiago
from reconcile.errors import UserError
from reconcile.es_cl import fecha, fecha_hora

CLOSE_KEY_PREFIX = "calendar.close."
DEFAULT_WORKING_DAY_KEY = "calendar.default_close_working_day"
DEFAULT_TIME_KEY = "calendar.default_close_time"
REGION_KEY = "calendar.region"

MONTHS_ES = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)
WEEKDAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_HHMM_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_MAX_WORKING_DAY = 20  # a close later than the 20th working day would overlap the next month's


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month.

    >>> m = Month.parse("2026-12")
    >>> str(m.next()), str(m.previous()), m.label_es
    ('2027-01', '2026-11', 'diciembre 2026')
    >>> m.last_day, m.contains(date(2026, 12, 31))
    (datetime.date(2026, 12, 31), True)
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"mes fuera de rango: {self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        found = _MONTH_RE.match(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValueError(f"«{text}» no es un mes AAAA-MM")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return (day.year, day.month) == (self.year, self.month)

    @property
    def label_es(self) -> str:
        return f"{MONTHS_ES[self.month - 1]} {self.year}"


@dataclass(frozen=True)
class SendVerdict:
    """Whether a day can be sent now; if not, a code and the reason in Spanish."""

    ok: bool
    reason: str | None = None
    code: str | None = None  # mes_pasado | mes_futuro | mes_no_abierto | fecha_futura | sin_registro


def _utc(moment: datetime) -> datetime:
    return as_santiago(moment).astimezone(timezone.utc)


def _exists_in_santiago(wall: datetime) -> bool:
    """False for a wall time skipped by the spring-forward DST change."""
    aware = wall.replace(tzinfo=SANTIAGO)
    back = aware.astimezone(timezone.utc).astimezone(SANTIAGO)
    return back.replace(tzinfo=None) == wall.replace(tzinfo=None)


def validate_close_value(value: str, key: str | None = None) -> datetime:
    """Parse a close setting (ISO date-time) into an aware Santiago instant.

    A naive value is Santiago wall time; one with an offset is converted.
    Raises UserError (Spanish, naming the key when given, and the value).

    >>> validate_close_value("2021-09-02T17:00").isoformat()
    '2021-09-02T17:00:00-04:00'
    """
    where = f"{key}: " if key else ""
    text = (value or "").strip()
    example = "use AAAA-MM-DDTHH:MM, p. ej. 2026-12-03T17:00"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise UserError(f"{where}«{value}» no indica la hora del cierre ({example}).")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"{where}«{value}» no es una fecha y hora válida ({example}).") from None
    if parsed.tzinfo is None and not _exists_in_santiago(parsed):
        raise UserError(
            f"{where}«{value}» no existe en la hora de Chile continental "
            "(se salta por el cambio de horario); elija otra hora."
        )
    return as_santiago(parsed)


def _parse_working_day(value: str, key: str) -> int:
    text = (value or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= _MAX_WORKING_DAY:
        raise UserError(
            f"{key}: «{value}» no es válido: debe ser un número de día hábil entre 1 y {_MAX_WORKING_DAY}."
        )
    return int(text)


def _parse_hhmm(value: str, key: str) -> time:
    found = _HHMM_RE.match((value or "").strip())
    if found and int(found.group(1)) < 24 and int(found.group(2)) < 60:
        return time(int(found.group(1)), int(found.group(2)))
    raise UserError(f"{key}: «{value}» no es una hora válida (use HH:MM, p. ej. 17:00).")


def _chile_holidays(region: str | None, key: str | None = None) -> holidays.HolidayBase:
    try:
        return holidays.country_holidays("CL", subdiv=region, language="es")
    except NotImplementedError:
        known = ", ".join(holidays.CL.subdivisions)
        where = f"{key}: " if key else ""
        raise UserError(f"{where}Región «{region}» desconocida para los feriados de Chile (use una de: {known}).") from None


class SigeCalendar:
    """SIGE's declaration calendar for one installation.

    ``closes`` maps 'YYYY-MM' to the instant that month's declaration period
    closes (naive = Santiago wall time). A month without an entry closes on the
    ``close_working_day``-th working day of the next month at ``close_time``.
    Working days for that rule skip weekends and *national* public holidays:
    the close is a national deadline. ``region`` (a `holidays` subdivision code
    such as 'AP' or 'NB') only adds regional holidays to the warnings.
    """

    def __init__(
        self,
        closes: Mapping[str, datetime] | None = None,
        close_working_day: int = 3,
        close_time: time = time(17, 0),
        region: str | None = None,
    ) -> None:
        if not 1 <= close_working_day <= _MAX_WORKING_DAY:
            raise UserError(f"El día hábil de cierre debe estar entre 1 y {_MAX_WORKING_DAY} (es {close_working_day}).")
        self.close_working_day = close_working_day
        self.close_time = close_time.replace(tzinfo=None)
        self.region = region
        self._national = _chile_holidays(None)
        self._local = _chile_holidays(region) if region else self._national
        self._closes: dict[Month, datetime] = {}
        problems = []
        for key, moment in (closes or {}).items():
            try:
                month = Month.parse(key)
            except ValueError:
                problems.append(f"{CLOSE_KEY_PREFIX}{key}: «{key}» no es un mes AAAA-MM.")
                continue
            close = as_santiago(moment)
            problem = _close_out_of_place(month, close)
            if problem:
                problems.append(f"{CLOSE_KEY_PREFIX}{month}: {problem}")
            self._closes[month] = close
        if problems:
            raise UserError(problems)

    @classmethod
    def from_settings(cls, values: Mapping[str, str]) -> SigeCalendar:
        """Build from raw setting strings; keys outside ``calendar.`` are ignored.

        Every bad value is reported (one reason per key), and nothing is built.
        """
        problems: list[str] = []
        closes: dict[str, datetime] = {}
        kwargs: dict = {}
        for key, value in values.items():
            try:
                if key.startswith(CLOSE_KEY_PREFIX):
                    suffix = key[len(CLOSE_KEY_PREFIX):]
                    try:
                        month = Month.parse(suffix)
                    except ValueError:
                        raise UserError(
                            f"{key}: «{suffix}» no es un mes AAAA-MM (p. ej. calendar.close.2026-11); "
                            f"valor «{value}» no usado."
                        ) from None
                    close = validate_close_value(value, key)
                    problem = _close_out_of_place(month, close)
                    if problem:
                        raise UserError(f"{key}: «{value}»: {problem}")
                    closes[str(month)] = close
                elif key == DEFAULT_WORKING_DAY_KEY:
                    kwargs["close_working_day"] = _parse_working_day(value, key)
                elif key == DEFAULT_TIME_KEY:
                    kwargs["close_time"] = _parse_hhmm(value, key)
                elif key == REGION_KEY and (value or "").strip():
                    region = value.strip().upper()
                    _chile_holidays(region, key)
                    kwargs["region"] = region
            except UserError as error:
                problems.extend(error.reasons)
        if problems:
            raise UserError(problems)
        return cls(closes, **kwargs)

    # --- closes and the current month -------------------------------------------------

    def close_of(self, month: Month) -> datetime:
        """When ``month``'s declaration period closes (aware, Santiago)."""
        explicit = self._closes.get(month)
        if explicit is not None:
            return explicit
        day = month.next().first_day
        count = 0
        while True:
            if self._is_working_day(day):
                count += 1
                if count == self.close_working_day:
                    return datetime.combine(day, self.close_time, tzinfo=SANTIAGO)
            day += timedelta(days=1)

    def has_explicit_close(self, month: Month) -> bool:
        return month in self._closes

    def current_month(self, now: datetime) -> Month:
        """The previous calendar month until its close (exclusive), then the calendar month."""
        here = as_santiago(now)
        calendar_month = Month(here.year, here.month)
        previous = calendar_month.previous()
        if _utc(here) < _utc(self.close_of(previous)):
            return previous
        return calendar_month

    def time_left(self, now: datetime) -> timedelta:
        """Real time (not wall time) until the current SIGE month closes; never negative."""
        left = _utc(self.close_of(self.current_month(now))) - _utc(now)
        return max(left, timedelta(0))

    # --- what can be sent -------------------------------------------------------------

    def can_send(self, day: date, now: datetime, has_attendance: bool = True) -> SendVerdict:
        here = as_santiago(now)
        current = self.current_month(here)
        month = Month.of(day)
        if month < current:
            return SendVerdict(
                False,
                f"El mes de {month.label_es} ya cerró su período de declaración en SIGE "
                f"(cerró el {fecha_hora(self.close_of(month))}).",
                "mes_pasado",
            )
        if month > current:
            if month == Month(here.year, here.month):
                return SendVerdict(
                    False,
                    f"SIGE aún está en el mes de {current.label_es}; {month.label_es} se abre al "
                    f"cierre del período, el {fecha_hora(self.close_of(current))}.",
                    "mes_no_abierto",
                )
            return SendVerdict(
                False,
                f"El mes de {month.label_es} aún no está abierto en SIGE: solo se puede enviar "
                f"el mes actual ({current.label_es}).",
                "mes_futuro",
            )
        if day > here.date():
            return SendVerdict(
                False,
                f"El {fecha(day)} aún no llega: no se pueden enviar días futuros.",
                "fecha_futura",
            )
        if not has_attendance:
            return SendVerdict(
                False,
                f"No hay asistencia registrada el {fecha(day)}: solo se envían días trabajados.",
                "sin_registro",
            )
        return SendVerdict(True)

    # --- holidays (warnings only: worked days come from the attendance record) --------

    def holiday_name(self, day: date) -> str | None:
        """The Spanish name of the public holiday on ``day`` (regional ones too), or None."""
        return self._local.get(day)

    def worked_day_warnings(self, days: Iterable[date]) -> list[str]:
        """Warnings for days with attendance that fall on a public holiday or a weekend."""
        warnings = []
        for day in sorted(set(days)):
            name = self.holiday_name(day)
            if name:
                warnings.append(f"El {fecha(day)} es feriado ({name}) y tiene asistencia registrada.")
            elif day.weekday() >= 5:
                warnings.append(
                    f"El {fecha(day)} es {WEEKDAYS_ES[day.weekday()]} y tiene asistencia registrada."
                )
        return warnings

    def _is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._national


def _close_out_of_place(month: Month, close: datetime) -> str | None:
    """A month's close must fall after the month ends and within the next month;
    otherwise two months would be open (or none) at the same time."""
    if Month.of(as_santiago(close).date()) != month.next():
        return (
            f"el cierre de {month.label_es} debe caer dentro de {month.next().label_es} "
            f"(es {fecha_hora(close)})."
        )
    return None
