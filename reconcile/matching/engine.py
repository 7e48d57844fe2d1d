"""The reconciliation of SIGE's enrolment with the Libro Digital, over pandas frames.

Pure: no database, no clock, no settings lookups. ``reconcile`` runs the
set-based roster comparison (``rosters``), then works on the small set left
unmatched: invalid RUTs, students under another course in SIGE, children
written twice in one course, and suggested pairs (``suggest``). The result
turns into the ``check --json`` entries of DESIGN.md with ``entries()``.
"""
from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reconcile import rut as rutlib
from reconcile.courses import sort_key as course_sort_key
from reconcile.collector import collector_paused
from reconcile.matching.rosters import Keys, compare_with_keys, day_numbers, member, take
from reconcile.matching.rutcodes import KIND_NAMES, kinds_and_bodies
from reconcile.matching.suggest import (
    AMBIGUOUS_COLUMNS,
    PAIR_COLUMNS,
    People,
    parse_rut,
    suggest_pairs,
)

CASO_1 = "caso_1"  # SIGE has students the Libro does not (faltantes)
CASO_2 = "caso_2"  # the Libro has RUTs SIGE does not recognise in that course
DEFAULT_THRESHOLD = 0.8

# The reasons of a course-day, by (has missing) + 2 * (has unknown).
_REASONS = ((), (CASO_1,), (CASO_2,), (CASO_1, CASO_2))

DAY_PAIR_COLUMNS = ["course", "day", "libro", "sige", "sige_course", "confidence", "reason",
                    "same_course", "evidence", "libro_name", "sige_name"]


@dataclass(frozen=True)
class Reconciliation:
    """Frames keyed by (course, day); ``day`` is a ``datetime.date``.

    - ``course_days``: course, day, sige_enrolled, libro_students, ready, reasons
    - ``missing``: course, day, rut (Caso 1)
    - ``unknown``: course, day, rut, kind, invalid, invalid_reason (Caso 2)
    - ``pairs``: DAY_PAIR_COLUMNS, one row per course-day where both children appear
    - ``ambiguous``: libro, libro_course, candidates (children a person must decide)
    - ``duplicates``: course, day, rut, other_rut, how ('correction' or 'name')
    - ``wrong_course``: course, day, rut, sige_course (enrolled in SIGE elsewhere)
    """

    course_days: pd.DataFrame
    missing: pd.DataFrame
    unknown: pd.DataFrame
    pairs: pd.DataFrame
    ambiguous: pd.DataFrame
    duplicates: pd.DataFrame
    wrong_course: pd.DataFrame

    def only_course(self, course: str) -> Reconciliation:
        """The same result limited to one course (pairs may still name a SIGE
        student of another course)."""
        def keep(frame: pd.DataFrame, column: str = "course") -> pd.DataFrame:
            return frame[frame[column] == course].reset_index(drop=True)

        return Reconciliation(keep(self.course_days), keep(self.missing), keep(self.unknown),
                              keep(self.pairs), keep(self.ambiguous, "libro_course"),
                              keep(self.duplicates), keep(self.wrong_course))

    def entries(self) -> list[dict]:
        """One dict per course-day in the ``check --json`` shape, sorted by course
        (as ``ENSE-GRADO-LETRA`` numbers) then date; every list sorted."""
        missing = _lists(self.missing, "rut")
        unknown = _lists(self.unknown, "rut")
        invalid = _lists(self.unknown[self.unknown["invalid"]], "rut")
        pairs: dict[tuple, list[dict]] = {}
        for row in self.pairs.sort_values(["libro", "sige"]).itertuples(index=False):
            pairs.setdefault((row.course, row.day), []).append({
                "libro": row.libro, "sige": row.sige,
                "confidence": round(float(row.confidence), 2), "reason": row.reason})
        out = []
        for row in self.course_days.itertuples(index=False):
            key = (row.course, row.day)
            out.append({
                "course": row.course, "date": row.day.isoformat(),
                "sige_enrolled": int(row.sige_enrolled),
                "libro_students": int(row.libro_students),
                "missing_in_libro": missing.get(key, []),
                "unknown_to_sige": unknown.get(key, []),
                "suggested_pairs": pairs.get(key, []),
                "invalid_ruts": invalid.get(key, []),
                "ready": bool(row.ready),
                "reasons": list(row.reasons),
            })
        return out


