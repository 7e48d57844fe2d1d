"""``python -m reconcile check``: the JSON contract of DESIGN.md field by field on the
shared samples, the Spanish table, and bad input (exit 2, nothing changed)."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from reconcile import corrections
from reconcile.access import DIRECTOR, AuthUser
from reconcile.cli import main
from reconcile.db import transaction

SAMPLES = Path(__file__).parent / "data" / "samples"
RBD = 24875
FROM, TO = "2026-11-01", "2026-11-30"
SOFIA, JOSE_RUN, JOSE_IPE = "23698041-3", "25123456-6", "100234567-2"
AGUSTIN, MATEO = "23740118-2", "9876543-3"
RUT_SHAPE = re.compile(r"^\d+-[0-9K]$")
TOP_KEYS = ["rbd", "from", "to", "course_days"]
ENTRY_KEYS = ["course", "date", "sige_enrolled", "libro_students", "missing_in_libro",
              "unknown_to_sige", "suggested_pairs", "invalid_ruts", "ready", "reasons"]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def samples(db_url, capsys) -> str:
    for command, name in (("import-sige", "nomina_sige.xlsx"),
                          ("import-libro", "libro_asistencia_larga.csv"),
                          ("import-libro", "libro_control_subvenciones.xlsx")):
        code, _out, err = cli(capsys, command, str(SAMPLES / name))
        assert code == 0, err
    return db_url


def check_json(capsys, *extra: str) -> dict:
    code, out, err = cli(capsys, "check", "--from", FROM, "--to", TO, "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def test_json_contract_field_by_field(samples, capsys):
    report = check_json(capsys)
    assert list(report) == TOP_KEYS
    assert report["rbd"] == RBD and isinstance(report["rbd"], int)
    assert (report["from"], report["to"]) == (FROM, TO)
    entries = report["course_days"]
    assert entries, "the samples have Libro records in November"
    seen = set()
    for e in entries:
        assert list(e) == ENTRY_KEYS
        assert re.fullmatch(r"\d+-\d+-[A-Z]", e["course"])
        day = date.fromisoformat(e["date"])
        assert FROM <= e["date"] <= TO and day.weekday() < 5
        assert (e["course"], e["date"]) not in seen
        seen.add((e["course"], e["date"]))
        for key in ("sige_enrolled", "libro_students"):
            assert isinstance(e[key], int) and e[key] >= 0
        for key in ("missing_in_libro", "unknown_to_sige", "invalid_ruts"):
            assert e[key] == sorted(e[key])
            assert all(RUT_SHAPE.match(value) for value in e[key])
        assert set(e["invalid_ruts"]) <= set(e["unknown_to_sige"])
        for pair in e["suggested_pairs"]:
            assert list(pair) == ["libro", "sige", "confidence", "reason"]
            assert pair["libro"] in e["unknown_to_sige"]
            assert pair["sige"] in e["missing_in_libro"]
            assert 0.0 <= pair["confidence"] <= 1.0
            assert pair["reason"] in ("provisional", "check_digit", "name")
        assert isinstance(e["ready"], bool)
        expected = [r for r, items in (("caso_1", e["missing_in_libro"]),
                                       ("caso_2", e["unknown_to_sige"])) if items]
        assert e["reasons"] == expected
        assert e["ready"] == (not e["missing_in_libro"] and not e["unknown_to_sige"]
                              and not e["invalid_ruts"])
    days = sorted({e["date"] for e in entries})
    assert {e["course"] for e in entries} == {"110-1-A", "110-2-A"}
    assert len(entries) == 2 * len(days)  # both courses have a record every worked day


def test_what_a_careful_reader_finds_in_the_samples(samples, capsys):
    entries = check_json(capsys)["course_days"]
    first = [e for e in entries if e["course"] == "110-1-A"]
    second = [e for e in entries if e["course"] == "110-2-A"]
    for e in first:
        # José Manuel: IPE in the Libro, definitive RUN in SIGE, paired with high confidence.
        assert e["suggested_pairs"] == [{"libro": JOSE_IPE, "sige": JOSE_RUN,
                                         "confidence": e["suggested_pairs"][0]["confidence"],
                                         "reason": "provisional"}]
        assert e["suggested_pairs"][0]["confidence"] >= 0.9
        # Sofía: enrolled in SIGE, not in the Libro.
        assert SOFIA in e["missing_in_libro"]
        assert e["missing_in_libro"] == sorted([SOFIA, JOSE_RUN])
        assert e["unknown_to_sige"] == [JOSE_IPE]
        assert e["reasons"] == ["caso_1", "caso_2"]
    # Agustín: withdrawn on 05-11, expected before and not from that day.
    for e in first:
        expected_count = 5 if e["date"] < "2026-11-05" else 4
        assert e["sige_enrolled"] == expected_count
        assert AGUSTIN not in e["missing_in_libro"] + e["unknown_to_sige"]
    # Mateo: expected from his incorporation on 04-11; every 2° Básico A day is ready.
    for e in second:
        assert e["sige_enrolled"] == (3 if e["date"] >= "2026-11-04" else 2)
        assert e["libro_students"] == e["sige_enrolled"]
        assert e["ready"] and e["reasons"] == [] and e["suggested_pairs"] == []
    assert any(e["date"] < "2026-11-04" for e in second)
    assert MATEO not in json.dumps(first)


def test_one_course_and_an_approved_correction(samples, capsys):
    entries = check_json(capsys, "--course", "110-2-A")["course_days"]
    assert {e["course"] for e in entries} == {"110-2-A"}
    director = AuthUser("directora", "Directora", DIRECTOR, (RBD,))
    with transaction() as session:
        corrections.approve(session, director, RBD, JOSE_IPE, JOSE_RUN, "provisional", 0.99)
    for e in check_json(capsys, "--course", "110-1-A", "--rbd", str(RBD))["course_days"]:
        assert e["missing_in_libro"] == [SOFIA]
        assert e["unknown_to_sige"] == [] and e["suggested_pairs"] == []
        assert e["libro_students"] == e["sige_enrolled"] - 1


def test_readable_table_in_spanish(samples, capsys):
    code, out, _err = cli(capsys, "check", "--from", FROM, "--to", TO)
    assert code == 0
    assert "Curso" in out and "Listo" in out and "Caso 1" in out and "Caso 2" in out
    assert "6 de 12 días-curso listos" in out
    assert "23.698.041-3" in out and "100.234.567-2" in out and "25.123.456-6" in out
    assert "RUT provisorio" in out


def test_a_range_without_records_gives_no_entries(samples, capsys):
    code, out, _err = cli(capsys, "check", "--from", "2026-10-01", "--to", "2026-10-31", "--json")
    assert code == 0 and json.loads(out)["course_days"] == []


@pytest.mark.parametrize(("argv", "message"), [
    (["--from", "2026-11-31", "--to", "2026-11-30"], "Fecha no válida en --from"),
    (["--from", "2026-11-01", "--to", "30-11-2026"], "Fecha no válida en --to"),
    (["--from", "2026-11-30", "--to", "2026-11-01"], "anterior"),
])
def test_bad_dates_exit_2_with_spanish_reasons(db_url, capsys, argv, message):
    code, out, err = cli(capsys, "check", *argv, "--json")
    assert code == 2 and out == ""
    assert message in err


def test_bad_course_or_school_exits_2(samples, capsys):
    for argv, message in (
            (["--course", "110-7-B"], "no existe"),
            (["--course", "1° Básico A"], "Curso no válido"),
            (["--rbd", "1"], "No existe el establecimiento")):
        code, out, err = cli(capsys, "check", "--from", FROM, "--to", TO, "--json", *argv)
        assert code == 2 and out == ""
        assert message in err


def test_an_empty_database_is_refused(db_url, capsys):
    code, _out, err = cli(capsys, "check", "--from", FROM, "--to", TO, "--json")
    assert code == 2 and "No hay establecimientos" in err
