"""Who SIGE expects and who the Libro has, per course and worked day: set-based.

The comparison never loops over students. Courses, RUTs and days become
integer codes; each enrolment is repeated over its course's worked days (a
worked day is one with a Libro record for that course); the SIGE date rule
filters that grid; one integer key per (course, day, RUT) on both sides turns
"missing" and "unknown" into two searches of sorted keys in sorted keys. RUT
codes are read from the text as numbers (``rutcodes``): hashing a million RUT
strings would cost more than the rest of the comparison.

SIGE date rule (DESIGN.md): enrolled on ``day`` when incorporated on or before
it (or no date) and not withdrawn on or before it (or no date).
"""
from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reconcile.matching.rutcodes import RutCodes

ENROLMENT_COLUMNS = ("course", "rut", "incorporated_on", "withdrawn_on")
MARK_COLUMNS = ("course", "rut", "day")

# Two cores are the common case (and the bench machine's); more threads than
# that only wait on each other.
_WORKERS = 2

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
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind == "M":  # already dates: no parsing
        days = np.asarray(values).astype("datetime64[D]")
    else:
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
        value_set = pa.array(texts, type=array.type)

        def found(part: pa.Array) -> np.ndarray:
            hits = pc.is_in(part, value_set=value_set)
            return pc.fill_null(hits, False).to_numpy(zero_copy_only=False)

        if len(array) < _HALVES_FROM:
            return found(array)
        half = len(array) // 2  # two halves at once: Arrow lets go of the GIL
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            return np.concatenate(list(pool.map(found, (array.slice(0, half),
                                                        array.slice(half)))))
    return np.asarray(values.isin(wanted))


_HALVES_FROM = 200_000


