"""Nothing SIGE holds for a synced letter is ever erased, even if SIGE replaces the
whole grade-day with what each call carries (the emulator's ``grade_replace``).

Hypothesis drives random sequences of Libro imports that change marks (the real
importer, on a generated CSV of the changed course-day), send requests for random
subsets of courses and days (``rules.request``, as the CLI and the pages make
them) and worker runs (the real ``Worker`` against the emulator over HTTP). After
every step, each course-day in ``sincronizado`` must be held by the emulator with
exactly the Libro's current payload. With ``sige.send_whole_grade`` «no» the same
check fails on a plain scenario: the test would catch the bug it guards against.

Each example starts from a fresh database (SQLite, and PostgreSQL when
``TEST_DATABASE_URL`` is set) and a fresh emulator; derandomized, few examples.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from reconcile import access, auth
from reconcile import settings as app_settings
from reconcile.clock import FixedClock
from reconcile.db import transaction, upgrade
from reconcile.db.engine import get_engine
from reconcile.db.models import Course, CourseDay
from reconcile.demo import write_files
from reconcile.demo.files import LONG_ENCODING, LONG_HEADERS
from reconcile.demo.school import DemoSchool
from reconcile.demo_setup import DEMO_CREDENTIALS
from reconcile.errors import UserError
from reconcile.imports import import_libro, import_sige
from reconcile.rut import format as format_rut
from reconcile.sige.emulator import ConvenioGrant, Emulator, load_nomina, serve_in_thread
from reconcile.sync import grades
from tests.conftest import BACKENDS, postgres_schema
from tests.sync_helpers import (
    FAST_SETTINGS,
    NOW,
    PASSWORD,
    as_content,
    current_payloads,
    held_content,
    run_worker,
    small_demo,
)
from tests.sync_helpers import queue as request_sync

pytestmark = pytest.mark.slow

LAST_DAY = date(2026, 11, 3)  # two worked days: 2 and 3 November
CHILDREN = 3  # the first children of a course whose marks the imports flip
PROFILE = settings(max_examples=8, derandomize=True, database=None, deadline=None,
                   phases=[Phase.explicit, Phase.generate],  # no shrinking: each try is seconds
                   suppress_health_check=[HealthCheck.too_slow,
                                          HealthCheck.function_scoped_fixture])


@dataclass
class Fixed:
    """What every example starts from: the school and its files, written once."""

    school: DemoSchool
    nomina: Path
    libro: bytes
    codes: list[str]


@pytest.fixture(scope="module")
def fixed(tmp_path_factory) -> Fixed:
    school = small_demo(LAST_DAY)
    files = write_files(school, tmp_path_factory.mktemp("escuela"))
    return Fixed(school, files.nomina, libro_csv(school, school.marks),
                 sorted(c.code for c in school.courses))


def libro_csv(school: DemoSchool, marks) -> bytes:  # noqa: ANN001
    """The Libro's long file with ``marks`` only: the whole picture of their course-days."""
    names = {c.code: c.name for c in school.courses}
    children = {(s.course, s.libro_rut): s.full_name for s in school.students if s.libro_rut}
    out = io.StringIO(newline="")
    sheet = csv.writer(out, delimiter=";", lineterminator="\r\n")
    sheet.writerow(LONG_HEADERS)
    for mark in marks:
        for hour, present in ((1, mark.hour1), (2, mark.hour2)):
            sheet.writerow([school.rbd, names[mark.course], format_rut(mark.rut),
                            children[(mark.course, mark.rut)], mark.day.strftime("%d-%m-%Y"),
                            hour, "P" if present else "A"])
    return out.getvalue().encode(LONG_ENCODING)


@dataclass
class World:
    """One example's school: its database, the emulator, the marks as the Libro says."""

    url: str
    school: DemoSchool
    emulator: Emulator
    clock: FixedClock

    @property
    def rbd(self) -> int:
        return self.school.rbd

    def flip(self, code: str, day: date, child: int) -> None:
        """Invert one child's 2nd hour (the one that decides) and import that course-day."""
        children = sorted({m.rut for m in self.school.marks if m.course == code and m.day == day})
        target = children[child % len(children)]
        marks = [replace(m, hour2=not m.hour2) if (m.course, m.rut, m.day) == (code, target, day)
                 else m for m in self.school.marks]
        self.school = replace(self.school, marks=marks)
        data = libro_csv(self.school, [m for m in marks if (m.course, m.day) == (code, day)])
        with transaction(self.url) as session:
            import_libro(session, data, filename="libro.csv", clock=self.clock, rbd=self.rbd)

    def send(self, codes: list[str], days: list[date]) -> None:
        try:
            request_sync(self, "asistencia", start=min(days), end=max(days), courses=codes)
        except UserError:
            pass  # nothing sendable in that request: refused as a whole, nothing queued

    def work(self) -> None:
        run_worker(self.url)

    def check(self) -> None:
        """Every synced course-day is held by SIGE exactly as the Libro says now."""
        held = held_content(self.emulator.holdings())
        now = current_payloads(self.url, self.rbd)
        with transaction(self.url) as session:
            synced = [(course.code, day) for course, day in session.execute(
                select(Course, CourseDay.day).join(Course, Course.id == CourseDay.course_id)
                .where(CourseDay.state == "sincronizado"))]
        for code, day in synced:
            assert held.get((code, day.isoformat())) == as_content(now[(code, day)]), \
                f"{code} {day} está sincronizado pero SIGE no tiene lo que dice el Libro"


