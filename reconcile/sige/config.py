"""A SigeClient built from the project's configuration (DESIGN.md keys).

``sige.base_url``, ``sige.connect_timeout`` and ``sige.read_timeout`` are read
once; each school's convenio credentials are read when the client first needs a
semilla for that RBD (settings ``sige.cliente_id`` / ``sige.convenio_id`` /
``sige.convenio_token``, set per school with ``config set ... --rbd``).
"""
from __future__ import annotations

from collections.abc import Callable

from reconcile import settings
from reconcile.db import transaction
from reconcile.sige.client import Credentials, SigeClient

CREDENTIAL_KEYS = ("sige.cliente_id", "sige.convenio_id", "sige.convenio_token")


def credentials_lookup(url: str | None = None) -> Callable[[int], Credentials | None]:
    """A function RBD -> Credentials (None when the school has none stored)."""

    def lookup(rbd: int) -> Credentials | None:
        with transaction(url) as session:
            values = [settings.get_value(session, key, rbd) for key in CREDENTIAL_KEYS]
        return Credentials(*values) if all(values) else None

    return lookup


def client_from_settings(url: str | None = None, **options: object) -> SigeClient:
    """The client as configured in the database at ``url`` (default DATABASE_URL).
    ``options`` override or add constructor arguments (retries, backoff...)."""
    with transaction(url) as session:
        base_url = settings.get_value(session, "sige.base_url")
        connect_timeout = settings.get_float(session, "sige.connect_timeout")
        read_timeout = settings.get_float(session, "sige.read_timeout")
    arguments: dict = {"connect_timeout": connect_timeout, "read_timeout": read_timeout}
    arguments.update(options)
    return SigeClient(base_url, credentials_lookup(url), **arguments)
