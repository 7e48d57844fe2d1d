"""A realistic, fictional school for the demo, with known problems planted in it.

About 1,200 students in 36 courses (1° to 8° Básico and 1° to 4° Medio, letters
A to C), Chilean names and valid RUNs, about 2% foreign children on an IPE, and
attendance (hours 1 and 2) for the worked days of one SIGE month up to "today".
What was planted is listed in a ``Manifest`` so the reconciliation can be tested
against it. Only ``random.Random(seed)`` is used: the same seed and dates give
the same school.

Worked days are the weekdays of the month up to ``today``, without Chile's
national holidays:

>>> [d.day for d in worked_days((2026, 9), date(2026, 9, 22))]
[1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16, 17, 21, 22]
>>> len(worked_days((2026, 11), date(2027, 1, 10))), worked_days((2026, 11), date(2026, 10, 30))
(21, [])
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import holidays

from reconcile.demo import names
from reconcile.rut import calc_check_digit

DEFAULT_SEED = 2026
DEFAULT_RBD = 10234  # fictional; the shared samples use 24875
DEFAULT_NAME = "Escuela Demostración Los Aromos"

BASICA, MEDIA = 110, 310
GRADES = ((BASICA, range(1, 9)), (MEDIA, range(1, 5)))
LETTERS = ("A", "B", "C")
COURSE_SIZE = (30, 37)  # students per course, inclusive

FOREIGN_SHARE = 0.02  # children on an IPE
PAIR_SHARE = 1 / 3  # of those, whose definitive RUN already reached SIGE
MISSING_IN_LIBRO = 3
UNKNOWN_TO_SIGE = 2
CHECK_DIGIT_TYPOS = 1
WITHDRAWALS = 4
INCORPORATIONS = 4
WITHDRAWN_BEFORE_MONTH = 2
HOUR_DIFFERENCES = 12
EARLY_JOINERS = 0.03  # share incorporated during the year, before the month
REPEATERS = 0.06  # a year older than their grade

# Absence: each child has a rate drawn from Beta(1.4, 11.3) (mean 11%, a long tail
# of chronic absentees); days follow a two-state chain because absences come in runs.
ABSENCE_BETA = (1.4, 11.3)
MAX_ABSENCE = 0.6
STAY_ABSENT = 0.45

IPE_FIRST = 100_000_000  # DOMAIN.md: IPE bodies are assumed to start here
IPE_SPAN = 1_000_000
FOREIGN_RUN_RANGE = (27_000_000, 27_999_999)  # recent RUNs, given to migrant children

# Roles (DemoStudent.role): why a child is in the school.
REGULAR = "regular"
PROVISIONAL_PAIR = "provisional_pair"
IPE_IN_BOTH = "ipe_in_both"
MISSING = "missing_in_libro"
UNKNOWN = "unknown_to_sige"
TYPO = "check_digit_typo"
WITHDRAWAL = "withdrawal"
INCORPORATION = "incorporation"
WITHDRAWN_BEFORE = "withdrawn_before_month"


@dataclass(frozen=True)
class DemoCourse:
    """A course as SIGE keys it; ``name`` is how the Libro Digital writes it.

    >>> c = DemoCourse(MEDIA, 2, "B")
    >>> c.code, c.desc_grado, c.name
    ('310-2-B', '2° Medio', '2° Medio B')
    """

    cod_ense: int
    cod_grado: int
    letra: str

    @property
    def code(self) -> str:
        return f"{self.cod_ense}-{self.cod_grado}-{self.letra}"

    @property
    def desc_grado(self) -> str:
        level = "Básico" if self.cod_ense == BASICA else "Medio"
        return f"{self.cod_grado}° {level}"

    @property
    def name(self) -> str:
        return f"{self.desc_grado} {self.letra}"


@dataclass
class DemoStudent:
    """One child. ``sige_rut`` / ``libro_rut`` are canonical ``BODY-DV`` as each
    side writes it (None: that side does not have the child); a typo keeps its
    wrong digit. ``incorporated``/``withdrawn`` bound both SIGE's enrolment and
    the Libro's marks."""

    course: str  # DemoCourse.code
    nombres: str
    ape_paterno: str
    ape_materno: str
    gender: str  # 'F' / 'M'
    birth_date: date
    address: str
    comuna: str
    comuna_code: int
    sige_rut: str | None
    libro_rut: str | None
    incorporated: date
    withdrawn: date | None = None
    foreign: bool = False
    role: str = REGULAR

    @property
    def full_name(self) -> str:
        """As the Libro's long export writes it: given names first."""
        return f"{self.nombres} {self.ape_paterno} {self.ape_materno}"

    @property
    def list_name(self) -> str:
        """As a class list writes it: ``Paterno Materno, Nombres``."""
        return f"{self.ape_paterno} {self.ape_materno}, {self.nombres}"


