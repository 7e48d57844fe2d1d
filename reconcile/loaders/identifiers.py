"""RUTs of a whole column at once, read with ``reconcile.rut`` once per distinct value.

A RUT that cannot be read (not digits, too short or too long) is a file error; a
RUT with a wrong check digit is kept, as written, with kind ``invalid``: the
reconciliation must show it to the user.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from reconcile import rut as rutlib
from reconcile.loaders.values import cell_text


def join_rut(body: object, dv: object) -> str:
    """A RUN and its check digit from two cells (or one, when the first has both).

    >>> join_rut(23511402, "k"), join_rut("23.511.402-K", None), join_rut("", "K")
    ('23511402-k', '23.511.402-K', '')
    """
    body_text, dv_text = cell_text(body), cell_text(dv)
    if not body_text or "-" in body_text or not dv_text:
        return body_text
    return f"{body_text}-{dv_text}"


def _reader(min_body: int):
    def read(value: object) -> tuple[object, str | None]:
        text = cell_text(value)
        if not text:
            return None, "falta el RUT"
        parsed = rutlib.parse(text, provisional_min_body=min_body)
        digits = len(str(parsed.body)) if parsed.body is not None else 0
        if parsed.body is None or not rutlib.MIN_BODY_DIGITS <= digits <= rutlib.MAX_BODY_DIGITS:
            return None, f"RUT no reconocible ({parsed.reason})"
        return parsed, None
    return read


def parse_unique_ruts(texts: pd.Series | np.ndarray, min_body: int
                      ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each distinct RUT text read once: (codes, columns), where ``columns`` holds
    rut (canonical BODY-DV), run (int), dv, kind and reason per distinct text, so
    that ``columns[name][codes]`` lines up with ``texts`` (code -1, a missing cell,
    picks the last slot)."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    read = _reader(min_body)
    columns = {name: np.empty(len(uniques) + 1, dtype=object)
               for name in ("rut", "run", "dv", "kind", "reason")}
    for i, value in enumerate([*uniques, None]):  # the last slot serves missing cells (-1)
        parsed, reason = read(value)
        columns["reason"][i] = reason
        if parsed is not None:
            columns["rut"][i], columns["run"][i] = parsed.canonical, parsed.body
            columns["dv"][i], columns["kind"][i] = parsed.dv, parsed.kind
    return codes, columns


def parse_ruts(texts: pd.Series, min_body: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Columns rut (canonical BODY-DV), run (int), dv, kind; and the reasons array
    (None where the RUT could be read)."""
    codes, columns = parse_unique_ruts(texts, min_body)
    frame = pd.DataFrame({name: columns[name][codes] for name in ("rut", "run", "dv", "kind")},
                         index=texts.index, dtype=object)
    return frame, columns["reason"][codes]


def classify(run: pd.Series, kind: pd.Series, min_body: int) -> pd.Series:
    """Kinds again under another provisional threshold (a school's own setting);
    a wrong check digit stays ``invalid``."""
    numbers = pd.to_numeric(run, errors="coerce")
    out = np.where(numbers >= min_body, rutlib.PROVISIONAL, rutlib.DEFINITIVE).astype(object)
    out[(kind == rutlib.INVALID).to_numpy()] = rutlib.INVALID
    return pd.Series(out, index=run.index, dtype=object)