def _lists(frame: pd.DataFrame, column: str) -> dict[tuple, list[str]]:
    if frame.empty:
        return {}
    grouped = frame.groupby(["course", "day"], sort=False)[column]
    return {key: sorted(values.tolist()) for key, values in grouped}


@collector_paused()  # many small objects, none in cycles: see reconcile.collector
def reconcile(enrolment: pd.DataFrame, marks: pd.DataFrame,
              people: pd.DataFrame | None = None, *,
              corrections: Mapping[str, str] | None = None,
              threshold: float = DEFAULT_THRESHOLD,
              provisional_min_body: int = rutlib.DEFAULT_PROVISIONAL_MIN_BODY,
              start: date | None = None, end: date | None = None) -> Reconciliation:
    """Reconcile SIGE's ``enrolment`` (course, rut, incorporated_on, withdrawn_on)
    with the Libro's ``marks`` (course, rut, day). ``people`` is indexed by RUT
    (nombres, ape_paterno, ape_materno, full_name, birth_date, gender; any of
    them). ``corrections`` (Libro RUT -> SIGE RUT) apply before anything else.
    Optional ``rbd`` columns on both frames keep schools apart when suggesting.
    ``start``/``end`` limit the days looked at (inclusive)."""
    if start is not None or end is not None:
        days = day_numbers(marks["day"])
        lo = -np.inf if start is None else day_numbers(pd.Series([start]))[0]
        hi = np.inf if end is None else day_numbers(pd.Series([end]))[0]
        marks = marks[(days >= lo) & (days <= hi)]
    rosters, keys = compare_with_keys(enrolment, marks, corrections, ordered=False)
    missing = _with_dates(rosters.missing)
    unknown = _classify(_with_dates(rosters.unknown), provisional_min_body)
    # The course-days (one per course and day: the school's size) and the course
    # problems are worked out beside the suggestions and duplicates (the
    # unmatched children's size): NumPy, pandas and Arrow let go of the GIL.
    with ThreadPoolExecutor(max_workers=2) as pool:
        course_days = pool.submit(_ordered_course_days, rosters.course_days, keys)
        wrong_course = pool.submit(_wrong_course, unknown, enrolment, keys)
        # Distinct courses first: iterating an Arrow column costs a Python object per row.
        courses = (set(missing["course"].unique().tolist())
                   | set(unknown["course"].unique().tolist()))
        schools = _schools(enrolment, marks, courses, keys)
        known = People(people, provisional_min_body)
        suggestions = suggest_pairs(_school_of(unknown[["course", "rut"]], schools),
                                    _school_of(missing[["course", "rut"]], schools),
                                    known, threshold, provisional_min_body)
        pairs = _pairs_by_day(suggestions.pairs, unknown, missing)
        paired = set(suggestions.pairs["libro"])
        duplicates = pd.concat([
            _merged_duplicates(rosters.merged),
            _name_duplicates(unknown[~unknown["rut"].isin(paired)], marks, known, corrections,
                             keys),
        ], ignore_index=True)
        course_days, wrong_course = course_days.result(), wrong_course.result()
    return Reconciliation(course_days, missing, unknown, pairs, suggestions.ambiguous,
                          duplicates, wrong_course)


