"""Suggested pairs: which SIGE student a Libro student SIGE does not know probably is.

Runs on the small set left unmatched by the roster comparison only. For each
Libro identifier SIGE does not know, candidates are the SIGE students the Libro
lacks, first in the same course, then in the rest of the school. The kinds of
the two identifiers decide the stage, and so the reason given:

- ``check_digit``: same body, the Libro's check digit is wrong;
- ``provisional``: a provisional number (IPE or home-made) on one side and a
  definitive RUN on the other, with agreeing names;
- ``name``: anything else (an unparseable Libro identifier, two provisional
  numbers): names, birth date and gender only.

Two valid definitive RUTs are never paired: that is another child, or a SIGE
problem to show, not to guess. Names weigh most; birth date and gender, when
both sides know them, raise or lower the confidence. A pair is suggested only at
or above the threshold and only when no rival candidate comes close (a child
who could be either of two is a question for a person); one child is never in
two pairs.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reconcile import rut as rutlib
from reconcile.matching.names import name_keys, name_similarities, name_similarity, name_tokens
from reconcile.matching.rosters import isin, take
from reconcile.matching.rutcodes import KIND_CODES, KIND_NAMES, kinds_and_bodies

PROVISIONAL = "provisional"
CHECK_DIGIT = "check_digit"
NAME = "name"
REASONS = (PROVISIONAL, CHECK_DIGIT, NAME)

# A rival within this distance of the best candidate makes the pair ambiguous.
AMBIGUITY_MARGIN = 0.05
# The identifier itself is evidence in the first two stages; names alone weigh less.
NAME_STAGE_WEIGHT = 0.9
# A candidate from another course is less likely than one from the Libro's course.
OTHER_COURSE_WEIGHT = 0.95
# check_digit: the shared body carries this much on its own; names the rest.
SAME_BODY_BASE = 0.6

AGREE, DIFFER, UNKNOWN = "agree", "differ", "unknown"

PAIR_COLUMNS = ["libro", "libro_course", "sige", "sige_course", "confidence", "reason",
                "same_course", "evidence", "libro_name", "sige_name"]
AMBIGUOUS_COLUMNS = ["libro", "libro_course", "candidates"]


@dataclass(frozen=True)
class Suggestions:
    pairs: pd.DataFrame  # PAIR_COLUMNS
    ambiguous: pd.DataFrame  # AMBIGUOUS_COLUMNS: children left for a person to decide


@dataclass(frozen=True)
class _Person:
    rut: str
    kind: str
    body: int | None
    tokens: tuple[str, ...]
    name: str
    birth_date: object
    gender: str | None


@lru_cache(maxsize=1 << 16)
def parse_rut(value: str, provisional_min_body: int) -> rutlib.Rut:
    """``rut.parse``, remembered: the same few RUTs are looked at several times."""
    return rutlib.parse(value, provisional_min_body)


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


class People:
    """Names, birth date and gender of the few RUTs the later stages look at,
    looked up in batches from a frame indexed by RUT (any of nombres,
    ape_paterno, ape_materno, full_name, birth_date, gender)."""

    def __init__(self, frame: pd.DataFrame | None,
                 provisional_min_body: int = rutlib.DEFAULT_PROVISIONAL_MIN_BODY):
        self._frame = frame
        self._min_body = provisional_min_body
        # Loaded rows, column-wise (a dict per row costs time and garbage
        # collection): RUT -> position in the columns, -1 when unknown.
        self._at: dict[str, int] = {}
        self._columns: dict[str, list] = {}
        self._persons: dict[tuple[str, bool], _Person] = {}

    @property
    def provisional_min_body(self) -> int:
        return self._min_body

    def load(self, ruts: Iterable[str]) -> None:
        """Read the rows of the RUTs not loaded yet, in one pass over the frame."""
        wanted = [r for r in dict.fromkeys(ruts) if r not in self._at]
        if not wanted:
            return
        if self._frame is not None and not self._frame.empty:
            subset = _rows_of(self._frame, wanted)
            first = len(next(iter(self._columns.values()), ()))
            for column in subset.columns:
                self._columns.setdefault(column, []).extend(subset[column].tolist())
            self._at.update(zip(subset.index.tolist(), range(first, first + len(subset)),
                                strict=True))
        for value in wanted:
            self._at.setdefault(value, -1)

    def _column(self, name: str, positions: list[int]) -> list:
        """One loaded column at ``positions``; None where the RUT or column is unknown."""
        values = self._columns.get(name)
        if values is None:
            return [None] * len(positions)
        return [None if at < 0 else values[at] for at in positions]

    def name_keys(self, ruts: list[str]) -> np.ndarray:
        """``names.name_keys`` of the Libro-side name of each RUT (full name, else
        the parts); 0 when unknown. Read in Arrow, without a Python string per name."""
        frame = self._frame
        if frame is None or frame.empty or not ruts:
            return np.zeros(len(ruts), dtype=np.uint64)
        subset = _rows_of(frame, ruts)
        n = len(subset)

        def column(name: str) -> pa.Array:
            if name not in subset:
                return pa.nulls(n, type=pa.string())
            return pa.array(subset[name].astype("str"), from_pandas=True).cast(pa.string())

        parts = [pc.fill_null(column(c), "") for c in ("nombres", "ape_paterno", "ape_materno")]
        joined = pc.binary_join_element_wise(*parts, " ")
        full = column("full_name")
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(full), ""), True)
        text = pc.if_else(blank, joined, full)
        at = subset.index.get_indexer(ruts)  # a hash of the few rows found, not of the school
        return name_keys(pc.take(text, pa.array(at, mask=at < 0)))

    def person(self, value: str, libro_side: bool) -> _Person:
        """The Libro writes a full name; SIGE its parts: each side prefers its own."""
        return self.persons([value], libro_side)[0]

    def persons(self, values: list[str], libro_side: bool) -> list[_Person]:
        """``person`` of each value; those not seen yet built together, column by
        column (no dict per row, one pass per field)."""
        cache = self._persons
        new = [v for v in dict.fromkeys(values) if (v, libro_side) not in cache]
        if new:
            self.load(new)
            positions = [self._at[v] for v in new]
            fields = {name: self._column(name, positions) for name in (
                "nombres", "ape_paterno", "ape_materno", "full_name", "birth_date", "gender")}
            for value, person in zip(new, _persons(new, fields, libro_side, self._min_body),
                                     strict=True):
                cache[(value, libro_side)] = person
        return [cache[(v, libro_side)] for v in values]


def _rows_of(frame: pd.DataFrame, ruts: list[str]) -> pd.DataFrame:
    """The rows of ``ruts`` (the first of each RUT), in the frame's order: one pass
    over the index against a hash of the few RUTs wanted. Looking them up in the
    index would first hash every RUT of the school (pandas builds that table on
    first use: seconds at national scale)."""
    positions = np.flatnonzero(isin(frame.index, ruts))
    index = pd.Index(take(frame.index, positions), name=frame.index.name)
    subset = pd.DataFrame({name: take(frame[name], positions).set_axis(index)
                           for name in frame.columns}, index=index)
    return subset[~subset.index.duplicated()]


def _persons(ruts: list[str], fields: dict[str, list], prefer_full_name: bool,
             provisional_min_body: int) -> list[_Person]:
    """People from their fields (one list per field, aligned with ``ruts``)."""
    parts = zip(*([_text(v) for v in fields[k]] for k in ("nombres", "ape_paterno", "ape_materno")),
                strict=True)
    from_parts = [" ".join(p for p in three if p) for three in parts]
    full = [_text(v) or "" for v in fields["full_name"]]
    if prefer_full_name:
        names = [f or p for f, p in zip(full, from_parts, strict=True)]
    else:
        names = [p or f for f, p in zip(full, from_parts, strict=True)]
    births = [None if b is None or pd.isna(b) else pd.Timestamp(b).date()
              for b in fields["birth_date"]]
    genders = [(_text(g) or "").upper()[:1] or None for g in fields["gender"]]
    kinds, bodies = kinds_and_bodies(pd.Series(ruts, dtype=object), provisional_min_body,
                                      parse_rut)
    kinds = KIND_NAMES[kinds].tolist()
    bodies = [None if b < 0 else b for b in bodies.tolist()]
    return [_Person(rut, kind, body, name_tokens(name), name, birth, gender)
            for rut, kind, body, name, birth, gender
            in zip(ruts, kinds, bodies, names, births, genders, strict=True)]


def _agreement(a: object, b: object) -> str:
    if a is None or b is None:
        return UNKNOWN
    return AGREE if a == b else DIFFER


def _score(libro: _Person, sige: _Person, stage: str, same_course: bool,
           names: float | None = None) -> tuple[float, dict]:
    """``names``: the two names' similarity when already worked out (in bulk)."""
    if names is None:
        names = name_similarity(libro.tokens, sige.tokens)
    both_named = bool(libro.tokens and sige.tokens)
    evidence_score = names if both_named or stage != CHECK_DIGIT else 0.5
    birth = _agreement(libro.birth_date, sige.birth_date)
    gender = _agreement(libro.gender, sige.gender)
    # Agreement closes part of the gap to 1; disagreement cuts the score.
    if birth == AGREE:
        evidence_score += (1 - evidence_score) * 0.5
    elif birth == DIFFER:
        evidence_score *= 0.6
    if gender == AGREE:
        evidence_score += (1 - evidence_score) * 0.2
    elif gender == DIFFER:
        evidence_score *= 0.8
    if stage == CHECK_DIGIT:
        confidence = SAME_BODY_BASE + (1 - SAME_BODY_BASE) * evidence_score
    elif stage == NAME:
        confidence = NAME_STAGE_WEIGHT * evidence_score
    else:
        confidence = evidence_score
    if not same_course:
        confidence *= OTHER_COURSE_WEIGHT
    evidence = {"names": round(names, 4), "birth_date": birth, "gender": gender,
                "same_course": same_course, "same_body": libro.body is not None
                and libro.body == sige.body}
    return round(min(max(confidence, 0.0), 1.0), 4), evidence


