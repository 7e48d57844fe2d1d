"""The pure reconciliation engine over frames: rosters, date rules, corrections,
invalid RUTs, suggestion stages, thresholds, ambiguity, and the JSON entries."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile import rut as rutlib
from reconcile.matching import CASO_1, CASO_2, reconcile
from reconcile.matching.names import name_similarity, name_tokens

D1, D2, D3 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)

# Valid RUNs (check digits computed, not typed), an IPE and a few more.
def run(body: int) -> str:
    return f"{body}-{rutlib.calc_check_digit(body)}"


A, B, C, E, F = run(23456789), run(23511402), run(23698041), run(22987654), run(9876543)
IPE = run(100234567)
IPE2 = run(100765432)
JOSE = run(25123456)


def enrolment(*rows: tuple) -> pd.DataFrame:
    """(course, rut[, incorporated_on[, withdrawn_on]])"""
    full = [(r + (None, None))[:4] for r in rows]
    return pd.DataFrame(full, columns=["course", "rut", "incorporated_on", "withdrawn_on"])


def marks(*rows: tuple) -> pd.DataFrame:
    """(course, rut, day)"""
    return pd.DataFrame(rows, columns=["course", "rut", "day"])


def people(**names: str | tuple) -> pd.DataFrame:
    """rut=full name, or rut=(full name, birth date, gender)."""
    rows = []
    for key, value in names.items():
        full, birth, gender = (value, None, None) if isinstance(value, str) else value
        rows.append((key, full, birth, gender))
    return pd.DataFrame(rows, columns=["rut", "full_name", "birth_date", "gender"]).set_index("rut")


def named(mapping: dict[str, str | tuple]) -> pd.DataFrame:
    return people(**mapping)


def entry(result, course: str, day: date) -> dict:
    return next(e for e in result.entries()
                if e["course"] == course and e["date"] == day.isoformat())


# --- rosters ---------------------------------------------------------------------------

def test_missing_unknown_and_counts_per_course_day():
    result = reconcile(
        enrolment(("110-1-A", A), ("110-1-A", B), ("110-1-A", C)),
        marks(("110-1-A", A, D1), ("110-1-A", A, D1), ("110-1-A", B, D1), ("110-1-A", E, D1)))
    e = entry(result, "110-1-A", D1)
    assert (e["sige_enrolled"], e["libro_students"]) == (3, 3)
    assert e["missing_in_libro"] == [C]
    assert e["unknown_to_sige"] == [E]
    assert e["invalid_ruts"] == []
    assert e["ready"] is False and e["reasons"] == [CASO_1, CASO_2]


def test_only_days_with_a_libro_record_get_an_entry():
    result = reconcile(enrolment(("110-1-A", A), ("110-2-A", B)),
                       marks(("110-1-A", A, D1), ("110-1-A", A, D3)))
    assert [(e["course"], e["date"]) for e in result.entries()] == [
        ("110-1-A", D1.isoformat()), ("110-1-A", D3.isoformat())]
    assert all(e["ready"] and e["reasons"] == [] for e in result.entries())


def test_incorporation_counts_from_its_day_and_withdrawal_from_its_day_on():
    result = reconcile(
        enrolment(("110-1-A", A), ("110-1-A", B, D2), ("110-1-A", C, None, D2)),
        marks(*[("110-1-A", A, d) for d in (D1, D2, D3)]))
    by_day = {d: entry(result, "110-1-A", d) for d in (D1, D2, D3)}
    assert by_day[D1]["missing_in_libro"] == [C]  # B not yet incorporated; C not yet withdrawn
    assert by_day[D2]["missing_in_libro"] == [B]  # B from its incorporation; C withdrawn that day
    assert by_day[D3]["missing_in_libro"] == [B]
    assert [by_day[d]["sige_enrolled"] for d in (D1, D2, D3)] == [2, 2, 2]


def test_a_student_marked_after_withdrawal_is_unknown_that_day():
    result = reconcile(enrolment(("110-1-A", A), ("110-1-A", C, None, D2)),
                       marks(("110-1-A", A, D2), ("110-1-A", C, D2)))
    assert entry(result, "110-1-A", D2)["unknown_to_sige"] == [C]


def test_invalid_ruts_are_unknown_and_listed_with_their_wrong_digit():
    wrong = A[:-1] + ("0" if A[-1] != "0" else "1")
    result = reconcile(enrolment(("110-1-A", A)),
                       marks(("110-1-A", wrong, D1), ("110-1-A", "ABC", D1)))
    e = entry(result, "110-1-A", D1)
    assert e["invalid_ruts"] == sorted([wrong, "ABC"])
    assert set(e["invalid_ruts"]) <= set(e["unknown_to_sige"])
    reasons = dict(zip(result.unknown["rut"], result.unknown["invalid_reason"], strict=True))
    assert "dígito verificador" in reasons[wrong]


def test_entries_sort_courses_numerically_and_lists_as_text():
    result = reconcile(enrolment(("110-10-A", A), ("110-2-A", B), ("110-2-A", C), ("110-2-A", E)),
                       marks(("110-10-A", A, D1), ("110-2-A", F, D1), ("110-2-A", IPE, D1)))
    assert [e["course"] for e in result.entries()] == ["110-2-A", "110-10-A"]
    e = entry(result, "110-2-A", D1)
    assert e["missing_in_libro"] == sorted([B, C, E])
    assert e["unknown_to_sige"] == sorted([F, IPE])


# --- corrections ---------------------------------------------------------------------

def test_a_corrected_child_appears_in_no_list():
    result = reconcile(enrolment(("110-1-A", A), ("110-1-A", JOSE)),
                       marks(("110-1-A", A, D1), ("110-1-A", IPE, D1)),
                       corrections={IPE: JOSE})
    e = entry(result, "110-1-A", D1)
    assert e["ready"] and e["missing_in_libro"] == e["unknown_to_sige"] == []
    assert e["libro_students"] == 2


def test_a_correction_onto_a_rut_the_libro_also_has_is_a_duplicate():
    result = reconcile(enrolment(("110-1-A", JOSE)),
                       marks(("110-1-A", JOSE, D1), ("110-1-A", IPE, D1)),
                       corrections={IPE: JOSE})
    assert entry(result, "110-1-A", D1)["libro_students"] == 1
    dup = result.duplicates
    assert dup[["rut", "other_rut", "how"]].values.tolist() == [[JOSE, IPE, "correction"]]


# --- suggestion stages -------------------------------------------------------------

def test_provisional_stage_pairs_an_ipe_with_the_definitive_run():
    result = reconcile(enrolment(("110-1-A", JOSE), ("110-1-A", C)),
                       marks(("110-1-A", IPE, D1)),
                       named({IPE: "José Manuel Hernández Castillo",
                              JOSE: "HERNANDEZ CASTILLO, Jose Manuel",
                              C: "Sofía Antonia Pérez Soto"}))
    pairs = entry(result, "110-1-A", D1)["suggested_pairs"]
    assert pairs == [{"libro": IPE, "sige": JOSE, "confidence": 1.0, "reason": "provisional"}]
    assert result.pairs["evidence"][0]["names"] == 1.0


def test_provisional_stage_also_works_the_other_way_round():
    result = reconcile(enrolment(("110-1-A", IPE)), marks(("110-1-A", JOSE, D1)),
                       named({IPE: "José Hernández", JOSE: "José Hernández"}))
    assert result.pairs["reason"].tolist() == ["provisional"]


def test_check_digit_stage_needs_the_same_body():
    wrong = JOSE[:-1] + ("0" if JOSE[-1] != "0" else "1")
    result = reconcile(enrolment(("110-1-A", JOSE)), marks(("110-1-A", wrong, D1)),
                       named({wrong: "José Hernández", JOSE: "José Hernández"}))
    [pair] = entry(result, "110-1-A", D1)["suggested_pairs"]
    assert (pair["libro"], pair["sige"], pair["reason"]) == (wrong, JOSE, "check_digit")
    assert result.pairs["evidence"][0]["same_body"] is True


def test_name_stage_for_an_unparseable_identifier_weighs_less():
    result = reconcile(enrolment(("110-1-A", JOSE)), marks(("110-1-A", "S/RUT-7", D1)),
                       named({"S/RUT-7": "José Hernández Castillo",
                              JOSE: "José Hernández Castillo"}))
    [pair] = entry(result, "110-1-A", D1)["suggested_pairs"]
    assert pair["reason"] == "name"
    assert 0.8 <= pair["confidence"] < 1.0


def test_two_valid_definitive_ruts_are_never_paired_on_names():
    result = reconcile(enrolment(("110-1-A", A)), marks(("110-1-A", B, D1)),
                       named({A: "José Hernández Castillo", B: "José Hernández Castillo"}))
    assert result.pairs.empty and result.ambiguous.empty
    e = entry(result, "110-1-A", D1)
    assert e["missing_in_libro"] == [A] and e["unknown_to_sige"] == [B]


def test_different_names_are_not_suggested():
    result = reconcile(enrolment(("110-1-A", JOSE)), marks(("110-1-A", IPE, D1)),
                       named({IPE: "Martina González Muñoz", JOSE: "José Hernández Castillo"}))
    assert result.pairs.empty


def test_the_threshold_decides_what_is_suggested():
    frames = (enrolment(("110-1-A", JOSE)), marks(("110-1-A", IPE, D1)),
              named({IPE: "José Hernández Castillo", JOSE: "José Manuel Hernández Castillo"}))
    confidence = float(reconcile(*frames, threshold=0.0).pairs["confidence"][0])
    assert 0.5 < confidence < 1.0
    assert len(reconcile(*frames, threshold=confidence).pairs) == 1
    assert reconcile(*frames, threshold=min(1.0, confidence + 0.001)).pairs.empty


def test_birth_date_and_gender_raise_or_lower_the_confidence():
    base = {IPE: "José Hernández Castillo", JOSE: "José Manuel Hernández Castillo"}
    frames = (enrolment(("110-1-A", JOSE)), marks(("110-1-A", IPE, D1)))

    def confidence(libro: tuple, sige: tuple) -> float:
        table = named({IPE: (base[IPE], *libro), JOSE: (base[JOSE], *sige)})
        pairs = reconcile(*frames, table, threshold=0.0).pairs
        return float(pairs["confidence"][0]) if len(pairs) else 0.0

    unknown = confidence((None, None), (None, None))
    agree = confidence((date(2019, 5, 9), "M"), (date(2019, 5, 9), "M"))
    differ = confidence((date(2019, 5, 9), "F"), (date(2018, 1, 1), "M"))
    assert differ < unknown < agree


def test_a_child_with_two_equal_candidates_is_left_to_a_person():
    # Same names, but IPE2 is provisional like IPE: only the name stage, which weighs
    # less than the provisional one, so JOSE is clearly the better candidate.
    result = reconcile(enrolment(("110-1-A", JOSE), ("110-1-A", A), ("110-1-A", IPE2)),
                       marks(("110-1-A", IPE, D1)),
                       named({IPE: "José Hernández Castillo", JOSE: "José Hernández Castillo",
                              A: "Sofía Pérez", IPE2: "José Hernández Castillo"}))
    assert result.pairs[["sige", "reason"]].values.tolist() == [[JOSE, "provisional"]]
    twin = reconcile(enrolment(("110-1-A", JOSE), ("110-1-A", run(24111222))),
                     marks(("110-1-A", IPE, D1)),
                     named({IPE: "José Hernández Castillo", JOSE: "José Hernández Castillo",
                            run(24111222): "José Hernández Castillo"}))
    assert twin.pairs.empty
    [row] = twin.ambiguous.itertuples(index=False)
    assert row.libro == IPE and row.candidates == sorted([JOSE, run(24111222)])


def test_a_clearly_better_candidate_wins_and_birth_dates_break_ties():
    other = run(24111222)
    clear = reconcile(enrolment(("110-1-A", JOSE), ("110-1-A", other)),
                      marks(("110-1-A", IPE, D1)),
                      named({IPE: "José Hernández Castillo", JOSE: "José Hernández Castillo",
                             other: "Josefa Hernández Castillo"}))
    assert clear.pairs[["libro", "sige"]].values.tolist() == [[IPE, JOSE]]
    born = date(2019, 5, 9)
    tie_broken = reconcile(enrolment(("110-1-A", JOSE), ("110-1-A", other)),
                           marks(("110-1-A", IPE, D1)),
                           named({IPE: ("José Hernández Castillo", born, None),
                                  JOSE: ("José Hernández Castillo", date(2018, 1, 2), None),
                                  other: ("José Hernández Castillo", born, None)}))
    assert tie_broken.pairs[["libro", "sige"]].values.tolist() == [[IPE, other]]


def test_two_libro_children_competing_for_one_sige_child_get_no_pair():
    result = reconcile(enrolment(("110-1-A", JOSE)),
                       marks(("110-1-A", IPE, D1), ("110-1-A", IPE2, D1)),
                       named({IPE: "José Hernández", IPE2: "José Hernández",
                              JOSE: "José Hernández"}))
    assert result.pairs.empty
    assert len(result.ambiguous) == 1


def test_the_same_course_comes_before_the_rest_of_the_school():
    result = reconcile(enrolment(("110-1-A", JOSE), ("110-2-A", run(24111222))),
                       marks(("110-1-A", IPE, D1), ("110-2-A", E, D1)),
                       named({IPE: "José Hernández", JOSE: "José Hernández",
                              run(24111222): "José Hernández"}))
    assert result.pairs[["sige", "same_course"]].values.tolist() == [[JOSE, True]]


def test_a_candidate_from_another_course_is_found_with_less_confidence():
    result = reconcile(enrolment(("110-1-A", A), ("110-2-A", JOSE)),
                       marks(("110-1-A", A, D1), ("110-1-A", IPE, D1), ("110-2-A", E, D1)),
                       named({IPE: "José Hernández", JOSE: "José Hernández", A: "Ana Díaz"}))
    [pair] = entry(result, "110-1-A", D1)["suggested_pairs"]
    assert pair["sige"] == JOSE and pair["confidence"] < 1.0
    row = result.pairs.iloc[0]
    assert row["sige_course"] == "110-2-A" and not row["same_course"]


def test_a_student_in_another_course_is_a_course_problem_not_a_pair():
    result = reconcile(enrolment(("110-1-A", A), ("110-2-A", B)),
                       marks(("110-1-A", A, D1), ("110-1-A", B, D1), ("110-2-A", E, D1)),
                       named({A: "Ana", B: "Bruno", E: "Eva"}))
    assert entry(result, "110-1-A", D1)["unknown_to_sige"] == [B]
    assert result.wrong_course[["course", "rut", "sige_course"]].values.tolist() == [
        ["110-1-A", B, "110-2-A"]]
    assert result.pairs.empty


def test_a_child_in_the_libro_under_two_identifiers_is_a_duplicate():
    result = reconcile(enrolment(("110-1-A", JOSE)),
                       marks(("110-1-A", JOSE, D1), ("110-1-A", IPE, D1)),
                       named({IPE: "José Manuel Hernández Castillo",
                              JOSE: "José Manuel Hernández Castillo"}))
    assert entry(result, "110-1-A", D1)["unknown_to_sige"] == [IPE]
    assert result.duplicates[["rut", "other_rut", "how"]].values.tolist() == [
        [IPE, JOSE, "name"]]


def test_a_pair_shows_only_on_days_when_both_children_are_unmatched():
    result = reconcile(enrolment(("110-1-A", JOSE, D2)),
                       marks(("110-1-A", IPE, D1), ("110-1-A", IPE, D2)),
                       named({IPE: "José Hernández", JOSE: "José Hernández"}))
    assert entry(result, "110-1-A", D1)["suggested_pairs"] == []  # JOSE not yet enrolled
    assert len(entry(result, "110-1-A", D2)["suggested_pairs"]) == 1


def test_schools_are_kept_apart_when_frames_carry_an_rbd():
    e = enrolment(("1:110-1-A", A), ("2:110-1-A", JOSE)).assign(rbd=[1, 2])
    m = marks(("1:110-1-A", A, D1), ("1:110-1-A", IPE, D1), ("2:110-1-A", B, D1)).assign(
        rbd=[1, 1, 2])
    result = reconcile(e, m, named({IPE: "José Hernández", JOSE: "José Hernández"}))
    assert result.pairs.empty


# --- invariants, against a naive reference -------------------------------------------

def _naive(enrol: pd.DataFrame, mk: pd.DataFrame) -> dict:
    out = {}
    for (course, day), group in mk.groupby(["course", "day"]):
        libro = set(group["rut"])
        sige = {r.rut for r in enrol.itertuples() if r.course == course
                and (r.incorporated_on is None or r.incorporated_on <= day)
                and (r.withdrawn_on is None or day < r.withdrawn_on)}
        out[(course, day.isoformat())] = (len(sige), len(libro), sorted(sige - libro),
                                         sorted(libro - sige))
    return out


ruts = st.sampled_from([A, B, C, E, F, JOSE, IPE, IPE2, "XYZ"])
days = st.sampled_from([D1, D2, D3])
maybe_day = st.one_of(st.none(), days)
courses = st.sampled_from(["110-1-A", "110-2-A"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(courses, ruts, maybe_day, maybe_day), max_size=12,
                unique_by=lambda r: (r[0], r[1])),
       st.lists(st.tuples(courses, ruts, days), max_size=20),
       st.floats(0.0, 1.0))
def test_matches_a_naive_reconciliation(enrol_rows, mark_rows, threshold):
    enrol, mk = enrolment(*enrol_rows), marks(*mark_rows)
    result = reconcile(enrol, mk, named({r: "Ana Pérez" for r in (A, B, C, E, F, JOSE, IPE,
                                                                   IPE2, "XYZ")}),
                       threshold=threshold)
    got = {(e["course"], e["date"]): (e["sige_enrolled"], e["libro_students"],
                                      e["missing_in_libro"], e["unknown_to_sige"])
           for e in result.entries()}
    assert got == _naive(enrol, mk)
    # One child is never in two pairs; pairs join an unknown and a missing child.
    assert result.pairs.drop_duplicates(["libro", "sige"])["libro"].is_unique
    assert result.pairs.drop_duplicates(["libro", "sige"])["sige"].is_unique
    for e in result.entries():
        assert e["ready"] == (not e["missing_in_libro"] and not e["unknown_to_sige"])
        for pair in e["suggested_pairs"]:
            assert pair["libro"] in e["unknown_to_sige"] and pair["confidence"] >= threshold - 0.005


def test_names_ignore_accents_case_order_and_punctuation():
    assert name_similarity(name_tokens("Pérez Soto, Sofía"), name_tokens("SOFIA PEREZ SOTO")) == 1.0
    assert name_similarity(name_tokens("Juan Pérez"), name_tokens("Ana Soto")) < 0.5


def test_big_gaps_between_dates_work():
    far = D1 + timedelta(days=300)
    result = reconcile(enrolment(("110-1-A", A)), marks(("110-1-A", A, D1), ("110-1-A", A, far)))
    assert [e["date"] for e in result.entries()] == [D1.isoformat(), far.isoformat()]