def _ordered_course_days(course_days: pd.DataFrame, keys: Keys | None) -> pd.DataFrame:
    """The course-days in course order, with ``ready`` and ``reasons``."""
    order = _course_order(course_days)
    course_days = _with_dates(course_days.iloc[order].reset_index(drop=True))
    if keys is None:
        n_missing = n_unknown = np.zeros(len(course_days), dtype=np.int64)
    else:
        n_missing, n_unknown = keys.missing_counts[order], keys.unknown_counts[order]
    course_days["ready"] = (n_missing == 0) & (n_unknown == 0)
    which = (n_missing > 0).astype(np.int64) + 2 * (n_unknown > 0).astype(np.int64)
    # One immutable tuple per kind of course-day, shared by its rows (entries() turns
    # them into lists): 30,000 fresh lists would cost a garbage collection of the heap.
    shared = np.empty(len(_REASONS), dtype=object)
    for i, reasons in enumerate(_REASONS):
        shared[i] = reasons
    course_days["reasons"] = shared[which]
    return course_days


def _course_order(course_days: pd.DataFrame) -> np.ndarray:
    """The order of the rows: courses as ``course_sort_key`` orders them, then days,
    then (for two texts that read as one course, '1' and '1-') the course text.
    Vectorised: the course keys are worked out once per distinct part of a
    course code, not once per course-day."""
    if course_days.empty:
        return np.arange(0)
    codes, courses = pd.factorize(course_days["course"])
    keys = []
    for text in reversed(_parts(pd.Series(courses).astype(str))):  # lexsort: last key first
        part, values = pd.factorize(text, sort=True)
        values = pd.Series(values, dtype=object)
        # Python's \d is any Unicode decimal digit: \p{Nd} in Arrow's RE2.
        digits = pc.match_substring_regex(pa.array(values.tolist(), type=pa.string()),
                                          pattern=r"^\p{Nd}+$").to_numpy(zero_copy_only=False)
        number = pd.to_numeric(values.where(digits, None), errors="coerce")
        keys += [part, number.fillna(0).to_numpy()[part], number.isna().to_numpy()[part]]
    # Dense ranks: two texts with equal keys ('1' and '1-') tie.
    ranked = np.lexsort(keys)
    changes = np.zeros(len(courses), dtype=bool)
    for key in keys:
        in_order = np.asarray(key)[ranked]
        changes[1:] |= in_order[1:] != in_order[:-1]
    rank = np.empty(len(courses), dtype=np.int64)
    rank[ranked] = np.cumsum(changes)
    by_text = np.zeros(len(courses), dtype=np.int64)
    if rank.max() + 1 < len(courses):  # ties: the text decides, after the day
        by_text[np.argsort(np.asarray(courses, dtype=object), kind="stable")] = np.arange(
            len(courses))
    return np.lexsort([by_text[codes], day_numbers(course_days["day"]), rank[codes]])


def _parts(texts: pd.Series) -> list[pd.Series]:
    """``texts.str.split('-', expand=True).fillna('')`` as a list of columns, split
    in Arrow (pandas splits one Python string at a time).

    >>> [p.tolist() for p in _parts(pd.Series(['110-1-A', '9', '1--B']))]
    [['110', '9', '1'], ['1', '', ''], ['A', '', 'B']]
    """
    lists = pc.split_pattern(pa.array(texts.tolist(), type=pa.string()), pattern="-")
    flat = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    owner = pc.list_parent_indices(lists).to_numpy()
    offsets = lists.offsets.to_numpy()
    position = np.arange(len(flat)) - offsets[owner]
    out = []
    for j in range(int(position.max()) + 1 if len(flat) else 0):
        column = np.full(len(texts), "", dtype=object)
        at = position == j
        column[owner[at]] = flat[at]
        out.append(pd.Series(column, dtype=object))
    return out


def _with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """``day`` as ``datetime.date`` objects, made once per distinct day."""
    frame = frame.copy()
    if frame.empty:
        frame["day"] = pd.to_datetime(frame["day"]).dt.date.astype(object)
        return frame
    codes, days = pd.factorize(frame["day"])
    dates = np.empty(len(days), dtype=object)
    dates[:] = list(pd.to_datetime(pd.Series(days)).dt.date)
    frame["day"] = pd.Series(dates[codes], index=frame.index, dtype=object)
    return frame


