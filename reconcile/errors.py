"""Errors meant for users: Spanish, one reason per line, never a stack trace."""
from __future__ import annotations

from collections.abc import Iterable


class UserError(Exception):
    """Bad input or a refused action. The CLI prints each reason and exits 2."""

    def __init__(self, reasons: str | Iterable[str], errors: list | None = None):
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        self.errors = errors or []  # structured row errors, when an importer found them
        super().__init__("\n".join(self.reasons))


class PermissionDenied(UserError):
    """The user's role or school scope does not allow the action."""
