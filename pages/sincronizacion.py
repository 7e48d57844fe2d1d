"""Sincronización: send a day, a range or the whole month to SIGE.

The page only asks: the rules say what may be sent (and the dialogs show their
plan before anything is queued), the worker sends, and the days show the clock
until SIGE's final report. A banner says when the close is at risk or missed."""
import streamlit as st

from reconcile.db import session_factory
from reconcile.school import calendar_for
from reconcile.sync.status import month_status
from ui import autopilot_view, context, page
from ui import sync as view

user, rbd = page.start("Sincronización")
now = context.clock().now()
with session_factory()() as session:
    current = calendar_for(session, rbd).current_month(now)
months = view.month_choices(current, now.date())

left, middle, right = st.columns([3, 3, 2], vertical_alignment="bottom")
month = left.selectbox("Mes", months, key="sync_month", placeholder="Elija un mes",
                       format_func=lambda m: m.label_es.capitalize()
                       + (" (mes actual de SIGE)" if m == current else ""))
with session_factory()() as session:
    status = month_status(session, rbd, context.clock(), month, with_errors=False)
course = middle.selectbox("Curso", [None, *status.labels], key="sync_course",
                          placeholder="Elija un curso",
                          format_func=lambda c: "Todos los cursos" if c is None
                          else status.labels[c])
refusal = view.why_not_allowed(user, rbd)
view.blue_button("sync_range_open")
if right.button("Sincronización SIGE", type="primary", key="sync_range_open",
                icon=":material/cloud_upload:", disabled=bool(refusal or status.notice),
                help="Enviar un rango de fechas o todo el mes («Seleccionar todas»)."):
    view.ask_range(course)

autopilot_view.risk_banner(rbd)
if status.notice:
    st.warning(status.notice, icon=":material/event_busy:")
else:
    st.caption(status.close_line_es())
if refusal:
    st.info(f"{refusal} Puede ver el estado de cada día, pero los botones para sincronizar "
            "están desactivados.", icon=":material/lock:")

if not status.labels:
    st.info(f"No hay cursos de {status.month.year} en este establecimiento. Cargue la nómina "
            "SIGE en «Cargar datos».")
    st.stop()

shown = status.of_course(course) if course else status.course_days
counts = {state: sum(cell.state == state for cell in shown) for state in view.SHORT_ES}
a, b, c, d = st.columns(4)
a.metric("Por sincronizar", counts["por_sincronizar"])
b.metric("En proceso", counts["en_proceso"])
c.metric("Sincronizados", counts["sincronizado"])
d.metric("Con error", counts["error"])

st.subheader(f"{status.labels[course] if course else 'Todos los cursos'}: "
             f"{status.month.label_es}")
st.caption(view.legend() + ". El botón de la nube de cada día lo envía a SIGE"
           + (" para todos los cursos." if course is None else "."))
view.day_strip(status, course, refusal is None, refusal)

if course is None and status.days:
    with st.expander("Cada curso, día por día"):
        st.dataframe(view.grid(status), width="stretch")

view.show_pending(user, rbd, status)
