"""Auditoría: who imported, corrected, undid, overrode, sent, changed a setting or
logged in, when, and with what result, in the user's schools (and their own
logins); filters by person, action and dates; a page of entries at a time; the
filtered list as CSV."""

import pandas as pd
import streamlit as st

from reconcile import audit, audit_report
from reconcile.db import session_factory
from reconcile.errors import UserError
from reconcile.es_cl import fecha, numero
from ui import context, page

PAGE_KEY = "auditoria_page"
CSV_KEY = "auditoria_csv"  # (filters, bytes, matched) of the last prepared export

user, rbd = page.start("Auditoría")
with session_factory()() as session:
    try:
        people = audit.people(session, user)
        actions = audit.actions(session, user)
    except UserError as refused:
        st.error("\n\n".join(refused.reasons))
        st.stop()

st.caption("Quién cargó archivos, corrigió o deshizo un RUT, envió a SIGE (y con qué "
           "resultado), autorizó un envío o cambió la configuración, en "
           + ("sus establecimientos" if len(user.rbds) > 1 else "su establecimiento")
           + "; y sus propios ingresos al panel.")
one, two, three, four = st.columns([3, 3, 2, 2])
chosen_people = one.multiselect("Persona", list(people), format_func=people.get,
                                placeholder="Todas", key="auditoria_people")
chosen_actions = two.multiselect("Acción", actions, format_func=audit_report.label,
                                 placeholder="Todas", key="auditoria_actions")
start = three.date_input("Desde", value=None, format="DD-MM-YYYY", key="auditoria_from")
end = four.date_input("Hasta", value=None, format="DD-MM-YYYY", key="auditoria_to")
if start and end and start > end:
    st.error(f"La fecha «Desde» ({fecha(start)}) es posterior a «Hasta» ({fecha(end)}): "
             "cambie una de las dos para ver los registros.")
    st.stop()
filters = audit.Filters(tuple(chosen_people), tuple(chosen_actions), start, end)
if st.session_state.get("auditoria_filters") != filters:  # new filters: back to page 1
    st.session_state["auditoria_filters"] = filters
    st.session_state[PAGE_KEY] = 1

number = st.session_state.get(PAGE_KEY, 1)
with session_factory()() as session:
    try:
        found = audit.read(session, user, filters, audit.PAGE_SIZE,
                           (number - 1) * audit.PAGE_SIZE)
    except UserError as refused:
        st.error("\n\n".join(refused.reasons))
        st.stop()

if not found.total:
    st.info("No hay registros con estos filtros: pruebe con otras personas, acciones o "
            "fechas." if filters != audit.Filters() else
            "Aún no hay registros de auditoría en "
            + ("sus establecimientos." if len(user.rbds) > 1 else "su establecimiento."))
    st.stop()

pages = -(-found.total // audit.PAGE_SIZE)
first = found.offset + 1
st.markdown(f"**{numero(found.total)} registros**, del más reciente al más antiguo. "
            f"Se muestran del {numero(first)} al {numero(found.offset + len(found.entries))}.")
shown = pd.DataFrame([audit_report.row(entry) for entry in found.entries],
                     columns=audit_report.CSV_HEADERS)
if len(user.rbds) == 1:  # one school: its name on every row says nothing (the CSV keeps it)
    shown = shown.drop(columns="Establecimiento")
# Widths in pixels so that every column fits the ~1,000 px a 1366-wide screen leaves;
# a chosen row shows its Detalle (and the school) in full below.
widths = {"Fecha y hora": 115, "Acción": 150, "Detalle": 250, "Persona": 130,
          "Resultado": 75, "Establecimiento": 130, "Curso": 75, "Día": 75}
shown = shown[[name for name in widths if name in shown]]  # what happened, then the rest
chosen = st.dataframe(shown, hide_index=True, width="stretch", key="auditoria_table",
                      on_select="rerun", selection_mode="single-row",
                      column_config={name: st.column_config.TextColumn(width=width)
                                     for name, width in widths.items() if name in shown})
rows = chosen.selection.rows if chosen else []
if rows and rows[0] < len(found.entries):
    entry = audit_report.row(found.entries[rows[0]])
    with st.container(border=True):  # names and file names as typed: text, not Markdown
        st.text(" · ".join(entry[name] for name in ("Fecha y hora", "Acción", "Resultado",
                                                    "Persona", "Establecimiento")))
        st.text(entry["Detalle"])
else:
    st.caption("Elija una fila (la casilla a su izquierda) para leer su detalle completo.")
if pages > 1:
    st.number_input(f"Página (de {numero(pages)})", min_value=1, max_value=pages, step=1,
                    key=PAGE_KEY)

st.subheader("Exportar")
prepared = st.session_state.get(CSV_KEY)
if prepared is None or prepared[0] != filters:
    if st.button("Preparar CSV con estos filtros", icon=":material/table_view:",
                 key="auditoria_prepare"):
        with st.spinner("Preparando el archivo…"), session_factory()() as session:
            data, matched = audit_report.export_csv(session, user, filters)
        st.session_state[CSV_KEY] = prepared = (filters, data, matched)
if prepared is not None and prepared[0] == filters:
    _, data, matched = prepared
    if matched > audit_report.CSV_MAX_ROWS:
        st.warning(f"El archivo trae los {numero(audit_report.CSV_MAX_ROWS)} registros más "
                   f"recientes de {numero(matched)}: acote las fechas para exportar el resto.")
    st.download_button("Descargar CSV", data, icon=":material/download:",
                       file_name=f"auditoria_{context.clock().now():%Y%m%d_%H%M}.csv",
                       mime="text/csv", key="auditoria_download")
