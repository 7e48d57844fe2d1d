"""The worker, the school's clock: sends claimed jobs to SIGE, follows each ticket to its final
report, and runs what is due (envío automático, forecast, mail, daily clean-up).

One loop claims due jobs (``jobs.claim``) up to ``sync.concurrency`` at a time and
hands each to a thread; a heartbeat renews the leases of the jobs in hand. A job's
work is two short transactions around one SIGE call, never a transaction held
during the call:

- ``en_cola``: check the month is still open (else ``error`` / ``fuera_de_mes``)
  and the convenio (else ``sin_convenio``; a school whose credentials SIGE refused
  waits until they change), wait for an earlier job of the same grade-day, carry
  the grade's synced letters (``grades.synced_siblings``), build the record from the
  marks as they are now (``payload.build_record``), send it. Accepted:
  ``esperando_reporte`` with the ticket. SIGE unavailable (Caso 3, after the client's few in-call retries): the
  job is due again later with a growing wait, until the month closes.
- ``esperando_reporte``: ask for the report, first ``sync.report_poll_seconds``
  after the send, then with growing waits, until a final answer or
  ``sync.report_deadline_hours`` -> ``error`` / ``sin_respuesta``.

Retries live in one layer each: the client's are seconds long and bounded per
call; the job's run for hours. Every day-state change goes through ``day_states``.
The worker runs no SQL of its own: the queue's reads and writes are ``jobs``', the
convenio refusals ``convenio``'s.
Log lines name jobs, schools, dates and courses, never RUTs or credentials.

The worker is also the schools' clock (``_school_clock``, at most every
``CLOCK_SECONDS``, sooner when a run or a mail is due before): it makes every due
envío automático (``reconcile.autopilot.run``), re-forecasts each school's close
risk (``reconcile.autopilot.risk``: an alert when it turns), delivers the
outbox (``reconcile.notify.outbox``) and once a day purges ended login sessions
and lock-outs (``reconcile.housekeeping``). A job SIGE's report leaves in ``error``
queues a «rechazo» alert, right after its outcome is stored. ``until_idle`` makes
the runs due at its start and delivers the outbox before it stops.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from reconcile import audit, courses, housekeeping, payload, settings
from reconcile import day_states as states
from reconcile.autopilot import risk as close_risk
from reconcile.autopilot import run as autopilot_run
from reconcile.clock import Clock
from reconcile.db import transaction
from reconcile.db.models import ERROR, SIN_REGISTRO, SINCRONIZADO, SyncJob
from reconcile.db.outage import Outage
from reconcile.es_cl import fecha
from reconcile.notify import digest, outbox
from reconcile.school import calendar_for
from reconcile.sige_calendar import SigeCalendar
from reconcile.sige.causes import CASO_1, CASO_2, FUERA_DE_MES, RECHAZADO, SIN_CONVENIO
from reconcile.sige.client import (
    OBSERVACIONES,
    PROCESADO,
    SEMILLA_EXPIRADA,
    ReportResult,
    SendResult,
    SigeClient,
    SigeCredentialsRejected,
    SigeError,
    SigeRejected,
)
from reconcile.sige.config import CREDENTIAL_KEYS, client_from_settings
from reconcile.sync import convenio, grades, jobs
from reconcile.sync.outcomes import OUTCOME_ACTION, per_course

log = logging.getLogger(__name__)
CALENDAR_SECONDS = 60.0
CLOCK_SECONDS = 5.0  # the schools' clock: due runs, risks and mail looked at this often


@dataclass(frozen=True)
class Timing:
    """The worker's waits, from the settings (read at start)."""

    lease: timedelta
    first_poll: timedelta
    report_deadline: timedelta
    report_max_wait: timedelta
    retry_initial: timedelta
    retry_max: timedelta

    @classmethod
    def from_settings(cls, session: Session) -> Timing:
        def seconds(key: str) -> timedelta:
            return timedelta(seconds=settings.get_float(session, key))

        return cls(lease=seconds("sync.lease_seconds"),
                   first_poll=seconds("sync.report_poll_seconds"),
                   report_deadline=timedelta(
                       hours=settings.get_float(session, "sync.report_deadline_hours")),
                   report_max_wait=seconds("sync.report_max_wait_seconds"),
                   retry_initial=seconds("sync.retry_initial_seconds"),
                   retry_max=seconds("sync.retry_max_seconds"))

    def retry_wait(self, attempts: int) -> timedelta:
        """Growing wait after the n-th failed send, with jitter (many schools retry
        at once near the close: never together)."""
        base = min(self.retry_max, self.retry_initial * (2 ** max(attempts - 1, 0)))
        return base * random.uniform(0.5, 1.0)

    def poll_wait(self, polls: int) -> timedelta:
        return min(self.report_max_wait, self.first_poll * (2 ** polls))


