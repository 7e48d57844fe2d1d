"""The Sincronización page's pieces: a course's days in a row with their state and a
cloud to send each one, and the two confirmation dialogs (one day; a range or the
whole month). Every check is ``reconcile.sync.rules``: the dialogs show its plan
before anything is queued, and queue through ``rules.request``."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from reconcile.access import DIRECTOR, AuthUser, authorize
from reconcile.db import session_factory, transaction
from reconcile.db.models import EN_PROCESO, ERROR, POR_SINCRONIZAR, SIN_REGISTRO, SINCRONIZADO
from reconcile.errors import PermissionDenied, UserError
from reconcile.es_cl import cantidad, fecha
from reconcile.sige_calendar import Month
from reconcile.sync import grades, rules
from reconcile import day_states as states
from reconcile.sync.plan_reading import queued_counts, split_refusals
from reconcile.sync.status import (
    SHORT_ES,
    WORST_FIRST,
    CourseDayStatus,
    MonthStatus,
    day_label,
    describe,
)
from ui import context

PENDING = "sync_pending"  # what a cloud or the blue button asked to send
FLASH = "sync_flash"  # the counts after queueing, shown once
COLOURS = {SIN_REGISTRO: "gray", POR_SINCRONIZAR: "blue", EN_PROCESO: "orange",
           SINCRONIZADO: "green", ERROR: "red"}
LEGEND = (POR_SINCRONIZAR, EN_PROCESO, SINCRONIZADO, ERROR, SIN_REGISTRO)
BLUE = "#1c6dd0"
ICONS = {SIN_REGISTRO: ":material/remove:", POR_SINCRONIZAR: ":material/cloud:",
         EN_PROCESO: ":material/schedule:", SINCRONIZADO: ":material/check_circle:",
         ERROR: ":material/warning:"}
SEND_HELP = "Sincronizar día"
DIALOG_KEYS = ("override_reason", "sync_all", "sync_range")
# A day's cloud: its label ("Sincronizar 03-12-2026, 3° Básico A") stays in the
# accessibility tree but off the narrow cell (the usual visually-hidden rule).
SEND_LABEL_CSS = ('[class*="st-key-send_"] button [data-testid="stMarkdownContainer"] '
                  "{position: absolute; width: 1px; height: 1px; overflow: hidden; "
                  "clip-path: inset(50%); white-space: nowrap;}")


def why_not_allowed(user: AuthUser, rbd: int) -> str | None:
    """The library's reason this user may not send for this school, or None."""
    try:
        authorize(user, "sync", rbd)
    except PermissionDenied as denied:
        return " ".join(denied.reasons)
    return None


def blue_button(key: str) -> None:
    """The product's primary colour is the theme's (red); the send button is blue, as
    in the class book."""
    st.html(f"<style>.st-key-{key} button {{background-color: {BLUE}; border-color: {BLUE}; "
            "color: white;}</style>")


def month_choices(current: Month, today: date) -> list[Month]:
    """SIGE's month first; the one before it; the calendar month when SIGE has not
    opened it yet (the first days of a month)."""
    choices = [current, current.previous()]
    if Month.of(today) > current:
        choices.append(Month.of(today))
    return choices


def short_cause(cell: CourseDayStatus) -> str | None:
    """``Caso 1`` out of ``Caso 1: faltan ...``."""
    return cell.cause_es.split(":")[0] if cell.cause_es else None


def summary_cell(cells: list[CourseDayStatus]) -> tuple[str, str]:
    """The state a day shows for several courses (the worst one), and its counts."""
    found = {cell.state for cell in cells}
    state = next((s for s in WORST_FIRST if s in found), SIN_REGISTRO)
    counts = [f"{states.SYMBOLS[s]} {states.LABELS_ES[s]}: {sum(c.state == s for c in cells)}"
              for s in WORST_FIRST if s in found]
    return state, "\n\n".join(counts)