@dataclass(frozen=True)
class DemoEnrolment:
    """A SIGE nómina row: the child in the course from ``incorporated`` on, and
    no longer from ``withdrawn`` on."""

    course: str
    rut: str
    incorporated: date
    withdrawn: date | None


@dataclass(frozen=True, slots=True)
class DemoMark:
    """One Libro Digital record; ``hour2`` is the one that counts for the subsidy."""

    course: str
    rut: str  # the Libro's canonical RUT
    day: date
    hour1: bool
    hour2: bool


@dataclass
class Manifest:
    """What was planted. Courses are ``ENSE-GRADO-LETRA``, RUTs canonical
    ``BODY-DV`` (upper-case K), dates ISO. Each child is in at most one list."""

    wide_course: str  # the course written only in the wide Control de Subvenciones sheet
    # IPE in the Libro, definitive RUN in SIGE, same names: {course, libro_rut, sige_rut}
    provisional_pairs: list[dict[str, str]] = field(default_factory=list)
    # still on an IPE on both sides (not a problem): {course, rut}
    ipe_in_both: list[dict[str, str]] = field(default_factory=list)
    # enrolled in SIGE, no Libro marks at all: {course, rut}
    missing_in_libro: list[dict[str, str]] = field(default_factory=list)
    # in the Libro with a real definitive RUN, not in SIGE, nobody to pair with: {course, rut}
    unknown_to_sige: list[dict[str, str]] = field(default_factory=list)
    # same body, wrong check digit in the Libro: {course, libro_rut, sige_rut}
    check_digit_typos: list[dict[str, str]] = field(default_factory=list)
    # marks stop from the date / start at the date: {course, rut, date}
    withdrawals: list[dict[str, str]] = field(default_factory=list)
    incorporations: list[dict[str, str]] = field(default_factory=list)
    # in the nómina, withdrawn before the month began, no marks: {course, rut, date}
    withdrawn_before_month: list[dict[str, str]] = field(default_factory=list)
    # 1st and 2nd hour differ ('P'/'A'); the 2nd decides: {course, rut, date, hour1, hour2}
    hour_differences: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DemoSchool:
    rbd: int
    dgv_rbd: str
    name: str
    year: int
    month: tuple[int, int]
    today: date
    worked_days: list[date]
    courses: list[DemoCourse]
    students: list[DemoStudent]  # by course, in class-list order
    enrolments: list[DemoEnrolment]  # the SIGE nómina
    marks: list[DemoMark]  # the Libro Digital
    manifest: Manifest
    layout_seed: int  # drives file-only choices (e.g. which dates are written as text)

    @property
    def month_label(self) -> str:
        return f"{self.month[0]:04d}-{self.month[1]:02d}"

    def course(self, code: str) -> DemoCourse:
        return next(course for course in self.courses if course.code == code)


def _year_month(month: Any) -> tuple[int, int]:
    """Accept a ``Month`` (anything with ``year`` and ``month``) or a (year, month) pair."""
    if hasattr(month, "year") and hasattr(month, "month"):
        return int(month.year), int(month.month)
    year, number = month
    return int(year), int(number)


def _as_date(day: date) -> date:
    return day.date() if isinstance(day, datetime) else day


