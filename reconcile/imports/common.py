"""What both importers share: the summary, the source bytes, batches and audit."""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert
from sqlalchemy.orm import Session

from reconcile.access import AuthUser, authorize
from reconcile.db.copy_binary import HEADER, TRAILER, binary_rows
from reconcile.db.models import AuditLog, ImportBatch
from reconcile.errors import PermissionDenied, UserError
from reconcile.es_cl import cantidad, numero
from reconcile.imports.nomina_scope import CourseRemoval, SchoolScope, share_es
from reconcile.loaders.errors import RowError
from reconcile.loaders.progress import ProgressCallback
from reconcile.loaders.sources import SourceProblem, read_bytes

# Beyond this many lines the message says how many more problems there are.
MAX_REASONS = 2000
Source = Path | str | bytes


@dataclass
class ImportSummary:
    kind: str  # "sige_nomina" or "libro"
    filename: str
    sha256: str
    rbds: list[int]
    rows_read: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    courses_created: list[str] = field(default_factory=list)  # ENSE-GRADO-LETRA
    students_created: int = 0
    course_days_changed: int = 0  # course-days whose marks changed
    back_to_pending: list[tuple[str, date]] = field(default_factory=list)  # were synced/in process
    month: tuple[int, int] | None = None
    batch_ids: list[int] = field(default_factory=list)
    # nómina only: which courses it replaced, emptied (whole_school) or left alone
    courses_replaced: list[str] = field(default_factory=list)  # "1° Básico A (110-1-A)"
    courses_emptied: list[CourseRemoval] = field(default_factory=list)
    courses_left_alone: int = 0
    large_removals: list[CourseRemoval] = field(default_factory=list)  # over the share
    max_removal_share: float | None = None
    flags: dict[str, bool] = field(default_factory=dict)  # as the caller asked

    def add_scope(self, scope: SchoolScope) -> None:
        """Add one school's course scope (nómina) to the summary."""
        self.courses_replaced += scope.replaced
        self.courses_emptied += scope.emptied
        self.courses_left_alone += scope.left_alone
        self.large_removals += scope.large
        self.max_removal_share = max(self.max_removal_share or 0.0, scope.share)

    def count(self, batch: ImportBatch, added: int, changed: int, removed: int,
              unchanged: int) -> None:
        """Add one school's counts to the summary and to its import batch."""
        batch.rows_added, batch.rows_changed, batch.rows_removed = added, changed, removed
        self.added += added
        self.changed += changed
        self.removed += removed
        self.unchanged += unchanged
        self.batch_ids.append(batch.id)

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.courses_created
                    or self.students_created)

    def lines_es(self) -> list[str]:
        """A short Spanish summary for the CLI and the page."""
        what = "Nómina SIGE" if self.kind == "sige_nomina" else "Asistencia del Libro Digital"
        unit = "matrículas" if self.kind == "sige_nomina" else "marcas"
        schools = ", ".join(str(r) for r in self.rbds)
        lines = [f"{what} «{self.filename}» cargada (RBD {schools}): {self.rows_read} filas leídas.",
                 f"{unit.capitalize()}: {self.added} nuevas, {self.changed} modificadas, "
                 f"{self.removed} eliminadas, {self.unchanged} sin cambios."]
        lines += self._scope_lines()
        if self.courses_created:
            lines.append(f"Cursos creados: {len(self.courses_created)} "
                         f"({', '.join(self.courses_created[:10])}"
                         f"{', …' if len(self.courses_created) > 10 else ''}).")
        if self.students_created:
            lines.append(f"Estudiantes nuevos: {self.students_created}.")
        if self.kind == "libro":
            lines.append(f"Días-curso con cambios: {self.course_days_changed}.")
        if self.back_to_pending:
            shown = ", ".join(f"{code} {day:%d-%m-%Y}" for code, day in self.back_to_pending[:10])
            more = f" y {len(self.back_to_pending) - 10} más" if len(self.back_to_pending) > 10 \
                else ""
            lines.append(f"Vuelven a «Por sincronizar» (ya enviados, cambiaron): {shown}{more}.")
        if not self.changed_anything:
            lines.append("El archivo no trae cambios respecto de lo ya cargado.")
        return lines


    def _scope_lines(self) -> list[str]:
        """Nómina: the courses replaced, and what happened to the others."""
        if self.kind != "sige_nomina" or not self.courses_replaced:
            return []
        lines = [f"Cursos reemplazados por la nómina: {_listed(self.courses_replaced, ', ')}."]
        if self.courses_emptied:
            lines.append("Cursos vaciados (no venían en el archivo): " + _listed(
                [f"{item.label}, {numero(item.removed)} estudiantes"
                 for item in self.courses_emptied]) + ".")
        elif self.courses_left_alone:
            lines.append(f"Los otros {numero(self.courses_left_alone)} cursos del "
                         "establecimiento quedan sin cambios.")
        if self.large_removals:
            lines.append(f"Retiros sobre el {share_es(self.max_removal_share or 0.0)} de un "
                         f"curso: {_listed([item.count_es() for item in self.large_removals])}.")
        return lines