def day_strip(status: MonthStatus, course: str | None, allowed: bool, reason: str | None
              ) -> None:
    """The month's days in a row per week (a column per weekday), each with its state
    and a cloud on a sendable day. ``course`` None: every course, each day showing
    its worst state."""
    if not status.days:
        st.caption(f"No hay días trabajados en {status.month.label_es} hasta hoy.")
        return
    st.html(f"<style>{SEND_LABEL_CSS}</style>")
    width = 7 if any(day.weekday() >= 5 for day in status.days) else 5
    weeks: dict[tuple[int, int], list[date]] = {}
    for day in status.days:
        weeks.setdefault(day.isocalendar()[:2], []).append(day)
    for days in weeks.values():
        columns = st.columns(width, gap="small")
        for day in days:
            with columns[day.weekday()].container(border=True, key=f"day_{day.isoformat()}"):
                _day_cell(status, course, day, allowed, reason)


def _day_cell(status: MonthStatus, course: str | None, day: date, allowed: bool,
              reason: str | None) -> None:
    cells = [c for c in status.course_days if c.day == day and (course is None
                                                                or c.course == course)]
    if course is None:
        state, detail = summary_cell(cells)
        cause = None
    else:
        cell = cells[0]
        state, detail, cause = cell.state, "\n\n".join(describe(cell)), short_cause(cell)
    colour = COLOURS[state]
    st.markdown(f"**{day_label(day)}**", help=detail or None)
    st.markdown(f":{colour}[{ICONS[state]} {SHORT_ES[state]}]"
                + (f"  \n:{colour}[{cause}]" if cause else ""))
    if not any(c.sendable for c in cells):
        return
    blocked = reason or status.notice
    who = status.labels.get(course, course) if course else "todos los cursos"
    # the words name the button for a screen reader; the eye sees only the cloud
    if st.button(f"Sincronizar {fecha(day)}, {who}", key=f"send_{day.isoformat()}",
                 icon=":material/cloud_upload:",
                 help=SEND_HELP if not blocked else f"{SEND_HELP}: {blocked}",
                 disabled=not allowed or status.notice is not None):
        _open({"kind": "day", "day": day, "course": course})


def ask_range(course: str | None) -> None:
    _open({"kind": "range", "course": course})


def _open(pending: dict) -> None:
    """Open a dialog afresh: a reason or a range typed in an earlier one does not
    carry over."""
    for key in DIALOG_KEYS:
        st.session_state.pop(key, None)
    st.session_state[PENDING] = pending
    st.rerun()


def legend() -> str:
    """The states in words beside their symbols (a screen reader reads no icon names)."""
    return ", ".join(f"{states.SYMBOLS[s]} {SHORT_ES[s].lower()}" for s in LEGEND)


def grid(status: MonthStatus) -> pd.DataFrame:
    """Courses x days with each state's symbol (read-only overview)."""
    table = pd.DataFrame(
        [[status.cell(code, day).symbol for day in status.days] for code in status.labels],
        index=list(status.labels.values()), columns=[day_label(d) for d in status.days])
    return table.rename_axis(index="Curso")


def _dismissed() -> None:
    st.session_state.pop(PENDING, None)


def show_pending(user: AuthUser, rbd: int, status: MonthStatus) -> None:
    """The dialog the user asked for, and the result of the last send request."""
    pending = st.session_state.get(PENDING)
    if pending is not None and pending["kind"] == "day":
        _confirm_day(user, rbd, status, pending)
    elif pending is not None:
        _confirm_range(user, rbd, status, pending)
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.toast(flash, icon=":material/cloud_upload:")
        st.success(flash)


@st.dialog("Sincronizar día", width="large", on_dismiss=_dismissed)
def _confirm_day(user: AuthUser, rbd: int, status: MonthStatus, pending: dict) -> None:
    day, course = pending["day"], pending["course"]
    who = status.labels.get(course, course) if course else "todos los cursos"
    st.write(f"Enviar a SIGE la asistencia del **{fecha(day)}** de **{who}**.")
    _plan_and_send(user, rbd, status, day, day, [course] if course else None, False)


