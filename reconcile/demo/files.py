"""Write the demo school as the files a school actually has (layouts of the
shared samples), so the same files can also be imported by hand:

- ``nomina_sige.xlsx``: SIGE's nómina export, data on the 2nd sheet under SIGE's
  own headers, incorporation dates mixed as Excel serials and ``dd-mm-aaaa``
  text, an empty withdrawal date written ``1``.
- ``libro_asistencia_larga.csv``: the Libro Digital long export, ``;``-separated,
  Latin-1, CRLF, hours 1 and 2, RUTs with dots. It holds every course but one:
- ``libro_control_subvenciones.xlsx``: that one course's wide monthly sheet
  (``•`` present, ``X`` absent, blank no record, RUTs with a lower-case k).
- ``manifest.json``: what was planted (see ``Manifest``).

Files are byte-identical for the same school: workbook properties and zip entry
times are fixed to ``today`` at 08:00 instead of the clock.
"""
from __future__ import annotations

import calendar
import csv
import io
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.xml.constants import ARC_CORE
from openpyxl.xml.functions import tostring

from reconcile import rut
from reconcile.demo.school import DemoMark, DemoSchool, DemoStudent

NOMINA_FILE = "nomina_sige.xlsx"
LIBRO_LONG_FILE = "libro_asistencia_larga.csv"
LIBRO_WIDE_FILE = "libro_control_subvenciones.xlsx"
MANIFEST_FILE = "manifest.json"

NOMINA_SUMMARY_SHEET = "Resumen"
NOMINA_SHEET = "Nómina"
NOMINA_HEADERS = (
    "Año", "RBD", "Cod Tipo Enseñanza", "Cod Grado", "Desc Grado", "Letra Curso", "Run",
    "Dígito Ver.", "Genero", "Nombres", "Apellido Paterno", "Apellido Materno", "Dirección",
    "Comuna Residencia", "Código Comuna Residencia", "Email", "Celular", "Fecha Nacimiento",
    "Código Etnia", "Fecha Incorporación Curso", "Fecha Retiro", "%Asistenca", "Promedio Final",
)
NO_WITHDRAWAL = 1  # SIGE's placeholder for an empty Fecha Retiro
TEXT_DATE_SHARE = 0.4  # incorporation dates written as text rather than serials

LONG_HEADERS = ("RBD", "Curso", "RUT", "Nombre", "Fecha", "Hora", "Asistencia")
LONG_ENCODING = "latin-1"

WIDE_SHEET = "Control de Subvenciones"
WIDE_HEADERS = ("N°", "RUT", "Nombre")
PRESENT, ABSENT = "•", "X"

_EXCEL_EPOCH = date(1899, 12, 30)
_EXPORT_TIME = time(8, 0)


@dataclass(frozen=True)
class DemoFiles:
    folder: Path
    nomina: Path
    libro_long: Path
    libro_wide: Path
    manifest: Path


def excel_serial(day: date) -> int:
    """Excel's day number, as SIGE's export writes many dates.

    >>> excel_serial(date(2026, 3, 1)), excel_serial(date(2026, 11, 5))
    (46082, 46331)
    """
    return (day - _EXCEL_EPOCH).days


