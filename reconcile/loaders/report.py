"""Collecting RowErrors for whole columns at once.

The same wrong value repeated in many rows (a course name, a date) is reported
once, at its first row, naming the other rows, so a month of attendance with one
misspelt course gives one line to fix, not thousands.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from reconcile.loaders.errors import RowError, show_value

_ROWS_NAMED = 5


def also_rows(rows: list[int]) -> str:
    """
    >>> also_rows([4]), also_rows([4, 9]), also_rows(list(range(10, 20)))
    (' (también en la fila 4)', ' (también en las filas 4 y 9)', ' (también en las filas 10, 11, 12, 13, 14 y 5 más)')
    """
    if not rows:
        return ""
    if len(rows) == 1:
        return f" (también en la fila {rows[0]})"
    named = [str(r) for r in rows[:_ROWS_NAMED]]
    if len(rows) > _ROWS_NAMED:
        return f" (también en las filas {', '.join(named)} y {len(rows) - _ROWS_NAMED} más)"
    return f" (también en las filas {', '.join(named[:-1])} y {named[-1]})"


class Reporter:
    def __init__(self, file: str):
        self.file = file
        self.errors: list[RowError] = []

    def add(self, row: int | None, column: str | None, value: object, reason: str,
            sheet: str | None = None) -> None:
        self.errors.append(RowError(self.file, row, column, value, reason, sheet))

    def column(self, rows: np.ndarray, labels: str | np.ndarray, values: np.ndarray,
               reasons: np.ndarray, sheets: np.ndarray | None = None) -> np.ndarray:
        """Report every non-None reason; return the mask of rows with a problem."""
        mask = ~pd.isna(reasons)
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i in np.flatnonzero(mask):
            label = labels if isinstance(labels, str) else labels[i]
            sheet = None if sheets is None else sheets[i]
            key = (sheet, label, show_value(values[i]), str(reasons[i]))
            groups[key].append(i)
        for (sheet, label, _shown, reason), members in groups.items():
            first = members[0]
            others = sorted({int(rows[i]) for i in members[1:]} - {int(rows[first])})
            self.add(int(rows[first]), label, values[first], reason + also_rows(others), sheet)
        return mask
