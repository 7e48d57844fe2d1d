"""SIGE's courses, and matching the ways people write them.

A course is (RBD, year, tipo de enseñanza, grado, letra). The Libro Digital
writes "1° Básico A"; SIGE's nómina writes Desc Grado "1° Básico" and Letra
Curso "A"; the CLI writes ``110-1-A``. When the nómina has no Desc Grado (the
XML export), the usual name is derived from the codes.

>>> course_key("1° Básico A") == course_key("1º  basico a") == course_key("1ro Básico A")
True
>>> derived_name(110, 3), derived_name(310, 2), derived_name(299, 1)
('3° Básico', '2° Medio', None)
>>> parse_code("110-1-a")
(110, 1, 'A')
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.courses import derived_name, parse_code
from reconcile.db.models import Course
from reconcile.loaders.values import fold

_ORDINAL_SUFFIXES = {"ro", "er", "do", "to", "vo", "no", "mo", "a", "o", "ero"}
_ORDINAL_WORDS = {"primero": "1", "primer": "1", "segundo": "2", "tercero": "3", "tercer": "3",
                  "cuarto": "4", "quinto": "5", "sexto": "6", "septimo": "7", "octavo": "8"}
_SYNONYMS = {"basica": "basico", "media": "medio"}
_FILLER = {"ano", "de", "anio", "nivel"}


def course_key(text: str) -> str:
    """A course name reduced for comparison: case, accents, °/º, spacing and the
    usual ordinal spellings do not matter."""
    folded = fold(text)
    folded = re.sub(r"[^0-9a-z]+", " ", folded)
    folded = re.sub(r"(\d)([a-z])", r"\1 \2", folded)
    tokens: list[str] = []
    for token in folded.split():
        if tokens and tokens[-1].isdigit() and token in _ORDINAL_SUFFIXES:
            continue
        token = _ORDINAL_WORDS.get(token, _SYNONYMS.get(token, token))
        if token in _FILLER:
            continue
        tokens.append(token)
    return " ".join(tokens)


@dataclass(frozen=True)
class CourseRef:
    id: int | None
    rbd: int
    year: int
    cod_ense: int
    cod_grado: int
    letra: str
    desc_grado: str | None = None

    @property
    def code(self) -> str:
        return f"{self.cod_ense}-{self.cod_grado}-{self.letra}"


class CourseCatalog:
    """The courses a Libro file may name, indexed by codes and by names."""

    def __init__(self, courses: Iterable[CourseRef]):
        self.courses = list(courses)
        self._by_code: dict[tuple[int, int, int, int, str], CourseRef] = {}
        self._by_desc: dict[tuple[int, int, str], list[CourseRef]] = defaultdict(list)
        self._by_derived: dict[tuple[int, int, str], list[CourseRef]] = defaultdict(list)
        self._years: dict[int, set[int]] = defaultdict(set)
        for course in self.courses:
            self._by_code[(course.rbd, course.year, course.cod_ense, course.cod_grado,
                           course.letra.upper())] = course
            self._years[course.rbd].add(course.year)
            if course.desc_grado:
                key = course_key(f"{course.desc_grado} {course.letra}")
                self._by_desc[(course.rbd, course.year, key)].append(course)
            name = derived_name(course.cod_ense, course.cod_grado)
            if name:
                key = course_key(f"{name} {course.letra}")
                self._by_derived[(course.rbd, course.year, key)].append(course)

    @classmethod
    def from_session(cls, session: Session, rbds: int | Iterable[int] | None = None,
                     year: int | None = None) -> CourseCatalog:
        """The courses stored for these schools (all schools when None)."""
        query = select(Course.id, Course.rbd, Course.year, Course.cod_ense, Course.cod_grado,
                       Course.letra, Course.desc_grado)
        if rbds is not None:
            query = query.where(Course.rbd.in_([rbds] if isinstance(rbds, int) else list(rbds)))
        if year is not None:
            query = query.where(Course.year == year)
        return cls(CourseRef(*row) for row in session.execute(query))

    @property
    def rbds(self) -> set[int]:
        return set(self._years)

    def years(self, rbd: int) -> set[int]:
        return set(self._years.get(rbd, ()))

    def by_codes(self, rbd: int, year: int, cod_ense: int, cod_grado: int,
                 letra: str) -> CourseRef | None:
        return self._by_code.get((rbd, year, cod_ense, cod_grado, letra.strip().upper()))

    def resolve(self, rbd: int, year: int, text: str,
                cod_ense: int | None = None) -> tuple[CourseRef | None, str | None]:
        """A course named by code or by name; else (None, Spanish reason)."""
        if rbd not in self._years:
            return None, f"no hay nómina SIGE cargada para el RBD {rbd}: cárguela primero"
        if year not in self._years[rbd]:
            return None, (f"no hay nómina SIGE del año {year} para el RBD {rbd}: "
                          "cárguela primero")
        codes = parse_code(text)
        if codes is not None:
            found = self.by_codes(rbd, year, *codes)
            if found is None:
                return None, "curso desconocido: no está en la nómina SIGE de ese año"
            return found, None
        key = course_key(text)
        for index in (self._by_desc, self._by_derived):
            found = index.get((rbd, year, key), [])
            if cod_ense is not None:
                found = [c for c in found if c.cod_ense == cod_ense]
            if len(found) == 1:
                return found[0], None
            if len(found) > 1:
                codes_list = ", ".join(sorted(c.code for c in found))
                return None, (f"curso ambiguo: coincide con {codes_list}; "
                              "use el código ENSE-GRADO-LETRA")
        return None, ("curso desconocido: no coincide con ningún curso de la nómina SIGE "
                      "(Desc Grado y Letra Curso) ni con un código como 110-1-A")
