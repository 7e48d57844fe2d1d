"""The emulator's truth: the school's SIGE enrolment, as plain records.

It comes from a nómina file through the project's own parser, so the demo's
SIGE and the dashboard's view of SIGE are the same file. A student is enrolled
on date D when ``incorporated_on`` is None or <= D, and ``withdrawn_on`` is None
or > D (from the withdrawal date on, no longer enrolled).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

CourseKey = tuple[int, int, int, int, str]  # rbd, year, cod_ense, cod_grado, letra


@dataclass(frozen=True)
class EnrolmentRecord:
    rbd: int
    year: int
    cod_ense: int
    cod_grado: int
    letra: str
    run: int
    dv: str
    incorporated_on: date | None = None
    withdrawn_on: date | None = None
    nombres: str = ""
    ape_paterno: str = ""
    ape_materno: str = ""
    desc_grado: str = ""

    @property
    def course(self) -> CourseKey:
        return (self.rbd, self.year, self.cod_ense, self.cod_grado, self.letra)

    @property
    def run_text(self) -> str:
        return f"{self.run}-{self.dv}"

    @property
    def display_name(self) -> str:
        """As SIGE lists people: surnames first, upper case."""
        parts = (self.ape_paterno, self.ape_materno, self.nombres)
        return " ".join(p.strip() for p in parts if p and p.strip()).upper()

    def enrolled_on(self, day: date) -> bool:
        return ((self.incorporated_on is None or self.incorporated_on <= day)
                and (self.withdrawn_on is None or self.withdrawn_on > day))


class Enrolment:
    """Index over the records: who is enrolled in a course on a date."""

    def __init__(self, records: Iterable[EnrolmentRecord]) -> None:
        self.records = tuple(records)
        self._by_course: dict[CourseKey, list[EnrolmentRecord]] = defaultdict(list)
        self._runs: dict[tuple[int, str], EnrolmentRecord] = {}
        for record in self.records:
            self._by_course[record.course].append(record)
            self._runs.setdefault((record.run, record.dv), record)

    @property
    def rbds(self) -> set[int]:
        return {record.rbd for record in self.records}

    def course_exists(self, key: CourseKey) -> bool:
        return key in self._by_course

    def course_label(self, key: CourseKey) -> str:
        """'1° Básico A (110-1-A)' when the nómina names the grade, else '110-1-A'."""
        code = f"{key[2]}-{key[3]}-{key[4]}"
        records = self._by_course.get(key)
        desc = records[0].desc_grado.strip() if records else ""
        return f"{desc} {key[4]} ({code})" if desc else code

    def enrolled(self, key: CourseKey, day: date) -> dict[tuple[int, str], EnrolmentRecord]:
        return {(r.run, r.dv): r for r in self._by_course.get(key, ()) if r.enrolled_on(day)}

    def find(self, run: int, dv: str) -> EnrolmentRecord | None:
        """The student if SIGE has this RUN anywhere (any school, course or date)."""
        return self._runs.get((run, dv))

    def __len__(self) -> int:
        return len(self.records)


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    to_pydatetime = getattr(value, "to_pydatetime", None)  # pandas Timestamp
    if to_pydatetime is not None:
        try:
            return to_pydatetime().date()
        except ValueError:  # NaT
            return None
    if str(value) in ("NaT", "None", ""):
        return None
    return date.fromisoformat(str(value)[:10])


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def from_nomina_frame(frame) -> list[EnrolmentRecord]:  # noqa: ANN001 - a pandas DataFrame
    """Records from the nómina parser's frame (reconcile.loaders.nomina).

    Rows without a usable RUN (``run`` missing) cannot be in SIGE and are skipped.
    """
    records = []
    for row in frame.to_dict("records"):
        run = row.get("run")
        if run is None or (isinstance(run, float) and math.isnan(run)):
            continue
        records.append(EnrolmentRecord(
            rbd=int(row["rbd"]), year=int(row["year"]), cod_ense=int(row["cod_ense"]),
            cod_grado=int(row["cod_grado"]), letra=_text(row["letra"]).upper(),
            run=int(run), dv=_text(row["dv"]).upper(),
            incorporated_on=_as_date(row.get("incorporated_on")),
            withdrawn_on=_as_date(row.get("withdrawn_on")),
            nombres=_text(row.get("nombres")), ape_paterno=_text(row.get("ape_paterno")),
            ape_materno=_text(row.get("ape_materno")), desc_grado=_text(row.get("desc_grado")),
        ))
    return records


class NominaUnavailable(Exception):
    """The nómina could not be read; ``reasons`` are Spanish lines for the user."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("\n".join(reasons))
        self.reasons = reasons


def load_nomina(path: str | Path) -> tuple[Enrolment, int]:
    """Read a nómina file with the project's parser: (enrolment, rows with errors)."""
    try:
        from reconcile.loaders.nomina import read_nomina
    except ImportError:
        raise NominaUnavailable(["El lector de nóminas (reconcile.loaders.nomina) no está "
                                 "disponible en esta instalación."]) from None
    nomina = read_nomina(path)
    records = from_nomina_frame(nomina.frame)
    if not records:
        reasons = [f"{Path(path).name}: la nómina no tiene alumnos válidos."]
        reasons += [str(error) for error in list(nomina.errors)[:10]]
        raise NominaUnavailable(reasons)
    return Enrolment(records), len(nomina.errors)