def _listed(items: list[str], separator: str = "; ", shown: int = 10) -> str:
    more = f" y {numero(len(items) - shown)} más" if len(items) > shown else ""
    return separator.join(items[:shown]) + more


def source_bytes(source: Source, filename: str | None) -> tuple[bytes, str]:
    """Bytes and display name of a path or of uploaded bytes (size limit enforced)."""
    try:
        if isinstance(source, (bytes, bytearray)):
            return read_bytes(None, bytes(source), filename or "archivo")
        return read_bytes(source, None, filename)
    except SourceProblem as problem:
        raise UserError(str(problem.error)) from None


def raise_if_errors(errors: list[RowError]) -> None:
    if not errors:
        return
    reasons = [str(e) for e in errors[:MAX_REASONS]]
    if len(errors) > MAX_REASONS:
        reasons.append(f"… y {len(errors) - MAX_REASONS} problemas más. Corrija los anteriores "
                       "y vuelva a cargar el archivo.")
    reasons.append(f"No se cargó nada: {cantidad(len(errors), 'problema')} en el archivo.")
    raise UserError(reasons, errors=errors)


def check_school(user: AuthUser | None, rbd: int, filename: str) -> None:
    """Only a user of that school (with the import permission) may load its files."""
    if user is None:
        return
    try:
        authorize(user, "import", rbd)
    except PermissionDenied as denied:
        if user.can("import"):
            raise PermissionDenied([f"{filename}: el archivo es del RBD {rbd}, que no es de su "
                                    "establecimiento; no se cargó nada.", *denied.reasons]) \
                from None
        raise


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_batch(session: Session, kind: str, rbd: int, filename: str, digest: str,
              user: AuthUser | None, now: datetime, rows_read: int) -> ImportBatch:
    batch = ImportBatch(rbd=rbd, kind=kind, filename=filename[:300], sha256=digest,
                        username=user.username if user else None, created_at=now,
                        rows_read=rows_read, rows_added=0, rows_changed=0, rows_removed=0)
    session.add(batch)
    session.flush()
    return batch


