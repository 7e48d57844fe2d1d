"""A file that is fine but cannot be loaded here or yet: where it goes, who loads what first.

A Libro file given as nómina (or the reverse) belongs in the other tab; a Libro file
of a school without a nómina waits for it (its courses come from the nómina), and
a school the system has never seen gets its first nómina from the administrator
(``import_sige`` without a user). These are not mistakes in the file, so the advice
says what to do instead of "corrija el archivo".
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from reconcile.access import AuthUser, allowed_roles_es, authorize
from reconcile.db.models import Establishment
from reconcile.errors import UserError
from reconcile.imports.common import MAX_REASONS
from reconcile.loaders import wrong_tab
from reconcile.loaders.errors import RowError
from reconcile.loaders.wrong_tab import COMMANDS, LIBRO, NOMINA, TABS

NOTHING_LOADED = "No se cargó nada."
_ADMIN_FIRST_NOMINA = ("la primera nómina SIGE de un establecimiento la carga el administrador "
                       "del sistema, desde la línea de comandos: python -m reconcile import-sige "
                       "ARCHIVO (sin --user)")


class LoadElsewhere(UserError):
    """The file goes in another tab, or after another file. ``advice`` says so; the
    file's other problems (``errors``), if any, follow it in ``reasons``."""

    def __init__(self, advice: list[str], errors: list[RowError] | None = None):
        errors = errors or []
        shown = ["Además, el archivo tiene estos problemas:"] if errors else []
        shown += [str(error) for error in errors[:MAX_REASONS]]
        if len(errors) > MAX_REASONS:
            shown.append(f"… y {len(errors) - MAX_REASONS} problemas más.")
        super().__init__([*advice, *shown], errors=errors)
        self.advice = advice


def misplaced(error: RowError) -> LoadElsewhere:
    """A loader recognised the other kind of file (``wrong_tab.belongs_in``)."""
    return LoadElsewhere([str(error), NOTHING_LOADED])


def unregistered_school(session: Session, user: AuthUser | None, rbd: int,
                        filename: str) -> LoadElsewhere | None:
    """A nómina loaded by a user for a school the system does not have yet."""
    if user is None or session.get(Establishment, rbd) is not None:
        return None
    authorize(user, "import")  # a role that may not load files hears that first
    return LoadElsewhere([
        f"{filename}: el establecimiento RBD {rbd} aún no está registrado en el sistema; "
        "no se cargó nada.",
        _capital(_ADMIN_FIRST_NOMINA) + ". Después, su "
        f"{allowed_roles_es('import')} carga sus archivos en Cargar datos.",
        f"Pida al administrador del sistema que cargue esta nómina y que le dé acceso al "
        f"RBD {rbd}."])


def nomina_first(session: Session, user: AuthUser | None, without_nomina: dict[int, list[int]],
                 filename: str, errors: list[RowError]) -> LoadElsewhere:
    """A Libro file naming schools without a nómina of those years: who loads it, and
    how; then the file's other problems (``errors``, the loader's), to fix meanwhile."""
    if user is not None:
        authorize(user, "import")
    said = {wrong_tab.nomina_first(rbd, years) for rbd, years in without_nomina.items()}
    others = [error for error in errors if error.reason not in said]
    reasons: list[str] = []
    for rbd, years in sorted(without_nomina.items()):
        school = session.get(Establishment, rbd)
        of_years = " y ".join(str(year) for year in years)
        plural = "s" if len(years) > 1 else ""
        if school is None:
            reasons.append(f"{filename}: el establecimiento RBD {rbd} aún no está registrado "
                           "en el sistema ni tiene nómina SIGE; no se cargó nada.")
            if user is None:  # the administrator: the one who may load it
                reasons.append(f"Cargue primero su nómina SIGE (python -m reconcile "
                               f"{COMMANDS[NOMINA]} ARCHIVO) y después esta asistencia.")
                continue
            reasons += [
                _capital(_ADMIN_FIRST_NOMINA) + "; después, el "
                f"{allowed_roles_es('import')} del establecimiento carga esta asistencia en "
                f"Cargar datos › {TABS[LIBRO]} (o con {COMMANDS[LIBRO]}).",
                f"Pida al administrador del sistema que cargue la nómina del RBD {rbd} y que "
                "le dé acceso a ese establecimiento."]
            continue
        reasons += [
            f"{filename}: el establecimiento RBD {rbd} ({school.name}) aún no tiene nómina "
            f"SIGE del año{plural} {of_years}; no se cargó nada. Los cursos del Libro se "
            "reconocen con ella.",
            f"Un(a) {allowed_roles_es('import')} de ese establecimiento carga primero su "
            f"nómina SIGE (Cargar datos › {TABS[NOMINA]}, o {COMMANDS[NOMINA]}) y después "
            f"esta asistencia."]
        if user is not None and rbd not in user.rbds:
            reasons.append(f"Usted no tiene acceso al RBD {rbd}: pida a la Dirección de ese "
                           "establecimiento que cargue la nómina y esta asistencia, o al "
                           "administrador del sistema que le dé acceso.")
    return LoadElsewhere(reasons, others)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
