"""Progress reports of both importers (and the readers), through the library API: a
fraction in [0, 1] that never goes back and ends at 1.0, with short Spanish labels."""
from __future__ import annotations

from pathlib import Path

import pytest

from reconcile import rut
from reconcile.db import transaction
from reconcile.errors import UserError
from reconcile.imports import import_libro, import_sige
from reconcile.loaders import CourseCatalog, CourseRef, read_libro, read_nomina

SAMPLES = Path(__file__).parent / "data" / "samples"
NOMINA = SAMPLES / "nomina_sige.xlsx"
LONG = SAMPLES / "libro_asistencia_larga.csv"
WIDE = SAMPLES / "libro_control_subvenciones.xlsx"
# Spanish words the labels are made of: an English or empty label fails the test.
SPANISH = {"leyendo", "archivo", "validando", "filas", "rut", "comprobando", "cursos",
           "buscando", "marcas", "repetidas", "guardando", "estudiantes", "comparando", "con",
           "lo", "guardado", "actualizando", "días", "matrículas", "validado", "listo"}


class Recorder:
    def __init__(self):
        self.calls: list[tuple[float, str]] = []

    def __call__(self, fraction: float, label: str) -> None:
        self.calls.append((fraction, label))

    @property
    def fractions(self) -> list[float]:
        return [f for f, _ in self.calls]

    @property
    def labels(self) -> list[str]:
        return [label for _, label in self.calls]


def assert_well_formed(recorder: Recorder, *, ends: bool = True) -> None:
    fractions = recorder.fractions
    assert fractions, "no progress was reported"
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions), "progress went backwards"
    if ends:
        assert fractions[-1] == 1.0
    for label in recorder.labels:
        words = label.lower().split()
        assert words and set(words) <= SPANISH, label


def test_both_importers_report_progress_to_the_end(db_url, clock):
    sige, libro = Recorder(), Recorder()
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock, progress=sige)
        import_libro(s, LONG, clock=clock, progress=libro)
    assert_well_formed(sige)
    assert_well_formed(libro)
    assert {"Leyendo archivo", "Validando filas", "Guardando estudiantes",
            "Guardando matrículas"} <= set(sige.labels)
    assert {"Leyendo archivo", "Validando filas", "Comprobando cursos",
            "Comparando con lo guardado", "Guardando marcas", "Actualizando días"} \
        <= set(libro.labels)
    # stage by stage: reading comes before saving, and saving before the days
    first = {label: libro.labels.index(label) for label in set(libro.labels)}
    assert first["Leyendo archivo"] < first["Validando filas"] < first["Guardando marcas"] \
        < first["Actualizando días"]


def test_a_reimport_and_a_wide_sheet_also_end_at_one(db_url, clock):
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
        import_libro(s, LONG, clock=clock)
    again, wide = Recorder(), Recorder()
    with transaction(db_url) as s:
        summary = import_libro(s, LONG, clock=clock, progress=again)
        import_libro(s, WIDE.read_bytes(), filename=WIDE.name, clock=clock, progress=wide)
    assert summary.added == summary.changed == summary.removed == 0
    assert_well_formed(again)
    assert_well_formed(wide)


def test_a_long_file_reports_while_it_saves(db_url, clock, tmp_path):
    """Many marks are saved in chunks, with a report after each; several schools'
    shares add up without going back."""
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
    lines = ["RBD;Curso;RUT;Fecha;Hora;Asistencia"]
    ruts = [f"{body}-{rut.calc_check_digit(body)}" for body in range(24_000_001, 24_000_013)]
    for day in range(2, 28):
        for hour in range(1, 9):
            for student in ruts:
                lines.append(f"24875;1° Básico A;{student};{day:02d}-11-2026;{hour};P")
    path = tmp_path / "libro.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    recorder = Recorder()
    with transaction(db_url) as s:
        summary = import_libro(s, path, clock=clock, progress=recorder)
    assert summary.added == len(lines) - 1
    assert_well_formed(recorder)
    saving = [f for f, label in recorder.calls if label == "Guardando marcas"]
    assert len(saving) >= 4 and saving[-1] > saving[0]  # start, chunks (2,496 rows), end


def test_a_refused_file_stops_before_saving(db_url, clock):
    recorder = Recorder()
    bad = Path(__file__).parent / "data" / "bad" / "libro_valores_malos.csv"
    with transaction(db_url) as s:
        import_sige(s, NOMINA, clock=clock)
    with pytest.raises(UserError), transaction(db_url) as s:
        import_libro(s, bad, clock=clock, progress=recorder)
    assert_well_formed(recorder, ends=False)
    assert "Guardando marcas" not in recorder.labels and recorder.fractions[-1] < 1.0


def test_the_readers_report_progress_too():
    catalog = CourseCatalog([CourseRef(1, 24875, 2026, 110, 1, "A", "1° Básico"),
                             CourseRef(2, 24875, 2026, 110, 2, "A", "2° Básico")])
    libro, nomina = Recorder(), Recorder()
    assert read_libro(LONG, catalog, progress=libro).ok
    assert read_nomina(NOMINA, progress=nomina).ok
    assert_well_formed(libro)
    assert_well_formed(nomina)
