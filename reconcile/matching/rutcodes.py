"""RUT text as integer codes, without hashing a million strings.

Hashing RUT text is the dearest step of a national-size comparison. A RUT
written canonically (``BODY-DV``: digits without a leading zero, a hyphen, a
digit or upper-case ``K``) is turned into ``body * 11 + dv`` straight from the
Arrow bytes, a few vectorised passes; only the rare other values (lower-case
``k``, dots, junk, missing) are factorised as text, with codes above every
canonical one. Two values get the same code exactly when their texts are equal.

>>> codes = RutCodes([pd.Series(['12531909-2', '1-9', 'x', '12531909-2', None])])
>>> codes.of(0).tolist()[:4] == [12531909 * 11 + 2, 1 * 11 + 9, CANONICAL_SPAN, 12531909 * 11 + 2]
True
>>> codes.texts(codes.of(0)).tolist()[:4]
['12531909-2', '1-9', 'x', '12531909-2']
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

MAX_BODY_DIGITS = 9
CANONICAL_SPAN = 10 ** MAX_BODY_DIGITS * 11  # every canonical code is below this
_DASH, _ZERO, _K = ord("-"), ord("0"), ord("K")


def canonical_numbers(values: pd.Series) -> np.ndarray:
    """``body * 11 + dv`` for each canonical RUT text, -1 for any other value.

    >>> canonical_numbers(pd.Series(['25123456-6', '9-K', '09-K', '9-k', '12.531.909-2'])).tolist()
    [276358022, 109, -1, -1, -1]
    """
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return np.full(len(values), -1, dtype=np.int64)
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    if not chunks:
        return np.full(len(values), -1, dtype=np.int64)
    parts = [_chunk_numbers(chunk) for chunk in chunks]
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _chunk_numbers(chunk: pa.Array) -> np.ndarray:
    n = len(chunk)
    if pa.types.is_string(chunk.type):
        offset_type = np.int32
    elif pa.types.is_large_string(chunk.type):
        offset_type = np.int64
    else:
        return np.full(n, -1, dtype=np.int64)
    buffers = chunk.buffers()
    if n == 0 or buffers[2] is None or buffers[2].size < 3:  # '1-9' is the shortest
        return np.full(n, -1, dtype=np.int64)
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[chunk.offset:chunk.offset + n + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    start = offsets[:-1].astype(np.int64)
    end = offsets[1:].astype(np.int64)
    digits = end - start - 2  # body length when the shape is right
    ok = (digits >= 1) & (digits <= MAX_BODY_DIGITS)
    end = np.where(ok, end, 2)  # keeps every index below in range
    last = data[end - 1]
    dv = last.astype(np.int64) - _ZERO
    dv[last == _K] = 10
    ok &= (data[end - 2] == _DASH) & (dv >= 0) & (dv <= 10)
    ok &= data[np.where(ok, start, 0)] != _ZERO  # no leading zero: one text, one code
    body = np.zeros(n, dtype=np.int64)
    scale = 1
    for k in range(MAX_BODY_DIGITS):
        has = ok & (digits > k)
        digit = data[np.where(has, end - 3 - k, 0)].astype(np.int64) - _ZERO
        ok &= ~has | ((digit >= 0) & (digit <= 9))
        body += np.where(has, digit, 0) * scale
        scale *= 10
    if chunk.null_count:
        ok &= np.asarray(chunk.is_valid())
    return np.where(ok, body * 11 + dv, -1)


# Kinds as small integers, for vectorised work on many identifiers at once.
KIND_CODES = {"definitive": 0, "provisional": 1, "invalid": 2}
KIND_NAMES = np.array(list(KIND_CODES), dtype=object)
_MIN_BODY, _MAX_BODY = 10 ** 5, 10 ** MAX_BODY_DIGITS  # 6 to 9 digits


def kinds_and_bodies(values: pd.Series, provisional_min_body: int, parse
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``parse(v).kind`` (as ``KIND_CODES``) and ``parse(v).body`` (-1 for None) of
    each value: canonical texts read as numbers, all at once; the rare others
    through ``parse`` (``reconcile.rut.parse`` or a cached copy of it).

    >>> from reconcile.rut import parse
    >>> k, b = kinds_and_bodies(pd.Series(['12531909-2', '12531909-3', '100234567-2',
    ...                                    '1-9', '12.531.909-2', 'x']), 100_000_000, parse)
    >>> KIND_NAMES[k].tolist(), b.tolist()
    (['definitive', 'invalid', 'provisional', 'invalid', 'definitive', 'invalid'], [12531909, 12531909, 100234567, 1, 12531909, -1])
    """
    numbers = canonical_numbers(values)
    body, dv = np.divmod(numbers, 11)
    right = (body >= _MIN_BODY) & (body < _MAX_BODY) & (dv == check_digit_codes(body))
    kinds = np.where(right, np.where(body >= provisional_min_body, 1, 0), 2).astype(np.int8)
    bodies = body.copy()
    others = np.flatnonzero(numbers < 0)
    if len(others):
        texts = values.iloc[others].tolist()
        parsed = [parse(v, provisional_min_body) for v in texts]
        kinds[others] = [KIND_CODES[r.kind] for r in parsed]
        bodies[others] = [-1 if r.body is None else r.body for r in parsed]
    return kinds, bodies


