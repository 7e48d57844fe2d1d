"""Children's names compared the way people write them: accents, case, order and
punctuation do not matter; a missing second name costs a little, a different
first name costs a lot.

>>> name_tokens('Hernández Castillo, José Manuel')
('castillo', 'hernandez', 'jose', 'manuel')
>>> name_similarity(name_tokens('José Manuel Hernández Castillo'),
...                 name_tokens('HERNANDEZ CASTILLO JOSE MANUEL'))
1.0
>>> round(name_similarity(name_tokens('José Hernández Castillo'),
...                       name_tokens('José Manuel Hernández Castillo')), 2)
0.96
>>> name_similarity(name_tokens('José Hernández Castillo'),
...                 name_tokens('María Hernández Castillo')) < 0.8
True
>>> name_similarity((), name_tokens('José'))
0.0
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rapidfuzz import fuzz, process

_NOT_LETTERS = re.compile(r"[^a-z]+")

# A token's closeness is cubed so a near miss counts for much less than a match:
# 'juan' vs 'juana' (ratio 0.89) are two children more often than one typo.
_TOKEN_POWER = 3
# How much a token left over in the longer name costs (a second name or surname
# one source omits). Kept small: the tokens both names share carry the evidence.
_LEFTOVER_WEIGHT = 0.15


def name_tokens(*parts: object) -> tuple[str, ...]:
    """Accent- and case-free tokens of a name, sorted (order never matters).

    >>> name_tokens('Ñuñez', None, 'de la  Fuente')
    ('de', 'fuente', 'la', 'nunez')
    """
    text = " ".join(str(part) for part in parts if isinstance(part, str) and part.strip())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(sorted(token for token in _NOT_LETTERS.split(plain) if token))


def name_similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """Similarity in [0, 1] of two token sets: each token of the shorter name is
    matched to its closest token of the longer one (rapidfuzz ratio, cubed),
    averaged, then scaled down a little for tokens only the longer name has."""
    a, b = tuple(a), tuple(b)
    if not a or not b:
        return 0.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    scores = process.cdist(short, long_, scorer=fuzz.ratio)
    coverage = float(((scores.max(axis=1) / 100.0) ** _TOKEN_POWER).mean())
    return coverage * (1.0 - _LEFTOVER_WEIGHT + _LEFTOVER_WEIGHT * len(short) / len(long_))
