"""Declaración: is SIGE's month ready to declare? The checklist («Lista para declarar», or the
course-days that block it and where to fix them), the asistencia media per course as SIGE
accepted it beside the Libro's, the courses' table and its downloads; for a user with
several schools, first one row per school. The figures are ``reconcile.declaration``."""
import streamlit as st

from reconcile.db import session_factory
from reconcile.declaration import export
from reconcile.declaration.summary import blocking_by_course, declaration
from reconcile.es_cl import cantidad, decimal, numero
from ui import context, page
from ui import declaration_view as view

user, rbd = page.start("Declaración")
several = len(user.rbds) > 1
with session_factory()() as session:
    found = declaration(session, context.clock(), list(user.rbds) if several else [rbd])
    school = found.school(rbd)
    workbook = export.school_xlsx(session, school) if school and school.courses else None
stamp = f"{found.month}_{context.clock().now():%Y%m%d}"

st.caption(f"Antes de declarar {found.month.label_es} en SIGE: la asistencia media que SIGE "
           "aceptó, curso por curso, junto a la del Libro Digital. La subvención se paga sobre "
           "lo que SIGE tiene declarado; «sincronizado» no es «declarado».")

if several:
    st.subheader("Sus establecimientos")
    ready = sum(s.ready for s in found.schools)
    st.caption(f"{numero(ready)} de {cantidad(len(found.schools), 'establecimiento')} "
               f"{'lista' if ready == 1 else 'listos'} para declarar. Haga clic en el título "
               "de una columna para ordenar por ella.")
    st.dataframe(view.schools_table(found), hide_index=True, width="stretch", placeholder="—",
                 column_config=view.SCHOOL_COLUMNS)
    one, two = st.columns(2)
    one.download_button("Descargar establecimientos (CSV)", export.schools_csv(found),
                        f"declaracion_establecimientos_{stamp}.csv", "text/csv",
                        key="decl_schools_csv", icon=":material/download:")
    two.download_button("Descargar establecimientos (Excel)", export.schools_xlsx(found),
                        f"declaracion_establecimientos_{stamp}.xlsx", export.XLSX_MIME,
                        key="decl_schools_xlsx", icon=":material/download:")
    st.subheader(f"{school.name} (RBD {school.rbd})" if school else "Establecimiento")

if school is None or not school.courses:
    st.info("Este establecimiento aún no tiene nómina SIGE ni asistencia de "
            f"{found.month.label_es}: cárguelas en «Cargar datos».")
    st.stop()

if school.ready:
    st.success(f":material/task_alt: **Lista para declarar.** {school.status_es()}")
else:
    st.error(f":material/block: **{school.status_es()}**")
ready_courses = sum(course.ready for course in school.courses)
a, b, c, d = st.columns(4)
a.metric("Cursos listos", f"{numero(ready_courses)} de {numero(len(school.courses))}")
b.metric("Días trabajados", numero(len(school.worked_days)),
         help="Días del mes con asistencia en el Libro Digital para algún curso.")
c.metric("Asistencia media SIGE", decimal(school.sige.average)
         if school.sige.average is not None else "—",
         help="Suma de los presentes que SIGE aceptó, dividida por los días trabajados.")
d.metric("Asistencia media Libro", decimal(school.libro.average)
         if school.libro.average is not None else "—")

if school.blocking:
    st.subheader("Qué impide declarar")
    groups = blocking_by_course(school)
    st.caption(f"{cantidad(len(school.blocking), 'día-curso', 'días-curso')} en "
               f"{cantidad(len(groups), 'curso')}; cada uno con su estado, la causa y dónde "
               "corregirlo.")
    st.dataframe(view.blocking_table(school), hide_index=True, width="stretch", placeholder="—",
                 column_config=view.BLOCK_COLUMNS)
    for where in dict.fromkeys(block.where_es for block in school.blocking):
        if user.can(view.NEEDS.get(where, "view"), rbd):
            st.page_link(view.PAGES[where], label=f"Ir a {where}",
                         icon=":material/arrow_forward:")
    unknown = sum(course.sige_unknown_days for course in school.courses)
    if unknown:
        st.caption(f"{cantidad(unknown, 'día-curso')}: "
                   "sincronizado antes de que se guardaran los conteos de SIGE y cambiado "
                   "después; su asistencia en SIGE es desconocida hasta volver a enviarlo.")

st.subheader("Asistencia media por curso")
st.plotly_chart(view.chart(school), key="decl_chart", width="stretch",
                config={"displayModeBar": False})
st.dataframe(view.courses_table(school), hide_index=True, width="stretch", placeholder="—",
             column_config=view.COURSE_COLUMNS)
st.caption("Asistencia media: presentes sumados en los días trabajados, divididos por los días "
           "trabajados. % de asistencia: presentes entre los estudiantes con marca. Matrícula: "
           "estudiantes matriculados el último día trabajado del mes. SIGE: solo lo que SIGE "
           "aceptó.")
one, two = st.columns(2)
one.download_button("Descargar resumen (CSV)", export.school_csv(school),
                    f"declaracion_{school.rbd}_{stamp}.csv", "text/csv", key="decl_csv",
                    icon=":material/download:")
two.download_button("Descargar resumen (Excel)", workbook,
                    f"declaracion_{school.rbd}_{stamp}.xlsx", export.XLSX_MIME, key="decl_xlsx",
                    icon=":material/download:",
                    help="Incluye una hoja por curso con el porcentaje de asistencia de cada "
                         "estudiante y las autorizaciones del Director del mes.")
