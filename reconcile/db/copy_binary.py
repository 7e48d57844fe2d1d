"""Rows for PostgreSQL's ``COPY … FROM STDIN (FORMAT BINARY)``, built a column at a time.

A sostenedor's month is over a million marks. Handing the driver one Python tuple
per row costs more than the server's own insert of it; the marks are numbers, a
date and a flag, never missing, so each row has the same fixed width and the whole
batch is one NumPy record array in the wire format of the PostgreSQL manual
("COPY", binary format): a signature and two 32-bit zeros, then per row a 16-bit
field count and, per field, a 32-bit length and the big-endian value; a 16-bit -1
at the end. Anything else (text, timestamps, a missing value: NULL has no fixed
width) returns None and goes through the driver's own row-by-row COPY.
"""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Boolean, Date, Integer, SmallInteger

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
TRAILER = b"\xff\xff"
_EPOCH = date(2000, 1, 1).toordinal()  # PostgreSQL dates count days from 2000-01-01
# BigInteger and SmallInteger before Integer, their base class.
_TYPES = ((BigInteger, ">i8"), (SmallInteger, ">i2"), (Integer, ">i4"), (Boolean, "u1"),
          (Date, ">i4"))


def binary_rows(table, columns: dict[str, object], count: int) -> np.ndarray | None:
    """The rows as a record array whose bytes (``tobytes``, any slice of whole rows)
    are COPY's binary rows, or None when a column cannot be written that way.
    ``columns`` maps column names to arrays, Series or lists of ``count`` values,
    or to one value for every row. Integers must fit the column; a Boolean column
    takes only true booleans (what SQLAlchemy's strict bind would accept)."""
    fields = []
    for name, values in columns.items():
        kind = table.c[name].type
        wire = next((code for sa_type, code in _TYPES if isinstance(kind, sa_type)), None)
        if wire is None:
            return None
        array = (_days(values, count) if isinstance(kind, Date)
                 else _numbers(values, count, np.dtype(wire)))
        if array is None:
            return None
        fields.append((np.dtype(wire), array))
    layout = [("fields", ">i2")]
    for n, (wire, _) in enumerate(fields):
        layout += [(f"length{n}", ">i4"), (f"value{n}", wire)]
    rows = np.empty(count, dtype=np.dtype(layout))  # packed: no padding between fields
    rows["fields"] = len(fields)
    for n, (wire, array) in enumerate(fields):
        rows[f"length{n}"] = wire.itemsize
        rows[f"value{n}"] = array
    return rows


def _numbers(values: object, count: int, wire: np.dtype) -> np.ndarray | None:
    if isinstance(values, (bool, int, np.integer, np.bool_)):
        array = np.full(count, values)
    elif values is None:
        return None
    else:
        array = np.asarray(values.array if isinstance(values, pd.Series) else values)
        if array.dtype.kind not in "iub":  # objects, floats: may hide a missing value
            return None
    if wire.kind == "u":  # a flag
        return array.astype(bool).astype(wire) if array.dtype.kind == "b" else None
    if array.dtype.kind == "b":
        return None
    info = np.iinfo(wire)
    if len(array) and (array.min() < info.min or array.max() > info.max):
        return None
    return array.astype(wire)


def _days(values: object, count: int) -> np.ndarray | None:
    """Days since 2000-01-01, worked out once per distinct date."""
    if isinstance(values, date) and not isinstance(values, datetime):
        return np.full(count, values.toordinal() - _EPOCH, dtype=">i4")
    if not isinstance(values, (list, tuple, np.ndarray, pd.Series)):
        return None
    codes, distinct = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    if (codes < 0).any() or not all(type(d) is date for d in distinct):
        return None
    days = np.asarray([d.toordinal() - _EPOCH for d in distinct], dtype=np.int64)
    return days[codes].astype(">i4")