def audit(session: Session, action: str, rbd: int, user: AuthUser | None, now: datetime,
          detail: dict) -> None:
    """One append-only entry; the detail never holds RUTs or names."""
    session.add(AuditLog(at=now, username=user.username if user else None, action=action,
                         rbd=rbd, detail=detail))


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows as dicts of plain Python values (drivers do not take numpy scalars)."""
    lists = [_plain(frame[c]) for c in columns]
    return [dict(zip(columns, values)) for values in zip(*lists)]


def _plain(series: pd.Series) -> list:
    if series.dtype == object:
        values = series.tolist()
        return [None if v is not None and v != v else v for v in values]  # NaN -> None
    if series.isna().any():
        return series.astype(object).where(series.notna(), None).tolist()
    return series.tolist()  # numpy scalars become Python ints, floats and bools


def insert_rows(session: Session, table, columns: dict[str, object], *,
                progress: ProgressCallback | None = None, label: str = "Guardando",
                chunk: int | None = None) -> int:
    """Insert many rows straight through the driver, inside the session's transaction:
    COPY on PostgreSQL (binary rows built column-wise when every value is a number,
    date or flag, see ``copy_binary``), ``executemany`` over tuples on SQLite.
    ``columns`` maps each column to its values (array, Series or list) or to one
    value for every row. Each value goes through the column type's own bind
    processing, once per distinct value, so rows are stored exactly as SQLAlchemy
    would store them, without its per-row cost. Reports ``progress`` after each
    chunk (about ten per insert); returns the rows inserted."""
    lengths = {len(v) for v in columns.values() if _is_column(v)}
    count = lengths.pop() if lengths else 0
    if not count:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    names = ", ".join(columns)
    # about ten progress reports per insert, in chunks of 1,000 to 20,000 rows
    chunk = chunk or min(20_000, max(1_000, -(-count // 10)))
    raw = connection.connection.dbapi_connection
    report = progress or (lambda fraction, text: None)
    binary = binary_rows(table, columns, count) if dialect.name == "postgresql" else None
    if binary is not None:  # numbers, dates and flags, none missing: whole rows at once
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(HEADER)
            for start in range(0, count, chunk):
                copy.write(binary[start:start + chunk].tobytes())
                report(min(start + chunk, count) / count, label)
            copy.write(TRAILER)
        return count
    processed = [_bind_values(values, table.c[name].type.dialect_impl(dialect)
                              .bind_processor(dialect), count)
                 for name, values in columns.items()]
    rows = list(zip(*processed))
    if dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for start in range(0, count, chunk):
                for row in rows[start:start + chunk]:
                    copy.write_row(row)
                report(min(start + chunk, count) / count, label)
    elif dialect.name == "sqlite":
        cursor = raw.cursor()
        try:
            sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' for _ in columns)})"
            for start in range(0, count, chunk):
                cursor.executemany(sql, rows[start:start + chunk])
                report(min(start + chunk, count) / count, label)
        finally:
            cursor.close()
    else:  # another backend: SQLAlchemy's own executemany (values unbound)
        keys = list(columns)
        plain = [_bind_values(values, None, count) for values in columns.values()]
        dicts = [dict(zip(keys, row)) for row in zip(*plain)]
        for start in range(0, count, chunk):
            session.execute(insert(table), dicts[start:start + chunk])
            report(min(start + chunk, count) / count, label)
    return count


def _is_column(values: object) -> bool:
    return isinstance(values, (list, tuple, np.ndarray, pd.Series,
                               pd.api.extensions.ExtensionArray))


def _bind_values(values: object, processor, count: int):
    """Plain Python values (drivers do not take numpy scalars), bound by ``processor``
    once per distinct value; None for missing ones. A single value is repeated."""
    if not _is_column(values):
        bound = processor(values) if processor is not None and values is not None else values
        return itertools.repeat(bound, count)
    if isinstance(values, pd.Series):
        values = values.array
    elif isinstance(values, (list, tuple)):
        values, listed = np.empty(len(values), dtype=object), values
        values[:] = listed
    if isinstance(values, np.ndarray) and values.dtype.kind in "iub" and processor is None:
        return values.tolist()  # ints and bools: Python ints and bools, nothing missing
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    plain = [u.item() if isinstance(u, np.generic) else u for u in uniques]
    bound = [processor(u) for u in plain] if processor is not None else plain
    return np.asarray([*bound, None], dtype=object)[codes].tolist()


def update_rows(session: Session, table, columns: list[str], rows: list[tuple]) -> None:
    """``UPDATE table SET columns = … WHERE id = …`` for many ``(id, *values)`` rows,
    values bound by the column types (as ``insert_rows``): on PostgreSQL one statement
    over arrays of ids and values (a first Libro import renames a whole school's
    students: one round trip per row cost more than the update), elsewhere one
    driver ``executemany``."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in columns]
    bound = [(key, *(p(v) if p is not None and v is not None else v
                     for p, v in zip(processors, values)))
             for key, *values in rows]
    if dialect.name == "postgresql":
        types = [table.c.id.type.compile(dialect=dialect),
                 *(table.c[name].type.compile(dialect=dialect) for name in columns)]
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        assignments = ", ".join(f"{name} = v.{name}" for name in columns)
        connection.exec_driver_sql(
            f"UPDATE {table.name} SET {assignments} FROM unnest({arrays}) "
            f"AS v(id, {', '.join(columns)}) WHERE {table.name}.id = v.id",
            tuple(list(values) for values in zip(*bound)))
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    assignments = ", ".join(f"{name} = {mark}" for name in columns)
    connection.exec_driver_sql(f"UPDATE {table.name} SET {assignments} WHERE id = {mark}",
                               [(*values, key) for key, *values in bound])
