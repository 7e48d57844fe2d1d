"""Landing page: the school, SIGE's current month, the time left to its close, and
what to do next."""
import streamlit as st

from reconcile.db import session_factory
from reconcile.es_cl import duracion, fecha_hora, numero
from reconcile.school import overview
from ui import context, page

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
if school.time_left.days < 2:
    st.warning("Quedan menos de dos días para el cierre: SIGE suele estar más lento. "
               "Sincronice cuanto antes.")
st.write(f"{numero(school.courses)} cursos y {numero(school.students)} estudiantes según la "
         "nómina SIGE.")

st.subheader("Datos cargados")
for kind, label in (("sige_nomina", "Nómina SIGE"), ("libro", "Asistencia del Libro Digital")):
    batch = school.last_imports.get(kind)
    if batch is None:
        st.markdown(f"- **{label}**: aún no se ha cargado.")
    else:
        who = f" por {batch.username}" if batch.username else ""
        st.markdown(f"- **{label}**: «{batch.filename}», {fecha_hora(batch.created_at)}{who}.")
if len(school.last_imports) < 2:
    st.page_link("pages/cargar_datos.py", label="Ir a cargar la nómina y la asistencia",
                 icon=":material/upload_file:")
else:
    st.page_link("pages/conciliacion.py", label="Revisar la conciliación antes de enviar",
                 icon=":material/fact_check:")
