"""Establecimientos (for a user with several schools): SIGE's month, school by day,
the share of course-days SIGE has and the errors, the time left to each close and the
close risk forecast, the schools at risk first, and a way down to one school's Estado."""
import streamlit as st

from reconcile.db import session_factory
from reconcile.es_cl import duracion, fecha, fecha_hora, numero
from reconcile.sync.overview import schools_overview
from ui import autopilot_view, context, page
from ui import schools_view as view
from ui.plot_click import clicked

DRILL_KEY = "sostenedor_school"

user, rbd = page.start("Establecimientos")
if len(user.rbds) < 2:
    st.info("Esta vista compara varios establecimientos, y su usuario tiene uno solo: vea el "
            "estado de su establecimiento en la página «Estado» del menú.")
    st.stop()


def open_estado(school: int) -> None:
    """Drill down: the chosen school in view on every page, then its Estado."""
    if context.view_school(school):
        st.switch_page("pages/estado.py")


with session_factory()() as session:
    overview = schools_overview(session, user, context.clock())

schools = overview.schools
st.subheader(f"SIGE: {overview.month.label_es}")
if not schools:
    st.info("Sus establecimientos aún no tienen datos: cargue la nómina SIGE de cada uno en "
            "«Cargar datos».")
    st.stop()
first_close = min(schools, key=lambda school: school.close_at)
# the headline adds up the table's columns, in the same words
a, b, c, d = st.columns(4)
a.metric("Cierre de la declaración", fecha(first_close.close_at.date()),
         help=f"El cierre más próximo entre sus establecimientos: "
              f"{fecha_hora(first_close.close_at)}.")
b.metric("Sin sincronizar", numero(sum(s.not_synced for s in schools)),
         help="Días-curso con asistencia en el Libro Digital que SIGE aún no tiene: por "
              "sincronizar, en proceso o con error.")
c.metric("Con error", numero(sum(s.errors for s in schools)))
d.metric("Sin registro en el Libro", numero(sum(s.no_record for s in schools)),
         help="Días-curso de días hábiles hasta hoy sin asistencia en el Libro Digital.")
st.caption(f"Quedan {duracion(first_close.time_left)} para el cierre más próximo "
           f"({fecha_hora(first_close.close_at)})." if first_close.time_left else
           f"La declaración de {overview.month.label_es} cerró el "
           f"{fecha_hora(first_close.close_at)}.")
first = schools[0]  # the library orders them, at risk first
if first.at_risk or first.errors:
    st.warning(f"{'En riesgo' if first.at_risk else 'Con errores'} primero: **{first.name}**. "
               f"{first.aviso_es()}")
elif first.aviso_es() != "—":  # behind, nothing failed, the close far: said calmly
    st.info(f"Más atrasado: **{first.name}**. {first.aviso_es()}")
else:
    st.success(f"SIGE tiene todos los días-curso de {overview.month.label_es} hasta hoy en "
               "todos sus establecimientos.")

st.subheader("Establecimientos y días")
st.caption("Cada celda: el estado del día con los colores de «Estado» (el peor de sus "
           "cursos), la parte de los días-curso con registro que SIGE ya tiene y ⚠ los "
           "días-curso con error. Los establecimientos en riesgo van primero. Haga clic en "
           "una fila para ver el Estado de ese establecimiento.")
if overview.days:
    figure, keys = view.heatmap(overview)
    event = st.plotly_chart(figure, key="sostenedor_heatmap", on_select="rerun",
                            selection_mode="points", width="stretch",
                            config={"displayModeBar": False})
    picked = clicked(getattr(event, "selection", None), keys)
    if picked is not None:
        open_estado(picked)
    st.caption(overview.summary_es())
    with st.expander("Ver el mapa como tabla"):
        st.dataframe(view.table_view(overview), width="stretch")
else:
    st.info(f"Aún no hay días hábiles de {overview.month.label_es} hasta hoy.")

# a sortable table (click a column's title); it opens in the library's order, the risk
# and the aviso beside the school's name so they are read first at 1366 px
st.caption("Haga clic en el título de una columna para ordenar por ella.")
st.dataframe(view.table(overview, autopilot_view.school_risks([s.rbd for s in schools])),
             hide_index=True, width="stretch", column_order=view.TABLE_ORDER,
             column_config=view.TABLE_COLUMNS)

st.subheader("Ver un establecimiento")
names = {school.rbd: view.row_label(school.name, school.rbd) for school in schools}
left, right = st.columns([3, 1], vertical_alignment="bottom")
chosen = left.selectbox("Establecimiento a revisar", list(names), format_func=names.get,
                        key=DRILL_KEY, placeholder="Elija un establecimiento")
if right.button("Ver su Estado", icon=":material/monitoring:", key="sostenedor_open"):
    open_estado(chosen)
