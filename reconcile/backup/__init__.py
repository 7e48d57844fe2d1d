"""Backup and restore: one portable archive of every table, loaded into SQLite or PostgreSQL."""
from reconcile.backup.dump import BackupResult, backup
from reconcile.backup.load import RestoreResult, restore

__all__ = ["BackupResult", "RestoreResult", "backup", "restore"]