def take(values: pd.Series | pd.Index, positions: np.ndarray) -> pd.Series:
    """``values.iloc[positions]``, as a Series with the taken index. Text backed by
    Arrow is taken chunk by chunk: Arrow's take across a chunked column first joins
    every chunk, a copy of the whole column (0.27 s for a 3,600,000-row column of
    names) to pick a few thousand values."""
    series = values.to_series(index=pd.RangeIndex(len(values))) \
        if isinstance(values, pd.Index) else values
    array = getattr(series.array, "_pa_array", None)
    if not isinstance(array, pa.ChunkedArray) or array.num_chunks < 2:
        return series.iloc[positions]
    positions = np.asarray(positions, dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    ordered = positions[order]
    bounds = np.cumsum([0] + [len(chunk) for chunk in array.chunks])
    chunk_of = np.searchsorted(bounds, ordered, side="right") - 1
    parts = [array.chunk(k).take(pa.array(ordered[chunk_of == k] - bounds[k]))
             for k in np.unique(chunk_of)]
    taken = pa.concat_arrays(parts) if parts else pa.array([], type=array.type)
    back = np.empty(len(order), dtype=np.int64)
    back[order] = np.arange(len(order))
    taken = taken.take(pa.array(back))  # the few values taken, back in the asked order
    return pd.Series(pd.array(taken, dtype=series.dtype), index=series.index[positions],
                     name=series.name)


@dataclass(frozen=True)
class Keys:
    """The integer codes behind a comparison, for the later stages to work on
    numbers instead of text: course codes (into ``courses``) and course-day
    keys (``course * span + day - first_day``) of every mark and enrolment row,
    and the RUT codes of the marks after corrections."""

    courses: pd.Index
    marks_course: np.ndarray
    enrolment_course: np.ndarray
    marks_course_day: np.ndarray
    marks_rut: np.ndarray
    enrolment_rut: np.ndarray
    unknown_rut: np.ndarray  # the RUT code of each row of ``Rosters.unknown``
    unknown_course_day: np.ndarray  # the course-day key of each row of ``Rosters.unknown``
    span: int
    first_day: int
    rut_span: int  # every RUT code is below it
    missing_counts: np.ndarray  # per row of ``Rosters.course_days``
    unknown_counts: np.ndarray  # per row of ``Rosters.course_days``

    def course_day_keys(self, courses: pd.Series, days: pd.Series) -> np.ndarray:
        """The course-day key of (course, day) pairs; -1 for a course not seen."""
        code = self.courses.get_indexer(courses)
        key = code * self.span + (day_numbers(days) - self.first_day)
        return np.where(code >= 0, key, -1)


def _apply_corrections(m_rut: np.ndarray, froms: np.ndarray,
                       targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replace each corrected Libro RUT by its SIGE RUT (one step, never chained).
    Returns (codes, mask of the marks that were corrected)."""
    where = pd.Index(froms).get_indexer(m_rut)
    corrected = where >= 0
    if not corrected.any():
        return m_rut, corrected
    m_rut = m_rut.copy()
    m_rut[corrected] = targets[where[corrected]]
    return m_rut, corrected


def compare_rosters(enrolment: pd.DataFrame, marks: pd.DataFrame,
                    corrections: Mapping[str, str] | None = None) -> Rosters:
    """Compare SIGE's enrolment with the Libro's marks per course and worked day.

    ``enrolment``: course, rut, incorporated_on, withdrawn_on (one row per
    student and course). ``marks``: course, rut, day (any number of rows per
    student and day). ``corrections`` maps a Libro RUT to the SIGE RUT it stands
    for and is applied before anything else.
    """
    return compare_with_keys(enrolment, marks, corrections)[0]


def compare_with_keys(enrolment: pd.DataFrame, marks: pd.DataFrame,
                      corrections: Mapping[str, str] | None = None, *,
                      ordered: bool = True) -> tuple[Rosters, Keys | None]:
    """``compare_rosters``, plus the integer codes it worked on (None without marks).
    ``ordered=False`` leaves ``course_days`` in the order of the codes (for a
    caller that orders them its own way)."""
    if marks.empty:
        return _empty_result(), None
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        return _compare(enrolment, marks, corrections, pool, ordered)


def _compare(enrolment: pd.DataFrame, marks: pd.DataFrame,
             corrections: Mapping[str, str] | None,
             pool: ThreadPoolExecutor, ordered: bool) -> tuple[Rosters, Keys]:
    n_marks = len(marks)
    # Courses are few: one hashing pass over both sides. RUTs are many: numbers
    # read from the text (see ``rutcodes``), no hashing. Both at once: NumPy and
    # pandas let go of the GIL in these loops.
    courses_done = pool.submit(pd.factorize, pd.concat([marks["course"], enrolment["course"]],
                                                       ignore_index=True))
    froms = list(corrections.keys()) if corrections else []
    codes = RutCodes([marks["rut"], enrolment["rut"], froms,
                      [corrections[k] for k in froms]], pool.map)
    course_codes, courses = courses_done.result()
    courses = pd.Index(courses)
    m_course = course_codes[:n_marks].astype(np.int64)
    e_course = course_codes[n_marks:].astype(np.int64)
    m_rut, e_rut = codes.of(0), codes.of(1)
    corrected = np.zeros(n_marks, dtype=bool)
    if froms:
        m_rut, corrected = _apply_corrections(m_rut, codes.of(2), codes.of(3))
    m_day = day_numbers(marks["day"])
    first_day = int(m_day.min())
    span = int(m_day.max()) - first_day + 1
    cd_of_mark = m_course * span + (m_day - first_day)
    n_ruts = codes.span
    rut_text = codes.texts
    if (len(courses) * span + 1) * n_ruts >= 2 ** 62:  # keep one int64 key per row
        sparse = np.concatenate([m_rut, e_rut])
        dense, distinct = pd.factorize(sparse)
        m_rut, e_rut = dense[:n_marks].astype(np.int64), dense[n_marks:].astype(np.int64)
        n_ruts = max(len(distinct), 1)

        def rut_text(dense_codes: np.ndarray) -> pd.Index:
            return codes.texts(distinct[dense_codes])

    lib_keys_all = cd_of_mark * n_ruts + m_rut
    course_day_keys = _distinct(cd_of_mark, len(courses) * span)  # grouped by course, then day

    # Expected: each enrolment repeated over its course's worked days (none for a
    # course without Libro records), then the SIGE date rule.
    row_of, exp_cd = _enrolment_grid(course_day_keys, span, len(courses), e_course)

    def taken(values: np.ndarray) -> np.ndarray:  # the rows of the grid
        return values if row_of is None else values[row_of]

    enrolled = None
    for column, no_date, compare in (("incorporated_on", _NEVER_BEFORE, np.less_equal),
                                     ("withdrawn_on", _NEVER_AFTER, np.greater)):
        if enrolment[column].notna().any():
            kept = compare(taken(day_numbers(enrolment[column], no_date)),
                           exp_cd % span + first_day)
            enrolled = kept if enrolled is None else enrolled & kept
    exp_rut = taken(e_rut)
    if enrolled is not None:
        exp_cd, exp_rut = exp_cd[enrolled], exp_rut[enrolled]
    exp_keys = exp_cd * n_ruts + exp_rut

    compared = _memberships(lib_keys_all, exp_keys, pool)
    # Keys sort by course-day first: per course-day counts are where each
    # course-day's keys begin in the sorted arrays.
    bounds = np.append(course_day_keys, course_day_keys[-1] + 1) * n_ruts
    sige_enrolled = np.diff(np.searchsorted(compared.sige, bounds))
    libro_students = np.diff(np.searchsorted(compared.libro, bounds))
    missing_keys, unknown_keys = compared.missing, compared.unknown
    n_missing = np.diff(np.searchsorted(missing_keys, bounds))
    n_unknown = np.diff(np.searchsorted(unknown_keys, bounds))

    def course_day_frame(cd: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({
            "course": courses.take(cd // span),
            "day": (cd % span + first_day).astype("datetime64[D]"),
        })

    course_days = course_day_frame(course_day_keys)
    course_days["sige_enrolled"] = sige_enrolled
    course_days["libro_students"] = libro_students
    if ordered:
        order = course_days.sort_values(["course", "day"], kind="stable").index.to_numpy()
        course_days = course_days.iloc[order].reset_index(drop=True)
        n_missing, n_unknown = n_missing[order], n_unknown[order]

    missing = course_day_frame(missing_keys // n_ruts)
    missing["rut"] = rut_text(missing_keys % n_ruts)

    unknown = course_day_frame(unknown_keys // n_ruts)
    unknown["rut"] = rut_text(unknown_keys % n_ruts)
    unknown["code"] = unknown_keys % n_ruts
    unknown["cd"] = unknown_keys // n_ruts
    unknown = _sorted(unknown, ["course", "day", "rut"])

    merged = _merged(corrected, lib_keys_all, marks, n_ruts, course_day_frame, rut_text)
    keys = Keys(courses, m_course, e_course, cd_of_mark, m_rut, e_rut,
                unknown.pop("code").to_numpy(), unknown.pop("cd").to_numpy(), span, first_day,
                n_ruts, n_missing, n_unknown)
    return (Rosters(course_days,
                    _sorted(missing, ["course", "day", "rut"]),
                    unknown,
                    _sorted(merged, ["course", "day", "rut", "source_rut"])), keys)


def _enrolment_grid(course_day_keys: np.ndarray, span: int, n_courses: int,
                    e_course: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Each enrolment row once per worked day of its course: (rows, course-day
    keys), grouped by row; rows None when that is every row once, in order. One
    worked day per course (a day's check) needs no repeating."""
    cd_course = course_day_keys // span
    days_per_course = np.bincount(cd_course, minlength=n_courses)
    if days_per_course.max(initial=0) <= 1:
        key_of_course = np.full(n_courses, -1, dtype=np.int64)
        key_of_course[cd_course] = course_day_keys
        exp_cd = key_of_course[e_course]
        worked = exp_cd >= 0
        if worked.all():
            return None, exp_cd
        row_of = np.flatnonzero(worked)
        return row_of, exp_cd[row_of]
    first_cd_of_course = np.concatenate(([0], np.cumsum(days_per_course)[:-1]))
    repeats = days_per_course[e_course]
    e_rows = np.flatnonzero(repeats)
    repeats = repeats[e_rows]
    total = int(repeats.sum())
    row_of = np.repeat(e_rows, repeats)
    offset_in_group = np.arange(total) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    return row_of, course_day_keys[first_cd_of_course[e_course[row_of]] + offset_in_group]


@dataclass(frozen=True)
class _Compared:
    """Both sides' keys sorted: the SIGE keys (repeats kept), the distinct Libro
    keys, the SIGE keys the Libro lacks (missing) and the Libro keys SIGE lacks
    (unknown)."""

    sige: np.ndarray
    libro: np.ndarray
    missing: np.ndarray
    unknown: np.ndarray


def _memberships(libro: np.ndarray, sige: np.ndarray, pool: ThreadPoolExecutor) -> _Compared:
    """Compare the two sides' keys by sorting them (one thread each: NumPy's sort
    lets go of the GIL) and searching sorted in sorted, which reads memory in
    order; hashing millions of keys costs about twice as much."""
    libro_sorted, sige_sorted = pool.map(np.sort, (libro, sige))
    distinct = _runs_first(libro_sorted)

    def absent(keys: np.ndarray, other: np.ndarray) -> np.ndarray:
        if not len(other):
            return keys
        at = np.searchsorted(other, keys)
        at[at == len(other)] = 0
        return keys[other[at] != keys]

    missing = pool.submit(absent, sige_sorted, distinct)
    unknown = absent(distinct, sige_sorted)
    return _Compared(sige_sorted, distinct, missing.result(), unknown)


def _runs_first(ordered: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array."""
    if not len(ordered):
        return ordered
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


# Above this many possible course-day keys, a table of them would cost more
# memory than the keys: sort instead.
_DENSE_LIMIT = 1 << 26


def member(values: np.ndarray, wanted: np.ndarray, limit: int) -> np.ndarray:
    """Which ``values`` (integers in ``range(limit)``) are among ``wanted``: a
    table lookup when the table fits, a hash otherwise."""
    if limit <= _DENSE_LIMIT:
        table = np.zeros(limit, dtype=bool)
        table[wanted] = True
        return table[values]
    return np.asarray(pd.Index(values).isin(np.unique(wanted)))


def _distinct(keys: np.ndarray, limit: int) -> np.ndarray:
    """The distinct keys in ``range(limit)``, sorted: a table of which are present
    when that fits, a hash otherwise."""
    if limit <= _DENSE_LIMIT:
        present = np.zeros(limit, dtype=bool)
        present[keys] = True
        return np.flatnonzero(present)
    return np.unique(keys)


def _merged(corrected: np.ndarray, lib_keys_all: np.ndarray, marks: pd.DataFrame, n_ruts: int,
            course_day_frame, rut_text) -> pd.DataFrame:  # noqa: ANN001
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
    frame["rut"] = rut_text(key % n_ruts)
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
