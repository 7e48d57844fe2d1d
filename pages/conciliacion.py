"""Conciliación: per course and day, SIGE vs Libro before anyone sends, and the
provisional-vs-definitive corrections.

The review goes top-down: the month at a glance (a click on a ✖ opens that
course-day below and scrolls to it), every suggested pair of the range to approve
one by one, then the corrections made. The same problems, one row per child, are
in «Pendientes»."""
import streamlit as st

from reconcile import settings
from reconcile.db import session_factory
from reconcile.errors import UserError
from reconcile.es_cl import fecha
from reconcile.matching.store import run_check
from reconcile.school import calendar_for, course_labels, student_details
from ui import context, page
from ui import reconciliation as view
from ui.corrections import ask_approval, corrections_section, show_pending_approval
from ui.verify import verify_section

DAY_COLUMN_PX = 35  # 23 worked days fit beside the course names at 1366 px (sidebar open)
GLANCE_OPENED = "glance_opened"  # the ✖ cell last opened from the grid
DETAIL_ANCHOR = "que-corregir"
# A click on a ✖ opens its detail far below the grid: bring it into view.
SCROLL_TO_DETAIL = ("<script>setTimeout(() => window.parent.document.getElementById("
                    f"'{DETAIL_ANCHOR}')?.scrollIntoView({{behavior: 'smooth', block: 'start'}})"
                    ", 300);</script>")
NO_BREAK_RUT = ('<style>[data-testid="stTable"] td:first-child, [data-testid="stTable"] '
                'td:first-child * { white-space: nowrap; }</style>')

user, rbd = page.start("Conciliación")
st.html(NO_BREAK_RUT)  # a RUT in a table is never split across lines
today = context.clock().now().date()
with session_factory()() as session:
    month = calendar_for(session, rbd).current_month(context.clock().now())
    labels = course_labels(session, rbd, month.year)
    min_body = settings.get_int(session, "rut.provisional_min_body", rbd)

# ---- Filters: the SIGE month so far by default -------------------------------------
left, right = st.columns([2, 3])
period = left.date_input("Fechas", value=(month.first_day, min(today, month.last_day)),
                         format="DD-MM-YYYY", key="period")
course = right.selectbox("Curso", [None, *labels], key="course", placeholder="Elija un curso",
                         format_func=lambda c: "Todos los cursos" if c is None else labels[c])
if not isinstance(period, tuple) or len(period) != 2:
    st.info("Elija la fecha de término del rango.")
    st.stop()
start, end = period
if start > end:  # typed in reverse: say so in the page's words, not the CLI's
    st.error(f"La fecha de término ({fecha(end)}) es anterior a la de inicio ({fecha(start)}): "
             "elija de nuevo el rango en «Fechas».")
    st.stop()

with session_factory()() as session:
    try:
        result = run_check(session, rbd, start, end, course)
    except UserError as problem:
        st.error("\n".join(problem.reasons))
        st.stop()
    pairs = view.range_pairs(result)
    people = student_details(session, rbd, [*result.missing["rut"], *result.unknown["rut"],
                                            *pairs["sige"]])
    names = {rut: info.name for rut, info in people.items()}

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
d.metric("Pares provisorio-definitivo sugeridos", len(pairs))

st.subheader("Vista general")
st.caption("✔ listo para enviar · ✖n: n estudiantes con problemas ese día (haga clic para ver "
           "el detalle abajo) · vacío: sin registro")
grid = view.glance(result, labels)
event = st.dataframe(
    grid.table.style.map(lambda v: "background-color: #fde2e1; color: #8a1c1c"
                         if str(v).startswith("✖") else
                         ("background-color: #e3f4e8; color: #1d6b34" if v == "✔" else "")),
    key="glance", on_select="rerun", selection_mode="single-cell", height="content",
    width="content",
    column_config={column: st.column_config.TextColumn(column, width=DAY_COLUMN_PX)
                   for column in grid.table.columns})
clicked = next((grid.cell(row, column) for row, column in event.selection.cells
                if grid.has_problem(row, column)), None)
scroll_to_detail = clicked is not None and clicked != st.session_state.get(GLANCE_OPENED)
if scroll_to_detail:
    # open the clicked course-day below once; the user may then pick another one
    st.session_state[GLANCE_OPENED] = clicked
    st.session_state["fix_course"], st.session_state["fix_day"] = clicked

