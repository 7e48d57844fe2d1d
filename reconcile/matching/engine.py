"""The reconciliation of SIGE's enrolment with the Libro Digital, over pandas frames.

Pure: no database, no clock, no settings lookups. ``reconcile`` runs the
set-based roster comparison (``rosters``), then works on the small set left
unmatched: invalid RUTs, students under another course in SIGE, children
written twice in one course, and suggested pairs (``suggest``). The result
turns into the ``check --json`` entries of DESIGN.md with ``entries()``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from reconcile import rut as rutlib
from reconcile.matching.names import name_keys
from reconcile.matching.rosters import compare_rosters, day_numbers, isin
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


def course_sort_key(code: str) -> tuple:
    """``110-10-A`` after ``110-2-A``: numbers compare as numbers.

    >>> sorted(['310-1-A', '110-10-A', '110-2-B', '110-2-A'], key=course_sort_key)
    ['110-2-A', '110-2-B', '110-10-A', '310-1-A']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in str(code).split("-"))


def _lists(frame: pd.DataFrame, column: str) -> dict[tuple, list[str]]:
    if frame.empty:
        return {}
    grouped = frame.groupby(["course", "day"], sort=False)[column]
    return {key: sorted(values.tolist()) for key, values in grouped}


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
    rosters = compare_rosters(enrolment, marks, corrections)
    course_days = _in_course_order(rosters.course_days)
    missing = _with_dates(rosters.missing)
    unknown = _classify(_with_dates(rosters.unknown), provisional_min_body)
    course_days = _with_dates(course_days)

    schools = _schools(enrolment, marks, set(missing["course"]) | set(unknown["course"]))
    known = People(people, provisional_min_body)
    suggestions = suggest_pairs(_school_of(unknown[["course", "rut"]], schools),
                                _school_of(missing[["course", "rut"]], schools),
                                known, threshold, provisional_min_body)
    pairs = _pairs_by_day(suggestions.pairs, unknown, missing)
    paired = set(suggestions.pairs["libro"])
    duplicates = pd.concat([
        _merged_duplicates(rosters.merged),
        _name_duplicates(unknown[~unknown["rut"].isin(paired)], marks, known, corrections),
    ], ignore_index=True)
    wrong_course = _wrong_course(unknown, enrolment)

    n_missing = _counts(missing, course_days)
    n_unknown = _counts(unknown, course_days)
    course_days["ready"] = (n_missing == 0) & (n_unknown == 0)
    course_days["reasons"] = [
        [reason for reason, count in ((CASO_1, m), (CASO_2, u)) if count]
        for m, u in zip(n_missing, n_unknown, strict=True)]
    return Reconciliation(course_days, missing, unknown, pairs, suggestions.ambiguous,
                          duplicates, wrong_course)


def _in_course_order(course_days: pd.DataFrame) -> pd.DataFrame:
    """Courses as ``course_sort_key`` orders them, then days; vectorised."""
    if course_days.empty:
        return course_days
    parts = course_days["course"].astype(str).str.split("-", expand=True)
    keys = [day_numbers(course_days["day"])]
    for column in reversed(parts.columns.tolist()):  # lexsort: the last key is the first
        text = parts[column].fillna("")
        number = pd.to_numeric(text.where(text.str.fullmatch(r"\d+"), None), errors="coerce")
        keys += [text.to_numpy(dtype=object), number.fillna(0).to_numpy(),
                 number.isna().to_numpy()]
    order = np.lexsort(keys)
    return course_days.iloc[order].reset_index(drop=True)


def _with_dates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date.astype(object)
    return frame


def _classify(unknown: pd.DataFrame, provisional_min_body: int) -> pd.DataFrame:
    """Parse only the distinct unknown RUTs: kind, and why a RUT is invalid."""
    values = unknown["rut"].tolist()
    unknown["kind"] = [parse_rut(r, provisional_min_body).kind for r in values]
    unknown["invalid"] = unknown["kind"] == rutlib.INVALID
    unknown["invalid_reason"] = [parse_rut(r, provisional_min_body).reason for r in values]
    return unknown


def _counts(items: pd.DataFrame, course_days: pd.DataFrame) -> np.ndarray:
    if items.empty:
        return np.zeros(len(course_days), dtype=np.int64)
    counts = items.groupby(["course", "day"]).size()
    index = pd.MultiIndex.from_frame(course_days[["course", "day"]])
    return counts.reindex(index, fill_value=0).to_numpy()


def _schools(enrolment: pd.DataFrame, marks: pd.DataFrame, courses: set) -> dict | None:
    if "rbd" not in enrolment.columns or "rbd" not in marks.columns or not courses:
        return None
    wanted = list(courses)
    both = pd.concat([enrolment.loc[isin(enrolment["course"], wanted), ["course", "rbd"]],
                      marks.loc[isin(marks["course"], wanted), ["course", "rbd"]]])
    return dict(both.drop_duplicates("course").itertuples(index=False, name=None))


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
                     corrections: Mapping[str, str] | None) -> pd.DataFrame:
    """An unpaired unknown Libro student with the same name (accents, case and
    order aside) as another Libro student of the same course that day: the child
    is in the Libro twice (e.g. under an IPE and under the RUN). Looks only at
    the course-days with such students, comparing vectorised name keys."""
    columns = ["course", "day", "rut", "other_rut", "how"]
    if unknown.empty:
        return pd.DataFrame(columns=columns)
    course_days = unknown[["course", "day"]].drop_duplicates()
    mates = marks.loc[isin(marks["course"], course_days["course"].unique().tolist()),
                      ["course", "rut", "day"]].drop_duplicates()
    mates = _with_dates(mates).merge(course_days, on=["course", "day"])
    if corrections:
        mates["rut"] = [corrections.get(r, r) for r in mates["rut"].tolist()]
    together = unknown[["course", "day", "rut"]].merge(
        mates.rename(columns={"rut": "other_rut"}), on=["course", "day"])
    together = together[together["rut"] != together["other_rut"]].drop_duplicates()
    if together.empty:
        return pd.DataFrame(columns=columns)
    ruts = pd.unique(pd.concat([together["rut"], together["other_rut"]])).tolist()
    keys = pd.Series(name_keys(people.name_texts(ruts)), index=ruts)
    first, second = keys.reindex(together["rut"]).to_numpy(), keys.reindex(
        together["other_rut"]).to_numpy()
    same = (first == second) & (first != 0)
    return together[same].assign(how="name")[columns].reset_index(drop=True)


def _wrong_course(unknown: pd.DataFrame, enrolment: pd.DataFrame) -> pd.DataFrame:
    """Unknown Libro students whom SIGE has enrolled that day in another course."""
    columns = ["course", "day", "rut", "sige_course"]
    if unknown.empty:
        return pd.DataFrame(columns=columns)
    elsewhere = enrolment[isin(enrolment["rut"], unknown["rut"].unique().tolist())]
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
