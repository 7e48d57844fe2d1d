"""Conciliación: per course and day, SIGE vs Libro before anyone sends, and the
provisional-vs-definitive corrections."""
import streamlit as st

from reconcile.db import session_factory
from reconcile.errors import UserError
from reconcile.es_cl import fecha, rut_es
from reconcile.matching.store import run_check
from reconcile.school import calendar_for, course_labels, student_names
from ui import context, page
from ui import reconciliation as view
from ui.corrections import ask_approval, corrections_section, show_pending_approval

user, rbd = page.start("Conciliación")
today = context.clock().now().date()
with session_factory()() as session:
    month = calendar_for(session, rbd).current_month(context.clock().now())
    labels = course_labels(session, rbd, month.year)

# ---- Filters: the SIGE month so far by default -------------------------------------
left, right = st.columns([2, 3])
period = left.date_input("Fechas", value=(month.first_day, min(today, month.last_day)),
                         format="DD-MM-YYYY", key="period")
course = right.selectbox("Curso", [None, *labels], key="course",
                         format_func=lambda c: "Todos los cursos" if c is None else labels[c])
if not isinstance(period, tuple) or len(period) != 2:
    st.info("Elija la fecha de término del rango.")
    st.stop()
start, end = period

with session_factory()() as session:
    try:
        result = run_check(session, rbd, start, end, course)
    except UserError as problem:
        st.error("\n".join(problem.reasons))
        st.stop()
    ruts = [*result.missing["rut"], *result.unknown["rut"]]
    names = student_names(session, rbd, ruts)

if result.course_days.empty:
    st.info(f"No hay asistencia del Libro Digital entre el {fecha(start)} y el {fecha(end)}"
            f"{' para ese curso' if course else ''}. Cargue la asistencia en «Cargar datos».")
    st.stop()

# ---- At a glance ---------------------------------------------------------------------
days = result.course_days
ready = int(days["ready"].sum())
a, b, c, d = st.columns(4)
a.metric("Días-curso listos", f"{ready} de {len(days)}")
b.metric("Con estudiantes faltantes (Caso 1)",
         int(days["reasons"].map(lambda r: "caso_1" in r).sum()))
c.metric("Con RUT no reconocidos (Caso 2)",
         int(days["reasons"].map(lambda r: "caso_2" in r).sum()))
d.metric("Pares provisorio-definitivo sugeridos", result.pairs[["libro", "sige"]]
         .drop_duplicates().shape[0])

st.subheader("Vista general")
st.caption("✔ listo para enviar · ✖ n: estudiantes con problemas ese día · vacío: sin registro")
grid = view.glance(result)
st.dataframe(grid.style.map(lambda v: "background-color: #fde2e1; color: #8a1c1c"
                            if str(v).startswith("✖") else
                            ("background-color: #e3f4e8; color: #1d6b34" if v == "✔" else "")),
             width="stretch")
with st.expander("Detalle por curso y día"):
    st.dataframe(view.summary(result), hide_index=True, width="stretch")

# ---- One course-day in detail --------------------------------------------------------
problem_days = days[~days["ready"]]
st.subheader("Qué corregir")
if problem_days.empty:
    st.success("Todos los días-curso del rango están listos para enviar a SIGE.")
else:
    problem_courses = list(dict.fromkeys(problem_days["course"]))
    pick_course, pick_day = st.columns([3, 2])
    key_course = pick_course.selectbox("Curso con problemas", problem_courses, key="fix_course",
                                       format_func=lambda c: labels.get(c, c))
    course_problem_days = list(problem_days.loc[problem_days["course"] == key_course, "day"])
    key_day = pick_day.selectbox(f"Día ({len(course_problem_days)} con problemas)",
                                 course_problem_days, key="fix_day", format_func=fecha)

    def on(frame):  # noqa: ANN001, ANN202 - rows of the chosen course-day
        return frame[(frame["course"] == key_course) & (frame["day"] == key_day)]

    missing, unknown, pairs = on(result.missing), on(result.unknown), on(result.pairs)
    col1, col2 = st.columns(2)
    col1.markdown(f"**Matriculados en SIGE sin marca en el Libro (Caso 1): {len(missing)}**")
    col1.dataframe(view.people(missing, names), hide_index=True, width="stretch")
    col2.markdown(f"**En el Libro, SIGE no los reconoce en este curso (Caso 2): {len(unknown)}**")
    col2.dataframe(view.people(unknown, names, {"Motivo": view.unknown_reason}),
                   hide_index=True, width="stretch")
    for line in view.other_findings(on(result.wrong_course), on(result.duplicates),
                                    result.ambiguous[result.ambiguous["libro"]
                                                     .isin(unknown["rut"])],
                                    labels, names):
        st.warning(line)

    st.markdown("**Pares sugeridos (probablemente el mismo estudiante)**")
    if pairs.empty:
        st.caption("Sin sugerencias para este día-curso.")
    for index, pair in enumerate(pairs.itertuples(index=False)):
        box = st.container(border=True)
        box.markdown(
            f"Libro: **{rut_es(pair.libro)}** {pair.libro_name or ''}  \n"
            f"SIGE: **{rut_es(pair.sige)}** {pair.sige_name or ''}"
            f"{'' if pair.same_course else f' ({labels.get(pair.sige_course, pair.sige_course)})'}"
            f"  \nMotivo: {view.reason_es(pair.reason)} · confianza {pair.confidence:.0%}  \n"
            f"Evidencia: {view.evidence_es(pair.evidence)}")
        if user.can("correct", rbd):
            if box.button("Aplicar corrección", key=f"approve_{index}", type="primary"):
                ask_approval(pair._asdict())
    if not user.can("correct", rbd):
        st.caption("Solo Director(a) o Administrador(a) de Asistencia pueden aplicar correcciones.")


show_pending_approval(user, rbd)
corrections_section(user, rbd, today)
