"""The reconciliation's output, byte for byte, on the samples, the demo school and the
benchmark's planted problems: a digest of every frame (columns, types, rows, order)
taken before the engine was made faster. A change to the engine's speed must not
change one byte of what it finds; a deliberate change of what it finds updates the
digests here, with the reason in the commit."""
from __future__ import annotations

import hashlib
import importlib.util
from datetime import date
from pathlib import Path

import pandas as pd
from reconcile.db import transaction
from reconcile.demo import generate_school, write_files
from reconcile.imports import import_libro, import_sige
from reconcile.matching import reconcile, run_check
from reconcile.matching.engine import Reconciliation

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "data" / "samples"
FRAMES = ("course_days", "missing", "unknown", "pairs", "ambiguous", "duplicates",
          "wrong_course")
SAMPLES_DIGEST = "915d4430a2edbc03e8223c50b5534bd09538fed7e1202a165d7743675c480c39"
DEMO_DIGEST = "6df5be2f5ac9e3b6d52093c32b6be48e3e2f955ee88e6380f17eb2a3215b1edc"
BENCH_DIGEST = "a699dc255ae7662275f7a2bfcccad3b28169f22f9e5c171bbd9cce82ca35f706"


def digest(result: Reconciliation) -> str:
    """sha256 over each frame's dtypes and CSV text, in order."""
    hasher = hashlib.sha256()
    for name in FRAMES:
        frame = getattr(result, name)
        hasher.update(f"{name}\n{frame.dtypes.to_dict()}\n".encode())
        hasher.update(frame.to_csv(index=False).encode())
    return hasher.hexdigest()


def imported(url: str, clock, nomina: Path, *libros: Path) -> None:
    with transaction(url) as s:
        import_sige(s, nomina, clock=clock)
    for libro in libros:
        with transaction(url) as s:
            import_libro(s, libro, clock=clock)


def test_the_samples_reconcile_as_before(db_url, clock):
    imported(db_url, clock, SAMPLES / "nomina_sige.xlsx", SAMPLES / "libro_asistencia_larga.csv",
             SAMPLES / "libro_control_subvenciones.xlsx")
    with transaction(db_url) as s:
        result = run_check(s, 24875, date(2026, 11, 1), date(2026, 11, 30))
    assert len(result.missing) and len(result.unknown)  # there is something to find
    found = digest(result)
    assert found == SAMPLES_DIGEST, found


def test_the_demo_school_reconciles_as_before(db_url, clock, tmp_path):
    school = generate_school((2026, 11), today=date(2026, 11, 20))
    files = write_files(school, tmp_path / "demo")
    imported(db_url, clock, files.nomina, files.libro_long, files.libro_wide)
    with transaction(db_url) as s:
        result = run_check(s, school.rbd, min(school.worked_days), max(school.worked_days))
    assert len(result.pairs) and len(result.unknown)
    found = digest(result)
    assert found == DEMO_DIGEST, found


def test_the_benchmarks_planted_problems_reconcile_as_before(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_matching",
                                                  ROOT / "bench" / "bench_matching.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.build(20_000, 2, 2026, tmp_path)
    result = reconcile(pd.read_parquet(tmp_path / "enrolment.parquet"),
                       pd.read_parquet(tmp_path / "marks.parquet"),
                       pd.read_parquet(tmp_path / "people.parquet").set_index("rut"))
    assert len(result.pairs) and len(result.missing)
    found = digest(result)
    assert found == BENCH_DIGEST, found
