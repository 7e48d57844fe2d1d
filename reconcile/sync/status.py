"""Where a school's month stands with SIGE: what the Sincronización and Estado pages
and the ``status`` command show, read in one place so they cannot disagree.

``month_status`` gives every course-day of the month (courses x the month's worked
days so far, and any other day with a record): its state, cause, SIGE's words, the
time of its last change and the note of the job that holds it (e.g. SIGE
unavailable, retrying); the counts per state; the declaration close; and, when a
month cannot be sent now, the calendar's reason in plain words. ``errors`` adds
what a person must know to fix each error: the cause in plain Spanish, SIGE's own
words and the fix (Caso 1: who is missing; Caso 2: which RUT and the suggested
definitive RUN; both named on a day that has both, whichever SIGE
reported). A fixed number of set-based queries, whatever the school's size.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile import day_states as states
from reconcile.clock import Clock, as_santiago
from reconcile.db.models import (
    EN_PROCESO,
    ERROR,
    POR_SINCRONIZAR,
    SIN_REGISTRO,
    SINCRONIZADO,
    Course,
    CourseDay,
    SyncJob,
    SyncJobCourse,
)
from reconcile.es_cl import cantidad, duracion, fecha, fecha_hora, numero
from reconcile.matching.store import run_check
from reconcile.school import calendar_for, course_labels, student_names
from reconcile.sige.causes import (CASO_1, CASO_2, CASO_3, RECHAZADO, SIN_CONVENIO, CauseRules,
                                   find_run, sin_convenio_fix)
from reconcile.sige_calendar import Month, SigeCalendar
from reconcile.sync import jobs

NOT_SYNCED = (POR_SINCRONIZAR, EN_PROCESO, ERROR)  # a record SIGE does not have yet
STATE_ORDER = (SIN_REGISTRO, POR_SINCRONIZAR, EN_PROCESO, SINCRONIZADO, ERROR)
# The state a group of course-days shows (a day of several courses, a school's day)
WORST_FIRST = (ERROR, EN_PROCESO, POR_SINCRONIZAR, SINCRONIZADO, SIN_REGISTRO)
SHORT_ES = {SIN_REGISTRO: "Sin registro", POR_SINCRONIZAR: "Por sincronizar",
            EN_PROCESO: "En proceso", SINCRONIZADO: "Sincronizado", ERROR: "Error"}
RETRYING = "reintentando"  # a job given back after SIGE did not answer (Caso 3)


@dataclass(frozen=True)
class CourseDayStatus:
    """One course on one day. ``course`` is the code (``110-1-A``), ``course_label``
    the name people read (``1° Básico A``)."""

    rbd: int
    course: str
    course_label: str
    day: date
    state: str
    cause: str | None = None
    sige_words: tuple[str, ...] = ()
    updated_at: datetime | None = None
    job_note: str | None = None
    retrying: bool = False  # its job waits to send again after SIGE did not answer
    stored: bool = True  # False: a worked day the Libro has no record of (never imported)

    @property
    def symbol(self) -> str:
        return states.SYMBOLS[self.state]

    @property
    def state_es(self) -> str:
        return states.LABELS_ES[self.state]

    @property
    def cause_es(self) -> str | None:
        if self.retrying and self.state == EN_PROCESO:
            return states.CAUSES_ES[CASO_3]
        return states.CAUSES_ES.get(self.cause, self.cause) if self.state == ERROR else None

    @property
    def sendable(self) -> bool:
        """Whether its state allows a new send (the rules still decide)."""
        return self.state in states.SENDABLE

    def as_json(self) -> dict:
        """The ``status --json`` entry of DESIGN.md (plus ``rbd``)."""
        return {"rbd": self.rbd, "course": self.course, "date": self.day.isoformat(),
                "state": self.state, "cause": self.cause,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}


@dataclass(frozen=True)
class ErrorEntry:
    """An error to fix (or a send SIGE has not taken yet): the cause in plain
    Spanish, SIGE's own words and what to do. For a Caso 1 or Caso 2 (SIGE often
    reports both for one course): ``missing``, (RUN, name) enrolled in SIGE and
    absent from the send; ``unknown``, (RUT, suggested definitive RUN or None) that
    SIGE does not recognise."""

    day: CourseDayStatus
    cause: str
    cause_es: str
    fix_es: str
    missing: tuple[tuple[str, str], ...] = ()
    unknown: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class MonthStatus:
    rbd: int
    month: Month
    current_month: Month  # SIGE's month now
    now: datetime
    close_at: datetime  # when ``month``'s declaration period closes
    labels: dict[str, str]  # course code -> name, in the order people read them
    days: list[date]  # the columns: worked days so far and any day with a record
    course_days: list[CourseDayStatus]  # by course (``labels`` order), then day
    notice: str | None = None  # why the month cannot be sent now, in plain words
    errors: list[ErrorEntry] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(cell.state for cell in self.course_days)
        return {state: found[state] for state in STATE_ORDER}

    @property
    def not_synced(self) -> int:
        """Course-days with a record that SIGE does not have yet."""
        return sum(1 for cell in self.course_days if cell.state in NOT_SYNCED)

    @property
    def in_process(self) -> bool:
        return any(cell.state == EN_PROCESO for cell in self.course_days)

    @property
    def time_left(self) -> timedelta:
        return max(self.close_at - self.now, timedelta(0))

    @property
    def sendable_month(self) -> bool:
        return self.notice is None

    def close_line_es(self) -> str:
        if self.time_left <= timedelta(0):
            return (f"La declaración de {self.month.label_es} cerró el "
                    f"{fecha_hora(self.close_at)}.")
        return (f"Quedan {duracion(self.time_left)} para el cierre de la declaración de "
                f"{self.month.label_es} ({fecha_hora(self.close_at)}).")

    def by_course(self) -> dict[str, dict[str, int]]:
        """Course code -> its course-days per state (``labels`` order)."""
        counts = {code: dict.fromkeys(STATE_ORDER, 0) for code in self.labels}
        for cell in self.course_days:
            counts[cell.course][cell.state] += 1
        return counts

    def headline_es(self) -> str:
        """What SIGE still lacks, in plain words: the course-days with attendance it does
        not have (to send, in process or with error) apart from those without any record.

        The same counts as Estado's and as ``by_course`` (its columns add up to these)."""
        counts = self.counts
        with_record = len(self.course_days) - counts[SIN_REGISTRO]
        text = (f"SIGE aún no tiene {numero(self.not_synced)} de los "
                f"{cantidad(with_record, 'día-curso')} con asistencia en el Libro Digital"
                if self.not_synced else
                f"SIGE ya tiene {'el' if with_record == 1 else 'los'} "
                f"{cantidad(with_record, 'día-curso')} con asistencia en el Libro Digital")
        if counts[SIN_REGISTRO]:
            text += (f"; {cantidad(counts[SIN_REGISTRO], 'día-curso')} de días hábiles no "
                     f"{'tiene' if counts[SIN_REGISTRO] == 1 else 'tienen'} asistencia en el "
                     "Libro")
        return text + "."

    def summary_es(self) -> str:
        """The heatmap in one line, for whoever cannot see it."""
        counts = self.counts
        parts = [f"{SHORT_ES[state].lower()}: {numero(counts[state])}"
                 for state in WORST_FIRST if counts[state]]
        return (f"{cantidad(len(self.labels), 'curso')} por {cantidad(len(self.days), 'día')}, "
                f"{cantidad(len(self.course_days), 'día-curso')}: " + ", ".join(parts) + ".")

    def of_course(self, code: str) -> list[CourseDayStatus]:
        return [cell for cell in self.course_days if cell.course == code]

    def cell(self, code: str, day: date) -> CourseDayStatus | None:
        return next((c for c in self.course_days if c.course == code and c.day == day), None)


