"""Landing page: the school, SIGE's current month and the time left to its close."""
import streamlit as st

from reconcile.db import session_factory
from reconcile.school import overview
from ui import context, page
from reconcile.es_cl import duracion, fecha_hora

user, rbd = page.start("Inicio")
with session_factory()() as session:
    try:
        school = overview(session, rbd, context.clock())
    except LookupError:
        st.error(f"El establecimiento RBD {rbd} aún no tiene datos: cargue su nómina SIGE.")
        st.stop()

st.subheader(school.name)
left, middle, right = st.columns(3)
left.metric("Mes actual en SIGE", school.sige_month.label_es.capitalize())
middle.metric("Cierre de la declaración", fecha_hora(school.close_at))
right.metric("Tiempo restante", duracion(school.time_left))
st.write(f"{school.courses} cursos y {school.students} estudiantes según la nómina SIGE.")
if school.time_left.days < 2:
    st.warning("Quedan menos de dos días para el cierre: SIGE suele estar más lento. "
               "Sincronice cuanto antes.")
