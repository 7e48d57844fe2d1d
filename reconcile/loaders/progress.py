"""Progress of a long read or import: a fraction in [0, 1] and a short Spanish label.

Callers pass any ``progress(fraction, label)`` callable (a page's progress bar, a
CLI line). Each stage of an import gets its own sub-range (``Progress.span``), so
the stages can report freely while, together, the fractions never go back.

>>> seen = []
>>> progress = Progress(lambda f, label: seen.append((round(f, 2), label)))
>>> reading = progress.span(0.0, 0.5)
>>> reading(0.5, "Leyendo archivo"); progress.span(0.5, 1.0)(0.0, "Guardando marcas")
>>> reading(0.2, "Leyendo archivo")  # late and lower: reported, but not backwards
>>> progress(1.0, "Listo")
>>> seen
[(0.25, 'Leyendo archivo'), (0.5, 'Guardando marcas'), (0.5, 'Leyendo archivo'), (1.0, 'Listo')]
"""
from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[float, str], None]


class Progress:
    """A callable ``(fraction, label)`` that maps its [0, 1] onto ``[start, end]`` of
    the callback's range and never reports a smaller fraction than before."""

    def __init__(self, callback: ProgressCallback | None = None, start: float = 0.0,
                 end: float = 1.0, _last: list[float] | None = None):
        self._callback = callback
        self._start, self._end = start, end
        self._last = _last if _last is not None else [0.0]  # shared with every span

    def __call__(self, fraction: float, label: str) -> None:
        if self._callback is None:
            return
        fraction = min(max(float(fraction), 0.0), 1.0)
        value = max(self._start + (self._end - self._start) * fraction, self._last[0])
        self._last[0] = value
        self._callback(value, label)

    def span(self, start: float, end: float) -> Progress:
        """The part ``[start, end]`` of this range, as a Progress of its own."""
        width = self._end - self._start
        return Progress(self._callback, self._start + width * start, self._start + width * end,
                        self._last)

    def steps(self, weights: list[float]) -> list[Progress]:
        """Consecutive spans in proportion to ``weights`` (e.g. rows per school).

        >>> [(p._start, p._end) for p in Progress(print).steps([1, 3])]
        [(0.0, 0.25), (0.25, 1.0)]
        """
        total = float(sum(weights)) or 1.0
        spans, done = [], 0.0
        for weight in weights:
            spans.append(self.span(done / total, (done + weight) / total))
            done += weight
        return spans