def _classify(unknown: pd.DataFrame, provisional_min_body: int) -> pd.DataFrame:
    """Kind of each unknown RUT (read as numbers, all at once), and why a RUT is invalid."""
    kinds, _ = kinds_and_bodies(unknown["rut"], provisional_min_body, parse_rut)
    unknown["kind"] = KIND_NAMES[kinds].tolist()
    unknown["invalid"] = unknown["kind"] == rutlib.INVALID
    reasons = np.full(len(unknown), None, dtype=object)
    invalid = np.flatnonzero(unknown["invalid"].to_numpy())
    reasons[invalid] = [parse_rut(r, provisional_min_body).reason
                        for r in unknown["rut"].iloc[invalid].tolist()]
    unknown["invalid_reason"] = reasons.tolist()
    return unknown


def _schools(enrolment: pd.DataFrame, marks: pd.DataFrame, courses: set,
             keys: Keys | None) -> dict | None:
    """The school of each course: that of its first enrolment row, else of its
    first mark row."""
    if "rbd" not in enrolment.columns or "rbd" not in marks.columns or not courses:
        return None
    wanted = np.zeros(len(keys.courses), dtype=bool)
    wanted[keys.courses.get_indexer(list(courses))] = True
    found = np.zeros(len(keys.courses), dtype=bool)
    picks = []
    for frame, codes in ((enrolment, keys.enrolment_course), (marks, keys.marks_course)):
        rows = np.flatnonzero(wanted[codes] & ~found[codes])
        course, first = np.unique(codes[rows], return_index=True)
        found[course] = True
        picks.append((keys.courses.take(course), frame["rbd"].iloc[rows[first]]))
    rbd = pd.concat([values for _, values in picks], ignore_index=True).tolist()
    names = [name for course_names, _ in picks for name in course_names.tolist()]
    return dict(zip(names, rbd, strict=True))


def _school_of(frame: pd.DataFrame, schools: dict | None) -> pd.DataFrame:
    frame = frame.drop_duplicates()
    if schools is not None:
        frame = frame.assign(rbd=frame["course"].map(schools))
    return frame


def _pairs_by_day(pairs: pd.DataFrame, unknown: pd.DataFrame,
                  missing: pd.DataFrame) -> pd.DataFrame:
    """A pair shows on each day the Libro child is unknown in its course and the
    SIGE child is missing from theirs."""
    if pairs.empty:
        return pd.DataFrame(columns=DAY_PAIR_COLUMNS)
    on_day = unknown[["course", "day", "rut"]].merge(
        pairs, left_on=["course", "rut"], right_on=["libro_course", "libro"])
    lacking = missing[["course", "day", "rut"]].rename(
        columns={"course": "sige_course", "rut": "sige"})
    on_day = on_day.merge(lacking, on=["sige_course", "day", "sige"])
    return on_day[DAY_PAIR_COLUMNS].reset_index(drop=True)


def _merged_duplicates(merged: pd.DataFrame) -> pd.DataFrame:
    """A correction folded a Libro RUT onto one the Libro also has that day."""
    frame = _with_dates(merged).rename(columns={"source_rut": "other_rut"})
    frame = frame[frame["rut"] != frame["other_rut"]]
    return frame.assign(how="correction")[["course", "day", "rut", "other_rut", "how"]]


