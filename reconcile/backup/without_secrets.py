"""What ``backup --without-secrets`` leaves out, and how the restored database still works.

- ``app_user.password_hash``: replaced by a mark no password matches; each user needs a
  new password (``user passwd NOMBRE``) before logging in again.
- ``login_session``: no rows (every browser logs in again); with them goes the
  session-signing secret kept in ``setting`` (a new one is made at the next login).
- ``setting``: the secret keys (``settings.KEYS`` marked ``secret``: the convenio
  credentials, the mail server's password) are not written: they must be entered again.
- ``convenio_rejection``: no rows (a digest of credentials that are no longer there).
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Table, false, literal

from reconcile import sessions, settings

# Never a valid Argon2 hash: verification fails, as for a wrong password.
NO_PASSWORD = "!sin-clave:restaurado-de-un-respaldo-sin-secretos"  # ASCII: Argon2 reads it

SECRET_SETTINGS = sorted([key.name for key in settings.KEYS.values() if key.secret]
                         + [sessions.SECRET_KEY])
_LEFT_OUT_TABLES = {"login_session", "convenio_rejection"}
# Said in the archive's manifest.
LEFT_OUT = ["app_user.password_hash", "login_session", "convenio_rejection",
            *(f"setting {key}" for key in SECRET_SETTINGS)]

SUMMARY = ("Sin secretos: no trae las contraseñas de los usuarios, las sesiones abiertas, "
           "las credenciales del convenio SIGE ni la contraseña del correo.")
AFTER_RESTORE = ("Respaldo sin secretos: cada usuario necesita una contraseña nueva "
                 "(«python -m reconcile user passwd NOMBRE») y el Director debe ingresar otra "
                 "vez las credenciales del convenio SIGE de cada establecimiento (Configuración "
                 "› Convenio SIGE) y, si usa un servidor de correo, «mail.smtp_password».")


def row_filter(table: Table) -> ColumnElement[bool] | None:
    """The rows of ``table`` a backup without secrets keeps (None: all)."""
    if table.name in _LEFT_OUT_TABLES:
        return false()
    if table.name == "setting":
        return table.c.key.not_in(SECRET_SETTINGS)
    return None


def column_value(table: Table, column: str):  # noqa: ANN201
    """What a backup without secrets writes instead of the column (None: the column)."""
    if table.name == "app_user" and column == "password_hash":
        return literal(NO_PASSWORD)
    return None
