"""PostgreSQL out of reach in the middle of work, and back: a TCP proxy in front of the
server (tests/tcp_proxy.py) that the test cuts and restores. The worker waits it out
(saying so once) and sends every ready unit once; an import fails in Spanish and
leaves nothing half-written; a page shows «La base de datos no responde» and recovers
on the next click. PostgreSQL only (each test has a database of its own)."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from reconcile.clock import FixedClock, RunningClock
from reconcile.db import transaction, upgrade
from reconcile.db.engine import get_engine
from reconcile.db.outage import UNREACHABLE_ES
from reconcile.demo import write_files
from reconcile.imports import import_libro, import_sige
from reconcile.sync import jobs
from reconcile.worker import Worker
from tests.app_helpers import app, log_in, make_school, make_user
from tests.cli_helpers import run_cli, snapshot
from tests.sync_helpers import (
    NOW,
    accepted_sends,
    all_jobs,
    as_content,
    build_school,
    current_payloads,
    day_states,
    emulator_for,
    held_content,
    queue,
    small_demo,
    wait_until,
)
from tests.tcp_proxy import BLACKHOLE, TcpProxy, proxy_to

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="the outage is a PostgreSQL server's (TEST_DATABASE_URL)")

DOWN = "La base de datos no responde"
BACK = "volvió a responder"


@dataclass
class Outage:
    direct: str  # the database itself, for setting up and reading back
    via: str  # the same database through the proxy, for the code under test
    proxy: TcpProxy


@pytest.fixture
def outage(monkeypatch) -> Iterator[Outage]:
    """A migrated database of the test's own, and the proxy in front of its server."""
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"test_outage_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    direct = base.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(direct)
        with proxy_to(base.host or "127.0.0.1", base.port or 5432) as proxy:
            via = base.set(host="127.0.0.1", port=proxy.port, database=name,
                           query={**base.query, "sslmode": "disable", "connect_timeout": "2"})
            via = via.render_as_string(hide_password=False)
            monkeypatch.setenv("DATABASE_URL", via)
            yield Outage(direct, via, proxy)
            get_engine(via).dispose()
    finally:
        get_engine(direct).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Running:
    """The real worker in a thread, until idle; what it returned or raised."""

    def __init__(self, url: str, grace: float = 5.0) -> None:
        self.worker = Worker(RunningClock(NOW), url=url, idle_wait=0.1, grace_seconds=grace)
        self.finished: int | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.finished = self.worker.run(until_idle=True)
        except BaseException as error:  # noqa: BLE001 - the test reports it
            self.error = error
        finally:
            self.worker.client.close()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.worker.stop.set()
            raise AssertionError(f"el trabajador no terminó en {timeout} s")
        assert self.error is None, repr(self.error)


def lines(caplog, words: str) -> list:
    return [r for r in caplog.records if words in r.getMessage()]


def cut_while_sige_holds(sige, proxy: TcpProxy, mode: str = "refuse") -> float:
    """After a few sends, SIGE holds the calls that come; the database goes once one is
    in flight (its outcome cannot be stored when SIGE answers). Returns when (time.time())."""
    wait_until(lambda: len(sige.emulator.sends()) >= 3, what="tres envíos recibidos")
    sige.emulator.hold()
    wait_until(lambda: sige.emulator.held_calls > 0, what="una llamada en curso")
    cut_at = time.time()
    proxy.cut(mode)
    return cut_at


def assert_each_ready_unit_once(small, sige, ready: set, repeats_allowed: int) -> None:
    """Every job over, every ready day synced with what SIGE holds; SIGE accepted each
    (course, date) once, or again (the in-flight calls) with the same content."""
    assert {j.state for j in all_jobs(small.url)} == {jobs.TERMINADO}
    days = {(code, d.isoformat()): row for (code, d), row in day_states(small.url).items()}
    assert {days[key].state for key in ready} == {"sincronizado"}
    sent = accepted_sends(sige.emulator.sends())
    assert set(sent) == ready
    for key, contents in sent.items():
        assert len(set(contents)) == 1, f"{key}: SIGE aceptó contenidos distintos"
    units = {(s["day"], s["cod_ense"], s["cod_grado"]) for s in sige.emulator.sends()
             if s["answer_code"] == 1}
    accepted = sum(1 for s in sige.emulator.sends() if s["answer_code"] == 1)
    assert accepted - len(units) <= repeats_allowed, "more than the in-flight calls repeated"
    print(f"\n{len(units)} units accepted, {accepted - len(units)} of them twice")
    payloads = current_payloads(small.url, small.rbd)
    held = held_content(sige.emulator.holdings())
    assert set(held) == ready
    for code, day in ready:
        assert held[(code, day)] == as_content(payloads[(code, date.fromisoformat(day))])