def write_files(school: DemoSchool, folder: Path) -> DemoFiles:
    """Write the four demo files into ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    moment = datetime.combine(school.today, _EXPORT_TIME)
    files = DemoFiles(folder, folder / NOMINA_FILE, folder / LIBRO_LONG_FILE,
                      folder / LIBRO_WIDE_FILE, folder / MANIFEST_FILE)
    marks = _marks_by_student(school.marks)
    _save_workbook(_nomina_workbook(school), files.nomina, moment)
    files.libro_long.write_bytes(_long_csv(school, marks))
    _save_workbook(_wide_workbook(school, marks), files.libro_wide, moment)
    files.manifest.write_text(
        json.dumps(_manifest_document(school), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8")
    return files


def _marks_by_student(marks: list[DemoMark]) -> dict[tuple[str, str], list[DemoMark]]:
    grouped: dict[tuple[str, str], list[DemoMark]] = defaultdict(list)
    for mark in marks:
        grouped[(mark.course, mark.rut)].append(mark)
    for series in grouped.values():
        series.sort(key=lambda mark: mark.day)
    return grouped


def write_nomina(schools: list[DemoSchool], path: Path) -> Path:
    """One SIGE nómina holding several schools' rows (a sostenedor's, one sheet), as
    the local SIGE emulator takes it: it serves every RBD of its file."""
    moment = datetime.combine(max(school.today for school in schools), _EXPORT_TIME)
    _save_workbook(_nomina_workbook(*schools), Path(path), moment)
    return Path(path)


def _nomina_workbook(*schools: DemoSchool) -> Workbook:
    workbook = Workbook()
    summary = workbook.active
    summary.title = NOMINA_SUMMARY_SHEET
    summary.append(["Nómina de alumnos"])
    for school in schools:
        summary.append(["RBD", f"{school.rbd}-{school.dgv_rbd}"])
    summary.append(["Año", schools[0].year])
    sheet = workbook.create_sheet(NOMINA_SHEET)
    sheet.append(list(NOMINA_HEADERS))
    for school in schools:
        _nomina_rows(sheet, school)
    return workbook


def _nomina_rows(sheet, school: DemoSchool) -> None:  # noqa: ANN001 - an openpyxl sheet
    layout = random.Random(school.layout_seed)
    courses = {course.code: course for course in school.courses}
    for student in school.students:
        if student.sige_rut is None:
            continue
        course = courses[student.course]
        body, _, dv = student.sige_rut.partition("-")
        incorporated = (student.incorporated.strftime("%d-%m-%Y")
                        if layout.random() < TEXT_DATE_SHARE else excel_serial(student.incorporated))
        withdrawn = excel_serial(student.withdrawn) if student.withdrawn else NO_WITHDRAWAL
        sheet.append([
            school.year, school.rbd, course.cod_ense, course.cod_grado, course.desc_grado,
            course.letra, int(body), dv, student.gender, student.nombres, student.ape_paterno,
            student.ape_materno, student.address, student.comuna, student.comuna_code, None, None,
            student.birth_date.strftime("%d/%m/%Y"), 0, incorporated, withdrawn, None, None,
        ])


def _libro_students(school: DemoSchool, course_code: str | None = None) -> list[DemoStudent]:
    return [s for s in school.students
            if s.libro_rut is not None and (course_code is None or s.course == course_code)]


def _long_csv(school: DemoSchool, marks: dict[tuple[str, str], list[DemoMark]]) -> bytes:
    names = {course.code: course.name for course in school.courses}
    wide = school.manifest.wide_course
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(LONG_HEADERS)
    for student in _libro_students(school):
        if student.course == wide:  # its days are in the wide sheet only
            continue
        written = rut.format(student.libro_rut)
        for mark in marks.get((student.course, student.libro_rut), []):
            day = mark.day.strftime("%d-%m-%Y")
            for hour, present in ((1, mark.hour1), (2, mark.hour2)):
                writer.writerow([school.rbd, names[student.course], written, student.full_name,
                                 day, hour, "P" if present else "A"])
    return out.getvalue().encode(LONG_ENCODING)


def _wide_workbook(school: DemoSchool, marks: dict[tuple[str, str], list[DemoMark]]) -> Workbook:
    course = school.course(school.manifest.wide_course)
    year, month = school.month
    days_in_month = calendar.monthrange(year, month)[1]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = WIDE_SHEET
    sheet.append([WIDE_SHEET])
    sheet.append(["RBD", school.rbd])
    sheet.append(["Curso", course.name])
    sheet.append(["Tipo de enseñanza", course.cod_ense])
    sheet.append(["Mes", school.month_label])
    sheet.append([])
    sheet.append([*WIDE_HEADERS, *(str(day) for day in range(1, days_in_month + 1))])
    for number, student in enumerate(_libro_students(school, course.code), start=1):
        row: list[object] = [None] * days_in_month
        for mark in marks.get((course.code, student.libro_rut), []):
            row[mark.day.day - 1] = PRESENT if mark.hour2 else ABSENT
        sheet.append([number, student.libro_rut.lower(), student.list_name, *row])
    return workbook


def _save_workbook(workbook: Workbook, path: Path, moment: datetime) -> None:
    """Save with fixed properties and zip times (openpyxl stamps both with the clock)."""
    workbook.properties.creator = "reconcile demo"
    workbook.properties.created = moment
    raw = io.BytesIO()
    workbook.save(raw)
    workbook.properties.modified = moment
    core = tostring(workbook.properties.to_tree())
    fixed = io.BytesIO()
    with ZipFile(raw) as source, ZipFile(fixed, "w", ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = ZipInfo(info.filename, date_time=moment.timetuple()[:6])
            entry.compress_type = ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, core if info.filename == ARC_CORE else source.read(info))
    path.write_bytes(fixed.getvalue())


def _manifest_document(school: DemoSchool) -> dict[str, object]:
    with_marks = {(mark.course, mark.rut) for mark in school.marks}
    return {
        "rbd": school.rbd,
        "dgv_rbd": school.dgv_rbd,
        "name": school.name,
        "month": school.month_label,
        "today": school.today.isoformat(),
        "worked_days": [day.isoformat() for day in school.worked_days],
        "courses": {course.code: course.name for course in school.courses},
        "files": {"nomina": NOMINA_FILE, "libro_long": LIBRO_LONG_FILE,
                  "libro_wide": LIBRO_WIDE_FILE},
        "counts": {
            "courses": len(school.courses),
            "sige_enrolments": len(school.enrolments),
            "libro_students": len(with_marks),
            "marks": len(school.marks),
        },
        **school.manifest.to_dict(),
    }
