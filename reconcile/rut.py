"""RUN / RUT (Rol Único Nacional) and IPE: parse, validate, classify, format.

A RUN is a body of digits and a check digit (DV), ``0``-``9`` or ``K``,
computed mod 11. People write it in many ways; all of these are the same RUN:

>>> canonical('12.531.909-2'), canonical('125319092'), canonical(' cl 12531909 - 2 ')
('12531909-2', '12531909-2', '12531909-2')
>>> format('12667869k')
'12.667.869-K'
>>> to_sige('12.531.909-2')
('12531909', '2')
>>> mask('12.531.909-2')
'*****909-2'

Bodies of 100,000,000 and up are taken to be IPEs (provisional school
identifiers); the threshold is a setting (``rut.provisional_min_body``):

>>> parse('100.234.567-2').kind, parse('25.123.456-6').kind
('provisional', 'definitive')
>>> parse('12531909-3').reason
'dígito verificador incorrecto (debería ser 2)'

``python-stdnum``'s ``stdnum.cl.rut`` computes the check digit right, but its
``validate`` accepts only 7- or 8-digit bodies; here 6 to 9 digits are
accepted (old RUNs have 6, IPEs have 9).
"""
from __future__ import annotations

import math
import numbers
import operator
import re
from dataclasses import dataclass

from stdnum.cl import rut as _stdnum_rut
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.util import isdigits

__all__ = [
    "DEFINITIVE", "PROVISIONAL", "INVALID", "DEFAULT_PROVISIONAL_MIN_BODY",
    "compact", "calc_check_digit", "is_valid", "validate", "Rut", "parse",
    "canonical", "format", "to_sige", "mask",
]

DEFINITIVE = "definitive"
PROVISIONAL = "provisional"
INVALID = "invalid"
DEFAULT_PROVISIONAL_MIN_BODY = 100_000_000

MIN_BODY_DIGITS = 6
MAX_BODY_DIGITS = 9

REASON_EMPTY = "RUT vacío"
REASON_FORMAT = "formato no reconocido"

# Text pasted from Word or the web brings typographic dashes and non-breaking spaces.
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2212]")
_SPACES_AND_DOTS = re.compile(r"[\s.]+")


