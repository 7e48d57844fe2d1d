"""Seeded fault injection: SIGE's bad days, reproducibly.

Each SOAP call draws, with probability ``rate``, one fault kind (weighted):

- ``http_503``: a gateway's 503 page; the request never reaches SIGE.
- ``soap_fault``: HTTP 500 with a ``soapenv:Server`` fault; not processed.
- ``html``: an HTML error page with HTTP 200; not processed.
- ``slow``: processed, but answered only after ``slow_seconds`` (past the
  client's read timeout): the client cannot know whether SIGE took it.
- ``truncated``: processed, but the answer is cut in half.
- ``semilla_expired``: the semilla of the call expires right now (calls that
  carry one); SIGE then answers as it does for an expired semilla.

>>> plan, again = FaultPlan(rate=0.5, seed=7), FaultPlan(rate=0.5, seed=7)
>>> [plan.draw("addAsistencia") for _ in range(20)] == [again.draw("addAsistencia") for _ in range(20)]
True
>>> FaultPlan(rate=0.0).draw("addAsistencia") is None
True
"""
from __future__ import annotations

import random
import threading
from collections.abc import Mapping

HTTP_503 = "http_503"
SOAP_FAULT = "soap_fault"
HTML = "html"
SLOW = "slow"
TRUNCATED = "truncated"
SEMILLA_EXPIRED = "semilla_expired"
KINDS = (HTTP_503, SOAP_FAULT, HTML, SLOW, TRUNCATED, SEMILLA_EXPIRED)
BEFORE_PROCESSING = frozenset({HTTP_503, SOAP_FAULT, HTML})
AFTER_PROCESSING = frozenset({SLOW, TRUNCATED})

DEFAULT_WEIGHTS = {HTTP_503: 3, SOAP_FAULT: 2, HTML: 1, SLOW: 2, TRUNCATED: 2, SEMILLA_EXPIRED: 1}


class FaultPlan:
    def __init__(self, rate: float = 0.0, seed: int | None = None,
                 weights: Mapping[str, float] | None = None, slow_seconds: float = 65.0) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("la tasa de fallas debe estar entre 0 y 1")
        unknown = set(weights or {}) - set(KINDS)
        if unknown:
            raise ValueError(f"tipos de falla desconocidos: {', '.join(sorted(unknown))}")
        self.rate = rate
        self.seed = seed
        self.weights = {k: float(v) for k, v in (weights or DEFAULT_WEIGHTS).items() if v > 0}
        self.slow_seconds = slow_seconds
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self, operation: str, carries_semilla: bool = True) -> str | None:
        """The fault for this call, or None (thread-safe; same seed, same sequence)."""
        with self._lock:
            if self.rate <= 0 or self._random.random() >= self.rate:
                return None
            kinds = [k for k in self.weights if carries_semilla or k != SEMILLA_EXPIRED]
            if not kinds:
                return None
            return self._random.choices(kinds, [self.weights[k] for k in kinds])[0]

    def set_rate(self, rate: float) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("la tasa de fallas debe estar entre 0 y 1")
        with self._lock:
            self.rate = rate
