"""SIGE's free-text messages -> the causes of DOMAIN.md, by keywords.

SIGE's messages are not documented, so the keywords are data (``CauseRules``),
not code: a deployment can add the words its SIGE actually uses. The raw text is
always kept next to the cause, because the user must see SIGE's own words.

>>> rules = CauseRules()
>>> rules.cause_of("RUN 23698041-3 PÉREZ SOTO SOFÍA: FALTANTE")
'caso_1'
>>> rules.cause_of("RUN 100234567-2: No existe en SIGE")
'caso_2'
>>> rules.cause_of("La fecha no corresponde al mes en curso")
'fuera_de_mes'
>>> find_run("RUN 12.667.869-k: NO PERTENECE AL CURSO")
'12667869-K'

``sin_convenio`` has two sides that call for different people: SIGE refused the
convenio's credentials (the Director checks them), or the credentials are right but
the convenio does not cover this school's RBD (the sostenedor asks Mineduc to add it).

>>> outside_convenio(["Convenio: El convenio no autoriza a este proveedor para el RBD 24875."])
True
>>> outside_convenio(["Credenciales de convenio no válidas"])
False
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reconcile.sige.envelopes import MessageGroup

CASO_1 = "caso_1"  # students enrolled in SIGE missing from the send (FALTANTE)
CASO_2 = "caso_2"  # RUTs SIGE does not recognise in the course
CASO_3 = "caso_3"  # SIGE unavailable / did not acknowledge
FUERA_DE_MES = "fuera_de_mes"
SIN_CONVENIO = "sin_convenio"
RECHAZADO = "rechazado"  # any other refusal; the raw text says why
CAUSES = (CASO_1, CASO_2, CASO_3, FUERA_DE_MES, SIN_CONVENIO, RECHAZADO)

# Checked in this order: the first rule whose keyword appears wins, so
# "no pertenece al mes" is a month problem before it is an unknown student.
DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    FUERA_DE_MES: ("MES EN CURSO", "MES ACTUAL", "FUERA DEL MES", "FUERA DE MES",
                   "FUERA DE PLAZO", "MES CERRADO", "PERIODO CERRADO", "AL MES"),
    SIN_CONVENIO: ("CONVENIO", "CREDENCIAL", "NO AUTORIZADO", "PROVEEDOR"),
    CASO_1: ("FALTANTE",),
    CASO_2: ("NO EXISTE", "NO ENCONTRADO", "NO PERTENECE"),
}

# SIGE's words for a convenio that leaves the RBD out (with the word RBD in the same line).
OUTSIDE_CONVENIO_WORDS = ("NO AUTORIZA", "NO CUBRE", "NO INCLUYE", "NO ASOCIADO",
                          "NO ESTA ASOCIADO", "FUERA DEL CONVENIO", "SIN CONVENIO PARA")
OUTSIDE_CONVENIO_FIX = ("el sostenedor debe agregar este establecimiento al convenio con el "
                        "Mineduc. Las credenciales están bien: no las cambie.")
CREDENTIALS_FIX = "El Director debe revisar las credenciales del convenio en Configuración."

_RUN = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{3}){1,2}|\d{6,9})\s*-\s*([\dkK])(?![\w])")


def normalise(text: str) -> str:
    """Upper-case without accents, single spaces (what keywords are matched against).

    >>> normalise("  Sofía   PÉREZ ")
    'SOFIA PEREZ'
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.upper().split())


def outside_convenio(lines: Iterable[str]) -> bool:
    """Do SIGE's words say the convenio does not cover the RBD (not that the
    credentials are wrong)?"""
    for line in lines:
        plain = normalise(line)
        if re.search(r"\bRBD\b", plain) and any(word in plain for word in OUTSIDE_CONVENIO_WORDS):
            return True
    return False


def sin_convenio_fix(lines: Iterable[str]) -> str:
    """What to do about a ``sin_convenio`` day, from SIGE's own words.

    >>> sin_convenio_fix(["El convenio no autoriza a este proveedor para el RBD 5."])[:45]
    'El convenio no cubre este establecimiento: el'
    """
    if outside_convenio(lines):
        return f"El convenio no cubre este establecimiento: {OUTSIDE_CONVENIO_FIX}"
    return CREDENTIALS_FIX


def find_run(text: str) -> str | None:
    """The first RUN-looking ``BODY-DV`` in a message, canonical, or None."""
    found = _RUN.search(text or "")
    if not found:
        return None
    return f"{int(found.group(1).replace('.', ''))}-{found.group(2).upper()}"


@dataclass(frozen=True)
class Finding:
    """One SIGE message line with what we make of it."""

    titulo: str
    text: str
    cause: str | None
    run: str | None  # BODY-DV when the line names a student

    def as_dict(self) -> dict:
        return {"titulo": self.titulo, "text": self.text, "cause": self.cause, "run": self.run}


@dataclass(frozen=True)
class CauseRules:
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_KEYWORDS))

    def cause_of(self, text: str) -> str | None:
        plain = normalise(text)
        for cause, words in self.keywords.items():
            if any(re.search(rf"\b{re.escape(normalise(word))}\b", plain) for word in words):
                return cause
        return None

    def findings(self, groups: Iterable[MessageGroup]) -> tuple[Finding, ...]:
        """One finding per ``Mensaje``; a title without lines stands for itself."""
        found = []
        for group in groups:
            lines = group.mensajes or (group.titulo,)
            for line in lines:
                if line:
                    found.append(Finding(group.titulo, line, self.cause_of(line), find_run(line)))
        return tuple(found)

    def causes(self, findings: Iterable[Finding], fallback: str = RECHAZADO) -> tuple[str, ...]:
        """Distinct causes in the fixed order of ``CAUSES``; ``fallback`` when none matched."""
        seen = {f.cause for f in findings if f.cause}
        if not seen:
            return (fallback,)
        return tuple(cause for cause in CAUSES if cause in seen)
