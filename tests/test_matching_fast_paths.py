"""The reconciliation's vectorised shortcuts give exactly what their plain definitions
give: RUT kinds read as numbers against ``rut.parse``, the stored-form fast path of
``rut.parse`` against stdnum's check digit, name keys read from Arrow against name
keys read from Python strings, and the roster comparison on large random rosters
against a set-based reference."""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reconcile import rut as rutlib
from reconcile.matching import compare_rosters
from reconcile.matching.names import name_keys
from reconcile.matching.rutcodes import KIND_NAMES, kinds_and_bodies
from stdnum.cl import rut as stdnum_rut

# Random bodies, and those at every edge: 6 and 9 digits, the provisional thresholds.
bodies = st.one_of(st.integers(min_value=0, max_value=2_000_000_000), st.sampled_from([
    99_999, 100_000, 999_999_999, 1_000_000_000, 19_999_999, 20_000_000, 99_999_999,
    100_000_000]))
check_digits = st.sampled_from(list("0123456789Kk"))
written = st.one_of(
    st.builds(lambda b, d: f"{b}-{d}", bodies, check_digits),  # as stored, any digit
    st.builds(lambda b: f"{b}-{rutlib.calc_check_digit(b)}", bodies),  # as stored, right
    st.builds(lambda b, d: f"0{b}-{d}", bodies, check_digits),  # a leading zero
    st.builds(lambda b: rutlib.format(f"{b + 100_000}{rutlib.calc_check_digit(b + 100_000)}"),
              st.integers(0, 99_000_000)),  # with dots
    st.text(alphabet="0123456789-K.k x", max_size=13),  # anything people type
)


@settings(max_examples=300, deadline=None)
@given(st.lists(written, max_size=40), st.sampled_from([100_000_000, 20_000_000]))
def test_kinds_read_as_numbers_are_those_rut_parse_gives(values, min_body):
    kinds, found = kinds_and_bodies(pd.Series(values, dtype="str"), min_body, rutlib.parse)
    parsed = [rutlib.parse(v, min_body) for v in values]
    assert KIND_NAMES[kinds].tolist() == [p.kind for p in parsed]
    assert found.tolist() == [-1 if p.body is None else p.body for p in parsed]


@settings(max_examples=300, deadline=None)
@given(bodies, check_digits)
def test_the_stored_form_reads_as_the_long_way_does(body, digit):
    text = f"{body}-{digit}"
    fast, long_way = rutlib.parse(text), rutlib.parse(f" {text} ")  # spaces: no fast path
    assert (fast.body, fast.dv, fast.kind, fast.reason) == (
        long_way.body, long_way.dv, long_way.kind, long_way.reason)
    if fast.body is not None and 6 <= len(str(fast.body)) <= 9:
        right = stdnum_rut.calc_check_digit(str(fast.body))
        assert (fast.kind != rutlib.INVALID) == (digit.upper() == right)


names = st.text(alphabet=st.sampled_from(list("aeiouAEIOU ñÑáéíóúÁÉÍÓÚüß,.-'\u0301æøΩ")),
                max_size=30)


def _tokens(name: str | None) -> tuple[str, ...]:
    """name_keys' reading, plainly: NFKD, marks dropped, lower case, a-z words."""
    if name is None:
        return ()
    plain = "".join(c for c in unicodedata.normalize("NFKD", name)
                    if unicodedata.category(c) != "Mn").lower()
    return tuple(sorted(t for t in re.split("[^a-z]+", plain) if t))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), names), max_size=60))
@example(["Sofía Pérez", "PEREZ, SOFIA", "Sofi Pérez", "Sofíaa Pérez", "Pérez", None, "",
          " ,. ", "José Manuel", "Manuel José", "Jose\u0301 Manuel", "Ñuñez", "Nunez"])
