"""SIGE's refusal of a school's convenio credentials, remembered so the worker stops
sending with them until they change.

Only a digest of the refused credentials is kept (``fingerprint``): enough to tell
that the stored ones are still those, never the credentials a second time.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from reconcile import settings
from reconcile.db.models import ConvenioRejection
from reconcile.sige.config import CREDENTIAL_KEYS


def fingerprint(credentials: list[str | None]) -> str:
    """A digest to recognise the same credentials later without keeping them twice."""
    return hashlib.sha256("\x1f".join(v or "" for v in credentials).encode()).hexdigest()


def remember(session: Session, rbd: int, credentials: list[str | None], detail: str | None,
             now: datetime) -> None:
    """SIGE refused these credentials: the school's jobs wait until they change."""
    session.merge(ConvenioRejection(rbd=rbd, credentials_hash=fingerprint(credentials),
                                    rejected_at=now, detail=detail))


def refuses(session: Session, rbd: int, credentials: list[str | None]) -> bool:
    """Whether SIGE refused exactly these credentials of the school. A refusal of
    other ones is forgotten here: the Director changed them, so they are tried."""
    rejection = session.get(ConvenioRejection, rbd)
    if rejection is None:
        return False
    if rejection.credentials_hash == fingerprint(credentials):
        return True
    # a statement, not an ORM delete: another worker may have cleared the same
    # refusal a moment ago, or stored a refusal of the new ones (which stays)
    session.execute(delete(ConvenioRejection).where(
        ConvenioRejection.rbd == rbd,
        ConvenioRejection.credentials_hash == rejection.credentials_hash))
    return False


def still_refused(session: Session, rbd: int) -> bool:
    """Whether the school's stored credentials are the ones SIGE refused (reads only)."""
    rejection = session.get(ConvenioRejection, rbd)
    return rejection is not None and rejection.credentials_hash == fingerprint(
        settings.get_values(session, list(CREDENTIAL_KEYS), rbd))
