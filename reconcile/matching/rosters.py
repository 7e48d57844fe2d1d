"""Who SIGE expects and who the Libro has, per course and worked day: set-based.

The comparison never loops over students. Courses, RUTs and days become
integer codes; each enrolment is repeated over its course's worked days (a
worked day is one with a Libro record for that course); the SIGE date rule
filters that grid; one integer key per (course, day, RUT) on both sides turns
"missing" and "unknown" into two hash-set memberships.

SIGE date rule (DESIGN.md): enrolled on ``day`` when incorporated on or before
it (or no date) and not withdrawn on or before it (or no date).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ENROLMENT_COLUMNS = ("course", "rut", "incorporated_on", "withdrawn_on")
MARK_COLUMNS = ("course", "rut", "day")

_NEVER_BEFORE = np.iinfo(np.int64).min
_NEVER_AFTER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Rosters:
    """The roster comparison. ``course_days`` has one row per (course, day) with a
    Libro record: ``sige_enrolled``, ``libro_students``. ``missing`` holds SIGE
    students enrolled that day with no mark under their RUT; ``unknown`` Libro
    students with a mark who are not enrolled in that course that day.
    ``merged`` holds (course, day, rut, source_rut) where an approved correction
    folded a Libro RUT onto one the Libro also has: one child written twice."""

    course_days: pd.DataFrame  # course, day, sige_enrolled, libro_students
    missing: pd.DataFrame  # course, day, rut
    unknown: pd.DataFrame  # course, day, rut
    merged: pd.DataFrame  # course, day, rut, source_rut


def day_numbers(values: pd.Series | np.ndarray, missing: int = -1) -> np.ndarray:
    """Dates (date objects, datetime64, ISO text) as int64 days since 1970-01-01;
    a missing date becomes ``missing``.

    >>> day_numbers(pd.Series(['1970-01-02', None])).tolist()
    [1, -1]
    """
    parsed = pd.to_datetime(pd.Series(values), errors="raise")
    days = parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    out = days.astype(np.int64)
    out[np.isnat(days)] = missing
    return out


def isin(values: pd.Series | pd.Index, wanted: list) -> np.ndarray:
    """``values.isin(wanted)`` as a bool array. For text backed by Arrow the set is
    built in C: pandas converts a large set one Python value at a time.

    >>> isin(pd.Series(['a', 'b', None], dtype='str'), ['b', 'c']).tolist()
    [False, True, False]
    """
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        texts = [w for w in wanted if isinstance(w, str)]
        array = pa.array(values)  # no copy: the Arrow data itself
        found = pc.is_in(array, value_set=pa.array(texts, type=array.type))
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False)
    return np.asarray(values.isin(wanted))


def _apply_corrections(rut_codes: np.ndarray, ruts: pd.Index,
                       corrections: Mapping[str, str] | None) -> tuple[np.ndarray, pd.Index,
                                                                      np.ndarray]:
    """Replace each corrected Libro RUT by its SIGE RUT, on the unique RUTs only.
    Returns (codes, unique RUTs, mask of the marks that were corrected)."""
    corrected = np.zeros(len(rut_codes), dtype=bool)
    if not corrections:
        return rut_codes, ruts, corrected
    froms = pd.Index(list(corrections.keys()))
    where_from = ruts.get_indexer(froms)
    hit = where_from >= 0
    if not hit.any():
        return rut_codes, ruts, corrected
    froms_hit = where_from[hit]
    targets = pd.Index([corrections[k] for k in froms[hit]])
    where_to = ruts.get_indexer(targets)
    new = pd.Index(targets[where_to < 0].unique())
    if len(new):
        ruts = ruts.append(new)
        where_to = ruts.get_indexer(targets)
    remap = np.arange(len(ruts), dtype=np.int64)
    remap[froms_hit] = where_to
    was_from = np.zeros(len(ruts), dtype=bool)
    was_from[froms_hit] = True
    corrected = was_from[rut_codes]
    return remap[rut_codes], ruts, corrected


def compare_rosters(enrolment: pd.DataFrame, marks: pd.DataFrame,
                    corrections: Mapping[str, str] | None = None) -> Rosters:
    """Compare SIGE's enrolment with the Libro's marks per course and worked day.

    ``enrolment``: course, rut, incorporated_on, withdrawn_on (one row per
    student and course). ``marks``: course, rut, day (any number of rows per
    student and day). ``corrections`` maps a Libro RUT to the SIGE RUT it stands
    for and is applied before anything else.
    """
    if marks.empty:
        return _empty_result()
    n_marks = len(marks)
    # One pass of hashing per key over both sides: courses, then RUTs.
    course_codes, courses = pd.factorize(
        pd.concat([marks["course"], enrolment["course"]], ignore_index=True))
    rut_codes, ruts = pd.factorize(pd.concat([marks["rut"], enrolment["rut"]], ignore_index=True))
    courses, ruts = pd.Index(courses), pd.Index(ruts)
    m_course = course_codes[:n_marks].astype(np.int64)
    e_course = course_codes[n_marks:].astype(np.int64)
    m_rut, ruts, corrected = _apply_corrections(rut_codes[:n_marks].astype(np.int64), ruts,
                                                corrections)
    e_rut = rut_codes[n_marks:].astype(np.int64)
    m_day = day_numbers(marks["day"])
    first_day = int(m_day.min())
    span = int(m_day.max()) - first_day + 1
    n_ruts = max(len(ruts), 1)

    cd_of_mark = m_course * span + (m_day - first_day)
    lib_keys_all = cd_of_mark * n_ruts + m_rut
    lib_keys = pd.unique(lib_keys_all)
    course_day_keys = np.unique(cd_of_mark)  # sorted: grouped by course, then day
    n_cd = len(course_day_keys)
    libro_students = np.bincount(np.searchsorted(course_day_keys, lib_keys // n_ruts),
                                 minlength=n_cd)

    # Expected: each enrolment repeated over its course's worked days (none for a
    # course without Libro records), then the SIGE date rule.
    cd_course = course_day_keys // span
    days_per_course = np.bincount(cd_course, minlength=len(courses))
    first_cd_of_course = np.concatenate(([0], np.cumsum(days_per_course)[:-1]))
    repeats = days_per_course[e_course]
    e_rows = np.flatnonzero(repeats)
    repeats = repeats[e_rows]
    total = int(repeats.sum())
    row_of = np.repeat(e_rows, repeats)
    offset_in_group = np.arange(total) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    exp_cd = course_day_keys[first_cd_of_course[e_course[row_of]] + offset_in_group]
    exp_day = exp_cd % span + first_day
    enrolled = np.ones(total, dtype=bool)
    for column, no_date, compare in (("incorporated_on", _NEVER_BEFORE, np.less_equal),
                                     ("withdrawn_on", _NEVER_AFTER, np.greater)):
        if enrolment[column].notna().any():
            enrolled &= compare(day_numbers(enrolment[column], no_date)[row_of], exp_day)
    exp_cd, row_of = exp_cd[enrolled], row_of[enrolled]
    exp_keys = exp_cd * n_ruts + e_rut[row_of]

    sige_enrolled = np.bincount(np.searchsorted(course_day_keys, exp_cd), minlength=n_cd)
    found = pd.Index(exp_keys).isin(lib_keys)
    unknown_keys = lib_keys[~pd.Index(lib_keys).isin(exp_keys)]

    def course_day_frame(cd: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({
            "course": courses.take(cd // span),
            "day": (cd % span + first_day).astype("datetime64[D]"),
        })

    course_days = course_day_frame(course_day_keys)
    course_days["sige_enrolled"] = sige_enrolled
    course_days["libro_students"] = libro_students

    lost = ~found
    missing = course_day_frame(exp_cd[lost])
    missing["rut"] = ruts.take(e_rut[row_of[lost]])

    unknown = course_day_frame(unknown_keys // n_ruts)
    unknown["rut"] = ruts.take(unknown_keys % n_ruts)

    merged = _merged(corrected, lib_keys_all, marks, n_ruts, course_day_frame, ruts)
    return Rosters(_sorted(course_days, ["course", "day"]),
                   _sorted(missing, ["course", "day", "rut"]),
                   _sorted(unknown, ["course", "day", "rut"]),
                   _sorted(merged, ["course", "day", "rut", "source_rut"]))


def _merged(corrected: np.ndarray, lib_keys_all: np.ndarray, marks: pd.DataFrame, n_ruts: int,
            course_day_frame, ruts: pd.Index) -> pd.DataFrame:  # noqa: ANN001
    """(course, day) keys reached both by a corrected RUT and by another source RUT."""
    if not corrected.any():
        return _empty_merged()
    source = marks["rut"].to_numpy()
    keys = pd.DataFrame({"key": lib_keys_all, "source_rut": source}).drop_duplicates()
    candidates = keys[keys["key"].isin(lib_keys_all[corrected])]
    doubled = candidates[candidates.duplicated("key", keep=False)]
    if doubled.empty:
        return _empty_merged()
    key = doubled["key"].to_numpy()
    frame = course_day_frame(key // n_ruts)
    frame["rut"] = ruts.take(key % n_ruts)
    frame["source_rut"] = doubled["source_rut"].to_numpy()
    return frame


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


def _empty_merged() -> pd.DataFrame:
    return pd.DataFrame({"course": pd.Series(dtype=str), "day": pd.Series(dtype="datetime64[s]"),
                         "rut": pd.Series(dtype=str), "source_rut": pd.Series(dtype=str)})


def _empty_result() -> Rosters:
    def frame(**extra: str) -> pd.DataFrame:
        columns = {"course": pd.Series(dtype=str), "day": pd.Series(dtype="datetime64[s]")}
        columns.update({name: pd.Series(dtype=kind) for name, kind in extra.items()})
        return pd.DataFrame(columns)

    return Rosters(frame(sige_enrolled="int64", libro_students="int64"),
                   frame(rut="str"), frame(rut="str"), _empty_merged())
