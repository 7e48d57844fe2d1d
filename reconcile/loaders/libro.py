"""Libro Digital attendance: the long table and the wide monthly Control de Subvenciones.

Long: one row per student, course, date and (optionally) class hour, with a mark.
Wide: a header block (RBD, Curso, Tipo de enseñanza, Mes), then one row per
student and one column per day (``•`` present, ``X`` absent, blank = no record).
Both become one canonical frame, validated in one pass; nothing is written here.
Courses are matched against a ``CourseCatalog`` built from SIGE's nómina. The
two layouts' headers are ``libro_layout``'s, which the nómina's reader shares.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from reconcile import rut as rutlib
from reconcile.loaders.courses import CourseCatalog
from reconcile.loaders.errors import RowError, file_error, sort_errors
from reconcile.loaders.progress import Progress, ProgressCallback
from reconcile.loaders.identifiers import join_rut, parse_unique_ruts
from reconcile.loaders.libro_layout import (
    LONG_LABELS,
    LONG_REQUIRED,
    WideHeader,
    long_header,
    wide_header,
)
from reconcile.loaders.nomina import looks_like_nomina, looks_like_nomina_xml
from reconcile.loaders.report import Reporter
from reconcile.loaders.sources import RawSheet, SourceProblem, kind_of, read_bytes, read_sheets
from reconcile.loaders.values import (
    MONTHS_ES,
    cell_text,
    fold,
    guarded,
    header_key,
    is_blank,
    parse_date,
    parse_hour,
    parse_int,
    parse_mark,
    parse_month,
    parse_rbd,
    parse_unique,
    group_codes,
)
from reconcile.loaders.wrong_tab import NOMINA, belongs_in, nomina_first

LONG = "larga"
WIDE = "mensual"

_BLOCK_KEYS = {
    "rbd": "rbd", "curso": "course", "tipodeensenanza": "cod_ense", "tipoensenanza": "cod_ense",
    "codtipoensenanza": "cod_ense", "codigotipoensenanza": "cod_ense", "ensenanza": "cod_ense",
    "mes": "month", "periodo": "month", "ano": "year", "anio": "year", "agno": "year",
    "letra": "letra", "letracurso": "letra",
}
_BLOCK_LABELS = {"rbd": "RBD", "course": "Curso", "cod_ense": "Tipo de enseñanza",
                 "month": "Mes", "year": "Año", "letra": "Letra"}
FRAME_COLUMNS = ["row", "rbd", "cod_ense", "cod_grado", "letra", "rut", "run", "dv", "kind",
                 "full_name", "day", "hour", "present", "course_id", "year", "sheet"]
# Raw mark records, one per mark, both layouts (labels name columns in messages).
_RAW = ["row", "sheet", "rbd", "course", "cod_ense", "cod_grado", "letra", "rut", "full_name",
        "day", "day_label", "hour", "mark", "mark_label"]


@dataclass
class LibroFile:
    filename: str
    frame: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)
    month: tuple[int, int] | None = None  # (year, month)
    layout: str | None = None  # "larga" or "mensual"
    rbds: set[int] = field(default_factory=set)  # every RBD the file names
    rows_read: int = 0
    belongs_in: str | None = None  # "nomina": the file is SIGE's nómina instead
    # RBD -> the years of its marks with no SIGE nómina loaded (its courses are unknown)
    without_nomina: dict[int, list[int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in FRAME_COLUMNS})


def read_libro(path: Path | str | None, courses: CourseCatalog, data: bytes | None = None,
               filename: str | None = None, *, rbd: int | None = None,
               provisional_min_body: int = rutlib.DEFAULT_PROVISIONAL_MIN_BODY,
               progress: ProgressCallback | None = None) -> LibroFile:
    """Read Libro Digital attendance (.csv or .xlsx, long or wide). ``rbd`` is the
    school to assume when the file does not say (else the catalog's only school).
    ``progress(fraction, label)`` follows the reading and the validation."""
    report = Progress(progress)
    report(0.0, "Leyendo archivo")
    name = filename or (Path(path).name if path is not None else "libro")
    if rbd is None and len(courses.rbds) == 1:
        rbd = next(iter(courses.rbds))
    reporter = Reporter(name)
    try:
        data, name = read_bytes(path, data, filename)
        reporter.file = name
        if kind_of(data, name) == "xml":
            if looks_like_nomina_xml(data, name):  # the Libro Digital exports no XML
                raise _Misplaced(name)
            raise SourceProblem(file_error(name, "se esperaba una planilla .csv o .xlsx"))
        sheets = read_sheets(data, name)
        parts, layout, month = _records(sheets, reporter, rbd)
    except _Misplaced as problem:
        return LibroFile(name, empty_frame(), [problem.error], belongs_in=NOMINA)
    except SourceProblem as problem:
        return LibroFile(name, empty_frame(), [problem.error])
    if len(parts) == 1:
        raw = parts[0]  # already indexed 0..n-1: no copy
    else:
        raw = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_RAW)
    report(0.3, "Validando filas")
    frame, month, rbds, without_nomina = _validate(raw, reporter, courses, rbd, month, layout,
                                                   provisional_min_body, report.span(0.3, 1.0))
    report(1.0, "Archivo validado")
    return LibroFile(name, frame, sort_errors(reporter.errors), month, layout, rbds,
                     rows_read=len(raw), without_nomina=without_nomina)


class _Misplaced(SourceProblem):
    """The file is SIGE's nómina: one problem, saying where it goes."""

    def __init__(self, name: str):
        super().__init__(belongs_in(name, NOMINA))


def _records(sheets: list[RawSheet], reporter: Reporter, rbd: int | None):
    parts, layouts, months = [], set(), set()
    several = len(sheets) > 1
    for sheet in sheets:
        sheet_name = sheet.name if several else None
        header = long_header(sheet.top)
        if header and set(LONG_REQUIRED) <= header.positions.keys():
            parts.append(_long_records(sheet, header, reporter, sheet_name))
            layouts.add(LONG)
            continue
        wide = wide_header(sheet.top)
        if wide is not None:
            part, month = _wide_records(sheet, wide, reporter, sheet_name)
            if part is not None:
                parts.append(part)
            if month:
                months.add(month)
            layouts.add(WIDE)
            continue
        if header:  # looks like a long table with columns missing
            for missing in LONG_REQUIRED:
                if missing not in header.positions:
                    reporter.add(header.row_number, LONG_LABELS[missing], None,
                                 "falta esta columna en el encabezado", sheet_name)
            layouts.add(LONG)
    if not parts and looks_like_nomina(sheets):
        raise _Misplaced(reporter.file)
    if not layouts:
        raise SourceProblem(file_error(reporter.file, "no se reconoce el formato: se espera una "
                                       "tabla con RUT, Fecha y Asistencia, o una planilla "
                                       "mensual con una columna por día"))
    layout = LONG if layouts == {LONG} else WIDE if layouts == {WIDE} else "mixta"
    month = next(iter(months)) if len(months) == 1 else None
    return parts, layout, month


# ---- long table ---------------------------------------------------------------------

def _long_records(sheet: RawSheet, header, reporter: Reporter, sheet_name) -> pd.DataFrame:
    pos, written = header.positions, header.written
    has_codes = {"cod_ense", "cod_grado", "letra"} <= pos.keys()
    if "course" not in pos and not has_codes:
        reporter.add(header.row_number, "Curso", None, "falta la columna del curso (Curso, o "
                     "Cod Tipo Enseñanza, Cod Grado y Letra Curso)", sheet_name)
    body = sheet.body(header.index)
    body.attrs["no_course"] = "course" not in pos and not has_codes
    n = len(body)

    def get(field_name: str) -> np.ndarray:
        position = pos.get(field_name)
        if position is None or position not in body.columns:
            return np.full(n, None, dtype=object)
        return body[position].to_numpy(dtype=object)

    course = get("course")
    if not has_codes and "course" in pos and "letra" in pos:
        # "1° Básico" and "A" in separate columns
        course = _per_distinct_pair(course, get("letra"),
                                    lambda c, l: f"{cell_text(c)} {cell_text(l)}")
    out = pd.DataFrame({
        "row": body.index.to_numpy(), "sheet": sheet_name, "rbd": get("rbd"),
        "course": course if "course" in pos else np.full(n, None, dtype=object),
        "cod_ense": get("cod_ense") if has_codes else np.full(n, None, dtype=object),
        "cod_grado": get("cod_grado") if has_codes else np.full(n, None, dtype=object),
        "letra": get("letra") if has_codes else np.full(n, None, dtype=object),
        "rut": _rut_texts(get("rut"), get("dv")) if "dv" in pos else get("rut"),
        "full_name": get("full_name"), "day": get("day"),
        "day_label": written.get("day", "Fecha"), "hour": get("hour"),
        "mark": get("mark"), "mark_label": written.get("mark", "Asistencia"),
    }, dtype=object)
    out["row"] = body.index.to_numpy()
    out.attrs["labels"] = {f: written.get(f, LONG_LABELS[f]) for f in LONG_LABELS}
    out.attrs["no_course"] = body.attrs["no_course"]
    return out


def _rut_texts(bodies: np.ndarray, dvs: np.ndarray) -> np.ndarray:
    return _per_distinct_pair(bodies, dvs, join_rut)


def _per_distinct_pair(left: np.ndarray, right: np.ndarray, join) -> np.ndarray:
    """``join(l, r)`` for every row, computed once per distinct pair of cells."""
    left_codes, left_values = pd.factorize(left, use_na_sentinel=True)
    right_codes, right_values = pd.factorize(right, use_na_sentinel=True)
    pairs = group_codes(left_codes, right_codes)
    if not len(pairs):
        return np.empty(0, dtype=object)
    firsts = np.unique(pairs, return_index=True)[1]  # codes are 0..k-1, first-seen order
    left_values = np.append(np.asarray(left_values, dtype=object), None)
    right_values = np.append(np.asarray(right_values, dtype=object), None)
    joined = np.asarray([join(left_values[left_codes[i]], right_values[right_codes[i]])
                         for i in firsts], dtype=object)
    return joined[pairs]


# ---- wide monthly sheet -------------------------------------------------------------

def _block(top: list[list[object]], upto: int) -> dict[str, tuple[object, int]]:
    """Header-block values above the table: label cell, then the next non-blank cell
    (or ``Label: value`` in one cell). Returns field -> (value, row number)."""
    found: dict[str, tuple[object, int]] = {}
    for index, row in enumerate(top[:upto]):
        cells = [c for c in row if not is_blank(c)]
        if not cells:
            continue
        first = cell_text(cells[0])
        label, _, inline = first.partition(":")
        key = _BLOCK_KEYS.get(header_key(label))
        if key is None or key in found:
            continue
        value = inline.strip() if inline.strip() else (cells[1] if len(cells) > 1 else None)
        found[key] = (value, index + 1)
    return found


def _wide_records(sheet: RawSheet, wide: WideHeader, reporter: Reporter, sheet_name):
    block = _block(sheet.top, wide.header_index)
    month = None
    if "month" in block:
        value, row = block["month"]
        month, reason = parse_month(value)
        if month is None and fold(cell_text(value)) in MONTHS_ES and "year" in block:
            year, _ = parse_int(block["year"][0], 2000, 2100, "el año")
            if year:
                month, reason = (year, MONTHS_ES[fold(cell_text(value))]), None
        if reason:
            reporter.add(row, "Mes", value, reason, sheet_name)
    elif any(isinstance(v, int) for v in wide.days.values()):
        reporter.add(None, "Mes", None, "falta el mes en el encabezado de la planilla "
                     "(por ejemplo «Mes: 2026-11»)", sheet_name)
    if "course" not in block:
        reporter.add(None, "Curso", None, "falta el curso en el encabezado de la planilla "
                     "(por ejemplo «Curso: 1° Básico A»)", sheet_name)
    body = sheet.body(wide.header_index)
    if body.empty:
        return None, month
    label_positions = [p for p in (wide.positions.get("rut"), wide.positions.get("full_name"), 0)
                       if p is not None and p in body.columns]
    totals = np.zeros(len(body), dtype=bool)
    for p in label_positions:
        totals |= body[p].map(lambda v: fold(cell_text(v)).startswith("total")).to_numpy(bool)
    body = body.loc[~totals]
    positions = [p for p in wide.days if p in body.columns]
    cells = body[positions].to_numpy(dtype=object) if positions else np.empty((len(body), 0))
    filled = _filled(cells)
    student_i, day_j = np.nonzero(filled)
    rows = body.index.to_numpy()[student_i]
    ruts = body[wide.positions["rut"]].to_numpy(dtype=object)
    if "dv" in wide.positions:
        ruts = _rut_texts(ruts, body[wide.positions["dv"]].to_numpy(dtype=object))
    names = body[wide.positions["full_name"]].to_numpy(dtype=object) \
        if "full_name" in wide.positions else np.full(len(body), None, dtype=object)
    days = np.full(len(positions), None, dtype=object)
    day_problems: dict[int, str] = {}
    for j, position in enumerate(positions):
        value = wide.days[position]
        if isinstance(value, date):
            if month and (value.year, value.month) != month:
                day_problems[j] = _outside(month)
            days[j] = value
        elif month:
            try:
                days[j] = date(month[0], month[1], value)
            except ValueError:
                day_problems[j] = (f"fecha fuera del mes del archivo: {_month_es(month)} no "
                                   f"tiene día {value}")
    labels = np.asarray([wide.day_labels[p] for p in positions], dtype=object)
    def header_value(key: str) -> object:
        return block[key][0] if key in block else None
    out = pd.DataFrame({
        "row": rows, "sheet": sheet_name, "rbd": header_value("rbd"),
        "course": _wide_course(block), "cod_ense": header_value("cod_ense"),
        "cod_grado": None, "letra": None, "rut": ruts[student_i], "full_name": names[student_i],
        "day": days[day_j] if len(positions) else None,
        "day_label": labels[day_j] if len(positions) else None,
        "hour": None, "mark": cells[student_i, day_j],
        "mark_label": labels[day_j] if len(positions) else None,
    }, dtype=object)
    out["row"] = rows
    if day_problems:
        bad = np.asarray([j in day_problems for j in day_j], dtype=bool)
        reasons = np.asarray([day_problems.get(j) for j in day_j], dtype=object)
        reporter.column(rows, labels[day_j], cells[student_i, day_j], reasons,
                        np.full(len(rows), sheet_name, dtype=object))
        out = out.loc[~bad]
    out.attrs["labels"] = {"rbd": "RBD", "course": "Curso", "cod_ense": "Tipo de enseñanza",
                           "rut": wide.written.get("rut", "RUT"), "full_name": "Nombre",
                           "hour": "Hora"}
    out.attrs["wide"] = True
    return out, month


def _filled(cells: np.ndarray) -> np.ndarray:
    """Which cells hold a value, judging each distinct value once."""
    if not cells.size:
        return np.zeros(cells.shape, dtype=bool)
    codes, uniques = pd.factorize(cells.ravel(), use_na_sentinel=True)
    blank = np.append([is_blank(v) for v in uniques], True).astype(bool)
    return ~blank[codes].reshape(cells.shape)


def _wide_course(block: dict) -> str | None:
    if "course" not in block:
        return None
    course = cell_text(block["course"][0])
    if "letra" in block:
        course = f"{course} {cell_text(block['letra'][0])}"
    return course


def _month_es(month: tuple[int, int]) -> str:
    names = {v: k for k, v in MONTHS_ES.items() if k != "setiembre"}
    return f"{names[month[1]]} de {month[0]}"


def _outside(month: tuple[int, int]) -> str:
    return f"fecha fuera del mes del archivo ({_month_es(month)})"


# ---- validation (both layouts) ------------------------------------------------------

def _cod_ense_hint(value: object):
    match = re.match(r"\s*(\d{1,3})\b", cell_text(value))
    return (int(match.group(1)) if match else None), None


def _required_mark(value: object):
    present, reason = parse_mark(value)
    if present is None and reason is None:
        return None, "falta la marca de asistencia"
    return present, reason


def _validate(raw: pd.DataFrame, reporter: Reporter, catalog: CourseCatalog,
              default_rbd: int | None, month: tuple[int, int] | None, layout: str | None,
              min_body: int, progress: Progress):
    """Raw mark records -> (canonical frame, month, RBDs named); problems to reporter.

    Every column is read once per distinct cell (``parse_unique``): rows carry
    integer codes into the per-distinct results, and repeats and conflicts are found
    on those integers, so a month of a large school costs a few dozen parses."""
    rbds: set[int] = set()
    if raw.empty:
        if not reporter.errors:
            reporter.add(None, None, None, "el archivo no tiene marcas de asistencia")
        return empty_frame(), month, rbds, {}
    labels = {**LONG_LABELS, "rbd": "RBD", "course": "Curso"}
    n = len(raw)
    rows = raw["row"].to_numpy()
    sheets = raw["sheet"].to_numpy(dtype=object)
    bad = np.zeros(n, dtype=bool)

    def report(key: str, values: pd.Series | np.ndarray, reasons: np.ndarray,
               label: str | np.ndarray | None = None) -> None:
        nonlocal bad
        shown = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
        bad |= reporter.column(rows, label if label is not None else labels[key], shown,
                               reasons, sheets)

    # RBD
    rbd_column = raw["rbd"].notna().any()
    if rbd_column:
        rbd_codes, rbd_values, reasons = parse_unique(raw["rbd"], guarded(parse_rbd))
        if default_rbd is not None:
            blank = pd.isna(rbd_values) & pd.isna(reasons)
            rbd_values = np.where(blank, default_rbd, rbd_values).astype(object)
            reasons = np.where(blank, None, reasons).astype(object)
        report("rbd", raw["rbd"], reasons[rbd_codes])
    else:
        if default_rbd is None:
            reporter.add(None, "RBD", None, "el archivo no indica el RBD del establecimiento: "
                         "agregue la columna RBD")
        rbd_codes, rbd_values = np.zeros(n, dtype=np.int64), np.array([default_rbd], dtype=object)
    rbds = {int(v) for v in rbd_values[np.unique(rbd_codes)] if v is not None}
    # Dates and the file's month
    day_labels = raw["day_label"].to_numpy(dtype=object)
    if layout == LONG or not raw.attrs.get("wide"):
        day_codes, day_values, reasons = parse_unique(raw["day"], guarded(_required_date))
        report("day", raw["day"], reasons[day_codes], day_labels)
    else:
        day_codes, uniques = pd.factorize(raw["day"].to_numpy(dtype=object),
                                          use_na_sentinel=True)
        day_values = np.append(np.asarray(uniques, dtype=object), None)
    if month is None:
        month = _most_common_month(day_codes, day_values)
    if month is not None:
        outside = np.asarray([d is not None and (d.year, d.month) != month for d in day_values],
                             dtype=bool)
        reasons = np.where(outside[day_codes], _outside(month), None)
        report("day", raw["day"], reasons, day_labels)
    # Hour and mark
    hour_codes, hour_values, reasons = parse_unique(raw["hour"], guarded(parse_hour))
    report("hour", raw["hour"], reasons[hour_codes])
    mark_codes, mark_values, reasons = parse_unique(raw["mark"], guarded(_required_mark))
    report("mark", raw["mark"], reasons[mark_codes], raw["mark_label"].to_numpy(dtype=object))
    # RUT
    progress(0.3, "Validando RUT")
    rut_codes, ruts = parse_unique_ruts(raw["rut"], min_body)
    report("rut", raw["rut"], ruts["reason"][rut_codes],
           raw.attrs.get("labels", {}).get("rut", "RUT"))
    name_codes, name_values, reasons = parse_unique(raw["full_name"], guarded(
        lambda v: (" ".join(cell_text(v).split()) or None, None)))
    report("full_name", raw["full_name"], reasons[name_codes])
    # Course
    progress(0.6, "Comprobando cursos")
    year_values = np.asarray([d.year if d is not None else (month[0] if month else None)
                              for d in day_values], dtype=object)
    courses = _resolve_courses(raw, rbd_values[rbd_codes], year_values[day_codes], catalog,
                               report)
    for school, years in sorted(courses.without_nomina.items()):
        reporter.add(None, "RBD", school, nomina_first(school, years))
    if courses.without_nomina:
        bad |= courses.ids < 0  # those schools' rows: their courses cannot be known
    # Keep the good rows; exact repeats count once; contradictions are errors
    progress(0.75, "Buscando marcas repetidas")
    keep = np.flatnonzero(~bad)
    first = _repeats_and_conflicts(
        reporter, rows[keep], sheets[keep], courses.ids[keep],
        _slot_codes(ruts["rut"])[rut_codes[keep]], _slot_codes(day_values)[day_codes[keep]],
        _slot_codes(hour_values)[hour_codes[keep]],
        np.asarray([-1 if v is None else int(v) for v in mark_values])[mark_codes[keep]])
    take = keep[first]
    course_ids = courses.ids[take]
    frame = pd.DataFrame({
        "row": rows[take], "rbd": rbd_values[rbd_codes[take]] if rbd_column
        else np.full(len(take), default_rbd,
                     dtype=object if default_rbd is None else np.int64),
        "cod_ense": courses.cod_ense[take], "cod_grado": courses.cod_grado[take],
        "letra": _column(courses.letra_values, courses.letra_codes, take),
        **{key: _column(ruts[key], rut_codes, take) for key in ("rut", "run", "dv", "kind")},
        "full_name": _column(name_values, name_codes, take), "day": day_values[day_codes[take]],
        "hour": hour_values[hour_codes[take]].astype(np.int64),
        "present": mark_values[mark_codes[take]].astype(bool),
        "course_id": course_ids if (course_ids >= 0).all()
        else np.where(course_ids >= 0, course_ids, None),
        "year": year_values[day_codes[take]], "sheet": sheets[take],
    })
    return frame[FRAME_COLUMNS], month, rbds, courses.without_nomina


def _column(values: np.ndarray, codes: np.ndarray, take: np.ndarray):
    """``values[codes[take]]`` with the dtype pandas infers for ``values[codes]`` (text
    becomes the ``str`` dtype), built from the distinct values: far cheaper than
    converting a whole column of Python strings."""
    dtype = pd.Series(values[np.unique(codes)]).dtype
    if dtype == object:
        return values[codes[take]]
    return pd.array(values, dtype=dtype).take(codes[take])


def _slot_codes(values: np.ndarray) -> np.ndarray:
    """Equal per-distinct results (two spellings of one RUT or date) get one code."""
    return pd.factorize(values, use_na_sentinel=True)[0].astype(np.int64)


def _required_date(value: object):
    if is_blank(value):
        return None, "falta la fecha"
    return parse_date(value)


def _most_common_month(codes: np.ndarray, days: np.ndarray) -> tuple[int, int] | None:
    """The month most dates fall in (the earliest on a tie): a long file's month.
    ``days[codes]`` are the rows' dates (None when unknown)."""
    counts = np.bincount(np.where(codes < 0, len(days) - 1, codes), minlength=len(days))
    weights: dict[tuple[int, int], int] = {}
    for day, count in zip(days, counts):
        if day is not None and count:
            weights[(day.year, day.month)] = weights.get((day.year, day.month), 0) + int(count)
    if not weights:
        return None
    top = max(weights.values())
    return min(m for m, c in weights.items() if c == top)


@dataclass
class _Courses:
    ids: np.ndarray  # course id per row, -1 when not resolved
    cod_ense: np.ndarray
    cod_grado: np.ndarray
    letra_values: np.ndarray  # per distinct combination; rows: letra_values[letra_codes]
    letra_codes: np.ndarray
    without_nomina: dict[int, list[int]]  # RBD -> years its rows name with no nómina loaded


def _resolve_courses(raw: pd.DataFrame, rbd: np.ndarray, year: np.ndarray,
                     catalog: CourseCatalog, report) -> _Courses:
    """Match each row's course (by codes or by name) against SIGE's courses of that
    school and year, once per distinct combination."""
    uses_codes = raw["cod_grado"].notna().any()
    if uses_codes:
        parts = [raw["cod_ense"], raw["cod_grado"], raw["letra"]]
        label = "Cod Grado"
    else:
        parts = [raw["course"], raw["cod_ense"]]
        label = raw.attrs.get("labels", {}).get("course", "Curso")
    columns = [rbd, year, *(p.to_numpy(dtype=object) for p in parts)]
    groups = group_codes(*(pd.factorize(c, use_na_sentinel=True)[0] for c in columns))
    firsts = np.unique(groups, return_index=True)[1]  # group codes are 0..k-1
    n_unique = len(firsts)
    ids = np.full(n_unique, -1, dtype=np.int64)
    found_codes = np.empty((n_unique, 3), dtype=object)
    reasons = np.empty(n_unique, dtype=object)
    shown = np.empty(n_unique, dtype=object)
    without_nomina: dict[int, set[int]] = {}
    for i, row in enumerate(firsts):
        rbd_i, year_i, a, b = (_none_if_nan(c[row]) for c in columns[:4])
        c = _none_if_nan(columns[4][row]) if uses_codes else None
        course, reason = None, None
        if rbd_i is None or year_i is None:
            reason = None  # already reported (RBD or date)
        elif int(year_i) not in catalog.years(int(rbd_i)):
            # no course of that school and year is known: one problem for the school, below
            without_nomina.setdefault(int(rbd_i), set()).add(int(year_i))
        elif not uses_codes and raw.attrs.get("no_course"):
            reason = None  # the missing column is already reported, once
        elif uses_codes:
            ense, r1 = parse_int(a, 1, 999, "el código de tipo de enseñanza")
            grado, r2 = parse_int(b, 0, 99, "el código de grado")
            letra = cell_text(c).upper()
            shown[i] = f"{cell_text(a)}-{cell_text(b)}-{letra}"
            if r1 or r2 or not letra:
                reason = r1 or r2 or "falta la letra del curso"
            else:
                course = catalog.by_codes(int(rbd_i), int(year_i), ense, grado, letra)
                if course is None:
                    _, reason = catalog.resolve(int(rbd_i), int(year_i), shown[i])
        else:
            text = cell_text(a)
            shown[i] = text
            if not text:
                reason = "falta el curso"
            else:
                hint = _cod_ense_hint(b)[0] if b is not None else None
                course, reason = catalog.resolve(int(rbd_i), int(year_i), text, hint)
        reasons[i] = reason
        if course is not None:
            ids[i] = course.id
            found_codes[i] = (course.cod_ense, course.cod_grado, course.letra)
    report("course", shown[groups], reasons[groups], label)
    return _Courses(ids[groups], found_codes[groups, 0], found_codes[groups, 1],
                    found_codes[:, 2].copy(), groups,
                    {school: sorted(years) for school, years in without_nomina.items()})


def _none_if_nan(value: object) -> object:
    return None if isinstance(value, float) and value != value else value


def _repeats_and_conflicts(reporter: Reporter, rows: np.ndarray, sheets: np.ndarray,
                           course: np.ndarray, rut: np.ndarray, day: np.ndarray,
                           hour: np.ndarray, mark: np.ndarray) -> np.ndarray:
    """Exact repeats count once (returns the mask of rows to keep); two different
    marks (1 present, 0 absent) for the same student, date and hour are an error
    naming both rows. Keys are integer codes: a few hash passes even for a million
    rows."""
    first = ~pd.Series(group_codes(course, rut, day, hour, mark)).duplicated().to_numpy()
    key = group_codes(rut[first], day[first], hour[first])
    clash = pd.Series(key).duplicated(keep=False).to_numpy()
    if not clash.any():
        return first
    kept = np.flatnonzero(first)
    suspects = pd.DataFrame({"key": key[clash], "row": rows[kept[clash]],
                             "mark": mark[kept[clash]], "sheet": sheets[kept[clash]]})
    mixed = suspects.groupby("key", sort=False)["mark"].transform("nunique") > 1
    for _, group in suspects.loc[mixed].groupby("key", sort=False):
        ordered = group.sort_values("row", kind="stable")
        head = ordered.iloc[0]
        for other in ordered.iloc[1:].itertuples(index=False):
            if other.mark == head["mark"]:
                continue
            reporter.add(int(other.row), "Asistencia", "Presente" if other.mark == 1
                         else "Ausente",
                         f"marca contradictoria: la fila {int(head['row'])} registra "
                         f"{'Presente' if head['mark'] == 1 else 'Ausente'} para el mismo "
                         f"estudiante, fecha y hora", other.sheet)
    return first
