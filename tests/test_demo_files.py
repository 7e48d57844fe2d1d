"""The demo school's files: deterministic, realistic, in the samples' layouts, and
holding exactly what the manifest says was planted. Files are read back with
openpyxl and csv, independently of the generator's own data."""
from __future__ import annotations

import calendar
import csv
import io
import json
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays
import pytest
from openpyxl import load_workbook

from reconcile import rut
from reconcile.demo import generate_school, worked_days, write_files
from reconcile.sige_calendar import Month

SAMPLES = Path(__file__).parent / "data" / "samples"
MONTH = (2026, 11)
TODAY = date(2026, 11, 20)
PROVISIONAL_MIN = 100_000_000


def _as_date(value: object) -> date:
    """A SIGE date cell: an Excel serial or dd-mm-aaaa text."""
    if isinstance(value, int):
        return date(1899, 12, 30) + timedelta(days=value)
    return datetime.strptime(str(value), "%d-%m-%Y").date()


@dataclass
class LibroStudent:
    name: str  # "Nombres Paterno Materno"
    days: dict[date, tuple[str | None, str]] = field(default_factory=dict)  # (hour 1, hour 2)


@dataclass
class ReadBack:
    """What the four files say, in plain structures."""

    manifest: dict
    nomina_sheets: list[str]
    summary: list[tuple]
    nomina_header: tuple
    nomina: list[dict]
    long_raw: bytes
    long_rows: list[dict]
    wide_rows: list[tuple]
    sige: dict[tuple[str, str], dict]  # (course code, canonical RUT) -> nómina row
    libro: dict[tuple[str, str], LibroStudent]  # (course code, canonical RUT as written)
    wide_course: str  # code, as the wide sheet names it


def _read(folder: Path) -> ReadBack:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))

    workbook = load_workbook(folder / "nomina_sige.xlsx", read_only=True)
    summary = list(workbook.worksheets[0].iter_rows(values_only=True))
    rows = list(workbook.worksheets[1].iter_rows(values_only=True))
    sheets = workbook.sheetnames
    workbook.close()
    header, nomina = rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]
    code_of_name, sige = {}, {}
    for row in nomina:
        code = f"{row['Cod Tipo Enseñanza']}-{row['Cod Grado']}-{row['Letra Curso']}"
        code_of_name[f"{row['Desc Grado']} {row['Letra Curso']}"] = code
        sige[(code, rut.canonical(f"{row['Run']}-{row['Dígito Ver.']}"))] = row

    long_raw = (folder / "libro_asistencia_larga.csv").read_bytes()
    long_rows = list(csv.DictReader(io.StringIO(long_raw.decode("latin-1"), newline=""),
                                    delimiter=";"))
    libro: dict[tuple[str, str], LibroStudent] = {}
    for row in long_rows:
        key = (code_of_name[row["Curso"]], rut.canonical(row["RUT"]))
        student = libro.setdefault(key, LibroStudent(row["Nombre"]))
        day = datetime.strptime(row["Fecha"], "%d-%m-%Y").date()
        hour1, hour2 = student.days.get(day, (None, None))
        if row["Hora"] == "1":
            hour1 = row["Asistencia"]
        else:
            hour2 = row["Asistencia"]
        student.days[day] = (hour1, hour2)

    workbook = load_workbook(folder / "libro_control_subvenciones.xlsx", read_only=True)
    wide_rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    wide_course = code_of_name[wide_rows[2][1]]
    year, month = (int(part) for part in manifest["month"].split("-"))
    for row in wide_rows[7:]:
        paterno_materno, nombres = row[2].split(", ")
        key = (wide_course, rut.canonical(row[1]))
        student = libro.setdefault(key, LibroStudent(f"{nombres} {paterno_materno}"))
        for column, value in enumerate(row[3:], start=1):
            if value is not None:
                student.days[date(year, month, column)] = (None, {"•": "P", "X": "A"}[value])
    return ReadBack(manifest, sheets, summary, header, nomina, long_raw, long_rows, wide_rows,
                    sige, libro, wide_course)


def _sige_name(row: dict) -> str:
    return f"{row['Nombres']} {row['Apellido Paterno']} {row['Apellido Materno']}"


