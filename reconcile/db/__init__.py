"""Storage: models, engine and sessions, migrations."""
from reconcile.db.engine import database_url, get_engine, session_factory, transaction
from reconcile.db.migrate import upgrade

__all__ = ["database_url", "get_engine", "session_factory", "transaction", "upgrade"]
