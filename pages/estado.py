"""Estado: every course and day of SIGE's month in its sync state, the time left to
the declaration close (a banner when it is at risk or missed), and each error with its
cause, SIGE's words and the fix.

While any course-day is in process the view refreshes itself (a fragment that
re-runs on a timer) without reloading the page; when the last one settles, one
full run drops the timer."""
from dataclasses import replace

import streamlit as st

from reconcile.db import database_url, session_factory
from reconcile.es_cl import fecha, numero
from reconcile.sige_calendar import Month
from reconcile.sync.status import errors, month_status
from ui import autopilot_view, context, page
from ui import status_view as view
from ui.plot_click import clicked

REFRESH_SECONDS = 5  # how often the view re-reads the states while SIGE processes
OPENED = "estado_opened"  # the (course, day) whose detail is open

user, rbd = page.start("Estado")
with session_factory()() as session:
    first = month_status(session, rbd, context.clock(), with_errors=False)
autopilot_view.risk_banner(rbd)  # once per page run, not on every refresh


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def _errors(url: str, school: int, month: str, signature: tuple) -> list:
    """The errors and their fixes (a reconciliation for Caso 1 and 2) for one set of
    failing course-days: not recomputed on every refresh while nothing new fails."""
    del url, signature  # part of the cache key only
    with session_factory()() as session:
        status = month_status(session, school, context.clock(), Month.parse(month),
                              with_errors=False)
        return errors(session, status)


def _current_errors(status):  # noqa: ANN001, ANN202
    signature = tuple((c.course, c.day, c.state, c.cause, c.updated_at, c.retrying)
                      for c in status.course_days if c.state == "error" or c.retrying)
    if not signature:
        return []
    found = _errors(database_url(), status.rbd, str(status.month), signature)
    # the cached entries with each day as read now (the job's note moves on)
    return [replace(entry, day=status.cell(entry.day.course, entry.day.day) or entry.day)
            for entry in found]


@st.fragment(run_every=REFRESH_SECONDS if first.in_process else None)
def live(was_in_process: bool) -> None:
    with session_factory()() as session:
        status = month_status(session, rbd, context.clock(), first.month, with_errors=False)
    if was_in_process and not status.in_process:
        st.rerun(scope="app")  # all settled: one full run, without the timer
    status.errors.extend(_current_errors(status))
    counts = status.counts
    with_record = len(status.course_days) - counts["sin_registro"]
    a, b, c, d = st.columns(4)
    a.metric("Cierre de la declaración", fecha(status.close_at.date()),
             help=status.close_line_es())
    b.metric("Días-curso sin sincronizar", f"{numero(status.not_synced)} de "
             f"{numero(with_record)}", help="Con asistencia en el Libro Digital y que SIGE "
             "aún no tiene: por sincronizar, en proceso o con error.")
    c.metric("En proceso", numero(counts["en_proceso"]))
    d.metric("Con error", numero(counts["error"]))
    st.caption(status.notice or status.close_line_es())
    if status.in_process:
        st.caption(f":material/schedule: Hay envíos en proceso: la vista se actualiza sola cada "
                   f"{REFRESH_SECONDS} segundos. {view.when(status)}")

    st.subheader(f"Cursos y días de {status.month.label_es}")
    if not status.labels or not status.days:
        st.info("Aún no hay cursos ni días trabajados en este mes. Cargue la nómina SIGE y "
                "la asistencia en «Cargar datos».")
        return
    figure, keys = view.heatmap(status)
    event = st.plotly_chart(figure, key="estado_heatmap", on_select="rerun",
                            selection_mode="points", width="stretch",
                            config={"displayModeBar": False})
    picked = clicked(getattr(event, "selection", None), keys)
    if picked is not None and picked != st.session_state.get(OPENED):
        st.session_state[OPENED] = picked  # open the clicked cell once; the selectors follow
        st.session_state["estado_course"], st.session_state["estado_day"] = picked
    st.caption(status.summary_es())  # the map in words, and as a table below
    with st.expander("Ver el mapa como tabla"):
        st.dataframe(view.table_view(status), width="stretch")

    st.subheader("Detalle de un día-curso")
    st.caption("Haga clic en una celda del mapa, o elija el curso y el día.")
    left, right = st.columns([3, 2])
    if st.session_state.get("estado_course") not in status.labels:
        st.session_state.pop("estado_course", None)
    code = left.selectbox("Curso", list(status.labels), key="estado_course",
                          placeholder="Elija un curso",
                          format_func=lambda c: status.labels[c])
    if st.session_state.get("estado_day") not in status.days:
        st.session_state["estado_day"] = status.days[-1]  # the latest day, until one is chosen
    day = right.selectbox("Día", status.days, key="estado_day", format_func=fecha,
                          placeholder="Elija un día")
    with st.container(border=True):
        st.markdown(f"**{status.labels[code]}, {fecha(day)}**")
        for line in view.detail_lines(status, code, day):
            st.markdown(line)

    st.subheader("Errores")
    if not status.errors:
        st.caption(f"No hay errores de sincronización en {status.month.label_es}.")
        return
    st.table(view.error_table(status.errors), hide_index=True)
    if any(run for entry in status.errors for _, run in entry.unknown):
        st.page_link("pages/conciliacion.py", label="Aprobar el RUN sugerido en Conciliación",
                     icon=":material/fact_check:")


live(first.in_process)