@st.dialog("Sincronización SIGE", width="large", on_dismiss=_dismissed)
def _confirm_range(user: AuthUser, rbd: int, status: MonthStatus, pending: dict) -> None:
    course = pending["course"]
    who = status.labels.get(course, course) if course else "todos los cursos"
    st.write(f"Enviar a SIGE la asistencia de **{who}**.")
    whole = st.toggle("Seleccionar todas", key="sync_all",
                      help=f"Cada día trabajado de {status.month.label_es} hasta hoy.")
    if whole:
        # the dates give way to what is chosen, so the switch visibly does something
        with session_factory()() as session:
            start, end = rules.month_range(session, rbd, context.clock())
        worked = [day for day in status.days if start <= day <= end]
        st.info(f"Todo {status.month.label_es} hasta hoy: del {fecha(start)} al {fecha(end)}, "
                f"{cantidad(len(worked), 'día trabajado', 'días trabajados')}. Los días sin "
                "asistencia en el Libro Digital no se cuentan como rechazos.",
                icon=":material/date_range:")
        _plan_and_send(user, rbd, status, start, end, [course] if course else None, True)
        return
    first = status.month.first_day
    last = min(status.month.last_day, status.now.date())
    if last < first:
        last = first
    chosen = st.date_input("Fechas", value=(first, last), min_value=first,
                           max_value=status.month.last_day, format="DD-MM-YYYY",
                           key="sync_range")
    if isinstance(chosen, tuple) and len(chosen) == 2:
        start, end = chosen
    else:
        st.info("Elija la fecha de término del rango.")
        return
    _plan_and_send(user, rbd, status, start, end, [course] if course else None, False)


def _plan_and_send(user: AuthUser, rbd: int, status: MonthStatus, start: date, end: date,
                   courses: list[str] | None, whole: bool) -> None:
    """The rules' plan (what will be sent, what is refused and why), the confirmation,
    and a Director's override: a reason typed in a form with its own button, so that
    nothing waits for the box to lose focus (the rules check the reason when pressed)."""
    clock = context.clock()
    with session_factory()() as session:
        plan = rules.plan(session, user, rbd, start, end, courses, None, clock, whole)
    not_ready = [r for r in plan.refused if r.reason.startswith("no está listo")
                 or r.cause == grades.GRADE_HELD]
    _show_plan(plan, status.labels)
    if not_ready and user.role != DIRECTOR:
        st.caption("Los días-curso que no están listos se corrigen en «Conciliación»; solo el "
                   "Director(a) puede enviarlos igual, indicando un motivo.")
    blue_button("confirm_sync")
    send = cancel = st.container(horizontal=True)  # side by side, each as wide as its words
    if send.button("Sincronizar" if not not_ready else "Sincronizar solo los listos",
                   type="primary", key="confirm_sync", disabled=not plan.queued,
                   help=None if plan.queued else "No hay días-curso listos para enviar."):
        _send(user, rbd, start, end, courses, None, whole)
    if cancel.button("Cancelar", key="cancel_sync"):
        st.session_state.pop(PENDING, None)
        st.rerun()
    if not_ready and user.role == DIRECTOR:
        _override_form(user, rbd, start, end, courses, whole, len(not_ready))


def _override_form(user: AuthUser, rbd: int, start: date, end: date,
                   courses: list[str] | None, whole: bool, not_ready: int) -> None:
    """The Director's reason to send the not-ready days too. A form sends the box and
    the button together; ``enter_to_submit=False`` keeps Streamlit's English "Press
    Ctrl+Enter" hint away."""
    with st.form("override_form", enter_to_submit=False):
        st.markdown(f"**Enviar igual {cantidad(not_ready, 'día-curso')} que no "
                    f"{'está listo' if not_ready == 1 else 'están listos'}** (solo el "
                    "Director(a); queda registrado)")
        reason = st.text_area(
            f"Motivo (al menos {rules.MIN_OVERRIDE_REASON} caracteres)", key="override_reason",
            placeholder="Ej.: el estudiante faltante se retiró; SIGE aún no registra el retiro.")
        blue_button("confirm_override")
        pressed = st.form_submit_button("Sincronizar con motivo", key="confirm_override",
                                        type="primary")
    if pressed and not reason.strip():  # an empty reason would be no override at all
        st.error(f"Escriba el motivo para enviar igual los días-curso que no están listos (al "
                 f"menos {rules.MIN_OVERRIDE_REASON} caracteres).")
    elif pressed:
        _send(user, rbd, start, end, courses, reason, whole)


