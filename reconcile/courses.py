"""A course's code and its name: the one place that parses, writes, sorts and labels them.

SIGE names a course by three codes, written ``ENSE-GRADO-LETRA`` (``110-1-A``: tipo
de enseñanza 110, grado 1, letra A); people write "1° Básico A". Everything a person
reads names the course as people write it (``label``); the CLI and the files keep
the code.

>>> code(110, 1, "a"), parse_code("110-1-a"), parse_code("1° Básico A")
('110-1-A', (110, 1, 'A'), None)
>>> label(110, 3, "B"), label(310, 2, "C"), label(110, 3, "B", desc_grado="3° Básico")
('3° Básico B', '2° Medio C', '3° Básico B')
>>> label_of_code("310-4-A"), label_of_code("299-1-A"), label_of_code("no es código")
('4° Medio A', '299-1-A', 'no es código')
>>> sorted(['310-1-A', '110-10-A', '110-2-B', '110-2-A'], key=sort_key)
['110-2-A', '110-2-B', '110-10-A', '310-1-A']
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_CODE = re.compile(r"\s*(\d{1,3})\s*[-_/ .]\s*(\d{1,2})\s*[-_/ .]\s*([A-Za-z]{1,3})\s*")
_MEDIA_CODES = {310, 410, 510, 610, 710, 810, 910}


def code(cod_ense: int, cod_grado: int, letra: str) -> str:
    """``ENSE-GRADO-LETRA``, the course as the CLI and ``check --json`` name it."""
    return f"{int(cod_ense)}-{int(cod_grado)}-{str(letra).strip().upper()}"


def parse_code(text: str) -> tuple[int, int, str] | None:
    """``ENSE-GRADO-LETRA`` (also with spaces, ``/`` or ``_``), or None."""
    match = _CODE.fullmatch(text or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), match.group(3).upper()


def derived_name(cod_ense: int, cod_grado: int) -> str | None:
    """The usual grade name for SIGE codes (None when there is no common one).

    >>> derived_name(110, 3), derived_name(310, 2), derived_name(299, 1)
    ('3° Básico', '2° Medio', None)
    """
    if cod_ense == 110 and 1 <= cod_grado <= 8:
        return f"{cod_grado}° Básico"
    if cod_ense in _MEDIA_CODES and 1 <= cod_grado <= 4:
        return f"{cod_grado}° Medio"
    return None


def label(cod_ense: int, cod_grado: int, letra: str, desc_grado: str | None = None) -> str:
    """The course as people write it: SIGE's Desc Grado (or the usual name for the
    codes) and the letter; the code when neither is known."""
    grade = (desc_grado or "").strip() or derived_name(cod_ense, cod_grado)
    if not grade:
        return code(cod_ense, cod_grado, letra)
    return f"{grade} {str(letra).strip().upper()}"


def label_of_code(text: str, desc_grado: str | None = None) -> str:
    """``label`` for a written code; text that is not a code is returned as is."""
    codes = parse_code(text)
    return text if codes is None else label(*codes, desc_grado=desc_grado)


def sort_key(course_code: str) -> tuple:
    """``110-10-A`` after ``110-2-A``: numbers compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in str(course_code).split("-"))


def labels(courses: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """Code -> label for (code, Desc Grado) pairs, in the order people read them. Two
    courses that would read the same (e.g. two tipos de enseñanza with one Desc
    Grado) keep their code in brackets, so a selector never shows two equal names.

    >>> labels([("110-2-A", None), ("110-1-A", "1° Básico"), ("363-1-A", "1° Básico")])
    {'110-1-A': '1° Básico A (110-1-A)', '110-2-A': '2° Básico A', '363-1-A': '1° Básico A (363-1-A)'}
    """
    named = {c: label_of_code(c, desc) for c, desc in courses}
    repeated = Counter(named.values())
    return {c: (named[c] if repeated[named[c]] == 1 or named[c] == c else f"{named[c]} ({c})")
            for c in sorted(named, key=sort_key)}