def suggest_pairs(unknown: pd.DataFrame, missing: pd.DataFrame,
                  people: pd.DataFrame | People | None, threshold: float,
                  provisional_min_body: int = rutlib.DEFAULT_PROVISIONAL_MIN_BODY) -> Suggestions:
    """Pair Libro identifiers SIGE does not know with SIGE students the Libro lacks.

    ``unknown``: distinct (course, rut) from the Libro; ``missing``: distinct
    (course, rut) from SIGE; both may carry ``rbd`` to keep schools apart.
    ``people``: a frame indexed by RUT (see ``People``) or a ``People``.
    """
    unknown = unknown.drop_duplicates(["course", "rut"])
    missing = missing.drop_duplicates(["course", "rut"])
    if unknown.empty or missing.empty:
        return _empty()
    if not isinstance(people, People):
        people = People(people, provisional_min_body)
    libro_ruts, sige_ruts = unknown["rut"].unique().tolist(), missing["rut"].unique().tolist()
    people.load(libro_ruts + sige_ruts)
    school = ["rbd"] if "rbd" in unknown.columns and "rbd" in missing.columns else []
    libro_side = unknown.rename(columns={"course": "libro_course", "rut": "libro"})
    sige_side = missing.rename(columns={"course": "sige_course", "rut": "sige"})
    state = _Assignment(threshold)
    # First the Libro child's own course; then, for whoever is left, the school.
    same = libro_side.merge(sige_side, left_on=["libro_course", *school],
                            right_on=["sige_course", *school])
    state.assign(_candidates(same, 0, people))
    left_libro = libro_side[~isin(libro_side["libro"], list(state.taken_libro))]
    left_sige = sige_side[~isin(sige_side["sige"], list(state.taken_sige))]
    if not left_libro.empty and not left_sige.empty:
        other = left_libro.merge(left_sige, how="inner" if school else "cross",
                                 on=school or None)
        other = other[other["libro_course"] != other["sige_course"]]
        state.assign(_candidates(other, 1, people))
    return Suggestions(pd.DataFrame(state.pairs, columns=PAIR_COLUMNS),
                       pd.DataFrame(state.ambiguous, columns=AMBIGUOUS_COLUMNS))