@contextmanager
def database(backend: str, folder: Path, n: int) -> Iterator[str]:
    if backend == "postgresql":
        with postgres_schema(upgrade) as url:
            yield url
        return
    url = f"sqlite:///{folder / f'ejemplo{n}.db'}"
    upgrade(url)
    try:
        yield url
    finally:
        get_engine(url).dispose()


@contextmanager
def world(fixed: Fixed, backend: str, folder: Path, whole_grade: str) -> Iterator[World]:
    world.count = getattr(world, "count", 0) + 1
    clock = FixedClock(NOW)
    enrolment, _ = load_nomina(fixed.nomina)
    grant = ConvenioGrant(*(DEMO_CREDENTIALS[k] for k in
                            ("sige.cliente_id", "sige.convenio_id", "sige.convenio_token")),
                          frozenset({fixed.school.rbd}))
    emulator = Emulator(enrolment, [grant], clock=clock, delay_seconds=0.0, grade_replace=True)
    with database(backend, folder, world.count) as url, serve_in_thread(emulator) as running:
        with transaction(url) as session:
            import_sige(session, fixed.nomina, clock=clock)
            import_libro(session, fixed.libro, filename="libro.csv", clock=clock,
                         rbd=fixed.school.rbd)
            values = {**DEMO_CREDENTIALS, grades.SETTING: whole_grade}
            for key, value in values.items():
                app_settings.set_value(session, key, value, fixed.school.rbd, clock)
            for key, value in {**FAST_SETTINGS, "sige.base_url": running.url}.items():
                app_settings.set_value(session, key, value, clock=clock)
            auth.add_user(session, "asistencia", access.ASISTENCIA, [fixed.school.rbd], PASSWORD,
                          "asistencia", clock)
        yield World(url, fixed.school, emulator, clock)
    emulator.store.close()


DAYS = [date(2026, 11, 2), LAST_DAY]
step = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 8), st.sampled_from(DAYS),
              st.integers(0, CHILDREN - 1)),
    st.tuples(st.just("send"), st.lists(st.integers(0, 8), min_size=1, max_size=4, unique=True),
              st.lists(st.sampled_from(DAYS), min_size=1, max_size=2, unique=True)),
    st.tuples(st.just("work")),
)


def play(w: World, codes: list[str], steps: list[tuple]) -> None:
    for action, *args in [*steps, ("work",)]:
        if action == "flip":
            w.flip(codes[args[0]], args[1], args[2])
        elif action == "send":
            w.send([codes[i] for i in args[0]], args[1])
        else:
            w.work()
        w.check()


@pytest.mark.parametrize("backend", BACKENDS)
@PROFILE
@given(steps=st.lists(step, min_size=2, max_size=7))
def test_a_synced_letter_is_never_erased(fixed, backend, tmp_path, steps):
    with world(fixed, backend, tmp_path, "si") as w:
        # everything ready synced first: the later sends then resend letters of synced grades
        w.send(fixed.codes, DAYS)
        w.work()
        play(w, fixed.codes, steps)


# indexes of fixed.codes: 0 is 110-3-A, 1 is 110-3-B (both ready, same grade)
RESEND_ONE_LETTER = [("flip", 0, DAYS[0], 0), ("send", [0], [DAYS[0]]), ("work",)]
CHANGED_WHILE_QUEUED = [("flip", 0, DAYS[0], 0), ("send", [0], [DAYS[0]]),
                        ("flip", 1, DAYS[0], 0), ("work",), ("flip", 1, DAYS[0], 0)]


@pytest.mark.parametrize("whole_grade", ["si", "no"])
def test_resending_one_letter_keeps_its_synced_siblings_only_with_whole_grades(
        fixed, tmp_path, whole_grade):
    """The property catches the bug: sending 110-3-A alone erases 110-3-B at a SIGE
    that replaces the grade-day, while the panel still shows it synced."""
    with world(fixed, "sqlite", tmp_path, whole_grade) as w:
        w.send(fixed.codes, DAYS)
        w.work()
        if whole_grade == "si":
            play(w, fixed.codes, RESEND_ONE_LETTER)
        else:
            with pytest.raises(AssertionError, match="110-3-B 2026-11-02 está sincronizado"):
                play(w, fixed.codes, RESEND_ONE_LETTER)


def test_a_sibling_changed_while_its_grade_is_queued_rides_as_it_is_now(fixed, tmp_path):
    """110-3-B changes after 110-3-A was queued: the call still carries it (else SIGE
    would erase it, and it would show synced again once its marks changed back)."""
    with world(fixed, "sqlite", tmp_path, "si") as w:
        w.send(fixed.codes, DAYS)
        w.work()
        play(w, fixed.codes, CHANGED_WHILE_QUEUED)