def month_notice(calendar: SigeCalendar, month: Month, now: datetime) -> str | None:
    """Why ``month`` cannot be sent now, in plain words; None when it can.

    >>> from reconcile.clock import as_santiago
    >>> cal = SigeCalendar()
    >>> print(month_notice(cal, Month(2026, 11), as_santiago(datetime(2026, 11, 2, 9))))
    SIGE aún está en el mes de octubre 2026; noviembre 2026 se abre al cierre del período, el \
04-11-2026 17:00. En los primeros días de cada mes SIGE todavía recibe la asistencia del mes \
anterior: termine de enviar octubre 2026 y comience a enviar noviembre 2026 después del cierre \
(en general, desde alrededor del día 7).
    >>> month_notice(cal, Month(2026, 11), as_santiago(datetime(2026, 11, 20, 9))) is None
    True
    """
    verdict = calendar.can_send(month.first_day, now)
    if verdict.ok or verdict.code == "fecha_futura":
        return None
    current = calendar.current_month(now)
    if verdict.code == "mes_no_abierto":
        return (f"{verdict.reason} En los primeros días de cada mes SIGE todavía recibe la "
                f"asistencia del mes anterior: termine de enviar {current.label_es} y comience "
                f"a enviar {month.label_es} después del cierre (en general, desde alrededor del "
                "día 7).")
    if verdict.code == "mes_pasado":
        return (f"{verdict.reason} Sus días ya no se pueden enviar desde aquí; el mes que SIGE "
                f"recibe ahora es {current.label_es}.")
    return verdict.reason


