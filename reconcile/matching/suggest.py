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

from dataclasses import dataclass

import pandas as pd

from reconcile import rut as rutlib
from reconcile.matching.names import name_similarity, name_tokens

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


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _person(rut: str, row: dict, prefer_full_name: bool, provisional_min_body: int) -> _Person:
    parsed = rutlib.parse(rut, provisional_min_body)
    parts = [_text(row.get(k)) for k in ("nombres", "ape_paterno", "ape_materno")]
    from_parts = " ".join(p for p in parts if p)
    full = _text(row.get("full_name")) or ""
    name = (full or from_parts) if prefer_full_name else (from_parts or full)
    birth = row.get("birth_date")
    birth = None if birth is None or pd.isna(birth) else pd.Timestamp(birth).date()
    gender = (_text(row.get("gender")) or "").upper()[:1] or None
    return _Person(rut, parsed.kind, parsed.body, name_tokens(name), name, birth, gender)


def _stage(libro: _Person, sige: _Person) -> str | None:
    definitive = rutlib.DEFINITIVE
    if libro.kind == definitive and sige.kind == definitive:
        return None  # two valid RUNs: another child, never guessed
    if libro.kind == rutlib.INVALID and libro.body is not None and libro.body == sige.body:
        return CHECK_DIGIT
    if {libro.kind, sige.kind} == {rutlib.PROVISIONAL, definitive}:
        return PROVISIONAL
    return NAME


def _agreement(a: object, b: object) -> str:
    if a is None or b is None:
        return UNKNOWN
    return AGREE if a == b else DIFFER


def _score(libro: _Person, sige: _Person, stage: str, same_course: bool) -> tuple[float, dict]:
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


def _people_rows(people: pd.DataFrame | None, ruts: set[str]) -> dict[str, dict]:
    if people is None or people.empty or not ruts:
        return {}
    subset = people[people.index.isin(list(ruts))]
    subset = subset[~subset.index.duplicated()]
    return {str(rut): row for rut, row in zip(subset.index, subset.to_dict("records"),
                                                 strict=True)}


def suggest_pairs(unknown: pd.DataFrame, missing: pd.DataFrame,
                  people: pd.DataFrame | None, threshold: float,
                  provisional_min_body: int = rutlib.DEFAULT_PROVISIONAL_MIN_BODY) -> Suggestions:
    """Pair Libro identifiers SIGE does not know with SIGE students the Libro lacks.

    ``unknown``: distinct (course, rut) from the Libro; ``missing``: distinct
    (course, rut) from SIGE; both may carry ``rbd`` to keep schools apart.
    ``people``: indexed by RUT with any of nombres, ape_paterno, ape_materno,
    full_name, birth_date, gender.
    """
    unknown = unknown.drop_duplicates(["course", "rut"])
    missing = missing.drop_duplicates(["course", "rut"])
    if unknown.empty or missing.empty:
        return _empty()
    rows = _people_rows(people, set(unknown["rut"]) | set(missing["rut"]))
    libro = {r: _person(r, rows.get(r, {}), True, provisional_min_body)
             for r in unknown["rut"].unique()}
    sige = {r: _person(r, rows.get(r, {}), False, provisional_min_body)
            for r in missing["rut"].unique()}

    school = ["rbd"] if "rbd" in unknown.columns and "rbd" in missing.columns else []
    grid = unknown.rename(columns={"course": "libro_course", "rut": "libro"}).merge(
        missing.rename(columns={"course": "sige_course", "rut": "sige"}),
        how="inner" if school else "cross", on=school or None)
    grid = grid[grid["libro"] != grid["sige"]]  # same RUT elsewhere: a course problem

    candidates = []
    for libro_course, libro_rut, sige_course, sige_rut in zip(
            grid["libro_course"], grid["libro"], grid["sige_course"], grid["sige"], strict=True):
        stage = _stage(libro[libro_rut], sige[sige_rut])
        if stage is None:
            continue
        same_course = libro_course == sige_course
        confidence, evidence = _score(libro[libro_rut], sige[sige_rut], stage, same_course)
        candidates.append((0 if same_course else 1, -confidence, libro_rut, sige_rut,
                           libro_course, sige_course, stage, evidence))
    return _assign(sorted(candidates, key=lambda c: c[:4]), threshold, libro, sige)


def _assign(candidates: list[tuple], threshold: float, libro: dict[str, _Person],
            sige: dict[str, _Person]) -> Suggestions:
    """Greedy, best first: the same course before the school, higher confidence
    first. A close rival blocks the pair and leaves both children to a person: a
    second SIGE child for the same Libro child, or a second Libro child for whom
    this SIGE child is about as good as their own best."""
    eligible = [c for c in candidates if -c[1] >= threshold]
    by_libro: dict[str, list[tuple]] = {}
    by_sige: dict[str, list[tuple]] = {}
    for c in eligible:
        by_libro.setdefault(c[2], []).append(c)
        by_sige.setdefault(c[3], []).append(c)
    taken_libro: set[str] = set()
    taken_sige: set[str] = set()
    pairs, ambiguous = [], []

    def open_(c: tuple) -> bool:
        return c[2] not in taken_libro and c[3] not in taken_sige

    def best_for(libro_rut: str, level: int) -> float:
        return max(-c[1] for c in by_libro[libro_rut] if c[0] == level and open_(c))

    for candidate in eligible:
        level, negative, libro_rut, sige_rut, libro_course, sige_course, stage, evidence = candidate
        if not open_(candidate):
            continue
        confidence = -negative
        close = confidence - AMBIGUITY_MARGIN
        other_sige = [c[3] for c in by_libro[libro_rut] if c[0] == level
                      and c[3] != sige_rut and open_(c) and -c[1] > close]
        other_libro = [c[2] for c in by_sige[sige_rut] if c[0] == level
                       and c[2] != libro_rut and open_(c) and -c[1] > close
                       and -c[1] > best_for(c[2], level) - AMBIGUITY_MARGIN]
        taken_libro.add(libro_rut)
        taken_sige.add(sige_rut)
        if other_sige or other_libro:
            ambiguous.append((libro_rut, libro_course, sorted({sige_rut, *other_sige})))
            continue
        pairs.append((libro_rut, libro_course, sige_rut, sige_course, confidence, stage,
                      level == 0, evidence, libro[libro_rut].name, sige[sige_rut].name))
    return Suggestions(pd.DataFrame(pairs, columns=PAIR_COLUMNS),
                       pd.DataFrame(ambiguous, columns=AMBIGUOUS_COLUMNS))


def _empty() -> Suggestions:
    return Suggestions(pd.DataFrame(columns=PAIR_COLUMNS),
                       pd.DataFrame(columns=AMBIGUOUS_COLUMNS))
