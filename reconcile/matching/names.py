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
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
    folded = text.casefold()
    if folded.isascii():  # NFKD leaves ASCII as it is, with no combining marks
        plain = folded
    else:
        plain = unicodedata.normalize("NFKD", folded).translate(_WITHOUT_COMBINING)
    return tuple(sorted(token for token in _NOT_LETTERS.split(plain) if token))


class _CombiningMarks(dict):
    """A ``str.translate`` table that deletes combining marks, filled in as
    characters are first seen (a per-character Python loop costs far more)."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.combining(chr(code)) else code
        self[code] = value
        return value


_WITHOUT_COMBINING = _CombiningMarks()


def name_similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """Similarity in [0, 1] of two token sets: each token of the shorter name is
    matched to its closest token of the longer one (rapidfuzz ratio, cubed),
    averaged, then scaled down a little for tokens only the longer name has."""
    a, b = tuple(a), tuple(b)
    if not a or not b:
        return 0.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    ratio = fuzz.ratio
    closeness = sum((max(ratio(s, t) for t in long_) / 100.0) ** _TOKEN_POWER for s in short)
    coverage = closeness / len(short)
    return coverage * (1.0 - _LEFTOVER_WEIGHT + _LEFTOVER_WEIGHT * len(short) / len(long_))


def name_similarities(a: list[tuple[str, ...]], b: list[tuple[str, ...]]) -> np.ndarray:
    """``name_similarity(a[i], b[i])`` for every i at once, to the same float: each
    distinct token pair is compared once (rapidfuzz ``cpdist``), the best per
    token of the shorter name taken over padded arrays, and the sums added in the
    tokens' order as ``name_similarity`` adds them.

    >>> pairs = [(('jose', 'perez'), ('jose', 'manuel', 'perez')), ((), ('ana',))]
    >>> got = name_similarities([p[0] for p in pairs], [p[1] for p in pairs])
    >>> got.tolist() == [name_similarity(*p) for p in pairs]
    True
    """
    n = len(a)
    len_a = np.fromiter(map(len, a), dtype=np.int64, count=n)
    len_b = np.fromiter(map(len, b), dtype=np.int64, count=n)
    out = np.zeros(n, dtype=np.float64)
    width = int(max(len_a.max(initial=0), len_b.max(initial=0)))
    if width == 0:
        return out
    flat = [t for tokens in a for t in tokens] + [t for tokens in b for t in tokens]
    ids, vocabulary = pd.factorize(pd.Series(flat, dtype=object))
    vocabulary = np.asarray(vocabulary, dtype=object)
    padded = []
    for lengths, token_ids in ((len_a, ids[:len_a.sum()]), (len_b, ids[len_a.sum():])):
        matrix = np.full((n, width), -1, dtype=np.int64)
        owner = np.repeat(np.arange(n), lengths)
        starts = np.cumsum(lengths) - lengths
        matrix[owner, np.arange(len(token_ids)) - starts[owner]] = token_ids
        padded.append(matrix)
    swap = (len_a > len_b)[:, None]
    short = np.where(swap, padded[1], padded[0])
    long_ = np.where(swap, padded[0], padded[1])
    n_short, n_long = np.minimum(len_a, len_b), np.maximum(len_a, len_b)
    # Blocks of pairs, so a rare very long name does not blow up the memory.
    step = max(1, 4_000_000 // (width * width))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        s, t = short[lo:hi, :, None], long_[lo:hi, None, :]
        valid = (s >= 0) & (t >= 0)
        codes = (s * len(vocabulary) + t)[valid]
        distinct, back = np.unique(codes, return_inverse=True)
        ratios = process.cpdist(vocabulary[distinct // len(vocabulary)].tolist(),
                                vocabulary[distinct % len(vocabulary)].tolist(),
                                scorer=fuzz.ratio, dtype=np.float64, workers=1)
        grid = np.full(valid.shape, -1.0)
        grid[valid] = ratios[back]
        best = grid.max(axis=2)  # per short token; -1 where there is none
        # Cubed as Python floats, once per distinct value: the same rounding as
        # name_similarity's ``(max / 100.0) ** 3``.
        values, where = np.unique(best, return_inverse=True)
        cubes = np.array([(v / 100.0) ** _TOKEN_POWER for v in values.tolist()])
        cubed = cubes[where.reshape(best.shape)]
        closeness = np.zeros(hi - lo, dtype=np.float64)
        for j in range(width):  # in the tokens' order, as sum() adds them
            closeness = closeness + np.where(best[:, j] >= 0, cubed[:, j], 0.0)
        k, m = n_short[lo:hi], n_long[lo:hi]
        named = k > 0
        coverage = closeness[named] / k[named]
        out[lo:hi][named] = coverage * (
            1.0 - _LEFTOVER_WEIGHT + _LEFTOVER_WEIGHT * k[named] / m[named])
    return out


def name_keys(names: pd.Series | pa.Array) -> np.ndarray:
    """One uint64 per name, equal exactly when two names have the same tokens as
    ``name_tokens`` reads them (accents, case, order and punctuation aside); 0 for
    no name. Vectorised (pyarrow), for comparing many names at once; large
    batches in two halves at once (Arrow lets go of the GIL).

    >>> keys = name_keys(pd.Series(['Pérez Soto, Sofía', 'SOFIA PEREZ SOTO', 'Sofía Soto', None]))
    >>> bool(keys[0] == keys[1]), bool(keys[0] == keys[2]), int(keys[3])
    (True, False, 0)
    """
    if isinstance(names, pa.Array):
        text = names.cast(pa.string())
    else:
        text = pa.array(names.astype(object).where(names.notna(), None).tolist(),
                        type=pa.string())
    if len(text) < _HALVES_FROM:
        return _keys_of(text)
    half = len(text) // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(_keys_of, (text.slice(0, half), text.slice(half))))
    return np.concatenate(parts)


_HALVES_FROM = 20_000


def _keys_of(text: pa.Array) -> np.ndarray:
    text = pc.utf8_normalize(text, form="NFKD")
    text = pc.replace_substring_regex(text, pattern=r"\p{Mn}", replacement="")
    text = pc.replace_substring_regex(pc.utf8_lower(text), pattern="[^a-z]+", replacement=" ")
    tokens = pc.split_pattern(pc.utf8_trim_whitespace(text), pattern=" ")
    # Each distinct token hashed once (names share most of their tokens).
    encoded = pc.dictionary_encode(pc.list_flatten(tokens))
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    hashes = np.where(distinct != "", pd.util.hash_array(distinct), np.uint64(0))
    owner = pc.list_parent_indices(tokens).to_numpy()
    keys = np.zeros(len(text), dtype=np.uint64)
    # A sum: the order of tokens does not matter.
    np.add.at(keys, owner, hashes[encoded.indices.to_numpy(zero_copy_only=False)])
    return keys
