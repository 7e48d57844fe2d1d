"""The audit log in words: the Spanish name of each action, the result and the
details of an entry, and the CSV export (``;``, UTF-8 with BOM, formula-like cells
neutralised) of what a person may see (``reconcile.audit.read``)."""
from __future__ import annotations

import csv
import io
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from reconcile import audit, courses
from reconcile import day_states as states
from reconcile.access import ROLES
from reconcile.autopilot.run import HELD_CAUSES_ES
from reconcile.corrections import APPROVE_ACTION, UNDO_ACTION, neutralise
from reconcile.es_cl import fecha, fecha_hora, numero, rut_es
from reconcile.sync.rules import OVERRIDE_ACTION, REQUEST_ACTION
from reconcile.sync.verify import ACTION as VERIFY_ACTION
from reconcile.sync.outcomes import OUTCOME_ACTION

if TYPE_CHECKING:
    from reconcile.access import AuthUser

LABELS_ES = {
    "login": "Ingreso al panel",
    "login_rechazado": "Ingreso rechazado",
    "logout": "Cierre de sesión",
    "import_sige": "Carga de nómina SIGE",
    "import_libro": "Carga de asistencia del Libro Digital",
    APPROVE_ACTION: "Corrección de RUT aprobada",
    UNDO_ACTION: "Corrección de RUT deshecha",
    REQUEST_ACTION: "Envío a SIGE solicitado",
    OVERRIDE_ACTION: "Envío autorizado sin estar listo",
    OUTCOME_ACTION: "Resultado de un envío a SIGE",
    VERIFY_ACTION: "Consulta de un estudiante en SIGE",
    # recorded by reconcile.settings, reconcile.sige.probe and reconcile.auth (Configuración)
    "config.change": "Cambio de configuración",
    "config.clear": "Valor propio de configuración quitado",
    "sige.test_connection": "Prueba de conexión con SIGE",
    "user.add": "Usuario creado",
    "user.role": "Rol de usuario cambiado",
    "user.disable": "Usuario desactivado",
    "user.enable": "Usuario activado",
    "user.password_reset": "Contraseña restablecida",
    "user.password_change": "Contraseña cambiada por su titular",
    "user.email": "Correo de usuario cambiado",
    "rut_correction.resolved": "Corrección de RUT cerrada por una nueva carga",
    "autopilot.enable": "Envío automático activado o cambiado",
    "autopilot.disable": "Envío automático desactivado",
    "autopilot.run": "Envío automático",
    "school.rename": "Establecimiento renombrado",
    "housekeeping.purge": "Limpieza diaria de sesiones y bloqueos vencidos",
}
RESOLVED_BY_ES = {"nomina": "la nómina SIGE ya tiene el RUT del Libro",
                  "libro": "el Libro Digital ya no usa el RUT corregido"}
CONNECTION_ES = {"ok": "Conexión correcta", "credenciales_rechazadas": "Credenciales rechazadas",
                 "sin_respuesta": "Sin respuesta de SIGE", "sin_credenciales": "Sin credenciales",
                 "rbd_fuera_del_convenio": "El convenio no cubre el establecimiento",
                 "rbd_sin_comprobar": "Cobertura del convenio sin comprobar"}
# Families of actions recorded by name prefix (settings and users change from several places).
PREFIX_LABELS_ES = (("config", "Cambio de configuración"), ("setting", "Cambio de configuración"),
                    ("user", "Cambio de usuarios"))
CSV_HEADERS = ["Fecha y hora", "Persona", "Acción", "Resultado", "Establecimiento", "Curso",
               "Día", "Detalle"]
SHOWN_REASONS = 3  # a refused month lists a reason per course-day: the first few say enough
CSV_MAX_ROWS = 20_000  # a year of a big school fits; more is narrowed with the filters


def label(action: str) -> str:
    """The action as people name it.

    >>> label("sync.request"), label("config.set"), label("otra.cosa")
    ('Envío a SIGE solicitado', 'Cambio de configuración', 'otra.cosa')
    """
    if action in LABELS_ES:
        return LABELS_ES[action]
    return next((text for prefix, text in PREFIX_LABELS_ES if action.startswith(prefix)), action)


def school(entry: audit.Entry) -> str:
    if entry.rbd is None:
        return "—"
    return f"{entry.school} (RBD {entry.rbd})" if entry.school else f"RBD {entry.rbd}"


def result(entry: audit.Entry) -> str:
    """What came of it, in a word or two."""
    detail, action = entry.detail, entry.action
    if action == REQUEST_ACTION:
        queued, refused = len(detail.get("queued") or []), len(detail.get("refused") or [])
        if not queued:
            return "Rechazado"
        return f"En cola: {numero(queued)}" + (f"; no enviados: {numero(refused)}"
                                               if refused else "")
    if action == OUTCOME_ACTION:
        outcome = states.LABELS_ES.get(detail.get("outcome"), detail.get("outcome") or "—")
        cause = states.CAUSES_ES.get(detail.get("cause"), detail.get("cause"))
        return f"{outcome}: {cause}" if cause else outcome
    if action == VERIFY_ACTION:
        return {True: "SIGE lo conoce", False: "SIGE no lo conoce"}.get(detail.get("known"),
                                                                         "Sin respuesta de SIGE")
    if action == "sige.test_connection":
        return CONNECTION_ES.get(detail.get("outcome"), detail.get("outcome") or "—")
    if action == "autopilot.run":
        return f"En cola: {numero(len(detail.get('queued') or []))}; retenidos: " \
               f"{numero(len(detail.get('held') or []))}"
    return {"login_rechazado": "Rechazado", APPROVE_ACTION: "Aprobada",
            UNDO_ACTION: "Deshecha", OVERRIDE_ACTION: "Autorizado"}.get(action, "Hecho")