def test_name_keys_are_equal_exactly_when_the_words_are(values):
    keys = name_keys(pa.array(values, type=pa.string()))
    assert (keys == name_keys(pd.Series(values, dtype=object))).all()  # Arrow or Python in
    words = [_tokens(v) for v in values]
    for i in range(len(values)):
        assert (keys[i] == 0) == (words[i] == ())
        for j in range(i):
            assert (keys[i] == keys[j]) == (words[i] == words[j])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_roster_comparison_equals_set_differences_on_large_random_rosters(seed):
    """Thousands of keys: the sorted search runs over many course-days and RUTs,
    with repeated marks, students of several courses and withdrawals."""
    rng = np.random.default_rng(seed)
    days = pd.to_datetime(["2026-11-02", "2026-11-03", "2026-11-05"])
    enrolment, students = _random_enrolment(rng, _COURSES)
    enrolment.loc[rng.random(2500) < 0.05, "withdrawn_on"] = days[1]
    marks = pd.DataFrame({"course": rng.choice(_COURSES, 9000),
                          "rut": rng.choice(students, 9000), "day": rng.choice(days, 9000)})
    _assert_set_differences(enrolment, marks)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_worked_day_per_course_equals_set_differences_too(seed):
    """A day's check (each course worked on one day, some courses on none): the
    enrolment is not repeated over days, and the date rule still applies."""
    rng = np.random.default_rng(seed)
    days = pd.to_datetime(["2026-11-02", "2026-11-03"])
    enrolment, students = _random_enrolment(rng, _COURSES)
    enrolment.loc[rng.random(2500) < 0.05, "withdrawn_on"] = days[1]
    enrolment.loc[rng.random(2500) < 0.05, "incorporated_on"] = days[1]
    day_of = dict(zip(_COURSES[:6], rng.choice(days, 6), strict=True))  # two courses unworked
    course = rng.choice(_COURSES[:6], 9000)
    marks = pd.DataFrame({"course": course, "rut": rng.choice(students, 9000),
                          "day": [day_of[c] for c in course]})
    _assert_set_differences(enrolment, marks)
    everyone = enrolment[enrolment["course"].isin(_COURSES[:6])]
    _assert_set_differences(everyone.assign(incorporated_on=pd.NaT, withdrawn_on=pd.NaT), marks)


_COURSES = [f"110-{g}-{letter}" for g in range(1, 5) for letter in "AB"]


def _random_enrolment(rng: np.random.Generator, courses: list[str]
                      ) -> tuple[pd.DataFrame, list[str]]:
    students = [f"{b}-{rutlib.calc_check_digit(b)}" for b in rng.choice(
        np.arange(5_000_000, 6_000_000), 3000, replace=False).tolist()]
    enrolment = pd.DataFrame({
        "course": rng.choice(courses, 2500), "rut": students[:2500],
        "incorporated_on": pd.NaT, "withdrawn_on": pd.NaT})
    return enrolment, students


def _assert_set_differences(enrolment: pd.DataFrame, marks: pd.DataFrame) -> None:
    """Missing, unknown and the per course-day counts are those of plain sets."""
    result = compare_rosters(enrolment, marks)
    days = sorted(set(marks["day"]))
    libro = set(marks.itertuples(index=False, name=None))
    worked = set(zip(marks["course"], marks["day"], strict=True))
    expected = {(e.course, day, e.rut) for e in enrolment.itertuples() for day in days
                if (e.course, day) in worked
                and (pd.isna(e.incorporated_on) or e.incorporated_on <= day)
                and (pd.isna(e.withdrawn_on) or day < e.withdrawn_on)}
    as_set = {(c, r, d) for c, d, r in expected}
    missing = {(c, pd.Timestamp(d), r) for c, d, r in
               result.missing[["course", "day", "rut"]].itertuples(index=False, name=None)}
    unknown = {(c, pd.Timestamp(d), r) for c, d, r in
               result.unknown[["course", "day", "rut"]].itertuples(index=False, name=None)}
    assert missing == {(c, d, r) for c, d, r in expected if (c, r, d) not in libro}
    assert unknown == {(c, d, r) for c, r, d in libro if (c, r, d) not in as_set}
    assert len(result.missing) == len(missing)  # each once
    counts = result.course_days.set_index(["course", "day"])
    for (course, day), row in counts.iterrows():
        assert row["sige_enrolled"] == sum(1 for c, d, _ in expected if (c, d) == (course, day))
        assert row["libro_students"] == len({r for c, r, d in libro if (c, d) == (course, day)})


def test_two_course_texts_that_read_as_one_course_are_ordered_by_day_then_text():
    """'1' and '1-' have the same course keys: their course-days interleave by day, and
    the text decides within a day (as when each course-day carried its own keys)."""
    from datetime import date

    from reconcile.matching import reconcile

    rut = f"5000000-{rutlib.calc_check_digit(5000000)}"
    days = [date(2026, 11, 3), date(2026, 11, 2)]
    marks = pd.DataFrame({"course": ["1-", "1-", "1", "1", "110-2-A"],
                          "rut": [rut] * 5, "day": pd.to_datetime(days * 2 + days[:1])})
    enrolment = pd.DataFrame({"course": ["1"], "rut": [rut], "incorporated_on": [pd.NaT],
                              "withdrawn_on": [pd.NaT]})
    got = reconcile(enrolment, marks).course_days[["course", "day"]]
    assert list(got.itertuples(index=False, name=None)) == [
        ("1", date(2026, 11, 2)), ("1-", date(2026, 11, 2)),
        ("1", date(2026, 11, 3)), ("1-", date(2026, 11, 3)), ("110-2-A", date(2026, 11, 3))]
