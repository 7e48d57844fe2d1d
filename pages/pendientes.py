"""Pendientes: one row per child and problem over SIGE's month, with where to fix it.

For whoever fixes the sources (the Libro Digital or SIGE): filter by course and
by where to fix, download the list; a Director or Administrador(a) de Asistencia
approves a pair from its row, or every 100 %-confidence pair after one
confirmation. The list is ``reconcile.worklist``."""
import streamlit as st

from reconcile.db import session_factory
from reconcile.errors import UserError
from reconcile.school import course_labels
from reconcile.worklist import ABIERTO, worklist
from ui import context, page
from ui import worklist as view
from ui.corrections import ask_approval, show_pending_approval

user, rbd = page.start("Pendientes")
with session_factory()() as session:
    try:
        found = worklist(session, rbd, context.clock(), user)
    except UserError as problem:
        st.error("\n".join(problem.reasons))
        st.stop()
    labels = course_labels(session, rbd, found.month.year)

open_items = [i for i in found.items if i.state == ABIERTO]
st.caption(f"Un renglón por estudiante y problema en {found.month.label_es} (el mes SIGE): "
           f"{len(open_items)} abiertos. «Dónde corregir» dice qué fuente debe cambiar; "
           "aprobar un par aquí solo cambia lo que se envía a SIGE mientras tanto.")
if not found.items:
    st.success("No hay pendientes: cada estudiante del Libro Digital coincide con SIGE.")
    st.stop()

can_correct = user.can("correct", rbd)
certain = found.certain()
if certain and can_correct and st.button(
        f"Aprobar {view.pares(len(certain))} con 100 % de confianza", key="wl_approve_all",
        type="primary"):
    view.ask_all()
if st.session_state.get(view.ALL_PENDING) and certain and can_correct:
    view.confirm_all(user, rbd, certain, labels)

courses = list(dict.fromkeys(i.course for i in found.items))
left, right = st.columns(2)
course = left.selectbox("Curso", [None, *courses], key="wl_course", placeholder="Elija un curso",
                        format_func=lambda c: "Todos los cursos" if c is None else
                        labels.get(c, c))
where = right.selectbox("Dónde corregir", list(view.WHERE_FILTER), key="wl_where",
                        placeholder="Elija dónde", format_func=view.WHERE_FILTER.get)
shown = [i for i in found.items if (course is None or i.course == course)
         and (where is None or i.fix_in == where)]
if not shown:
    st.info("Ningún pendiente con esos filtros.")
    st.stop()

st.caption("Elija un renglón para ver qué hacer" + (" o aprobar su par." if can_correct else "."))
event = st.dataframe(view.table(shown, labels), key="worklist", on_select="rerun",
                     selection_mode="single-row", hide_index=True,
                     column_config=view.column_config())
picked = [shown[row] for row in event.selection.rows if row < len(shown)]
if picked:
    item = picked[0]
    with st.container(border=True):
        st.markdown(f"**{item.name or '(sin nombre)'}**, {labels.get(item.course, item.course)}"
                    f" · {item.problem}  \n**Dónde corregir: {item.where_es}.** {item.fix}")
        if item.can_approve and can_correct:
            if st.button(f"Aprobar par de {item.name or labels.get(item.course, item.course)}",
                         key="wl_approve", type="primary"):
                ask_approval(view.as_pair(item))
        elif item.can_approve:
            st.caption("Solo Director(a) o Administrador(a) de Asistencia pueden aprobar pares.")

view.downloads(shown, labels, rbd, context.clock().now().date())
show_pending_approval(user, rbd)