def _send(user: AuthUser, rbd: int, start: date, end: date, courses: list[str] | None,
          reason: str | None, whole: bool) -> None:
    """Queue through the rules; a refusal shows its reasons and keeps the dialog open."""
    try:
        with st.spinner("Revisando y poniendo en cola los días-curso…"), \
                transaction() as session:
            done = rules.request(session, user, rbd, start, end, courses, reason,
                                 context.clock(), whole)
    except UserError as problem:
        st.error("\n\n".join(problem.reasons))
        return
    st.session_state.pop(PENDING, None)
    st.session_state[FLASH] = sent_message(done)
    st.rerun()


def sent_message(plan: rules.SyncPlan) -> str:
    text = f"En cola para enviar a SIGE: {queued_counts(plan)}."
    if plan.overridden:
        text += (f" Por decisión del Director(a), aunque no están listos: "
                 f"{cantidad(len(plan.overridden), 'día-curso')}.")
    if plan.refused:
        text += f" No se pusieron en cola: {cantidad(len(plan.refused), 'día-curso')}."
    return text + " El avance se ve aquí y en «Estado»."


def _show_plan(plan: rules.SyncPlan, labels: dict[str, str]) -> None:
    """What will be sent, then what a person can act on, then (folded, counted) what
    needs nothing: already synced or already on its way."""
    if plan.queued:
        st.success(f"Se enviarán **{queued_counts(plan)}** a SIGE.")
        with st.expander("Días-curso que se enviarán"):
            st.table(refusal_table([(labels.get(c.code, c.code), d, None)
                                    for c, d in plan.queued], with_reason=False),
                     hide_index=True)
        if plan.riding:
            st.info(f"**Van con su grado: {cantidad(len(plan.riding), 'día-curso')}.** "
                    "SIGE recibe cada grado completo, para que reenviar una letra no borre las "
                    "demás: " + "; ".join(grades.describe(plan)) + ".")
    else:
        st.warning("No hay días-curso listos para enviar con esta selección.")
    split = split_refusals(plan.refused)
    if split.actionable:
        st.markdown(f"**No se enviarán: {cantidad(len(split.actionable), 'día-curso')}**"
                    if any(r.course for r in split.actionable) else "**No se puede enviar:**")
        box = st.container(height=260 if len(split.actionable) > 6 else "content",
                           key="refused_actionable")
        box.table(refusal_table(_rows(split.actionable, labels)), hide_index=True)
    if split.settled:
        with st.expander(split.settled_line.capitalize()):
            st.table(refusal_table(_rows(split.settled, labels)), hide_index=True)


def _rows(refused: list[rules.Refusal], labels: dict[str, str]
          ) -> list[tuple[str | None, date | None, str]]:
    return [(labels.get(r.course, r.course) if r.course else None, r.day, r.reason)
            for r in refused]


def refusal_table(rows: list[tuple[str | None, date | None, str | None]],
                  with_reason: bool = True) -> pd.DataFrame:
    """Curso, Fecha (and Motivo) with a dash where a refusal is about the whole
    request or a whole date."""
    table = pd.DataFrame([{"Curso": course or "Todos", "Fecha": fecha(day) if day else "Todas",
                           "Motivo": (reason[:1].upper() + reason[1:]) if reason else ""} for course, day, reason in rows])
    return table if with_reason else table.drop(columns="Motivo")