def _candidates(grid: pd.DataFrame, level: int, people: People) -> list[tuple]:
    """Scored candidate pairs, best first: (level, -confidence, libro, sige,
    libro_course, sige_course, stage, evidence, libro_name, sige_name)."""
    grid = grid[grid["libro"] != grid["sige"]]  # same RUT elsewhere: a course problem
    stages = _stages(grid["libro"], grid["sige"], people.provisional_min_body)
    kept = np.flatnonzero(stages != None)  # noqa: E711 - elementwise
    grid = grid.iloc[kept]
    staged = list(zip(grid["libro_course"].tolist(), grid["libro"].tolist(),
                      grid["sige_course"].tolist(), grid["sige"].tolist(),
                      stages[kept].tolist(), strict=True))
    libros = people.persons([c[1] for c in staged], True)
    siges = people.persons([c[3] for c in staged], False)
    # Names, the costly part, scored for all candidates at once.
    names = name_similarities([p.tokens for p in libros], [p.tokens for p in siges])
    out = []
    for (libro_course, libro_rut, sige_course, sige_rut, stage), libro, sige, similarity in zip(
            staged, libros, siges, names.tolist(), strict=True):
        confidence, evidence = _score(libro, sige, stage, level == 0, similarity)
        out.append((level, -confidence, libro_rut, sige_rut, libro_course, sige_course, stage,
                    evidence, libro.name, sige.name))
    return sorted(out, key=lambda c: c[:4])