def _name_duplicates(unknown: pd.DataFrame, marks: pd.DataFrame, people: People,
                     corrections: Mapping[str, str] | None, keys: Keys | None) -> pd.DataFrame:
    """An unpaired unknown Libro student with the same name (accents, case and
    order aside) as another Libro student of the same course that day: the child
    is in the Libro twice (e.g. under an IPE and under the RUN). Looks only at
    the course-days with such students, on integer codes; names are read for
    those students and their classmates only, compared as vectorised name keys."""
    columns = ["course", "day", "rut", "other_rut", "how"]
    if unknown.empty:
        return pd.DataFrame(columns=columns)
    rows = unknown.index.to_numpy()  # positions in the roster's unknown rows
    u_cd, u_rut = keys.unknown_course_day[rows], keys.unknown_rut[rows]
    # Classmates: each (course-day, RUT after corrections) once, in the order the
    # marks first name them, grouped by course-day.
    at = np.flatnonzero(member(keys.marks_course_day, u_cd, len(keys.courses) * keys.span))
    first, pair = pd.factorize(keys.marks_course_day[at] * keys.rut_span + keys.marks_rut[at])
    first_row = at[np.unique(first, return_index=True)[1]]
    order = np.argsort(pair // keys.rut_span, kind="stable")
    m_cd, m_rut, first_row = pair[order] // keys.rut_span, pair[order] % keys.rut_span, \
        first_row[order]
    lo = np.searchsorted(m_cd, u_cd, side="left")
    count = np.searchsorted(m_cd, u_cd, side="right") - lo
    u_at = np.repeat(np.arange(len(rows)), count)
    m_at = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count) \
        + np.repeat(lo, count)
    other = m_rut[m_at] != u_rut[u_at]
    u_at, m_at = u_at[other], m_at[other]
    if not len(u_at):
        return pd.DataFrame(columns=columns)
    mates = take(marks["rut"], first_row)
    if corrections:
        mates = pd.Series([corrections.get(r, r) for r in mates.tolist()], dtype=object)
    # Every RUT named once, in one pass over the people.
    codes, distinct = pd.factorize(pd.concat([unknown["rut"], mates], ignore_index=True),
                                   use_na_sentinel=False)
    by_name = people.name_keys(pd.Series(distinct).tolist())[codes]
    own_keys, mate_keys = by_name[:len(unknown)], by_name[len(unknown):]
    same = (own_keys[u_at] == mate_keys[m_at]) & (own_keys[u_at] != 0)
    found = unknown[["course", "day", "rut"]].iloc[u_at[same]].reset_index(drop=True)
    found["other_rut"] = mates.iloc[m_at[same]].reset_index(drop=True)
    return found.assign(how="name")[columns]


def _wrong_course(unknown: pd.DataFrame, enrolment: pd.DataFrame,
                  keys: Keys | None) -> pd.DataFrame:
    """Unknown Libro students whom SIGE has enrolled that day in another course
    (enrolment rows found by RUT code, not by text)."""
    columns = ["course", "day", "rut", "sige_course"]
    if unknown.empty:
        return pd.DataFrame(columns=columns)
    rows = np.flatnonzero(pd.Index(keys.enrolment_rut).isin(np.unique(keys.unknown_rut)))
    elsewhere = pd.DataFrame({name: take(enrolment[name], rows) for name in (
        "course", "rut", "incorporated_on", "withdrawn_on")})
    both = unknown[["course", "day", "rut"]].merge(
        elsewhere[["course", "rut", "incorporated_on", "withdrawn_on"]].rename(
            columns={"course": "sige_course"}), on="rut")
    both = both[both["course"] != both["sige_course"]]
    if both.empty:
        return pd.DataFrame(columns=columns)
    day = day_numbers(both["day"])
    inc = day_numbers(both["incorporated_on"])
    out = day_numbers(both["withdrawn_on"])
    enrolled = ((both["incorporated_on"].isna().to_numpy() | (inc <= day))
                & (both["withdrawn_on"].isna().to_numpy() | (day < out)))
    return both[enrolled][columns].reset_index(drop=True)


__all__ = ["CASO_1", "CASO_2", "DEFAULT_THRESHOLD", "Reconciliation", "reconcile",
           "course_sort_key", "PAIR_COLUMNS", "AMBIGUOUS_COLUMNS"]