def _enrolled_on(row: dict, day: date) -> bool:
    """DESIGN.md: incorporated on or before the day, and not withdrawn on or before it."""
    retiro = row["Fecha Retiro"]
    withdrawn = None if retiro in (0, 1) else _as_date(retiro)
    return _as_date(row["Fecha Incorporación Curso"]) <= day and (withdrawn is None or day < withdrawn)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> ReadBack:
    folder = tmp_path_factory.mktemp("demo")
    write_files(generate_school(MONTH, TODAY), folder)
    return _read(folder)


# --- determinism and speed ----------------------------------------------------------------

def test_same_seed_and_dates_give_byte_identical_files_quickly(tmp_path):
    started = time.perf_counter()
    first = write_files(generate_school(MONTH, TODAY, seed=7), tmp_path / "a")
    elapsed = time.perf_counter() - started
    # A Month from the SIGE calendar is as good as a (year, month) pair.
    second = write_files(generate_school(Month(*MONTH), TODAY, seed=7), tmp_path / "b")
    for name in ("nomina", "libro_long", "libro_wide", "manifest"):
        assert getattr(first, name).read_bytes() == getattr(second, name).read_bytes(), name
    assert elapsed < 3.0


def test_another_seed_gives_another_school():
    one, other = generate_school(MONTH, TODAY, seed=7), generate_school(MONTH, TODAY, seed=8)
    assert [s.sige_rut for s in one.students] != [s.sige_rut for s in other.students]
    assert one.manifest != other.manifest


# --- size and realism ---------------------------------------------------------------------

def test_about_1200_students_in_about_40_courses_with_2_percent_on_an_ipe(demo):
    assert 1100 <= len(demo.nomina) <= 1300
    courses = {code for code, _ in demo.sige}
    assert 30 <= len(courses) <= 45
    assert {code.split("-")[0] for code in courses} == {"110", "310"}
    assert {code.split("-")[2] for code in courses} == {"A", "B", "C"}
    ipe_children = {key for key in demo.libro if rut.parse(key[1]).kind == rut.PROVISIONAL}
    assert 0.015 <= len(ipe_children) / len(demo.nomina) <= 0.025
    sizes = {}
    for code, _ in demo.libro:
        sizes[code] = sizes.get(code, 0) + 1
    assert min(sizes.values()) >= 25 and max(sizes.values()) <= 45


def test_runs_are_valid_unique_and_plausible_for_children(demo):
    runs = [(row["Run"], row["Dígito Ver."]) for row in demo.nomina]
    assert len(set(runs)) == len(runs)
    for body, dv in runs:
        assert rut.is_valid(f"{body}-{dv}")
        assert 18_000_000 <= body <= 28_500_000 or body >= PROVISIONAL_MIN
    for row in demo.nomina:
        born = datetime.strptime(row["Fecha Nacimiento"], "%d/%m/%Y").date()
        assert 2006 <= born.year <= 2021
    names = [_sige_name(row) for row in demo.nomina]
    assert len(set(names)) == len(names)
    assert any(re.search("[áéíóúñÁÉÍÓÚÑ]", name) for name in names)


def test_course_names_are_written_as_people_write_them(demo):
    names = {row["Curso"] for row in demo.long_rows}
    assert all(re.fullmatch(r"[1-8]° Básico [A-C]|[1-4]° Medio [A-C]", name) for name in names)
    assert "1° Básico A" in names or demo.wide_course == "110-1-A"
    assert any("Medio" in name for name in names)


# --- layouts ------------------------------------------------------------------------------

def test_nomina_has_the_sige_layout_of_the_sample(demo):
    sample = load_workbook(SAMPLES / "nomina_sige.xlsx", read_only=True)
    sample_header = next(sample.worksheets[1].iter_rows(values_only=True))
    sample_labels = [row[0] for row in sample.worksheets[0].iter_rows(values_only=True)]
    assert demo.nomina_sheets == sample.sheetnames
    sample.close()
    assert demo.nomina_header == sample_header
    assert [row[0] for row in demo.summary] == sample_labels
    assert demo.summary[1][1] == f"{demo.manifest['rbd']}-{demo.manifest['dgv_rbd']}"
    incorporations = [row["Fecha Incorporación Curso"] for row in demo.nomina]
    assert any(isinstance(value, int) for value in incorporations)
    assert any(isinstance(value, str) and re.fullmatch(r"\d\d-\d\d-\d{4}", value)
               for value in incorporations)
    assert all(isinstance(row["Fecha Retiro"], int) for row in demo.nomina)  # serial or 1
    assert any(row["Fecha Retiro"] == 1 for row in demo.nomina)
    assert all(isinstance(row["Dígito Ver."], str) and isinstance(row["Run"], int) for row in demo.nomina)