def month_status(session: Session, rbd: int, clock: Clock, month: Month | None = None,
                 with_errors: bool = True) -> MonthStatus:
    """Every course-day of ``month`` (SIGE's current month by default) for one school."""
    now = clock.now()
    calendar = calendar_for(session, rbd)
    current = calendar.current_month(now)
    month = month or current
    labels = course_labels(session, rbd, month.year)
    ids = {course.id: course.code for course in session.scalars(
        select(Course).where(Course.rbd == rbd, Course.year == month.year))}
    stored = {(ids[row.course_id], row.day): row for row in session.execute(
        select(CourseDay.course_id, CourseDay.day, CourseDay.state, CourseDay.cause,
               CourseDay.sige_messages, CourseDay.updated_at)
        .where(CourseDay.rbd == rbd, CourseDay.day.between(month.first_day, month.last_day)))
        if row.course_id in ids}
    notes = _job_notes(session, rbd, month, ids, now)
    until = min(now.date(), month.last_day)
    worked = {month.first_day + timedelta(n) for n in range((until - month.first_day).days + 1)
              if _is_worked(calendar, month.first_day + timedelta(n))}
    days = sorted(worked | {day for (_, day), row in stored.items() if row.state != SIN_REGISTRO})
    cells = []
    for code, name in labels.items():
        for day in days:
            row = stored.get((code, day))
            note, retrying = notes.get((code, day), (None, False))
            if row is None:
                cells.append(CourseDayStatus(rbd, code, name, day, SIN_REGISTRO,
                                             job_note=note, retrying=retrying, stored=False))
                continue
            cells.append(CourseDayStatus(
                rbd, code, name, day, row.state, row.cause if row.state == ERROR else None,
                sige_words(row.sige_messages), row.updated_at, note, retrying))
    status = MonthStatus(rbd, month, current, now, calendar.close_of(month), labels, days,
                         cells, month_notice(calendar, month, now))
    if with_errors:
        status.errors.extend(errors(session, status))
    return status


# A Caso 1 or Caso 2 day whose reconciliation finds both (SIGE often reports only one).
BOTH_CASES_ES = ("Caso 1 y Caso 2: faltan estudiantes que SIGE tiene matriculados y SIGE no "
                 "reconoce uno o más RUT")
BOTH_CASES_FIX_ES = ("Revise en el Libro Digital a los estudiantes que faltan (o su RUT), y vea "
                     "en «Pendientes» dónde corregir cada RUT que SIGE no reconoce (en el Libro "
                     "Digital, o en SIGE si SIGE aún tiene el IPE y el Libro el RUN definitivo) "
                     "y si puede aprobar aquí el par sugerido; luego vuelva a sincronizar.")


