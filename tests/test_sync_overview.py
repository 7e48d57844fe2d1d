"""The sostenedor's overview: the same counts as each school's Estado, read for all
the user's schools in a fixed number of queries, the schools at risk first, each
school's own close, and never a school outside the user's scope."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event, update

from reconcile import auth, settings
from reconcile.clock import FixedClock, as_santiago
from reconcile.db import session_factory, transaction
from reconcile.db.engine import get_engine
from reconcile.db.models import CourseDay
from reconcile.sync.overview import schools_overview
from reconcile.sync.status import month_status
from tests.app_helpers import make_user
from tests.schools_helpers import school_month, worked_days

FIRST, SECOND, OTHER = 24875, 30001, 40002
OTHER_NAME = "Colegio Ajeno Zeta"


@pytest.fixture
def schools(db_url, clock):
    days = worked_days(db_url, clock)

    def second(course: int, day):  # noqa: ANN001, ANN202
        if course == 1:
            return "por_sincronizar" if day == days[-1] else "sincronizado"
        return {days[0]: "error", days[1]: None, days[2]: "en_proceso"}.get(day, "sincronizado")

    school_month(db_url, clock, FIRST, "Escuela Los Aromos", 3, lambda c, d: "sincronizado")
    school_month(db_url, clock, SECOND, "Liceo Norte", 2, second)
    school_month(db_url, clock, OTHER, OTHER_NAME, 4, lambda c, d: "error")
    make_user(db_url, "slep", "sostenedor", [FIRST, SECOND])
    make_user(db_url, "todos", "sostenedor", [FIRST, SECOND, OTHER])
    return days


def overview_of(url: str, username: str, clock):  # noqa: ANN001, ANN201
    with session_factory(url)() as session:
        return schools_overview(session, auth.get_user(session, username), clock)


def test_each_school_counts_as_its_estado(db_url, clock, schools):
    found = overview_of(db_url, "todos", clock)
    assert found.days == schools
    with session_factory(db_url)() as session:
        for school in found.schools:
            status = month_status(session, school.rbd, clock, with_errors=False)
            counts = status.counts
            assert (school.synced, school.errors, school.in_process, school.not_synced,
                    school.no_record) == (counts["sincronizado"], counts["error"],
                                          counts["en_proceso"], status.not_synced,
                                          counts["sin_registro"]), school.name
            for day, cells in school.days.items():
                day_cells = [c for c in status.course_days if c.day == day]
                assert cells.synced == sum(c.state == "sincronizado" for c in day_cells)
                assert cells.courses == len(day_cells)


def test_a_day_of_a_school_in_detail(db_url, clock, schools):
    second = overview_of(db_url, "slep", clock).school(SECOND)
    first_day, second_day = second.days[schools[0]], second.days[schools[1]]
    assert (first_day.synced, first_day.errors, first_day.share_synced) == (1, 1, 0.5)
    assert (second_day.with_record, second_day.no_record, second_day.share_synced) == (1, 1, 1.0)
    assert second.days[schools[-1]].pending == 1


def test_the_school_at_risk_comes_first(db_url, clock, schools):
    assert [s.rbd for s in overview_of(db_url, "slep", clock).schools] == [SECOND, FIRST]
    with transaction(db_url) as session:  # now the first school has more left to send
        session.execute(update(CourseDay).where(CourseDay.rbd == FIRST, CourseDay.day.in_(
            schools[:3])).values(state="por_sincronizar"))
    assert [s.rbd for s in overview_of(db_url, "slep", clock).schools] == [FIRST, SECOND]


def test_errors_break_a_tie(db_url, clock, schools):
    with transaction(db_url) as session:  # three missing in each school, errors only in one
        session.execute(update(CourseDay).where(CourseDay.rbd == FIRST, CourseDay.day == schools[
            0]).values(state="por_sincronizar"))
        session.execute(update(CourseDay).where(CourseDay.rbd == SECOND, CourseDay.day == schools[
            2]).values(state="sincronizado"))
    found = overview_of(db_url, "slep", clock)
    first, second = found.school(FIRST), found.school(SECOND)
    assert first.missing == second.missing == 3 and second.errors == 1 > first.errors
    assert [s.rbd for s in found.schools] == [SECOND, FIRST]  # though its name comes later


def test_only_the_users_schools(db_url, clock, schools):
    found = overview_of(db_url, "slep", clock)
    assert {s.rbd for s in found.schools} == {FIRST, SECOND}
    assert OTHER_NAME not in repr(found)
    make_user(db_url, "director", "director", [FIRST])
    assert [s.rbd for s in overview_of(db_url, "director", clock).schools] == [FIRST]


def test_the_same_queries_for_two_schools_or_three(db_url, clock, schools):
    statements = []

    def count(*_args) -> None:  # noqa: ANN002
        statements.append(1)

    engine = get_engine(db_url)
    with session_factory(db_url)() as session:
        users = {name: auth.get_user(session, name) for name in ("slep", "todos")}
    event.listen(engine, "before_cursor_execute", count)
    try:
        used = {}
        for name, user in users.items():
            statements.clear()
            with session_factory(db_url)() as session:
                schools_overview(session, user, clock)
            used[name] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert used["slep"] == used["todos"] <= 5


def test_each_school_has_its_own_close(db_url, clock, schools):
    with transaction(db_url) as session:
        settings.set_value(session, "calendar.close.2026-11", "2026-12-07T12:00", SECOND, clock)
    found = overview_of(db_url, "slep", clock)
    assert found.school(SECOND).close_at == as_santiago(datetime(2026, 12, 7, 12, 0))
    assert found.school(FIRST).close_at == as_santiago(datetime(2026, 12, 3, 17, 0))
    assert "Quedan 21 días" in found.school(SECOND).close_line_es()


def test_a_day_shows_its_worst_state_as_on_estado(db_url, clock, schools):
    second = overview_of(db_url, "slep", clock).school(SECOND)
    assert second.days[schools[0]].state == "error"  # one synced, one error: not green
    assert second.days[schools[2]].state == "en_proceso"
    assert second.days[schools[-1]].state == "por_sincronizar"
    assert second.days[schools[3]].state == "sincronizado"
    empty = overview_of(db_url, "slep", clock).school(FIRST)
    with transaction(db_url) as session:
        session.execute(update(CourseDay).where(CourseDay.rbd == FIRST, CourseDay.day ==
                                                schools[0]).values(state="sin_registro"))
    empty = overview_of(db_url, "slep", clock).school(FIRST)
    assert empty.days[schools[0]].state == "sin_registro"


def other_left_to_send(url: str, days) -> None:  # noqa: ANN001
    """The third school (four courses) with almost everything left to send: more
    course-days missing than any other, but one synced (it has sent)."""
    with transaction(url) as session:
        session.execute(update(CourseDay).where(CourseDay.rbd == OTHER)
                        .values(state="por_sincronizar"))
        session.execute(update(CourseDay).where(CourseDay.rbd == OTHER, CourseDay.day ==
                                                days[0]).values(state="sincronizado"))


def test_nothing_sent_near_the_close_comes_first(db_url, clock, schools):
    """The third school has more left to send; the first has sent nothing at all. Far
    from the close the count decides; three days before it, nothing sent comes first
    and says so."""
    other_left_to_send(db_url, schools)
    with transaction(db_url) as session:
        session.execute(update(CourseDay).where(CourseDay.rbd == FIRST, CourseDay.day.in_(
            schools[:2])).values(state="por_sincronizar"))
        session.execute(update(CourseDay).where(CourseDay.rbd == FIRST, CourseDay.day.in_(
            schools[2:])).values(state="sin_registro"))
    found = overview_of(db_url, "todos", clock)
    first, other = found.school(FIRST), found.school(OTHER)
    assert first.nothing_sent and not other.nothing_sent and other.missing > first.missing
    assert [s.rbd for s in found.schools][:2] == [OTHER, FIRST]
    assert first.aviso_es() == "Nada enviado a SIGE y quedan 17 días y 7 horas para el cierre."
    near = FixedClock(datetime(2026, 12, 1, 9, 0))  # SIGE still takes November
    found = overview_of(db_url, "todos", near)
    assert [s.rbd for s in found.schools][:2] == [FIRST, OTHER]
    assert found.school(FIRST).aviso_es() == ("Nada enviado a SIGE y quedan 2 días y 8 horas "
                                              "para el cierre.")


def test_every_send_failing_comes_first_and_names_its_cause(db_url, clock, schools):
    other_left_to_send(db_url, schools)
    with transaction(db_url) as session:
        session.execute(update(CourseDay).where(CourseDay.rbd == FIRST, CourseDay.day ==
                                                schools[0]).values(state="error",
                                                                   cause="sin_convenio"))
        session.execute(update(CourseDay).where(CourseDay.rbd == FIRST, CourseDay.day !=
                                                schools[0]).values(state="sin_registro"))
    found = overview_of(db_url, "todos", clock)
    first = found.school(FIRST)
    assert first.all_failing and found.school(OTHER).missing > first.missing
    assert [s.rbd for s in found.schools][:2] == [FIRST, OTHER]
    assert first.aviso_es() == ("Todos los envíos fallan (3 días-curso con error): Sin "
                                "convenio: SIGE no aceptó el convenio para este "
                                "establecimiento.")
