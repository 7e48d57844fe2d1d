"""Landing page: the school, SIGE's current month, the time left to its close, the
envío automático (its next run, the last one, the close risk and the mails sent), what
the database holds of that month (and what it lacks), and what to do next."""
import pandas as pd
import streamlit as st

from reconcile.db import session_factory
from reconcile.es_cl import duracion, fecha, fecha_hora, numero
from reconcile.school import month_record, overview
from reconcile.sync.status import SHORT_ES, WORST_FIRST, month_status
from ui import autopilot_view, context, page

LOADS = (("sige_nomina", "Nómina SIGE"), ("libro", "Asistencia del Libro Digital"))
MAX_LISTED = 8  # courses named one by one; more are counted

user, rbd = page.start("Inicio")
with session_factory()() as session:
    try:
        school = overview(session, rbd, context.clock())
    except LookupError:
        st.error(f"El establecimiento RBD {rbd} aún no tiene datos: cargue su nómina SIGE.")
        st.stop()
    record = month_record(session, rbd, context.clock())
    sige = month_status(session, rbd, context.clock(), with_errors=False)

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
# The headline and the table under it are one count (Estado's), so they cannot disagree.
st.markdown(f"**{sige.headline_es()}**")
if sige.labels and sige.days:
    with st.expander("Días-curso por curso y estado"):
        st.table(pd.DataFrame([{"Curso": sige.labels[code],
                                **{SHORT_ES[state]: counts[state] for state in WORST_FIRST}}
                               for code, counts in sige.by_course().items()]),
                 hide_index=True)
autopilot_view.inicio_block(user, rbd)


def names(codes: list[str]) -> str:
    shown = ", ".join(record.labels.get(c, c) for c in codes[:MAX_LISTED])
    return shown + (f" y {len(codes) - MAX_LISTED} más" if len(codes) > MAX_LISTED else "")


def days_es(days: list) -> str:  # noqa: ANN001 - dates
    return ", ".join(fecha(day) for day in days)


month_name = record.month.label_es
st.subheader(f"Asistencia en la base: {month_name}")
if not record.days:
    st.info(f"La base no tiene asistencia del Libro Digital de {month_name}.")
else:
    st.markdown(
        f"- **{numero(record.courses_with_record)} de {numero(len(record.enrolled))} cursos** "
        f"con asistencia, en **{len(record.days)} días** "
        f"({numero(record.course_days)} días-curso con registro).\n"
        f"- Días con asistencia: " + ", ".join(
            f"{day.strftime('%d-%m')} ({count} de {len(record.enrolled)} cursos)"
            if count < len(record.enrolled) else day.strftime("%d-%m")
            for day, count in record.days.items()) + ".")

st.markdown(f"**Lo que falta hasta el {fecha(record.until)}** (días hábiles: lunes a viernes, "
            "sin feriados)")
gap = False
if record.missing_days:
    gap = True
    st.warning(f"Días hábiles sin ningún registro: {days_es(record.missing_days)}.")
if record.silent_courses and record.days:
    gap = True
    st.warning(f"Cursos sin ningún registro en {month_name}: {names(record.silent_courses)}.")
for course, days in record.course_gaps.items():
    gap = True
    st.warning(f"{record.labels.get(course, course)} no tiene registro el {days_es(days)}, "
               "aunque otros cursos sí.")
if not gap:
    st.success("Todos los días hábiles hasta hoy tienen asistencia de todos los cursos.")

st.subheader("Últimas cargas")
for kind, label in LOADS:
    load = record.last_loads.get(kind)
    if load is None:
        st.markdown(f"- **{label}**: aún no se ha cargado.")
    else:
        who = f"por {load.by}" if load.by else "desde la línea de comandos"
        st.markdown(f"- **{label}**: «{load.filename}», {fecha_hora(load.at)}, {who}.")
# The next step this user can take: a role that may not load files is sent to read.
if len(record.last_loads) < 2 and user.can("import", rbd):
    st.page_link("pages/cargar_datos.py", label="Ir a cargar la nómina y la asistencia",
                 icon=":material/upload_file:")
elif len(record.last_loads) < 2:
    st.info("Faltan archivos por cargar: pídalo a la Dirección o a quien administra la "
            "asistencia. Mientras tanto puede ver lo que ya está en la base.")
    st.page_link("pages/estado.py", label="Ver el estado", icon=":material/monitoring:")
elif user.can("sync", rbd):
    st.page_link("pages/conciliacion.py", label="Revisar la conciliación antes de enviar",
                 icon=":material/fact_check:")
else:
    st.page_link("pages/conciliacion.py", label="Revisar la conciliación",
                 icon=":material/fact_check:")
    st.page_link("pages/estado.py", label="Ver el estado", icon=":material/monitoring:")
