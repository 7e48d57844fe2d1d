"""How a send request's plan reads to a person: what they can act on first, what needs
nothing from them (already synced, already on its way) counted apart, and the counts
in words (``1 día-curso en 1 envío``), for the send dialogs and the CLI alike."""
from __future__ import annotations

from dataclasses import dataclass

from reconcile.es_cl import cantidad
from reconcile.sync.rules import Refusal, SyncPlan

# The rules' reasons that ask nothing of the person: the day is fine as it is.
SETTLED = ("ya está sincronizado", "ya está en proceso")


@dataclass(frozen=True)
class Refusals:
    """A plan's refusals split for reading: ``actionable`` (the whole request's first,
    then course-days by date and course) and ``settled`` (nothing to do)."""

    actionable: list[Refusal]
    settled: list[Refusal]

    @property
    def settled_line(self) -> str:
        return (f"{cantidad(len(self.settled), 'día-curso')} que no necesitan nada: ya "
                "sincronizados sin cambios o ya en proceso de envío.")


def is_settled(refusal: Refusal) -> bool:
    return refusal.reason.startswith(SETTLED)


def split_refusals(refused: list[Refusal]) -> Refusals:
    """The refusals a person can act on first, the settled ones apart.

    >>> from datetime import date
    >>> split = split_refusals([Refusal("ya está sincronizado y no ha cambiado.", "110-1-A",
    ...                                 date(2026, 11, 2)),
    ...                         Refusal("no está listo: Caso 1", "110-2-A", date(2026, 11, 3)),
    ...                         Refusal("Sin convenio.")])
    >>> [r.reason for r in split.actionable], len(split.settled)
    (['Sin convenio.', 'no está listo: Caso 1'], 1)
    """
    actionable = [r for r in refused if not is_settled(r)]
    actionable.sort(key=lambda r: (r.day is not None, r.course is not None, r.day or 0,
                                   r.course or ""))
    return Refusals(actionable, [r for r in refused if is_settled(r)])


def queued_counts(plan: SyncPlan) -> str:
    """``3 días-curso en 2 envíos``: the course-days and the calls to SIGE."""
    return f"{cantidad(len(plan.queued), 'día-curso')} en {cantidad(len(plan.units), 'envío')}"
