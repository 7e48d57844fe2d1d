"""Finding a header row and its columns, tolerant of case, accents and spacing."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from reconcile.loaders.values import cell_text, header_key


@dataclass(frozen=True)
class Column:
    field: str  # the canonical name used in frames
    label: str  # how messages name it when it is missing (the usual header)
    aliases: tuple[str, ...]  # accepted headers, any case/accents/spacing

    def keys(self) -> set[str]:
        return {header_key(alias) for alias in (self.label, *self.aliases)}


@dataclass(frozen=True)
class Header:
    index: int  # 0-based row index within the sheet
    positions: dict[str, int]  # field -> column position
    written: dict[str, str]  # field -> header as written in the file

    @property
    def row_number(self) -> int:
        return self.index + 1


@lru_cache(maxsize=64)
def _lookup(columns: tuple[Column, ...]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in columns:
        for key in column.keys():
            lookup.setdefault(key, column.field)
    return lookup


def match_row(row: list[object], columns: list[Column]) -> tuple[dict[str, int], dict[str, str]]:
    """Which of ``columns`` this row names, and where (first occurrence wins)."""
    lookup = _lookup(tuple(columns))
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    for position, cell in enumerate(row):
        field = lookup.get(header_key(cell))
        if field is not None and field not in positions:
            positions[field] = position
            written[field] = cell_text(cell)
    return positions, written


def find_header(top: list[list[object]], columns: list[Column], anchors: set[str],
                minimum: int = 2) -> Header | None:
    """The first row naming the most ``anchors`` columns (at least ``minimum`` of all)."""
    best: Header | None = None
    best_score = (0, 0)
    for index, row in enumerate(top):
        positions, written = match_row(row, columns)
        score = (len(anchors & positions.keys()), len(positions))
        if len(positions) >= minimum and score > best_score:
            best, best_score = Header(index, positions, written), score
    return best