def errors(session: Session, status: MonthStatus) -> list[ErrorEntry]:
    """The month's errors with their fix; a day SIGE has not taken because it did not
    answer (Caso 3, retried by the worker) is listed too. One reconciliation covers
    the Caso 1 and Caso 2 days."""
    failing = [cell for cell in status.course_days
               if cell.state == ERROR or (cell.state == EN_PROCESO and cell.retrying)]
    if not failing:
        return []
    rules = CauseRules()
    named = {(cell.course, cell.day): _named_runs(cell.sige_words, rules) for cell in failing}
    to_check = [cell for cell in failing if cell.state == ERROR and cell.cause in (CASO_1, CASO_2)]
    missing: dict[tuple[str, date], set[str]] = {}
    unknown: dict[tuple[str, date], set[str]] = {}
    suggested: dict[tuple[str, date, str], str] = {}
    if to_check:
        check = run_check(session, status.rbd, min(c.day for c in to_check),
                          max(c.day for c in to_check))
        for row in check.missing.itertuples(index=False):
            missing.setdefault((row.course, row.day), set()).add(row.rut)
        for row in check.unknown.itertuples(index=False):
            unknown.setdefault((row.course, row.day), set()).add(row.rut)
        for row in check.pairs.itertuples(index=False):
            suggested[(row.course, row.day, row.libro)] = row.sige
    lists = {}  # (course, day) -> (missing, unknown) of a Caso 1 or Caso 2
    for cell in to_check:
        key = (cell.course, cell.day)
        lists[key] = (missing.get(key, set()) | named[key].get(CASO_1, set()),
                      unknown.get(key, set()) | named[key].get(CASO_2, set()))
    names = student_names(session, status.rbd, {rut for gone, _ in lists.values()
                                                for rut in gone})
    entries = []
    for cell in failing:
        key = (cell.course, cell.day)
        cause = CASO_3 if cell.state == EN_PROCESO else (cell.cause or RECHAZADO)
        fix = states.FIX_ES.get(cause, states.FIX_ES[RECHAZADO])
        if cause == SIN_CONVENIO:  # credentials refused, or the RBD outside the convenio
            fix = sin_convenio_fix(cell.sige_words)
        if cause == CASO_3:
            fix = (f"SIGE no está disponible: se reintenta automáticamente hasta el cierre de "
                   f"la declaración ({fecha_hora(status.close_at)}); no necesita hacer nada.")
        gone, strange = lists.get(key, ((), ()))
        cause_es = states.CAUSES_ES.get(cause, cause)
        if gone and strange:  # SIGE names one cause, but the day needs both fixes
            cause_es, fix = BOTH_CASES_ES, BOTH_CASES_FIX_ES
        entries.append(ErrorEntry(
            cell, cause, cause_es, fix,
            tuple((rut, names.get(rut, "")) for rut in sorted(gone)),
            tuple((rut, suggested.get((cell.course, cell.day, rut))) for rut in sorted(strange))))
    return entries


def sige_words(messages: list | None) -> tuple[str, ...]:
    """SIGE's own words from a course-day's stored messages (report findings,
    message groups or plain text), one line each.

    >>> sige_words([{"titulo": "Curso 1° Básico A", "text": "RUN 1-9: FALTANTE"},
    ...             {"titulo": "Error", "mensajes": ["Fecha fuera del mes"]}, "Sin ticket"])
    ('Curso 1° Básico A: RUN 1-9: FALTANTE', 'Error: Fecha fuera del mes', 'Sin ticket')
    """
    lines = []
    for item in messages or []:
        if isinstance(item, dict):
            title = str(item.get("titulo") or "").strip()
            texts = [item["text"]] if item.get("text") else list(item.get("mensajes") or [])
            lines += [f"{title}: {text}" if title else str(text) for text in texts] or \
                ([title] if title else [])
        elif item:
            lines.append(str(item))
    return tuple(lines)