# ---- One course-day in detail --------------------------------------------------------
problem_days = days[~days["ready"]]
st.subheader("Qué corregir", anchor=DETAIL_ANCHOR)
if scroll_to_detail:
    st.html(SCROLL_TO_DETAIL, unsafe_allow_javascript=True)
if problem_days.empty:
    st.success("Todos los días-curso del rango están listos para enviar a SIGE.")
else:
    problem_courses = list(dict.fromkeys(problem_days["course"]))
    if st.session_state.get("fix_course") not in problem_courses:
        st.session_state.pop("fix_course", None)
    pick_course, pick_day = st.columns([3, 2])
    key_course = pick_course.selectbox("Curso con problemas", problem_courses, key="fix_course",
                                       format_func=lambda c: labels.get(c, c),
                                       placeholder="Elija un curso")
    course_problem_days = list(problem_days.loc[problem_days["course"] == key_course, "day"])
    if st.session_state.get("fix_day") not in course_problem_days:
        st.session_state.pop("fix_day", None)
    key_day = pick_day.selectbox(f"Día ({len(course_problem_days)} con problemas)",
                                 course_problem_days, key="fix_day", format_func=fecha,
                                 placeholder="Elija un día")

    def on(frame):  # noqa: ANN001, ANN202 - rows of the chosen course-day
        return frame[(frame["course"] == key_course) & (frame["day"] == key_day)]

    missing, unknown = on(result.missing), on(result.unknown)
    wrong, twice = on(result.wrong_course), on(result.duplicates)
    ambiguous = result.ambiguous[result.ambiguous["libro"].isin(unknown["rut"])]
    st.markdown(f"**{labels.get(key_course, key_course)}, {fecha(key_day)}**")
    st.markdown(f"**Matriculados en SIGE sin marca en el Libro (Caso 1): {len(missing)}**")
    if missing.empty:
        st.caption("Ninguno: el Libro tiene a todos los matriculados en SIGE ese día.")
    else:
        st.table(view.people(missing, names), hide_index=True)
    st.markdown(f"**En el Libro, SIGE no los reconoce en este curso (Caso 2): {len(unknown)}**")
    if unknown.empty:
        st.caption("Ninguno: SIGE reconoce todos los RUT del Libro ese día.")
    else:
        explained = {*pairs["libro"], *wrong["rut"], *twice["rut"], *ambiguous["libro"]}
        st.table(view.people(unknown, names, {
            "Motivo": view.unknown_reason,
            "Qué hacer": lambda row: view.next_step(row, explained)}), hide_index=True)
    for line in view.other_findings(wrong, twice, ambiguous, labels, names):
        st.warning(line)
    verify_section(user, rbd, list(unknown["rut"]), names)
    day_pairs = pairs[pairs["libro"].isin(unknown["rut"])]
    if not day_pairs.empty:
        st.markdown("**Pares sugeridos de este día-curso**")
        for pair in day_pairs.itertuples(index=False):
            st.container(border=True).markdown(view.pair_text(pair, labels, people, min_body))
        st.caption("Apruébelos en «Pares sugeridos del rango», abajo.")

# ---- Every suggested pair of the range ------------------------------------------------
st.subheader("Pares sugeridos del rango")
if pairs.empty:
    st.caption(f"No hay pares provisorio-definitivo sugeridos entre el {fecha(start)} y el "
               f"{fecha(end)}.")
else:
    st.caption("Probablemente el mismo estudiante con dos RUT: el del Libro y el de SIGE. "
               "Revise la evidencia y apruebe uno a uno.")
can_correct = user.can("correct", rbd)
for n, pair in enumerate(pairs.itertuples(index=False)):
    box = st.container(border=True)
    text, action = box.columns([5, 1], vertical_alignment="center")
    text.markdown(view.pair_text(pair, labels, people, min_body))
    who = pair.sige_name or pair.libro_name or labels.get(pair.course, pair.course)
    # the key names no RUT (keys can end in logs); the label says whose pair it is
    if can_correct and action.button(f"Aprobar par de {who}", key=f"approve_{n}",
                                     type="primary"):
        ask_approval({k: getattr(pair, k) for k in
                      ("libro", "sige", "reason", "confidence", "sige_name")})
if not pairs.empty and not can_correct:
    st.caption("Solo Director(a) o Administrador(a) de Asistencia pueden aplicar correcciones.")

with st.expander("Detalle por curso y día"):
    st.dataframe(view.summary(result, labels), hide_index=True, width="stretch",
                 column_config={"Estado": st.column_config.TextColumn(width="medium")})

show_pending_approval(user, rbd)
corrections_section(user, rbd, today)