def test_long_csv_has_the_sample_layout(demo):
    sample = (SAMPLES / "libro_asistencia_larga.csv").read_bytes()
    assert demo.long_raw.split(b"\r\n")[0] == sample.split(b"\r\n")[0]
    assert demo.long_raw.endswith(b"\r\n") and b"\n" not in demo.long_raw.replace(b"\r\n", b"")
    with pytest.raises(UnicodeDecodeError):
        demo.long_raw.decode("utf-8")  # Latin-1, as the sample: accents are single bytes
    assert {row["Hora"] for row in demo.long_rows} == {"1", "2"}
    assert {row["Asistencia"] for row in demo.long_rows} == {"P", "A"}
    assert {row["RBD"] for row in demo.long_rows} == {str(demo.manifest["rbd"])}
    dotted = re.compile(r"\d{1,3}(\.\d{3}){2,}-[0-9K]")
    assert all(dotted.fullmatch(row["RUT"]) for row in demo.long_rows)


def test_wide_sheet_has_the_sample_layout(demo):
    sample = load_workbook(SAMPLES / "libro_control_subvenciones.xlsx", read_only=True)
    sample_rows = list(sample.worksheets[0].iter_rows(values_only=True))
    sample.close()
    assert [row[0] if row else None for row in demo.wide_rows[:7]] == \
        [row[0] for row in sample_rows[:7]]
    # Same month as the sample (November 2026): the day header is the same, '1'..'30'.
    assert demo.wide_rows[6] == sample_rows[6]
    assert demo.wide_rows[4][1] == demo.manifest["month"]
    students = demo.wide_rows[7:]
    assert [row[0] for row in students] == list(range(1, len(students) + 1))
    assert all(not row[1].endswith("K") for row in students)
    assert all(re.fullmatch(r"\d{7,9}-[0-9k]", row[1]) for row in students)
    assert {value for row in students for value in row[3:]} <= {"•", "X", None}


def test_wide_course_days_are_only_in_the_wide_sheet(demo):
    wide_name = demo.wide_rows[2][1]
    assert demo.manifest["wide_course"] == demo.wide_course
    assert wide_name not in {row["Curso"] for row in demo.long_rows}
    assert len(demo.wide_rows) - 7 >= 25


# --- the planted problems -----------------------------------------------------------------

def _libro_courses_of(demo: ReadBack, some_rut: str) -> set[str]:
    return {code for code, value in demo.libro if value == some_rut}


def _sige_courses_of(demo: ReadBack, some_rut: str) -> set[str]:
    return {code for code, value in demo.sige if value == some_rut}


def test_provisional_pairs_are_an_ipe_in_the_libro_and_a_run_in_sige_with_the_same_names(demo):
    pairs = demo.manifest["provisional_pairs"]
    assert pairs
    for pair in pairs:
        libro = demo.libro[(pair["course"], pair["libro_rut"])]
        sige = demo.sige[(pair["course"], pair["sige_rut"])]
        assert rut.parse(pair["libro_rut"]).kind == rut.PROVISIONAL
        assert rut.parse(pair["sige_rut"]).kind == rut.DEFINITIVE
        assert libro.name == _sige_name(sige)
        assert _sige_courses_of(demo, pair["libro_rut"]) == set()
        assert _libro_courses_of(demo, pair["sige_rut"]) == set()
    assert any(pair["course"] == demo.wide_course for pair in pairs)


def test_ipe_in_both_is_the_same_ipe_on_both_sides(demo):
    assert demo.manifest["ipe_in_both"]
    for item in demo.manifest["ipe_in_both"]:
        key = (item["course"], item["rut"])
        assert key in demo.sige and key in demo.libro
        assert rut.parse(item["rut"]).kind == rut.PROVISIONAL