def _as_text(value: object) -> str:
    """Spreadsheet cells arrive as str, int, float (125319092.0) or NaN/None."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return ""
        if math.isfinite(number) and number.is_integer():
            return str(int(number))
        return str(value)
    return str(value)


def _clean(text: str) -> str:
    """Upper-case, drop spaces and dots and a leading ``CL``; keep hyphens."""
    text = _SPACES_AND_DOTS.sub("", _DASHES.sub("-", text)).upper()
    if text.startswith("CL"):
        text = text[2:].lstrip("-")
    return text


def compact(text: str) -> str:
    """Reduce the number to body and check digit only, without leading zeros.

    >>> compact('12.531.909-2')
    '125319092'
    >>> compact('CL 12.667.869-k')
    '12667869K'
    >>> compact('012531909-2')
    '125319092'
    """
    number = _clean(_as_text(text)).replace("-", "")
    # Leading zeros carry no meaning ('012531909-2' is 12531909-2); keep body + dv.
    while len(number) > 2 and number[0] == "0":
        number = number[1:]
    return number


def calc_check_digit(body: int | str) -> str:
    """Return the mod-11 check digit for the body: ``'0'``-``'9'`` or ``'K'``.

    >>> calc_check_digit('12531909'), calc_check_digit(12667869), calc_check_digit('100234567')
    ('2', 'K', '2')
    >>> calc_check_digit('12a')
    Traceback (most recent call last):
        ...
    stdnum.exceptions.InvalidFormat: formato no reconocido
    """
    digits = str(body) if isinstance(body, numbers.Integral) else str(body).strip()
    if not digits or not isdigits(digits):
        raise InvalidFormat(REASON_FORMAT)
    return _stdnum_rut.calc_check_digit(digits)


# As stored: the body without a leading zero, a hyphen, the DV. Most values are
# written so; they skip the cleaning (same result, a fraction of the time).
_STORED = re.compile(r"[1-9][0-9]{0,8}-[0-9K]")


# stdnum's weights (9, 8, 7, 6, 5, 4, repeating, from the last digit), applied to the
# ASCII codes at once; the codes' offset (48 per digit) is taken off after.
_WEIGHTS = bytes((9, 8, 7, 6, 5, 4) * 2)


def _check_digit_of(digits: str) -> str:
    """``calc_check_digit`` of a body already known to be 1 to 12 ASCII digits.

    >>> _check_digit_of('12531909'), _check_digit_of('12667869')
    ('2', 'K')
    """
    codes = digits.encode()[::-1]
    total = sum(map(operator.mul, codes, _WEIGHTS)) - 48 * sum(_WEIGHTS[:len(codes)])
    return "0123456789K"[total % 11]


def _examine(value: object) -> tuple[str, str | None, str | None, ValidationError | None]:
    """Return (raw text, body digits, dv, problem); body is None when unparseable."""
    if type(value) is str and _STORED.fullmatch(value):
        raw, body, dv = value, value[:-2], value[-1]
    else:
        raw = _as_text(value)
        cleaned = _clean(raw)
        if not cleaned.replace("-", ""):
            return raw, None, None, InvalidLength(REASON_EMPTY)
        # A hyphen marks the DV: exactly one, with exactly one character after it.
        # Without one, the last character is the DV (as stdnum reads it).
        if "-" in cleaned:
            body, _, dv = cleaned.rpartition("-")
            if len(dv) != 1:
                return raw, None, None, InvalidFormat(REASON_FORMAT)
        else:
            body, dv = cleaned[:-1], cleaned[-1:]
        if not isdigits(body) or dv not in "0123456789K":
            return raw, None, None, InvalidFormat(REASON_FORMAT)
        body = body.lstrip("0") or "0"
    if not MIN_BODY_DIGITS <= len(body) <= MAX_BODY_DIGITS:
        return raw, body, dv, InvalidLength(
            f"el número debe tener entre {MIN_BODY_DIGITS} y {MAX_BODY_DIGITS} dígitos "
            f"(tiene {len(body)})")
    expected = _check_digit_of(body)
    if dv != expected:
        return raw, body, dv, InvalidChecksum(
            f"dígito verificador incorrecto (debería ser {expected})")
    return raw, body, dv, None


def validate(text: str) -> str:
    """Check body length (6 to 9 digits) and check digit; return the compact form.

    >>> validate('12.531.909-2')
    '125319092'
    >>> validate('100.234.567-2')
    '1002345672'
    >>> validate('12531909-3')
    Traceback (most recent call last):
        ...
    stdnum.exceptions.InvalidChecksum: dígito verificador incorrecto (debería ser 2)
    >>> validate('12345-5')
    Traceback (most recent call last):
        ...
    stdnum.exceptions.InvalidLength: el número debe tener entre 6 y 9 dígitos (tiene 5)
    >>> validate('12.5A1.909-2')
    Traceback (most recent call last):
        ...
    stdnum.exceptions.InvalidFormat: formato no reconocido
    """
    _raw, body, dv, problem = _examine(text)
    if problem is not None:
        raise problem
    return f"{body}{dv}"


def is_valid(text: str) -> bool:
    """Whether the text is a RUN (or IPE) with a 6- to 9-digit body and the right DV.

    >>> is_valid('12667869-K'), is_valid('12667869-1'), is_valid('')
    (True, False, False)
    """
    try:
        validate(text)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class Rut:
    """One identifier as written, with what we make of it."""

    raw: str  # as written
    body: int | None  # None when unparseable
    dv: str | None  # as written (upper-cased), may be wrong
    kind: str  # DEFINITIVE / PROVISIONAL / INVALID
    reason: str | None  # Spanish reason when INVALID

    @property
    def canonical(self) -> str:
        """``BODY-DV`` without dots; a wrong digit is kept as written.

        >>> parse('12.531.909-3').canonical, parse(' 12-34-5 ').canonical
        ('12531909-3', '12345')
        """
        if self.body is None:
            return compact(self.raw)
        return f"{self.body}-{self.dv}"

    @property
    def is_valid(self) -> bool:
        return self.kind != INVALID

    @property
    def expected_dv(self) -> str | None:
        return None if self.body is None else calc_check_digit(self.body)


def parse(text: str | int | None,
          provisional_min_body: int = DEFAULT_PROVISIONAL_MIN_BODY) -> Rut:
    """Read an identifier as written; never raises.

    >>> parse('12.531.909-2')
    Rut(raw='12.531.909-2', body=12531909, dv='2', kind='definitive', reason=None)
    >>> parse(125319092).canonical
    '12531909-2'
    >>> parse('100.234.567-2', provisional_min_body=200_000_000).kind
    'definitive'
    >>> parse(None).reason, parse('12.5x1.909-2').reason
    ('RUT vacío', 'formato no reconocido')
    """
    raw, body, dv, problem = _examine(text)
    # a body of thousands of digits is no RUT (and int() refuses over 4,300 digits)
    number = None if body is None or len(body) > 100 else int(body)
    if problem is not None:
        return Rut(raw, number, dv, INVALID, str(problem))
    kind = PROVISIONAL if number >= provisional_min_body else DEFINITIVE
    return Rut(raw, number, dv, kind, None)


def canonical(text: str | int | None) -> str:
    """``BODY-DV`` as stored and compared everywhere (see ``Rut.canonical``).

    >>> canonical('CL 12.667.869-k')
    '12667869-K'
    """
    return parse(text).canonical


def _parsed_or_raise(text: str | int | None) -> Rut:
    rut = parse(text)
    if rut.body is None:
        raise InvalidLength(REASON_EMPTY) if rut.reason == REASON_EMPTY else InvalidFormat(REASON_FORMAT)
    return rut


def format(text: str | int | None) -> str:  # noqa: A001 - stdnum's name
    """Format for people: ``12.531.909-2``. A wrong digit is shown as written.

    >>> format('125319092'), format('1002345672'), format('9876543-3')
    ('12.531.909-2', '100.234.567-2', '9.876.543-3')
    >>> format('abc')
    Traceback (most recent call last):
        ...
    stdnum.exceptions.InvalidFormat: formato no reconocido
    """
    rut = _parsed_or_raise(text)
    return f"{rut.body:,}".replace(",", ".") + f"-{rut.dv}"


def to_sige(text: str | int | None) -> tuple[str, str]:
    """Split into SIGE's ``numero`` and ``dv``; raises unless valid.

    >>> to_sige('012.667.869-k')
    ('12667869', 'K')
    >>> to_sige('12667869-1')
    Traceback (most recent call last):
        ...
    stdnum.exceptions.InvalidChecksum: dígito verificador incorrecto (debería ser K)
    """
    compacted = validate(text)
    return compacted[:-1], compacted[-1]


def mask(text: str | int | None) -> str:
    """Hide a RUT for logs: only the last 3 digits of the body and the DV remain.

    >>> mask('12.531.909-2'), mask('100234567-2'), mask('no es rut')
    ('*****909-2', '******567-2', '*******')
    """
    rut = parse(text)
    if rut.body is None:
        return "*" * len(rut.canonical)
    body = str(rut.body)
    shown = 3 if len(body) > 3 else 0
    return "*" * (len(body) - shown) + body[len(body) - shown:] + f"-{rut.dv}"
