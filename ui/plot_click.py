"""Which cell of a heatmap a person clicked. Streamlit does not pass clicks on
heatmap cells back, so the heatmaps draw an invisible marker over each cell as
their second trace; a selection event names the marker's index."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
MARKERS = 1  # the trace index of the clickable markers


def clicked(selection: object, keys: Sequence[T]) -> T | None:
    """The key of the clicked marker, from a plotly selection event (dict or object)."""
    points = (selection or {}).get("points", []) if isinstance(selection, dict) else \
        getattr(selection, "points", [])
    for point in points or []:
        number = point.get("point_index", point.get("point_number"))
        if point.get("curve_number") == MARKERS and isinstance(number, int) and \
                0 <= number < len(keys):
            return keys[number]
    return None