def details(entry: audit.Entry) -> str:
    """The rest of the entry in plain words: file and counts, RUTs, days, reasons."""
    d, action = entry.detail, entry.action
    if action in ("import_sige", "import_libro"):
        parts = [f"«{d.get('filename')}»"] if d.get("filename") else []
        parts += [f"{text}: {numero(d[key])}" for key, text in (
            ("rows_read", "filas"), ("added", "nuevos"), ("changed", "cambiados"),
            ("removed", "retirados")) if isinstance(d.get(key), int)]
        return ", ".join(parts)
    if action in (APPROVE_ACTION, UNDO_ACTION):
        return (f"{rut_es(str(d.get('from_rut', '')))} → {rut_es(str(d.get('to_rut', '')))}"
                if d.get("from_rut") else "")
    if action == REQUEST_ACTION:
        span = " al ".join(fecha_iso(d[key]) for key in ("from", "to") if d.get(key))
        refused = d.get("refused") or []
        parts = [f"Del {span}" if span else ""]
        if refused:
            more = len(refused) - SHOWN_REASONS
            parts.append(f"No enviados ({numero(len(refused))}): " + " ".join(
                refused[:SHOWN_REASONS]) + (f" … y {numero(more)} más" if more > 0 else ""))
        if d.get("override_reason"):
            parts.append(f"Motivo del Director: «{d['override_reason']}»")
        return ". ".join(part for part in parts if part)
    if action == "rut_correction.resolved":
        return (f"Corrección {d.get('correction_id')}: "
                f"{RESOLVED_BY_ES.get(d.get('resolved_reason'), d.get('resolved_reason'))}")
    if action == "autopilot.enable":
        return f"Hora: {d.get('at')}"
    if action == "autopilot.run":
        held = [_held_es(item) for item in d.get("held") or []]
        shown = "; ".join(held[:SHOWN_REASONS]) + (f" … y {numero(len(held) - SHOWN_REASONS)} más"
                                                   if len(held) > SHOWN_REASONS else "")
        return f"Retenidos: {shown}" if held else ""
    if action == "user.email":
        return f"{d.get('target') or ''}: correo {d.get('email') or ''}".strip()
    if action == OVERRIDE_ACTION:
        reasons = "; ".join(states.CAUSES_ES.get(r, r) for r in d.get("reasons") or [])
        return f"Pese a: {reasons}. Motivo: «{d.get('override_reason') or '—'}»"
    if action == OUTCOME_ACTION:
        courses_sent = ", ".join(courses.label_of_code(code) for code in d.get("courses") or [])
        parts = [courses_sent, f"ticket {d['ticket']}" if d.get("ticket") else "",
                 str(d.get("detail") or "")]
        return ". ".join(part for part in parts if part)
    if action == VERIFY_ACTION:
        return f"RUT {d.get('rut')}" if d.get("rut") else ""
    if action == "config.change":
        return f"{d.get('key')}: {d.get('previous')} → {d.get('value')}"
    if action == "config.clear":
        return f"{d.get('key')} (era {d.get('previous')})"
    if action == "sige.test_connection":
        return str(d.get("base_url") or "")
    if action.startswith("user."):
        role = ROLES.get(d.get("role"), d.get("role"))
        previous = ROLES.get(d.get("previous"), d.get("previous"))
        return str(d.get("target") or "") + (f": {previous} → {role}" if previous else
                                             f" ({role})" if role else "")
    return "; ".join(f"{key}: {_plain(value)}" for key, value in d.items()
                     if value not in (None, "", [], {}))


def _held_es(item: str) -> str:
    """An envío automático's held day ("110-3-A 2026-11-05 caso_1") as people read it."""
    parts = str(item).split()
    if len(parts) != 3:
        return str(item)
    code, day, cause = parts
    return f"{courses.label_of_code(code)} {fecha_iso(day)}: {HELD_CAUSES_ES.get(cause, cause)}"


def fecha_iso(text: Any) -> str:
    """An ISO date of an entry's detail as people read it (as is when it is not one)."""
    try:
        return fecha(date.fromisoformat(str(text)))
    except ValueError:
        return str(text)


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def row(entry: audit.Entry) -> dict[str, str]:
    """One entry as the listing and the CSV show it: ``CSV_HEADERS`` -> text, each
    cell neutralised (the page's table has a CSV download of its own, too)."""
    return dict(zip(CSV_HEADERS, [neutralise(cell) for cell in (
        fecha_hora(entry.at), entry.person, label(entry.action), result(entry), school(entry),
        courses.label_of_code(entry.course) if entry.course else "—",
        fecha(entry.day) if entry.day else "—", details(entry) or "—")], strict=True))


def export_csv(session: Session, user: AuthUser, filters: audit.Filters = audit.Filters()
               ) -> tuple[bytes, int]:
    """The filtered entries ``user`` may see (up to ``CSV_MAX_ROWS``, newest first) as
    CSV; also how many matched in all."""
    found = audit.read(session, user, filters, limit=CSV_MAX_ROWS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    writer.writerows(row(entry).values() for entry in found.entries)
    return buffer.getvalue().encode("utf-8-sig"), found.total