@pytest.mark.slow
def test_the_worker_waits_out_an_outage_and_sends_each_ready_unit_once(outage, tmp_path,
                                                                       caplog):
    caplog.set_level("INFO", logger="reconcile")
    small = build_school(outage.direct, tmp_path / "demo")
    with emulator_for(small, tmp_path, delay=0.3, latency=0.05) as sige:
        ready = {(c.code, d.isoformat()) for c, d in queue(small, "asistencia").queued}
        running = Running(outage.via)
        cut_at = cut_while_sige_holds(sige, outage.proxy)
        time.sleep(1.0)
        sige.emulator.let_go()  # SIGE answers while the database is still away
        time.sleep(max(cut_at + 3.0 - time.time(), 0))
        tries = outage.proxy.attempts
        restored_at = time.time()
        outage.proxy.restore()
        running.join(timeout=60)
        done_at = time.time()
        assert_each_ready_unit_once(small, sige, ready,
                                    repeats_allowed=running.worker.concurrency)
    down, back = lines(caplog, DOWN), lines(caplog, BACK)
    assert len(down) == 1 and len(back) == 1, [r.getMessage() for r in down + back]
    assert cut_at <= down[0].created <= back[0].created
    assert back[0].created >= restored_at
    assert tries <= 8, f"{tries} conexiones intentadas en 3 s: el trabajador no espera"
    assert not [r for r in caplog.records if r.exc_info], "a traceback in the log"
    print(f"\noutage {restored_at - cut_at:.1f} s, {tries} connects tried while down; "
          f"back in the log {back[0].created - restored_at:.2f} s after the restore, "
          f"all done {done_at - restored_at:.1f} s after it\n"
          + "\n".join(r.getMessage() for r in down + back))


@pytest.mark.slow
def test_a_stop_during_an_outage_ends_in_bounded_time_and_a_later_worker_finishes(
        outage, tmp_path, caplog):
    caplog.set_level("INFO", logger="reconcile")
    small = build_school(outage.direct, tmp_path / "demo")
    with emulator_for(small, tmp_path, delay=0.3, latency=0.05) as sige:
        ready = {(c.code, d.isoformat()) for c, d in queue(small, "asistencia").queued}
        running = Running(outage.via, grace=2.0)
        cut_while_sige_holds(sige, outage.proxy, BLACKHOLE)  # connects hang until timeout
        running.worker.stop.set()  # SIGTERM
        asked = time.monotonic()
        sige.emulator.let_go()
        running.join(timeout=20)
        stopped = time.monotonic() - asked
        assert lines(caplog, "no se pudieron liberar"), "the stop says what it could not do"
        left = [j for j in all_jobs(small.url) if j.state != jobs.TERMINADO]
        assert left and any(j.claimed_by for j in left), "it held jobs it could not give back"
        outage.proxy.restore()
        later = Running(outage.via)  # once the leases lapse (1 s), it takes them
        later.join(timeout=60)
        assert_each_ready_unit_once(small, sige, ready, repeats_allowed=2)
    print(f"\nstopped {stopped:.1f} s after the request with the database away")


@pytest.mark.slow  # a CLI subprocess
def test_an_import_cut_mid_write_fails_in_spanish_and_changes_nothing(outage, tmp_path):
    school = small_demo()
    files = write_files(school, tmp_path / "demo")
    clock = FixedClock(NOW)
    with transaction(outage.direct) as session:
        import_sige(session, files.nomina, clock=clock)
    before = snapshot(outage.direct)
    outage.proxy.cut_on(b"INSERT INTO", count=2)  # rows written, not committed
    result = run_cli("import-libro", str(files.libro_long), env={"DATABASE_URL": outage.via})
    assert outage.proxy.is_cut, "the import ended before the outage"
    outage.proxy.restore()
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == UNREACHABLE_ES
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(outage.direct) == before
    # the database back, the same import goes through the same way in
    with transaction(outage.via) as session:
        assert import_libro(session, files.libro_long, clock=clock, rbd=school.rbd).lines_es()
    assert snapshot(outage.direct) != before


def test_a_page_during_an_outage_shows_a_notice_and_recovers_on_the_next_click(outage):
    make_school(outage.direct, RunningClock(NOW))
    make_user(outage.direct, "asistencia", "asistencia", [24875])
    at = log_in(app().run(), "asistencia")  # Inicio, run by dashboard.py's menu
    assert not at.exception and not at.error
    for switch in (lambda: at, lambda: at.switch_page("pages/estado.py")):  # a page alone
        outage.proxy.cut()
        switch().run()
        assert not at.exception
        assert [e.value for e in at.error] == [UNREACHABLE_ES]
        outage.proxy.restore()
        at.run()
        assert not at.exception and not at.error
        assert at.title and at.title[0].value in {"Inicio", "Estado"}
    assert at.title[0].value == "Estado"