def test_missing_in_libro_are_enrolled_in_sige_and_absent_from_the_libro(demo):
    assert demo.manifest["missing_in_libro"]
    libro_names = {student.name for student in demo.libro.values()}
    for item in demo.manifest["missing_in_libro"]:
        row = demo.sige[(item["course"], item["rut"])]
        assert _enrolled_on(row, date(*MONTH, 1))
        assert _libro_courses_of(demo, item["rut"]) == set()
        assert _sige_name(row) not in libro_names


def test_unknown_to_sige_have_a_real_run_and_nobody_to_pair_with(demo):
    assert demo.manifest["unknown_to_sige"]
    sige_names = {_sige_name(row) for row in demo.sige.values()}
    for item in demo.manifest["unknown_to_sige"]:
        student = demo.libro[(item["course"], item["rut"])]
        assert rut.parse(item["rut"]).kind == rut.DEFINITIVE
        assert _sige_courses_of(demo, item["rut"]) == set()
        assert student.name not in sige_names
        assert student.days


def test_check_digit_typos_keep_the_body_with_a_wrong_digit(demo):
    assert demo.manifest["check_digit_typos"]
    for item in demo.manifest["check_digit_typos"]:
        assert (item["course"], item["libro_rut"]) in demo.libro
        assert (item["course"], item["sige_rut"]) in demo.sige
        assert not rut.is_valid(item["libro_rut"]) and rut.is_valid(item["sige_rut"])
        assert item["libro_rut"].split("-")[0] == item["sige_rut"].split("-")[0]
        assert _libro_courses_of(demo, item["sige_rut"]) == set()


def test_withdrawals_and_incorporations_bound_the_marks(demo):
    days = [date.fromisoformat(day) for day in demo.manifest["worked_days"]]
    assert demo.manifest["withdrawals"] and demo.manifest["incorporations"]
    for item in demo.manifest["withdrawals"]:
        when = date.fromisoformat(item["date"])
        assert when in days[1:]
        assert _as_date(demo.sige[(item["course"], item["rut"])]["Fecha Retiro"]) == when
        marked = demo.libro[(item["course"], item["rut"])].days
        assert set(marked) == {day for day in days if day < when}
    for item in demo.manifest["incorporations"]:
        when = date.fromisoformat(item["date"])
        assert when in days[1:]
        assert _as_date(demo.sige[(item["course"], item["rut"])]["Fecha Incorporación Curso"]) == when
        marked = demo.libro[(item["course"], item["rut"])].days
        assert set(marked) == {day for day in days if day >= when}
    for item in demo.manifest["withdrawn_before_month"]:
        assert _as_date(demo.sige[(item["course"], item["rut"])]["Fecha Retiro"]) < date(*MONTH, 1)
        assert _libro_courses_of(demo, item["rut"]) == set()


def test_hour_differences_are_in_the_long_file_and_hour_2_decides(demo):
    differences = demo.manifest["hour_differences"]
    assert differences
    found = {(code, key_rut, day) for (code, key_rut), student in demo.libro.items()
             for day, (hour1, hour2) in student.days.items() if hour1 is not None and hour1 != hour2}
    assert found == {(item["course"], item["rut"], date.fromisoformat(item["date"]))
                     for item in differences}
    for item in differences:
        day = date.fromisoformat(item["date"])
        assert demo.libro[(item["course"], item["rut"])].days[day] == (item["hour1"], item["hour2"])


def test_nothing_but_the_planted_items_differs_between_sige_and_libro(demo):
    """Per course and worked day, SIGE's enrolled students and the Libro's marked
    students differ exactly by the manifest's pairs, typos, missing and unknown."""
    expected_missing = {(i["course"], i["rut"]) for i in demo.manifest["missing_in_libro"]}
    expected_missing |= {(i["course"], i["sige_rut"]) for i in demo.manifest["provisional_pairs"]}
    expected_missing |= {(i["course"], i["sige_rut"]) for i in demo.manifest["check_digit_typos"]}
    expected_unknown = {(i["course"], i["rut"]) for i in demo.manifest["unknown_to_sige"]}
    expected_unknown |= {(i["course"], i["libro_rut"]) for i in demo.manifest["provisional_pairs"]}
    expected_unknown |= {(i["course"], i["libro_rut"]) for i in demo.manifest["check_digit_typos"]}
    for iso in demo.manifest["worked_days"]:
        day = date.fromisoformat(iso)
        enrolled = {key for key, row in demo.sige.items() if _enrolled_on(row, day)}
        marked = {key for key, student in demo.libro.items() if day in student.days}
        assert enrolled - marked == expected_missing, iso
        assert marked - enrolled == expected_unknown, iso