def day_label(day: date) -> str:
    """A column head: the weekday's initials and the day, e.g. ``lu 02``.

    >>> day_label(date(2026, 11, 2))
    'lu 02'
    """
    return f"{('lu', 'ma', 'mi', 'ju', 'vi', 'sá', 'do')[day.weekday()]} {day:%d}"


def describe(cell: CourseDayStatus) -> list[str]:
    """The lines a person reads about one course-day (hover text, detail)."""
    lines = [f"{cell.course_label}, {fecha(cell.day)}", f"{cell.symbol} {cell.state_es}"]
    if cell.cause_es:
        lines.append(cell.cause_es)
    lines += [f"SIGE: «{text}»" for text in cell.sige_words]
    if cell.job_note:
        lines.append(cell.job_note)
    if cell.updated_at:
        lines.append(f"Último cambio: {fecha_hora(cell.updated_at)}")
    return lines


def _is_worked(calendar: SigeCalendar, day: date) -> bool:
    return day.weekday() < 5 and calendar.holiday_name(day) is None


def _named_runs(words: tuple[str, ...], rules: CauseRules) -> dict[str, set[str]]:
    """cause -> the RUNs SIGE's lines name under it."""
    found: dict[str, set[str]] = {}
    for line in words:
        run = find_run(line)
        cause = rules.cause_of(line)
        if run and cause:
            found.setdefault(cause, set()).add(run)
    return found


def next_poll_es(at: datetime | None, now: datetime) -> str:
    """When the worker asks SIGE for a ticket's report next, in plain words.

    >>> from reconcile.clock import as_santiago
    >>> now = as_santiago(datetime(2026, 11, 16, 14, 20))
    >>> next_poll_es(as_santiago(datetime(2026, 11, 16, 14, 35)), now)
    'SIGE se consultará de nuevo a las 14:35.'
    >>> next_poll_es(as_santiago(datetime(2026, 11, 17, 8, 5)), now)
    'SIGE se consultará de nuevo el 17-11-2026 a las 08:05.'
    >>> next_poll_es(now, now)
    'SIGE se consulta en este momento.'
    """
    if at is None or as_santiago(at) <= as_santiago(now):
        return "SIGE se consulta en este momento."
    at = as_santiago(at)
    if at.date() == as_santiago(now).date():
        return f"SIGE se consultará de nuevo a las {at:%H:%M}."
    return f"SIGE se consultará de nuevo el {fecha(at.date())} a las {at:%H:%M}."


def _job_notes(session: Session, rbd: int, month: Month, ids: dict[int, str], now: datetime
               ) -> dict[tuple[str, date], tuple[str, bool]]:
    """(course code, day) -> the active job's note, and whether it is retrying after
    SIGE did not answer."""
    notes = {}
    for row in session.execute(
            select(SyncJobCourse.course_id, SyncJobCourse.day, SyncJob.state, SyncJob.attempts,
                   SyncJob.last_error, SyncJob.next_attempt_at, SyncJob.ticket)
            .join(SyncJob, SyncJob.id == SyncJobCourse.job_id)
            .where(SyncJob.rbd == rbd, SyncJobCourse.active,
                   SyncJobCourse.day.between(month.first_day, month.last_day))):
        if row.course_id not in ids:
            continue
        retrying = row.state == jobs.EN_COLA and row.attempts > 0
        then = f" Próximo intento: {fecha_hora(row.next_attempt_at)}." \
            if row.next_attempt_at else ""
        if row.state == jobs.ESPERANDO_REPORTE:
            note = "SIGE recibió el envío"
            note += f" (ticket {row.ticket})" if row.ticket else ""
            note += "; se espera su resultado. " + next_poll_es(row.next_attempt_at, now)
        elif retrying:  # the technical detail stays in the worker's log
            note = f"Intentos sin respuesta de SIGE: {row.attempts}.{then}"
        elif row.last_error:
            note = row.last_error.rstrip(".") + "." + then
        else:
            note = "En cola para enviar a SIGE."
        notes[(ids[row.course_id], row.day)] = (note, retrying)
    return notes