def make_client(url: str | None = None) -> SigeClient:
    """The SIGE client with short, bounded in-call retries (the job retries for longer)."""
    with transaction(url) as session:
        retries = settings.get_int(session, "sige.call_retries")
        backoff_max = settings.get_float(session, "sige.call_backoff_max_seconds")
    return client_from_settings(url, retries=retries, backoff_initial=min(0.5, backoff_max),
                                backoff_max=backoff_max)


class Worker:
    """``run`` until stopped (or, with ``until_idle``, until no job is left to do)."""

    def __init__(self, clock: Clock, *, url: str | None = None, concurrency: int | None = None,
                 client: SigeClient | None = None, name: str | None = None,
                 idle_wait: float = 1.0, grace_seconds: float = 20.0) -> None:
        self.url = url
        self.clock = clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        with transaction(url) as session:
            self.timing = Timing.from_settings(session)
            self.concurrency = concurrency or settings.get_int(session, "sync.concurrency")
        self.client = client or make_client(url)
        self.idle_wait = idle_wait
        self.grace_seconds = grace_seconds
        self.stop = threading.Event()
        self.finished = 0  # jobs this worker took to a final state
        self._calendars: dict[int, tuple[SigeCalendar, float]] = {}
        self._next_tick = 0.0  # time.monotonic() of the schools' clock's next turn
        self.outage = Outage(log)  # the database out of reach: wait it out, say so once
        self._orphans: set[int] = set()  # held jobs whose outcome an outage kept from storing

    # --- the loop ------------------------------------------------------------------

    def run(self, until_idle: bool = False) -> int:
        """Work until ``stop`` is set; returns the number of jobs finished."""
        in_hand: dict[Future, int] = {}
        beat = threading.Thread(target=self._heartbeat, args=(in_hand,), daemon=True)
        beat.start()
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="sige")
        try:
            while not self.stop.is_set():
                if not self._database_back():
                    continue
                self._school_clock()
                free = self.concurrency - len(in_hand)
                claimed = self._claim(free) if free else []
                for job in claimed:
                    in_hand[pool.submit(self._work, job)] = job.id
                if in_hand:
                    done, _ = wait(list(in_hand), timeout=self.idle_wait,
                                   return_when=FIRST_COMPLETED)
                    for future in done:
                        in_hand.pop(future)
                        future.result()  # _work never raises: it logs and lets go
                    continue
                if until_idle and self._idle():
                    if self._school_clock(force=True):
                        continue  # a run came due meanwhile: send it first
                    break
                if not claimed:
                    self.stop.wait(self._pause())
        finally:
            self._stop_cleanly(pool, in_hand)
        return self.finished

    def _claim(self, free: int) -> list[jobs.Claimed]:
        try:
            with transaction(self.url) as session:
                return jobs.claim_due(session, self.name, free, self.clock.now(),
                                      self.timing.lease)
        except Exception as error:  # noqa: BLE001 - a database hiccup: try again next turn
            if not self.outage.hit(error):
                log.warning("no se pudieron tomar envíos de la cola", exc_info=True)
            return []

    def _idle(self) -> bool:
        """Nothing left that this worker could ever do without someone acting
        (only jobs waiting for new convenio credentials remain, if any: a school
        whose stored credentials changed since SIGE refused them is not waiting)."""
        try:
            with transaction(self.url) as session:
                return all(convenio.still_refused(session, rbd)
                           for rbd in jobs.active_schools(session))
        except Exception as error:
            if not self.outage.hit(error):
                raise
            return False  # not known to be idle: ask again once the database is back

    def _pause(self) -> float:
        """Seconds until the next job is due or the schools' clock's next turn (at
        most ``idle_wait``)."""
        tick = max(self._next_tick - time.monotonic(), 0.01)
        try:
            with transaction(self.url) as session:
                due = jobs.next_due(session)
        except Exception as error:
            if not self.outage.hit(error):
                raise
            return self.outage.pause()
        if due is None:
            return min(self.idle_wait, tick)
        return min(self.idle_wait, tick,
                   max((due - self.clock.now()).total_seconds(), 0.01))

    # --- the schools' clock ----------------------------------------------------------

    def _school_clock(self, force: bool = False) -> int:
        """Due envíos automáticos, close risks, mail; returns the course-days the runs
        queued. Each part fails alone (logged) and is tried again at the next turn."""
        if not force and time.monotonic() < self._next_tick:
            return 0
        queued = 0
        try:
            queued = sum(run.queued for run in autopilot_run.run_due(self.clock, self.url))
        except Exception as error:  # noqa: BLE001
            if not self.outage.hit(error):
                log.warning("no se pudieron revisar los envíos automáticos", exc_info=True)
        try:
            close_risk.refresh_due(self.clock, self.url)
        except Exception as error:  # noqa: BLE001
            if not self.outage.hit(error):
                log.warning("no se pudo revisar el riesgo del cierre", exc_info=True)
        try:  # the daily clean-up of ended login sessions and lock-outs
            housekeeping.purge_due(self.clock, self.url)
        except Exception as error:  # noqa: BLE001
            if not self.outage.hit(error):
                log.warning("no se pudo hacer la limpieza diaria", exc_info=True)
        wait = CLOCK_SECONDS
        try:
            outbox.deliver_due(self.clock, worker=self.name, url=self.url)
            due = [autopilot_run.next_due(self.clock, self.url)]
            with transaction(self.url) as session:
                due.append(outbox.next_due(session))
            due = [at for at in due if at is not None]
            if due:  # wake for the next run or mail when it comes before the next turn
                wait = min(wait, max((min(due) - self.clock.now()).total_seconds(), 0.0))
        except Exception as error:  # noqa: BLE001
            if not self.outage.hit(error):
                log.warning("no se pudo entregar el correo pendiente", exc_info=True)
        self._next_tick = time.monotonic() + max(wait, 0.5)
        return queued

    def _heartbeat(self, in_hand: dict[Future, int]) -> None:
        interval = max(self.timing.lease.total_seconds() / 3, 0.05)
        while not self.stop.wait(interval):
            ids = list(in_hand.values())
            if not ids or self.outage.down:  # the loop asks until the database is back
                continue
            try:
                with transaction(self.url) as session:
                    jobs.renew(session, self.name, ids, self.clock.now(), self.timing.lease)
            except Exception as error:  # noqa: BLE001 - the next beat tries again
                if not self.outage.hit(error):
                    log.warning("no se pudo renovar la reserva de los envíos", exc_info=True)

    def _stop_cleanly(self, pool: ThreadPoolExecutor, in_hand: dict[Future, int]) -> None:
        """Let in-flight calls finish within the grace period; give back the rest."""
        self.stop.set()
        if in_hand:
            wait(list(in_hand), timeout=self.grace_seconds)
        left = [job_id for future, job_id in in_hand.items() if not future.done()]
        left += sorted(self._orphans.copy())
        if left and self._give_back(left, time.monotonic() + self.grace_seconds):
            log.warning("se liberaron %d envíos en curso al detenerse; otro trabajador los "
                        "retomará", len(left))
        elif left:  # the database stayed out of reach: the leases lapse on their own
            log.warning("no se pudieron liberar %d envíos en curso al detenerse: la base de "
                        "datos no responde; otro trabajador los retomará cuando venza su "
                        "reserva (%g s)", len(left), self.timing.lease.total_seconds())
        pool.shutdown(wait=False, cancel_futures=True)

    def _database_back(self) -> bool:
        """Whether the loop may go on: the database answers (after an outage, the jobs
        whose outcome it kept from storing are given back, to be taken again at once).
        Else waits the outage's next pause and says False."""
        if not self.outage.down:
            return True
        try:
            back = self.outage.back(self.url)
        except Exception:  # noqa: BLE001 - not an outage, but not an answer either
            log.warning("no se pudo consultar la base de datos", exc_info=True)
            back = False
        if back and self._orphans:
            self._give_back(sorted(self._orphans.copy()), time.monotonic())
        if not back:
            self.stop.wait(self.outage.pause())
        return back

    def _give_back(self, job_ids: list[int], deadline: float) -> bool:
        """Release jobs this worker holds (trying again while the database is out of
        reach, until ``deadline``); whether it was done."""
        while True:
            try:
                with transaction(self.url) as session:
                    jobs.release(session, self.name, job_ids)
                self._orphans.difference_update(job_ids)
                return True
            except Exception as error:
                if not self.outage.hit(error):
                    raise
                if time.monotonic() >= deadline:
                    return False
                time.sleep(min(self.outage.pause(), max(deadline - time.monotonic(), 0.0)))

    # --- one job -------------------------------------------------------------------

    def _work(self, job: jobs.Claimed) -> None:
        try:
            self._step(job)
        except Exception as error:  # noqa: BLE001 - the job stays leased; retried when it lapses
            if self.outage.hit(error):  # given back once the database answers again
                self._orphans.add(job.id)
                log.warning("envío %s: la base de datos no respondió; se retomará cuando "
                            "vuelva", job.id)
            else:
                log.exception("falló el trabajo del envío %s; se reintentará", job.id)

    def _step(self, claimed: jobs.Claimed) -> None:
        if claimed.state == jobs.ESPERANDO_REPORTE:  # the claim read all a poll needs
            self._follow(claimed.id, claimed.rbd, claimed.ticket, claimed.sent_at)
            return
        with transaction(self.url) as session:
            job = jobs.held(session, claimed.id, self.name)
            if job is None:
                return
            prepared = self._prepare_send(session, job)
            if prepared is None:
                return
        self._send(claimed.id, *prepared)

    def _prepare_send(self, session: Session, job: SyncJob):  # noqa: ANN202
        """Checks before a send; None when the job was settled or postponed here."""
        now = self.clock.now()
        verdict = self._calendar(session, job.rbd).can_send(job.day, now)
        if not verdict.ok:
            self._settle(session, job, ERROR, FUERA_DE_MES, now, verdict.reason)
            return None
        credentials = settings.get_values(session, list(CREDENTIAL_KEYS), job.rbd)
        if not all(credentials):
            self._settle(session, job, ERROR, SIN_CONVENIO, now,
                         "El establecimiento no tiene credenciales del convenio SIGE.")
            return None
        if convenio.refuses(session, job.rbd, credentials):
            jobs.retry_later(job, now + self.timing.retry_max,
                             "SIGE rechazó las credenciales del convenio: el envío espera "
                             "a que el Director las corrija en Configuración.", now)
            return None
        earlier = jobs.earlier_in_grade(session, job)
        if earlier is not None:  # the grade's calls go one after the other
            jobs.retry_later(job, now + self.timing.first_poll,
                             f"Espera el resultado del envío {earlier} del mismo grado ese día.",
                             now)
            return None
        if settings.get_value(session, grades.SETTING, job.rbd) == "si":
            jobs.carry(session, job, grades.synced_siblings(session, job))
        record, hashes = payload.build_record(session, job.rbd, job.day,
                                              [c.course for c in job.courses])
        if record is None:
            self._settle(session, job, SIN_REGISTRO, None, now,
                         "Ya no hay asistencia registrada para esos cursos ese día.")
            return None
        return record, hashes

    def _calendar(self, session: Session, rbd: int) -> SigeCalendar:
        """The school's declaration calendar, read again at most every
        ``CALENDAR_SECONDS`` (a close changed on Configuración applies within it)."""
        cached = self._calendars.get(rbd)
        if cached is None or time.monotonic() - cached[1] > CALENDAR_SECONDS:
            cached = (calendar_for(session, rbd), time.monotonic())
            self._calendars[rbd] = cached
        return cached[0]

    def _send(self, job_id: int, record, hashes: dict[int, str]) -> None:  # noqa: ANN001
        try:
            result: SendResult | SigeError = self.client.send_attendance(record)
        except SigeError as error:
            result = error
        with transaction(self.url) as session:
            job = jobs.held(session, job_id, self.name)
            if job is None:
                return  # the lease lapsed and another worker has the job
            now = self.clock.now()
            if isinstance(result, SigeCredentialsRejected):
                convenio.remember(session, job.rbd,
                                  settings.get_values(session, list(CREDENTIAL_KEYS), job.rbd),
                                  result.detail, now)
                self._settle(session, job, ERROR, SIN_CONVENIO, now, result.detail,
                             _plain(result.messages))
            elif isinstance(result, SigeRejected):
                self._settle(session, job, ERROR, RECHAZADO, now, result.detail,
                             _plain(result.messages))
            elif isinstance(result, SigeError) or result.state == SEMILLA_EXPIRADA:
                # Caso 3 (or a semilla still refused): again, later
                why = result.detail if isinstance(result, SigeError) else \
                    "SIGE no aceptó la semilla; se reintentará."
                jobs.send_failed(job, self.timing.retry_wait, why, now)
                log.info("envío %s: SIGE no disponible (intento %d); se reintentará",
                         job.id, job.attempts)
            elif result.accepted:
                jobs.sent(job, result.ticket, record.content_hash(),
                          now + self.timing.first_poll, now)
                counts = {c.letra: (len(c.presentes), len(c.ausentes)) for c in record.courses}
                for course_id, day in jobs.course_days(session, job).items():
                    if course_id in hashes:
                        states.on_sent(day, hashes[course_id], result.ticket, now,
                                       counts.get(day.course.letra))
            else:  # refused at once (code 2): SIGE's words say why
                cause = FUERA_DE_MES if FUERA_DE_MES in result.causes else \
                    (result.causes[0] if result.causes else RECHAZADO)
                self._settle(session, job, ERROR, cause, now, "SIGE rechazó el envío.",
                             result.raw_messages())

    def _follow(self, job_id: int, rbd: int, ticket: str, sent_at: datetime) -> None:
        try:
            report: ReportResult | SigeError = self.client.get_report(rbd, ticket)
        except SigeError as error:
            report = error
        rejected: list[str] = []
        with transaction(self.url) as session:
            job = jobs.held(session, job_id, self.name)
            if job is None:
                return
            now = self.clock.now()
            if isinstance(report, SigeRejected):
                self._settle(session, job, ERROR, RECHAZADO, now, report.detail,
                             _plain(report.messages))
            elif isinstance(report, ReportResult) and report.is_final:
                rejected = self._apply_report(session, job, report, now)
            elif now >= sent_at + self.timing.report_deadline:
                self._settle(session, job, ERROR, states.SIN_RESPUESTA, now,
                             "SIGE no entregó el resultado del envío dentro del plazo.")
            else:
                why = report.detail if isinstance(report, SigeError) else None
                jobs.poll_later(job, self.timing.poll_wait, sent_at + self.timing.report_deadline,
                                why, now)
        if rejected:
            self._alert_rejection(rbd, rejected)

    def _alert_rejection(self, rbd: int, lines: list[str]) -> None:
        """A «rechazo» alert for the school, once the outcome is stored (the mail side
        coalesces alerts: at most one per school per hour). Lost only if the worker
        dies between the two transactions; the digest lists the errors anyway."""
        try:
            with transaction(self.url) as session:
                digest.queue_alert(session, rbd, "rechazo", lines, self.clock)
        except Exception:  # noqa: BLE001 - the outcome is stored; only the alert is lost
            log.warning("no se pudo poner en cola el aviso de rechazo de RBD %s", rbd,
                        exc_info=True)

    def _apply_report(self, session: Session, job: SyncJob, report: ReportResult,
                      now: datetime) -> list[str]:
        """Store SIGE's final report; returns the rejected course-days as alert lines
        (course, date, Caso: never a RUT)."""
        days = jobs.course_days(session, job)
        if report.state == PROCESADO:
            for day in days.values():
                states.on_accepted(day, now)
            self._finish(session, job, SINCRONIZADO, None, now)
            return []
        if report.state != OBSERVACIONES:  # rejected as a whole
            cause = report.causes[0] if report.causes else RECHAZADO
            self._settle(session, job, ERROR, cause, now, "SIGE rechazó el envío.",
                         report.raw_messages())
            return [_rejection_line(c.course, job.day, cause) for c in job.courses]
        rejected = []
        failing = per_course(session, job, report.findings)
        for course_id, day in days.items():
            findings = failing.get(course_id)
            if findings:
                found = {f.cause for f in findings}
                cause = CASO_2 if CASO_2 in found else CASO_1 if CASO_1 in found else \
                    next((c for c in found if c), RECHAZADO)
                states.on_failed(day, cause, [f.as_dict() for f in findings], now)
                rejected.append(_rejection_line(day.course, job.day, cause))
            else:
                states.on_accepted(day, now)
        outcome = ERROR if failing else SINCRONIZADO
        self._finish(session, job, outcome, None, now)
        return sorted(rejected)

    def _settle(self, session: Session, job: SyncJob, outcome: str, cause: str | None,
                now: datetime, why: str | None, messages: list | None = None) -> None:
        """A final answer for every course of the job."""
        for day in jobs.course_days(session, job).values():
            if outcome == ERROR:
                states.on_failed(day, cause, messages, now)
        self._finish(session, job, outcome, cause, now, why)

    def _finish(self, session: Session, job: SyncJob, outcome: str, cause: str | None,
                now: datetime, why: str | None = None) -> None:
        jobs.finish(job, outcome, cause, now, why)
        courses = sorted(c.course.code for c in job.courses)
        audit.record(session, self.clock, None, OUTCOME_ACTION, rbd=job.rbd, day=job.day,
                     job_id=job.id, courses=courses, outcome=outcome, cause=cause,
                     ticket=job.ticket, attempts=job.attempts, detail=why)
        self.finished += 1
        log.info("envío %s (RBD %s, %s, %s): %s%s", job.id, job.rbd, job.day.isoformat(),
                 ", ".join(courses), outcome, f" ({cause})" if cause else "")


def _rejection_line(course, day, cause: str | None) -> str:  # noqa: ANN001
    """«3° Básico A 05-11-2026: Caso 1: …» (the course's name, the date, the Caso)."""
    name = courses.label(course.cod_ense, course.cod_grado, course.letra, course.desc_grado)
    return f"{name} {fecha(day)}: {states.CAUSES_ES.get(cause, cause or RECHAZADO)}"


def _plain(messages: tuple[str, ...]) -> list[dict]:
    return [{"titulo": "", "text": text, "cause": None, "run": None} for text in messages]


def run_worker(clock: Clock, until_idle: bool = False, concurrency: int | None = None,
               url: str | None = None,
               install_signals: Callable[[Worker], None] | None = None) -> int:
    """Build a worker from the settings and run it (the CLI's ``worker``)."""
    worker = Worker(clock, url=url, concurrency=concurrency)
    if install_signals is not None:
        install_signals(worker)
    try:
        return worker.run(until_idle=until_idle)
    finally:
        worker.client.close()