def test_attendance_is_about_89_percent_and_covers_every_worked_day(demo):
    second_hour = [hour2 for student in demo.libro.values() for _, hour2 in student.days.values()]
    rate = second_hour.count("P") / len(second_hour)
    assert 0.85 <= rate <= 0.93
    days = {date.fromisoformat(day) for day in demo.manifest["worked_days"]}
    assert set().union(*(student.days for student in demo.libro.values())) == days


@pytest.mark.parametrize("seed, month, today", [
    (1, (2026, 5), date(2026, 5, 29)),
    (99, (2026, 9), date(2026, 10, 2)),
])
def test_presence_rate_holds_for_other_seeds_and_months(seed, month, today):
    school = generate_school(month, today, seed=seed)
    rate = sum(mark.hour2 for mark in school.marks) / len(school.marks)
    assert 0.85 <= rate <= 0.93
    days = set(school.worked_days)
    for item in school.manifest.withdrawals + school.manifest.incorporations:
        assert date.fromisoformat(item["date"]) in days


# --- worked days --------------------------------------------------------------------------

@pytest.mark.parametrize("month, today, expected", [
    ((2026, 9), date(2026, 9, 22),  # 18 and 19 September are holidays
     [1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16, 17, 21, 22]),
    ((2026, 11), date(2026, 11, 1), []),  # Sunday the 1st, a holiday too
    ((2026, 11), date(2026, 11, 2), [2]),
    ((2026, 10), date(2026, 11, 3),  # the whole month once today is past it; 12 Oct is a holiday
     [1, 2, 5, 6, 7, 8, 9, 13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30]),
])
def test_worked_days_are_weekdays_up_to_today_without_holidays(month, today, expected):
    assert [day.day for day in worked_days(month, today)] == expected


def test_worked_days_never_include_a_weekend_or_a_holiday():
    national = holidays.country_holidays("CL", years=range(2025, 2028))
    for year, number in [(2025, 12), (2026, 4), (2026, 6), (2027, 5)]:
        last = calendar.monthrange(year, number)[1]
        days = worked_days((year, number), date(year, number, last))
        assert days and all(day.weekday() < 5 and day not in national for day in days)
        assert all(day.month == number for day in days)


def test_a_month_with_few_worked_days_plants_no_withdrawals_or_incorporations(tmp_path):
    school = generate_school(MONTH, date(2026, 11, 3))
    assert school.worked_days == [date(2026, 11, 2), date(2026, 11, 3)]
    assert school.manifest.withdrawals == [] and school.manifest.incorporations == []
    assert school.manifest.provisional_pairs and school.manifest.missing_in_libro
    read = _read(write_files(school, tmp_path).folder)
    assert {day for student in read.libro.values() for day in student.days} == set(school.worked_days)


def test_one_nomina_file_holds_several_schools_for_the_emulator(tmp_path):
    """The local SIGE emulator serves every RBD of one file: the demo writes both schools'
    nómina into one sheet, read back by the project's own reader."""
    from reconcile.demo import write_nomina
    from reconcile.loaders import read_nomina

    main = generate_school(MONTH, today=TODAY, seed=3)
    other = generate_school(MONTH, today=TODAY, seed=4, rbd=10891, name="Otra",
                            letters=("A",))
    nomina = read_nomina(write_nomina([main, other], tmp_path / "ambas.xlsx"))
    assert nomina.errors == []
    counts = nomina.frame.groupby("rbd").size().to_dict()
    assert counts == {main.rbd: len(main.enrolments), 10891: len(other.enrolments)}
    assert len(other.courses) == 12 and {c.letra for c in other.courses} == {"A"}
