"""Importing a sostenedor-size pair of files, next to a bare read of the same files.

A sostenedor with 25 schools x 40 courses x 30 students (30,000 students in 1,000
courses): per school a SIGE nómina (.xlsx, data on the 2nd sheet, SIGE headers) and
a month of Libro Digital attendance (long .csv, ';', Latin-1, 22 worked days x 2
class hours: 1.32 million marks in all). The files are written to a temp dir; the
import (validation + database writes, one transaction per file) is timed against
a bare ``openpyxl`` / ``pandas.read_csv`` read of the same files, as a ratio (the
aim: the whole import within 3x the bare read). The floor of the writes is timed
too: the database's own insert of the same marks, alone (COPY on PostgreSQL,
executemany on SQLite, into the emptied table inside a transaction rolled back).

SQLite (a temporary file) always; with ``--database-url`` also that database
(PostgreSQL), in a fresh schema created for the run and dropped after it (never the
public schema). One table shows both.

    python bench/bench_import.py [--schools 25] [--database-url postgresql+psycopg://...]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import xlsxwriter  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from reconcile import rut  # noqa: E402
from reconcile.clock import FixedClock  # noqa: E402
from reconcile.db import get_engine, transaction, upgrade  # noqa: E402
from reconcile.imports import import_libro, import_sige  # noqa: E402

HEADER = ["Año", "RBD", "Cod Tipo Enseñanza", "Cod Grado", "Desc Grado", "Letra Curso", "Run",
          "Dígito Ver.", "Genero", "Nombres", "Apellido Paterno", "Apellido Materno",
          "Dirección", "Comuna Residencia", "Código Comuna Residencia", "Email", "Celular",
          "Fecha Nacimiento", "Código Etnia", "Fecha Incorporación Curso", "Fecha Retiro",
          "%Asistenca", "Promedio Final"]
NAMES = ["Martina", "Benjamín", "Sofía", "Agustín", "Florencia", "Tomás", "Mateo", "Josefa"]
SURNAMES = ["González", "Muñoz", "Rojas", "Díaz", "Pérez", "Soto", "Silva", "Tapia"]
GRADES, LETTERS, PER_COURSE = range(1, 9), "ABCDE", 30


def worked_days(count: int = 22) -> list[date]:
    day, days = date(2026, 10, 1), []  # October 2026 has 22 weekdays
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def write_school(folder: Path, rbd: int, first_run: int, rng: random.Random):
    nomina, libro = folder / f"nomina_{rbd}.xlsx", folder / f"libro_{rbd}.csv"
    book = xlsxwriter.Workbook(nomina)
    book.add_worksheet("Resumen").write_row(0, 0, ["Nómina de alumnos", rbd])
    sheet = book.add_worksheet("Nómina")
    sheet.write_row(0, 0, HEADER)
    lines = ["RBD;Curso;RUT;Nombre;Fecha;Hora;Asistencia"]
    days = [d.strftime("%d-%m-%Y") for d in worked_days()]
    row, run = 1, first_run
    for grade in GRADES:
        for letter in LETTERS:
            course = f"{grade}° Básico {letter}"
            for _ in range(PER_COURSE):
                run += 1
                dv = rut.calc_check_digit(run)
                names = (rng.choice(NAMES), rng.choice(SURNAMES), rng.choice(SURNAMES))
                sheet.write_row(row, 0, [2026, rbd, 110, grade, f"{grade}° Básico", letter, run,
                                         dv, "F", names[0], names[1], names[2], "Calle 1",
                                         "Valparaíso", 5101, "", "", "14/03/2015", 0,
                                         46082 if row % 2 else "01-03-2026", 1, "", ""])
                row += 1
                shown = rut.format(f"{run}{dv}")
                full = " ".join(names)
                for day in days:
                    for hour in (1, 2):
                        mark = "P" if rng.random() < 0.9 else "A"
                        lines.append(f"{rbd};{course};{shown};{full};{day};{hour};{mark}")
    book.close()
    libro.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return nomina, libro


def bare_read(nomina: Path, libro: Path) -> tuple[float, float]:
    start = time.perf_counter()
    book = openpyxl.load_workbook(nomina, read_only=True)
    for sheet in book.worksheets:
        for _ in sheet.iter_rows(values_only=True):
            pass
    book.close()
    middle = time.perf_counter()
    pd.read_csv(libro, sep=";", encoding="latin-1", dtype=str)
    return middle - start, time.perf_counter() - middle


@contextmanager
def fresh_database(url: str | None, folder: Path):
    """A migrated, empty database: a SQLite file in ``folder``, or a new schema of the
    given server (created here, dropped on the way out, whatever happens)."""
    if url is None:
        sqlite = f"sqlite:///{folder / f'bench_{uuid.uuid4().hex[:8]}.db'}"
        upgrade(sqlite)
        yield sqlite
        get_engine(sqlite).dispose()
        return
    schema = f"bench_import_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    parsed = make_url(url)
    scoped = parsed.set(query={**parsed.query, "options": f"-csearch_path={schema}"})
    scoped_url = scoped.render_as_string(hide_password=False)
    try:
        upgrade(scoped_url)
        yield scoped_url
    finally:
        get_engine(scoped_url).dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def import_pairs(url: str, pairs: list[tuple[Path, Path]], clock: FixedClock) -> dict:
    """Seconds spent importing every nómina, every Libro, and every Libro again."""
    totals = {"sige": 0.0, "libro": 0.0, "libro_again": 0.0, "marks": 0}
    for nomina, libro in pairs:
        start = time.perf_counter()
        with transaction(url) as session:
            import_sige(session, nomina, clock=clock)
        totals["sige"] += time.perf_counter() - start
        start = time.perf_counter()
        with transaction(url) as session:
            summary = import_libro(session, libro, clock=clock)
        totals["libro"] += time.perf_counter() - start
        totals["marks"] += summary.added
        start = time.perf_counter()
        with transaction(url) as session:  # the same file again: nothing changes
            again = import_libro(session, libro, clock=clock)
        assert again.added == again.changed == again.removed == 0
        totals["libro_again"] += time.perf_counter() - start
    return totals


MARK_COLUMNS = "rbd, course_id, student_id, day, hour, present, import_batch_id"


def write_floor(url: str) -> float:
    """Seconds the database alone takes to insert every stored mark again (same
    table, indexes and keys), in a transaction that is rolled back."""
    raw = get_engine(url).raw_connection()
    try:
        cursor = raw.cursor()
        ordered = f"SELECT {MARK_COLUMNS} FROM attendance_mark " \
                  "ORDER BY course_id, day, student_id, hour"
        if backend_name(url) == "sqlite":
            rows = cursor.execute(ordered).fetchall()
            cursor.execute("DELETE FROM attendance_mark")
            start = time.perf_counter()
            cursor.executemany(f"INSERT INTO attendance_mark ({MARK_COLUMNS}) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        else:
            data = bytearray()
            with cursor.copy(f"COPY ({ordered}) TO STDOUT") as copy:
                for chunk in copy:
                    data += chunk
            cursor.execute("TRUNCATE attendance_mark")
            start = time.perf_counter()
            with cursor.copy(f"COPY attendance_mark ({MARK_COLUMNS}) FROM STDIN") as copy:
                copy.write(bytes(data))
        return time.perf_counter() - start
    finally:
        raw.rollback()
        raw.close()


def backend_name(url: str | None) -> str:
    return "sqlite" if url is None else make_url(url).get_backend_name()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=25)
    parser.add_argument("--database-url", help="also import into this database (PostgreSQL), "
                        "in a schema of its own that is dropped afterwards")
    args = parser.parse_args()
    rng = random.Random(2026)
    clock = FixedClock(pd.Timestamp("2026-11-16 10:00").to_pydatetime())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"Escribiendo {args.schools} pares de archivos…", flush=True)
        pairs = [write_school(folder, 20000 + i, 20_000_000 + i * 10_000, rng)
                 for i in range(args.schools)]
        size = sum(p.stat().st_size for pair in pairs for p in pair) / 1_048_576
        bare = {"nomina": 0.0, "libro": 0.0}
        for nomina, libro in pairs:
            bare_n, bare_l = bare_read(nomina, libro)
            bare["nomina"] += bare_n
            bare["libro"] += bare_l
        results = {}
        for url in [None] + ([args.database_url] if args.database_url else []):
            print(f"Importando en {backend_name(url)}…", flush=True)
            with fresh_database(url, folder) as scoped:
                results[backend_name(url)] = import_pairs(scoped, pairs, clock)
                results[backend_name(url)]["floor"] = write_floor(scoped)
    students = args.schools * len(GRADES) * len(LETTERS) * PER_COURSE
    marks = next(iter(results.values()))["marks"]
    print(f"{students:,} estudiantes, {args.schools * 40:,} cursos, {marks:,} marcas; "
          f"{size:.0f} MB de archivos; carga media {os.getloadavg()[0]:.1f} "
          f"({os.cpu_count()} núcleos)")
    steps = [
        ("nómina (.xlsx)", bare["nomina"], lambda t: t["sige"]),
        ("libro (.csv)", bare["libro"], lambda t: t["libro"]),
        ("libro otra vez (sin cambios)", bare["libro"], lambda t: t["libro_again"]),
        ("par completo", bare["nomina"] + bare["libro"], lambda t: t["sige"] + t["libro"]),
    ]
    header = f"{'paso':30} {'lectura (s)':>12}"
    for name in results:
        header += f" {name + ' (s)':>17} {'razón':>7}"
    print(header)
    for label, read, spent in steps:
        line = f"{label:30} {read:12.2f}"
        for totals in results.values():
            line += f" {spent(totals):17.2f} {spent(totals) / read:6.1f}x"
        print(line)
    for name, totals in results.items():
        pair = (totals["sige"] + totals["libro"]) / (bare["nomina"] + bare["libro"])
        floor = totals["floor"]
        print(f"  metas, {name}: par completo <= 3x la lectura: {_yes(pair <= 3)} ({pair:.1f}x); "
              f"piso (la base sola inserta las mismas marcas): {floor:.2f} s, "
              f"{floor / bare['libro']:.1f}x la lectura del libro")
    return 0


def _yes(ok: bool) -> str:
    return "sí" if ok else "NO"


if __name__ == "__main__":
    raise SystemExit(main())
