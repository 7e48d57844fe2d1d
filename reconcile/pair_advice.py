"""What to tell a school about a RUT pair: which side is outdated, what is sent, where to fix it.

A pair is one child under two identifiers: the Libro Digital's and the one SIGE
has enrolled. Which side holds the outdated identifier depends on the two RUTs'
kinds, not on the side the suggestion started from:

- IPE in the Libro, RUN in SIGE: the Libro is outdated; fix the Libro Digital.
- RUN in the Libro, IPE in SIGE: SIGE is outdated; the school updates the
  child's RUN in SIGE. Changing the Libro would put an IPE in the class book.
- a wrong check digit in the Libro: fix the Libro Digital.
- names only: a person checks both identifiers; usually the Libro is wrong.

Approving a pair here never fixes a source: it only changes what is sent
meanwhile, which is always what SIGE has enrolled (SIGE takes nothing else).
This module is the one place these words live: the dialog, Conciliación's
lists, the corrections export, the Pendientes list and its CLI all read it.

>>> a = advice('provisional', '100234567-2', '25123456-6')
>>> a.kind, a.outdated, a.fix_in
('ipe_in_libro', 'libro', 'libro')
>>> b = advice('provisional', '25123456-6', '100234567-2')
>>> b.kind, b.outdated, b.fix_in
('ipe_in_sige', 'sige', 'sige')
>>> 'Libro Digital' in b.fix and 'No cambie' in b.fix
True
"""
from __future__ import annotations

from dataclasses import dataclass

from reconcile import rut as rutlib

LIBRO = "libro"
SIGE = "sige"

# Pair kinds (the suggestion's reason is one input; the RUTs' kinds are the other).
IPE_IN_LIBRO = "ipe_in_libro"
IPE_IN_SIGE = "ipe_in_sige"
CHECK_DIGIT = "check_digit"
NAME_ONLY = "name"
TYPED = "manual"

# The suggestion reasons (reconcile.matching.suggest) and the one a person types.
REASONS = ("provisional", "check_digit", "name", "manual")

WHERE_ES = {LIBRO: "Libro Digital", SIGE: "SIGE (actualizar el RUN del estudiante)"}


@dataclass(frozen=True)
class Advice:
    kind: str
    outdated: str | None  # LIBRO / SIGE; None when only a person can tell (names only)
    fix_in: str  # LIBRO / SIGE: where the source must change
    problem: str  # the pair in plain words
    fix: str  # what to do at the source, and where
    sent: str  # what goes to SIGE meanwhile once the pair is approved

    @property
    def where(self) -> str:
        """Where to fix it, in a few words (a list's column)."""
        return WHERE_ES[self.fix_in]


_SENT = ("Mientras tanto, con el par aprobado se envía a SIGE el RUT que SIGE tiene "
         "matriculado{what}: aprobar aquí solo cambia lo que se envía, no corrige la fuente.")

_ADVICE = {
    IPE_IN_LIBRO: (LIBRO, LIBRO,
                   "El Libro tiene el RUT provisorio (IPE); SIGE ya tiene el RUN definitivo",
                   "Reemplace el IPE por el RUN definitivo en el Libro Digital y vuelva a "
                   "cargar la asistencia.", ""),
    IPE_IN_SIGE: (SIGE, SIGE,
                  "El Libro tiene el RUN definitivo; SIGE aún tiene el RUT provisorio (IPE)",
                  "No cambie el Libro Digital: su RUN es el correcto. El establecimiento debe "
                  "actualizar en SIGE el RUN del estudiante (reemplazar el IPE por el RUN) y "
                  "luego cargar la nueva nómina.", " (el IPE, hasta que SIGE lo actualice)"),
    CHECK_DIGIT: (LIBRO, LIBRO, "Dígito verificador incorrecto en el Libro",
                  "Corrija el dígito verificador en el Libro Digital y vuelva a cargar la "
                  "asistencia.", ""),
    NAME_ONLY: (None, LIBRO,
                "RUT distintos en el Libro y en SIGE; coinciden los nombres",
                "Debe revisarlo una persona: compare el RUT del Libro Digital y el de la "
                "nómina SIGE con un documento del estudiante, y corrija el que esté mal "
                "(normalmente en el Libro Digital; si es el de SIGE, el establecimiento lo "
                "actualiza en SIGE).", ""),
    TYPED: (LIBRO, LIBRO, "Corrección indicada por una persona",
            "Corrija el RUT en el Libro Digital para que sea el que SIGE tiene.", ""),
}


def kind_of(reason: str, libro_rut: str, sige_rut: str,
            provisional_min_body: int = rutlib.DEFAULT_PROVISIONAL_MIN_BODY) -> str:
    """The pair's kind from the suggestion's ``reason`` and the two RUTs' kinds.

    >>> kind_of('provisional', '25123456-6', '100234567-2')
    'ipe_in_sige'
    >>> kind_of('check_digit', '25123456-5', '25123456-6'), kind_of('name', 'x', '25123456-6')
    ('check_digit', 'name')
    >>> kind_of('manual', '100234567-2', '25123456-6')
    'ipe_in_libro'
    """
    libro = rutlib.parse(libro_rut, provisional_min_body).kind
    sige = rutlib.parse(sige_rut, provisional_min_body).kind
    if libro == rutlib.DEFINITIVE and sige == rutlib.PROVISIONAL:
        return IPE_IN_SIGE  # whatever the reason: the Libro's RUN is the right one
    if reason == "check_digit":
        return CHECK_DIGIT
    if reason == "provisional" or (libro == rutlib.PROVISIONAL and sige == rutlib.DEFINITIVE):
        return IPE_IN_LIBRO
    if reason == "name":
        return NAME_ONLY
    return TYPED


def advice(reason: str, libro_rut: str, sige_rut: str,
           provisional_min_body: int = rutlib.DEFAULT_PROVISIONAL_MIN_BODY) -> Advice:
    """The advice for one pair (see the module's docstring)."""
    kind = kind_of(reason, libro_rut, sige_rut, provisional_min_body)
    outdated, fix_in, problem, fix, what = _ADVICE[kind]
    return Advice(kind, outdated, fix_in, problem, fix, _SENT.format(what=what))