def _stages(libro: pd.Series, sige: pd.Series, min_body: int) -> np.ndarray:
    """The stage of each pair from the two identifiers alone (names are looked at
    only after), all at once. None: two valid RUNs, another child, never guessed."""
    lk, lb = kinds_and_bodies(libro, min_body, parse_rut)
    sk, sb = kinds_and_bodies(sige, min_body, parse_rut)
    definitive, provisional, invalid = (KIND_CODES[k] for k in (
        rutlib.DEFINITIVE, rutlib.PROVISIONAL, rutlib.INVALID))
    return np.select(
        [(lk == definitive) & (sk == definitive),
         (lk == invalid) & (lb >= 0) & (lb == sb),
         ((lk == provisional) & (sk == definitive)) | ((lk == definitive) & (sk == provisional))],
        [None, CHECK_DIGIT, PROVISIONAL], default=NAME).astype(object)


class _Assignment:
    """Greedy, best first. A close rival blocks a pair and leaves both children to
    a person: a second SIGE child for the same Libro child, or a second Libro
    child for whom this SIGE child is about as good as their own best. Whoever
    is paired or blocked is taken: one child is never in two pairs."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.taken_libro: set[str] = set()
        self.taken_sige: set[str] = set()
        self.pairs: list[tuple] = []
        self.ambiguous: list[tuple] = []

    def _open(self, c: tuple) -> bool:
        return c[2] not in self.taken_libro and c[3] not in self.taken_sige

    def assign(self, candidates: list[tuple]) -> None:
        eligible = [c for c in candidates if -c[1] >= self.threshold and self._open(c)]
        by_libro: dict[str, list[tuple]] = {}
        by_sige: dict[str, list[tuple]] = {}
        for c in eligible:
            by_libro.setdefault(c[2], []).append(c)
            by_sige.setdefault(c[3], []).append(c)

        def best_for(libro_rut: str) -> float:
            return max(-c[1] for c in by_libro[libro_rut] if self._open(c))

        for candidate in eligible:
            (level, negative, libro_rut, sige_rut, libro_course, sige_course, stage, evidence,
             libro_name, sige_name) = candidate
            if not self._open(candidate):
                continue
            close = -negative - AMBIGUITY_MARGIN
            other_sige = [c[3] for c in by_libro[libro_rut]
                          if c[3] != sige_rut and self._open(c) and -c[1] > close]
            other_libro = [c[2] for c in by_sige[sige_rut]
                           if c[2] != libro_rut and self._open(c) and -c[1] > close
                           and -c[1] > best_for(c[2]) - AMBIGUITY_MARGIN]
            self.taken_libro.add(libro_rut)
            self.taken_sige.add(sige_rut)
            if other_sige or other_libro:
                self.ambiguous.append((libro_rut, libro_course, sorted({sige_rut, *other_sige})))
                continue
            self.pairs.append((libro_rut, libro_course, sige_rut, sige_course, -negative, stage,
                               level == 0, evidence, libro_name, sige_name))


def _empty() -> Suggestions:
    return Suggestions(pd.DataFrame(columns=PAIR_COLUMNS),
                       pd.DataFrame(columns=AMBIGUOUS_COLUMNS))