def check_digit_codes(bodies: np.ndarray) -> np.ndarray:
    """The mod-11 check digit of each body as 0-10 (10 is ``K``), stdnum's way:
    weights 9, 8, 7, 6, 5, 4 from the last digit.

    >>> check_digit_codes(np.array([12531909, 12667869])).tolist()
    [2, 10]
    """
    rest = np.where(bodies > 0, bodies, 0).astype(np.int64)
    total = np.zeros(len(rest), dtype=np.int64)
    for i in range(MAX_BODY_DIGITS + 1):
        total += (rest % 10) * (4 + (5 - i) % 6)
        rest //= 10
    return total % 11


class RutCodes:
    """Integer codes for the RUT values of several series (or lists), sharing one
    code space; ``of(i)`` gives the codes of the i-th, ``texts`` turns codes back."""

    def __init__(self, columns: list, map_=map):
        """``map_`` may be a thread pool's ``map``: the columns are read apart."""
        series = [c if isinstance(c, pd.Series) else pd.Series(list(c), dtype=object)
                  for c in columns]
        numbers = list(map_(canonical_numbers, series))
        odd = [numbers_ < 0 for numbers_ in numbers]
        others = [s[mask] for s, mask in zip(series, odd, strict=True) if mask.any()]
        if others:
            codes, uniques = pd.factorize(pd.concat(others, ignore_index=True),
                                          use_na_sentinel=False)
            self._others = pd.Index(uniques)
            at = 0
            for numbers_, mask in zip(numbers, odd, strict=True):
                count = int(mask.sum())
                numbers_[mask] = CANONICAL_SPAN + codes[at:at + count]
                at += count
        else:
            self._others = pd.Index([], dtype=object)
        self._codes = numbers
        # The text type of the results: that of the first two columns together.
        self._dtype = (pd.concat([s.iloc[:0] for s in series[:2]]).dtype if series
                       else object)

    @property
    def span(self) -> int:
        """Every code is in ``range(span)``."""
        return CANONICAL_SPAN + len(self._others)

    def of(self, i: int) -> np.ndarray:
        return self._codes[i]

    def texts(self, codes: np.ndarray) -> pd.Index:
        """The text of each code (few codes: the results, not the input)."""
        codes = np.asarray(codes, dtype=np.int64)
        canonical = codes < CANONICAL_SPAN
        body, dv = np.divmod(codes, 11)
        digit = np.where(dv == 10, "K", dv.astype(str))
        out = np.empty(len(codes), dtype=object)
        if canonical.any():
            out[canonical] = (pd.Series(body[canonical]).astype(str) + "-"
                              + pd.Series(digit[canonical])).to_numpy(dtype=object)
        if (~canonical).any():
            out[~canonical] = self._others.take(codes[~canonical] - CANONICAL_SPAN).to_numpy(
                dtype=object)
        if self._dtype == object:
            return pd.Index(out, dtype=object)
        return pd.Index(pd.array(out, dtype=self._dtype))