def worked_days(month: Any, today: date) -> list[date]:
    """Monday to Friday of ``month`` up to ``today`` (inclusive), without national holidays."""
    year, number = _year_month(month)
    today = _as_date(today)
    first = date(year, number, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    national = holidays.country_holidays("CL", years=year)
    days, day = [], first
    while day <= min(today, last):
        if day.weekday() < 5 and day not in national:
            days.append(day)
        day += timedelta(days=1)
    return days


def _weekdays_between(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


class _Children:
    """Makes children with unique names and unique identifiers."""

    def __init__(self, rng: random.Random, year: int, year_start: date) -> None:
        self.rng = rng
        self.year = year
        self.year_start = year_start
        self.bodies: set[int] = set()
        self.full_names: set[str] = set()

    def _unique_body(self, low: int, high: int) -> int:
        while True:
            body = self.rng.randint(low, high)
            if body not in self.bodies:
                self.bodies.add(body)
                return body

    def run_for(self, birth: date) -> str:
        """A definitive RUN plausible for the birth date (~20 million for 2008, ~27 for 2021)."""
        centre = 20_000_000 + int((birth - date(2008, 1, 1)).days / 365.25 * 530_000)
        body = self._unique_body(centre - 120_000, centre + 120_000)
        return f"{body}-{calc_check_digit(body)}"

    def foreign_run(self) -> str:
        body = self._unique_body(*FOREIGN_RUN_RANGE)
        return f"{body}-{calc_check_digit(body)}"

    def ipe(self) -> str:
        body = self._unique_body(IPE_FIRST, IPE_FIRST + IPE_SPAN - 1)
        return f"{body}-{calc_check_digit(body)}"

    def _birth_date(self, course: DemoCourse, older: float) -> date:
        # 1° Básico turns 6 by 31 March of the school year; each grade is a year older.
        level = course.cod_grado + (8 if course.cod_ense == MEDIA else 0)
        if self.rng.random() < older:
            level += 1
        start = date(self.year - 6 - level, 4, 1)
        return start + timedelta(days=self.rng.randrange(365))

    def _names(self, gender: str, foreign: bool) -> tuple[str, str, str]:
        rng = self.rng
        while True:
            if foreign:
                female, male, surnames = rng.choice(names.FOREIGN_COMMUNITIES)
                given = female if gender == "F" else male
            else:
                given = names.FEMALE_GIVEN if gender == "F" else names.MALE_GIVEN
                surnames = names.SURNAMES
            first = rng.choice(given)
            if rng.random() < 0.75:  # most Chilean children carry two given names
                second = rng.choice(given)
                if second != first:
                    first = f"{first} {second}"
            paterno, materno = rng.sample(surnames, 2)
            full = f"{first} {paterno} {materno}"
            if full not in self.full_names:
                self.full_names.add(full)
                return first, paterno, materno

    def child(self, course: DemoCourse, foreign: bool = False) -> DemoStudent:
        rng = self.rng
        gender = rng.choice("FM")
        nombres, paterno, materno = self._names(gender, foreign)
        birth = self._birth_date(course, 0.15 if foreign else REPEATERS)
        comuna, code = rng.choice(names.COMUNAS)
        rut = self.ipe() if foreign else self.run_for(birth)
        return DemoStudent(
            course=course.code, nombres=nombres, ape_paterno=paterno, ape_materno=materno,
            gender=gender, birth_date=birth,
            address=f"{rng.choice(names.STREETS)} {rng.randint(10, 2999)}",
            comuna=comuna, comuna_code=code, sige_rut=rut, libro_rut=rut,
            incorporated=self.year_start, foreign=foreign,
        )


def _wrong_check_digit(rut: str, rng: random.Random) -> str:
    body, _, right = rut.partition("-")
    return f"{body}-{rng.choice([d for d in '0123456789K' if d != right])}"


def _entry(student: DemoStudent, **extra: str) -> dict[str, str]:
    return {"course": student.course, **extra}


def generate_school(
    month: Any,
    today: date,
    seed: int = DEFAULT_SEED,
    rbd: int = DEFAULT_RBD,
    name: str = DEFAULT_NAME,
    letters: tuple[str, ...] | None = None,
) -> DemoSchool:
    """Build the demo school for the SIGE month ``month`` as seen on ``today``;
    ``letters`` per grade (default ``LETTERS``: A to C)."""
    year, number = _year_month(month)
    today = _as_date(today)
    rng = random.Random(seed)
    days = worked_days((year, number), today)
    month_start = date(year, number, 1)
    year_start = min(date(year, 3, 1), month_start)  # the school year starts in March
    courses = [DemoCourse(ense, grado, letra)
               for ense, grados in GRADES for grado in grados for letra in letters or LETTERS]
    by_code = {course.code: course for course in courses}
    maker = _Children(rng, year, year_start)

    roster: dict[str, list[DemoStudent]] = {
        course.code: [maker.child(course) for _ in range(rng.randint(*COURSE_SIZE))]
        for course in courses
    }

    def pick_regular(codes: list[str]) -> DemoStudent:
        while True:
            student = rng.choice(roster[rng.choice(codes)])
            if student.role == REGULAR:
                return student

    def convert(student: DemoStudent, role: str, foreign: bool = False) -> DemoStudent:
        """Replace a regular child in place (a foreign child gets foreign names)."""
        new = maker.child(by_code[student.course], foreign=True) if foreign else student
        new.role = role
        seats = roster[student.course]
        seats[seats.index(student)] = new
        return new

    total = sum(len(seats) for seats in roster.values())
    n_foreign = max(2, round(total * FOREIGN_SHARE))
    n_pairs = max(1, round(n_foreign * PAIR_SHARE))

    # Each course hosts at most one of the problems that show on both sides of a
    # course (pair, missing, unknown, typo), so a reconciliation has nothing to confuse.
    kinds = ([PROVISIONAL_PAIR] * n_pairs + [MISSING] * MISSING_IN_LIBRO
             + [UNKNOWN] * UNKNOWN_TO_SIGE + [TYPO] * CHECK_DIGIT_TYPOS)
    hosts = rng.sample([course.code for course in courses], len(kinds))
    wide_course = hosts[0]  # a provisional pair also travels through the wide sheet
    manifest = Manifest(wide_course=wide_course)

    for kind, code in zip(kinds, hosts):
        if kind == PROVISIONAL_PAIR:
            child = convert(pick_regular([code]), kind, foreign=True)
            child.sige_rut = maker.foreign_run()
            manifest.provisional_pairs.append(
                _entry(child, libro_rut=child.libro_rut, sige_rut=child.sige_rut))
        elif kind == MISSING:
            child = convert(pick_regular([code]), kind)
            child.libro_rut = None
            manifest.missing_in_libro.append(_entry(child, rut=child.sige_rut))
        elif kind == UNKNOWN:
            child = maker.child(by_code[code])
            child.role, child.sige_rut = kind, None
            roster[code].append(child)
            manifest.unknown_to_sige.append(_entry(child, rut=child.libro_rut))
        else:
            child = convert(pick_regular([code]), kind)
            child.libro_rut = _wrong_check_digit(child.sige_rut, rng)
            manifest.check_digit_typos.append(
                _entry(child, libro_rut=child.libro_rut, sige_rut=child.sige_rut))

    all_codes = [course.code for course in courses]
    for _ in range(n_foreign - n_pairs):
        child = convert(pick_regular(all_codes), IPE_IN_BOTH, foreign=True)
        manifest.ipe_in_both.append(_entry(child, rut=child.sige_rut))

    # Some children joined during the year, before this month: not a problem.
    for _ in range(round(total * EARLY_JOINERS)):
        choices = _weekdays_between(year_start + timedelta(days=7), month_start - timedelta(days=1))
        if choices:
            pick_regular(all_codes).incorporated = rng.choice(choices)

    # Withdrawals and incorporations on a worked day after the first, so the
    # month shows the child both before and after; the wide course gets one of each.
    if len(days) >= 3:
        for role, count, listing in ((WITHDRAWAL, WITHDRAWALS, manifest.withdrawals),
                                     (INCORPORATION, INCORPORATIONS, manifest.incorporations)):
            for index in range(count):
                child = pick_regular([wide_course] if index == 0 else all_codes)
                child.role = role
                when = rng.choice(days[1:])
                if role == WITHDRAWAL:
                    child.withdrawn = when
                else:
                    child.incorporated = when
                listing.append(_entry(child, rut=child.sige_rut, date=when.isoformat()))

    before = _weekdays_between(year_start + timedelta(days=7), month_start - timedelta(days=1))
    if before:
        for _ in range(WITHDRAWN_BEFORE_MONTH):
            code = rng.choice(all_codes)
            child = maker.child(by_code[code])
            child.role, child.libro_rut, child.withdrawn = WITHDRAWN_BEFORE, None, rng.choice(before)
            roster[code].append(child)
            manifest.withdrawn_before_month.append(
                _entry(child, rut=child.sige_rut, date=child.withdrawn.isoformat()))

    students: list[DemoStudent] = []
    for course in courses:
        # A class list: alphabetical, later arrivals appended in order of arrival.
        students.extend(sorted(roster[course.code], key=lambda s: (
            s.incorporated > year_start, s.incorporated,
            s.ape_paterno, s.ape_materno, s.nombres)))

    enrolments = [DemoEnrolment(s.course, s.sige_rut, s.incorporated, s.withdrawn)
                  for s in students if s.sige_rut is not None]
    marks = _attendance(rng, students, days)
    marks = _plant_hour_differences(rng, marks, students, wide_course, manifest)
    dgv = calc_check_digit(rbd)
    return DemoSchool(
        rbd=rbd, dgv_rbd=dgv, name=name, year=year, month=(year, number), today=today,
        worked_days=days, courses=courses, students=students, enrolments=enrolments,
        marks=marks, manifest=manifest, layout_seed=rng.getrandbits(32),
    )


def _attendance(rng: random.Random, students: list[DemoStudent], days: list[date]) -> list[DemoMark]:
    marks = []
    for student in students:
        if student.libro_rut is None:
            continue
        absence = min(rng.betavariate(*ABSENCE_BETA), MAX_ABSENCE)
        # P(absent | present yesterday) chosen so the chain's long-run absence is `absence`.
        start_absent = absence * (1 - STAY_ABSENT) / (1 - absence)
        absent = rng.random() < absence
        first = True
        for day in days:
            if day < student.incorporated or (student.withdrawn and day >= student.withdrawn):
                continue
            if not first:
                absent = rng.random() < (STAY_ABSENT if absent else start_absent)
            first = False
            marks.append(DemoMark(student.course, student.libro_rut, day, not absent, not absent))
    return marks


def _plant_hour_differences(rng: random.Random, marks: list[DemoMark], students: list[DemoStudent],
                            wide_course: str, manifest: Manifest) -> list[DemoMark]:
    """A few late arrivals (absent at hour 1, present at 2) and early leavers (the
    reverse), only in the long export: the wide sheet shows one mark a day."""
    regular = {s.libro_rut for s in students if s.role == REGULAR and s.course != wide_course}
    by_rut: dict[str, list[int]] = {}
    for index, mark in enumerate(marks):
        if mark.rut in regular:
            by_rut.setdefault(mark.rut, []).append(index)
    chosen: dict[int, DemoMark] = {}
    for rut in rng.sample(sorted(by_rut), min(HOUR_DIFFERENCES, len(by_rut))):
        index = rng.choice(by_rut[rut])
        chosen[index] = replace(marks[index], hour1=not marks[index].hour2)
    for index in sorted(chosen, key=lambda i: (marks[i].course, marks[i].rut, marks[i].day)):
        mark = chosen[index]
        marks[index] = mark
        manifest.hour_differences.append({
            "course": mark.course, "rut": mark.rut, "date": mark.day.isoformat(),
            "hour1": "P" if mark.hour1 else "A", "hour2": "P" if mark.hour2 else "A"})
    return marks
