"""Where a file goes: the other tab (a Libro file as nómina, or the reverse), or after a nómina.

Each loader recognises the other layout by its headers only when its own header
is not there, so a good file never pays for the check. The message names the
tab of «Cargar datos» and the command that take that file, instead of listing
the columns the file was never meant to have. A Libro file of a school whose
nómina was never loaded gets one problem per school (``nomina_first``), not one
per course: its courses come from that nómina.

>>> str(belongs_in("libro.csv", LIBRO))  # doctest: +NORMALIZE_WHITESPACE
'libro.csv: este archivo parece la asistencia del Libro Digital, no la nómina SIGE:
cárguelo en «Asistencia del Libro Digital» (o con import-libro).'
"""
from __future__ import annotations

from reconcile.loaders.errors import RowError, file_error

NOMINA = "nomina"
LIBRO = "libro"
# The tabs of «Cargar datos», as the page shows them (the page reads them from here).
TABS = {NOMINA: "Nómina SIGE", LIBRO: "Asistencia del Libro Digital"}
COMMANDS = {NOMINA: "import-sige", LIBRO: "import-libro"}
_WHAT = {NOMINA: "la nómina SIGE", LIBRO: "la asistencia del Libro Digital"}


def belongs_in(filename: str, kind: str) -> RowError:
    """The one problem of a file of ``kind`` given to the other loader."""
    other = LIBRO if kind == NOMINA else NOMINA
    return file_error(filename, f"este archivo parece {_WHAT[kind]}, no {_WHAT[other]}: "
                                f"cárguelo en «{TABS[kind]}» (o con {COMMANDS[kind]})")


def nomina_first(rbd: int, years: list[int]) -> str:
    """Why a Libro file of a school without a nómina (of those years) cannot be read yet.

    >>> print(nomina_first(24875, [2026]))  # doctest: +NORMALIZE_WHITESPACE
    el establecimiento RBD 24875 aún no tiene nómina SIGE del año 2026: sus cursos salen
    de ella; cargue primero su nómina en «Nómina SIGE» (o con import-sige) y después esta
    asistencia
    """
    of_years = " y ".join(str(year) for year in years)
    plural = "s" if len(years) > 1 else ""
    return (f"el establecimiento RBD {rbd} aún no tiene nómina SIGE del año{plural} "
            f"{of_years}: sus cursos salen de ella; cargue primero su nómina en "
            f"«{TABS[NOMINA]}» (o con {COMMANDS[NOMINA]}) y después esta asistencia")
