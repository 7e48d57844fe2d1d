"""On the demo school, ``check --json`` finds every planted problem and flags nothing
else: the generator's manifest says what was planted."""
from __future__ import annotations

import json
from datetime import date

import pytest

from reconcile.cli import main
from reconcile.demo import generate_school, write_files

TODAY = date(2026, 11, 20)


@pytest.fixture
def demo(db_url, tmp_path, capsys):
    school = generate_school((2026, 11), today=TODAY)
    files = write_files(school, tmp_path / "demo")
    for command, path in (("import-sige", files.nomina), ("import-libro", files.libro_long),
                          ("import-libro", files.libro_wide)):
        assert main([command, str(path)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return school


def expected_problems(manifest: dict) -> dict[str, dict[str, set]]:
    """Per course: who must be missing, unknown, invalid, and which pairs."""
    per_course: dict[str, dict[str, set]] = {}

    def of(course: str) -> dict[str, set]:
        return per_course.setdefault(course, {"missing": set(), "unknown": set(),
                                              "invalid": set(), "pairs": set()})

    for item in manifest["provisional_pairs"]:
        problems = of(item["course"])
        problems["missing"].add(item["sige_rut"])
        problems["unknown"].add(item["libro_rut"])
        problems["pairs"].add((item["libro_rut"], item["sige_rut"], "provisional"))
    for item in manifest["check_digit_typos"]:
        problems = of(item["course"])
        problems["missing"].add(item["sige_rut"])
        problems["unknown"].add(item["libro_rut"])
        problems["invalid"].add(item["libro_rut"])
        problems["pairs"].add((item["libro_rut"], item["sige_rut"], "check_digit"))
    for item in manifest["missing_in_libro"]:
        of(item["course"])["missing"].add(item["rut"])
    for item in manifest["unknown_to_sige"]:
        of(item["course"])["unknown"].add(item["rut"])
    return per_course


def test_every_planted_problem_is_found_and_nothing_else(demo, capsys):
    manifest = demo.manifest.to_dict()
    assert main(["check", "--from", "2026-11-01", "--to", "2026-11-30", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rbd"] == demo.rbd
    entries = report["course_days"]
    worked = {d.isoformat() for d in demo.worked_days}
    assert {e["date"] for e in entries} == worked
    assert {e["course"] for e in entries} == {c.code for c in demo.courses}
    expected = expected_problems(manifest)
    assert expected, "the demo plants problems"
    for e in entries:
        want = expected.get(e["course"], {"missing": set(), "unknown": set(), "invalid": set(),
                                          "pairs": set()})
        where = f"{e['course']} {e['date']}"
        assert set(e["missing_in_libro"]) == want["missing"], where
        assert set(e["unknown_to_sige"]) == want["unknown"], where
        assert set(e["invalid_ruts"]) == want["invalid"], where
        assert {(p["libro"], p["sige"], p["reason"]) for p in e["suggested_pairs"]} == \
            want["pairs"], where
        assert all(p["confidence"] >= 0.9 for p in e["suggested_pairs"]), where
        assert e["ready"] == (not want["missing"] and not want["unknown"]), where
    # The quiet cases: an IPE on both sides, incorporations, withdrawals, hours.
    quiet = ([i["rut"] for i in manifest["ipe_in_both"]]
             + [i["rut"] for key in ("withdrawals", "incorporations", "withdrawn_before_month",
                                     "hour_differences") for i in manifest[key]])
    flagged = {r for e in entries for r in e["missing_in_libro"] + e["unknown_to_sige"]}
    assert not flagged & set(quiet)
    # SIGE's count moves only with incorporations (+1) and withdrawals (-1), on their day.
    for course in {e["course"] for e in entries}:
        counts = sorted((e["date"], e["sige_enrolled"]) for e in entries if e["course"] == course)
        for (before, n_before), (after, n_after) in zip(counts, counts[1:]):
            step = (sum(1 for i in manifest["incorporations"]
                        if i["course"] == course and before < i["date"] <= after)
                    - sum(1 for i in manifest["withdrawals"]
                          if i["course"] == course and before < i["date"] <= after))
            assert n_after - n_before == step, (course, after)
