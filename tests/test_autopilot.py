"""The envío automático through the library and the command line, clock pinned: when a
run is due (a worked day at its hour, never a weekend, a holiday or a past day), what
it sends (the ready days of SIGE's month, the rest held with their Caso), exactly
once, the close window, the close-risk forecast turning riesgo, and the refusals."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from reconcile.autopilot import risk as close_risk
from reconcile.autopilot import run as autopilot_run
from reconcile.autopilot import schedule
from reconcile.autopilot import setting as autopilot_setting
from reconcile.autopilot.status import status
from reconcile.cli import main
from reconcile.clock import FixedClock
from reconcile.db import transaction
from reconcile.db.models import AuditLog, AutopilotRun, OutboxMessage, SchoolRisk, SyncJob, User
from reconcile.matching import check_report
from tests.cli_helpers import run_cli, snapshot
from tests.sync_helpers import TODAY, build_school, configure

MONDAY = datetime(2026, 11, 16, 10, 0)  # SIGE's month: November; records 2 to 6 November


@pytest.fixture
def small(db_url, tmp_path):
    return build_school(db_url, tmp_path / "demo")


def enable(small, at: str = "07:00", when: datetime = MONDAY, user: str = "director"):
    with transaction(small.url) as session:
        return autopilot_setting.enable(session, small.user(user), small.rbd, at,
                                        FixedClock(when))


def due(small, when: datetime) -> list:
    return autopilot_run.run_due(FixedClock(when), small.url)


def count(small, model) -> int:
    with transaction(small.url) as session:
        return session.scalar(select(func.count()).select_from(model))


def expected(small, last: date) -> tuple[set, dict]:
    """(ready course-days, not ready -> their Caso) of 2 November to ``last``, as the
    reconciliation says: what a run must queue and hold."""
    with transaction(small.url) as session:
        report = check_report(session, small.rbd, date(2026, 11, 2), last)
    ready = {(e["course"], e["date"]) for e in report["course_days"] if e["ready"]}
    held = {(e["course"], e["date"]): "caso_2" if "caso_2" in e["reasons"] else "caso_1"
            for e in report["course_days"] if not e["ready"]}
    return ready, held


def queued_days(small) -> set:
    with transaction(small.url) as session:
        jobs = session.scalars(select(SyncJob)).all()
        return {(c.course.code, j.day.isoformat()) for j in jobs for c in j.courses}


def test_a_worked_day_at_its_hour_queues_the_ready_days_and_holds_the_rest(small):
    enable(small, "07:00")
    assert due(small, datetime(2026, 11, 17, 6, 59)) == []
    assert count(small, AutopilotRun) == 0
    [run] = due(small, datetime(2026, 11, 17, 7, 0))
    ready, held = expected(small, TODAY)
    assert ready and held
    assert queued_days(small) == ready
    assert (run.queued, run.held, run.kind) == (len(ready), len(held), "auto")
    assert {(h.course, h.day.isoformat()): h.reason for h in run.held_days} == held
    assert run.held_by_reason == {reason: list(held.values()).count(reason)
                                  for reason in set(held.values())}
    assert run.requested_by == "director"
    with transaction(small.url) as session:
        jobs = session.scalars(select(SyncJob)).all()
        assert {j.requested_by for j in jobs} == {"director"}
        assert {j.override_reason for j in jobs} == {None}  # never an override
        entry = session.scalars(select(AuditLog).where(
            AuditLog.action == autopilot_run.RUN_ACTION)).one()
        assert entry.username == "director" and entry.rbd == small.rbd
        assert len(entry.detail["queued"]) == len(ready)
        assert entry.detail["to"] == "2026-11-16"  # the day before the run's date
        last = autopilot_run.last_run(session, small.rbd)
    assert last.as_json() == run.as_json()
    assert "Caso" in " ".join(autopilot_run.lines_es(run))


def test_the_same_run_asked_twice_and_a_restart_after_the_hour_make_one_run(small):
    enable(small, "07:00")
    # the worker was down at 07:00: started at 15:00 it makes the day's run, once
    assert len(due(small, datetime(2026, 11, 17, 15, 0))) == 1
    jobs = count(small, SyncJob)
    assert due(small, datetime(2026, 11, 17, 15, 0)) == []
    assert due(small, datetime(2026, 11, 17, 23, 59)) == []
    assert (count(small, AutopilotRun), count(small, SyncJob)) == (1, jobs)
    # claimed directly a second time: the unique key refuses it, nothing half done
    with pytest.raises(IntegrityError), transaction(small.url) as session:
        autopilot_run.perform(session, small.rbd, FixedClock(datetime(2026, 11, 17, 16)),
                              kind="auto", requester="director")
    assert (count(small, AutopilotRun), count(small, SyncJob)) == (1, jobs)
    # never for a past day: Wednesday's run is Wednesday's only
    [wednesday] = due(small, datetime(2026, 11, 18, 9, 0))
    assert wednesday.run_date == date(2026, 11, 18) and wednesday.queued == 0
    with transaction(small.url) as session:
        dates = set(session.scalars(select(AutopilotRun.run_date)))
    assert dates == {date(2026, 11, 17), date(2026, 11, 18)}


def test_no_run_on_a_weekend_or_a_holiday_and_next_run_says_when(small):
    enable(small, "07:00")
    assert due(small, datetime(2026, 11, 21, 12, 0)) == []  # Saturday
    assert due(small, datetime(2026, 11, 22, 12, 0)) == []  # Sunday
    with transaction(small.url) as session:
        saturday = schedule.next_run(session, small.rbd, FixedClock(datetime(2026, 11, 21, 12)))
        holiday = schedule.next_run(session, small.rbd, FixedClock(datetime(2026, 12, 8, 6)))
    assert saturday == datetime(2026, 11, 23, 7, 0, tzinfo=saturday.tzinfo)  # Monday
    # 8 December, Inmaculada Concepción (a Tuesday in 2026): the next run is Wednesday's
    assert due(small, datetime(2026, 12, 8, 12, 0)) == []
    assert holiday.date() == date(2026, 12, 9)
    assert count(small, AutopilotRun) == 0


def test_turned_on_after_the_hour_the_first_run_is_the_next_days(small):
    enable(small, "07:00", when=datetime(2026, 11, 17, 10, 0))
    assert due(small, datetime(2026, 11, 17, 11, 0)) == []
    with transaction(small.url) as session:
        assert schedule.next_run(session, small.rbd, FixedClock(
            datetime(2026, 11, 17, 11))).date() == date(2026, 11, 18)
    assert len(due(small, datetime(2026, 11, 18, 7, 0))) == 1


def test_an_evening_run_sends_its_own_date(small):
    # on Friday 6 November at 20:00 the day's classes are recorded: the run sends the 6th
    configure(small.url, {"calendar.close.2026-10": "2026-11-04T17:00"}, small.rbd)
    enable(small, "20:00", when=datetime(2026, 11, 5, 12, 0))
    [run] = due(small, datetime(2026, 11, 6, 20, 0))
    ready, held = expected(small, TODAY)
    assert queued_days(small) == ready and run.held == len(held)
    assert any(day == "2026-11-06" for _, day in ready)


def test_a_morning_run_leaves_its_own_date_for_the_next(small):
    enable(small, "07:00", when=datetime(2026, 11, 5, 12, 0))
    [run] = due(small, datetime(2026, 11, 6, 7, 0))
    ready, _ = expected(small, date(2026, 11, 5))
    assert queued_days(small) == ready and not any(d == "2026-11-06" for _, d in ready)


def test_the_close_window_sends_sige_s_month_not_the_calendar_s(small):
    enable(small, "07:00")
    # Wednesday 2 December: SIGE is still on November (it closes on the 3rd at 17:00)
    [run] = due(small, datetime(2026, 12, 2, 7, 0))
    ready, held = expected(small, TODAY)
    assert queued_days(small) == ready and run.held == len(held)
    with transaction(small.url) as session:
        risk = close_risk.forecast(session, small.rbd, FixedClock(datetime(2026, 12, 2, 7, 5)))
    # held days two worked days before the close: riesgo
    assert risk.level == "riesgo" and risk.held == len(held)
    assert risk.close.date() == date(2026, 12, 3)


def test_after_the_close_with_days_unsent_the_risk_is_vencido(small):
    enable(small, "07:00")
    [run] = due(small, datetime(2026, 12, 4, 7, 0))  # SIGE is on December now
    assert run.queued == 0 and count(small, SyncJob) == 0
    with transaction(small.url) as session:
        risk = close_risk.forecast(session, small.rbd, FixedClock(datetime(2026, 12, 4, 8)))
    ready, held = expected(small, TODAY)
    assert risk.level == "vencido" and risk.pending == len(ready) + len(held)
    assert risk.close == datetime(2026, 12, 3, 17, 0, tzinfo=risk.close.tzinfo)
    assert "cerró" in close_risk.lines_es(risk)[0]


def test_the_forecast_turns_riesgo_and_its_alert_is_queued_once(small):
    # no observation yet: SIGE is taken to need the stated default, here a whole day
    configure(small.url, {"autopilot.default_minutes": 1440, "sync.concurrency": 1})
    with transaction(small.url) as session:
        session.scalars(select(User).where(User.username == "director")).one().email = \
            "directora@escuela.example"
    clock = FixedClock(MONDAY)
    with transaction(small.url) as session:
        risk, turned = close_risk.refresh(session, small.rbd, clock)
    ready, held = expected(small, TODAY)
    units = {(day, code.rsplit("-", 1)[0]) for code, day in ready}
    assert (risk.level, turned, risk.pending, risk.held) == ("ok", False, len(ready), len(held))
    assert risk.p90_minutes == 1440
    # one unit at a time, a day each: final when the last of the units is
    assert risk.forecast_final - clock.now() == len(units) * timedelta(days=1)
    # nine days later the same work no longer ends before the close less 24 h
    clock = FixedClock(datetime(2026, 11, 25, 10, 0))
    with transaction(small.url) as session:
        risk, turned = close_risk.refresh(session, small.rbd, clock)
    assert (risk.level, turned) == ("riesgo", True)
    assert "Riesgo de no completar noviembre 2026" in close_risk.lines_es(risk)[0]
    with transaction(small.url) as session:
        again, turned_again = close_risk.refresh(session, small.rbd, clock)
        row = session.get(SchoolRisk, small.rbd)
        assert (row.level, row.changed_at) == ("riesgo", clock.now())
    assert (again.level, turned_again) == ("riesgo", False)
    pytest.importorskip("reconcile.notify.digest",
                        reason="the mail side (reconcile.notify.digest) is not here yet")
    with transaction(small.url) as session:
        queued = session.scalars(select(OutboxMessage).where(
            OutboxMessage.rbd == small.rbd)).all()
    assert len(queued) == 1, [m.subject for m in queued]  # the turn's alert, once
    assert queued[0].recipients == ["directora@escuela.example"]


# --- the command line -------------------------------------------------------------------


def cli(monkeypatch, capsys, now: datetime, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("RECONCILE_NOW", now.isoformat(timespec="minutes"))
    code = main(["autopilot", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_director_turns_it_on_and_status_says_so(small, monkeypatch, capsys):
    code, out, err = cli(monkeypatch, capsys, MONDAY, "enable", "--rbd", str(small.rbd),
                         "--at", "7:30", "--user", "director")
    assert code == 0, err
    assert "activado" in out and "07:30" in out and "17-11-2026 07:30" in out
    code, out, _ = cli(monkeypatch, capsys, MONDAY, "status", "--rbd", str(small.rbd), "--json")
    assert code == 0
    [school] = json.loads(out)["schools"]
    assert set(school) == {"rbd", "enabled", "at", "next_run", "last_run", "risk"}
    assert (school["rbd"], school["enabled"], school["at"]) == (small.rbd, True, "07:30")
    assert school["next_run"] == "2026-11-17T07:30:00-03:00"
    assert school["last_run"] is None
    assert set(school["risk"]) == {"level", "pending", "held", "forecast_final", "close",
                                   "p90_minutes"}
    with transaction(small.url) as session:
        entry = session.scalars(select(AuditLog).where(
            AuditLog.action == autopilot_setting.ENABLE_ACTION)).one()
    assert entry.username == "director" and entry.detail["at"] == "07:30"
    # run by hand, then status shows it as the last run
    code, out, err = cli(monkeypatch, capsys, MONDAY, "run", "--rbd", str(small.rbd),
                         "--user", "asistencia")
    assert code == 0, err and "en cola" in out
    code, out, _ = cli(monkeypatch, capsys, MONDAY, "status", "--json")
    [school] = json.loads(out)["schools"]
    ready, held = expected(small, date(2026, 11, 15))
    assert school["last_run"]["queued"] == len(ready) and school["last_run"]["held"] == len(held)
    assert sum(school["last_run"]["held_by_reason"].values()) == len(held)
    assert school["risk"]["pending"] == len(ready) and school["risk"]["held"] == len(held)
    # off again
    code, out, _ = cli(monkeypatch, capsys, MONDAY, "disable", "--rbd", str(small.rbd),
                       "--user", "director")
    assert code == 0 and "desactivado" in out
    with transaction(small.url) as session:
        assert status(session, small.rbd, FixedClock(MONDAY)).next_run is None


def test_a_dry_run_changes_nothing_and_a_second_run_the_same_day_is_refused(
        small, monkeypatch, capsys):
    before = snapshot(small.url)
    code, out, err = cli(monkeypatch, capsys, MONDAY, "run", "--rbd", str(small.rbd),
                         "--user", "director", "--dry-run")
    assert code == 0, err
    assert "Simulación" in out and "Retenidos por Caso" in out
    assert snapshot(small.url) == before
    code, _, err = cli(monkeypatch, capsys, MONDAY, "run", "--rbd", str(small.rbd),
                       "--user", "director")
    assert code == 0, err
    before = snapshot(small.url)
    code, out, err = cli(monkeypatch, capsys, MONDAY, "run", "--rbd", str(small.rbd),
                         "--user", "asistencia")
    assert code == 2 and "ya se hizo" in err and out == ""
    assert snapshot(small.url) == before


REFUSALS = {
    "hora 25:00": (["enable", "--at", "25:00", "--user", "director"],
                   "La hora «25:00» no es válida"),
    "hora sin formato": (["enable", "--at", "siete", "--user", "director"],
                         "La hora «siete» no es válida"),
    "profesor": (["enable", "--at", "07:00", "--user", "profesor"],
                 "El rol Profesor(a) no puede activar"),
    "asistencia": (["enable", "--at", "07:00", "--user", "asistencia"],
                   "El rol Administrador(a) de Asistencia no puede activar"),
    "asistencia apaga": (["disable", "--user", "asistencia"], "Solo un Director(a)"),
    "profesor envía": (["run", "--user", "profesor"], "El rol Profesor(a) no puede"),
    "usuario desconocido": (["enable", "--user", "nadie"], "No existe el usuario «nadie»"),
}


def test_bad_input_exits_2_in_spanish_and_changes_nothing(small, monkeypatch, capsys):
    enable(small, "07:00")
    for case, (args, words) in REFUSALS.items():
        before = snapshot(small.url)
        action, *rest = args
        code, out, err = cli(monkeypatch, capsys, MONDAY, action, "--rbd", str(small.rbd),
                             *rest)
        assert (code, out) == (2, ""), (case, out, err)
        assert words in err and "Traceback" not in err, (case, err)
        assert snapshot(small.url) == before, case
    # an unknown school, by the real command
    before = snapshot(small.url)
    done = run_cli("autopilot", "enable", "--rbd", "99999", "--at", "07:00", "--user",
                   "director", env={"DATABASE_URL": small.url,
                                    "RECONCILE_NOW": MONDAY.isoformat()})
    assert done.returncode == 2 and "No existe el establecimiento RBD 99999" in done.stderr
    assert snapshot(small.url) == before
    done = run_cli("autopilot", "status", "--rbd", "99999", "--json",
                   env={"DATABASE_URL": small.url})
    assert done.returncode == 2 and "No existe el establecimiento RBD 99999" in done.stderr
    # argparse's own words in Spanish
    done = run_cli("autopilot", "enable", "--rbd", "x", env={"DATABASE_URL": small.url})
    assert done.returncode == 2 and "no es un número entero" in done.stderr


def test_a_run_whose_director_left_holds_everything_and_says_why(small):
    enable(small, "07:00")
    with transaction(small.url) as session:  # the Director who turned it on, disabled
        session.scalars(select(User).where(User.username == "director")).one().active = False
    [run] = due(small, datetime(2026, 11, 17, 7, 0))
    assert run.queued == 0 and count(small, SyncJob) == 0
    assert "ya no tiene acceso" in run.blocked[0]
