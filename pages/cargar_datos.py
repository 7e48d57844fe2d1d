"""Cargar datos: upload the SIGE nómina and the Libro Digital attendance.

Each file is first checked (a dry run in a transaction that is rolled back), so the
user sees every bad row, or exactly what would change, before anything is stored.
"""
from functools import partial

import streamlit as st

from reconcile.auth import AuthUser
from reconcile.errors import UserError
from reconcile.imports import import_libro, import_sige
from ui import context, page
from ui.imports import checked, error_table, forget_check, run_import

IMPORTERS = {
    "nomina": ("Nómina SIGE", import_sige, ["xlsx", "csv", "xml"],
               "La nómina de alumnos exportada desde SIGE (Excel, CSV o XML)."),
    "libro": ("Asistencia del Libro Digital", import_libro, ["csv", "xlsx"],
              "La asistencia del Libro Digital: tabla larga (un registro por alumno y día) o "
              "planilla mensual del Control de Subvenciones."),
}

user, rbd = page.start("Cargar datos")
if not user.can("import", rbd):
    st.info("Solo Director(a) o Administrador(a) de Asistencia pueden cargar archivos. "
            "Usted puede revisar la conciliación y el estado de la sincronización.")
    st.stop()


def importer_tab(kind: str, user: AuthUser, rbd: int) -> None:
    title, importer, types, help_text = IMPORTERS[kind]
    if importer is import_libro:  # the school to assume when the file does not name one
        importer = partial(import_libro, rbd=rbd)
    st.caption(help_text)
    upload = st.file_uploader(title, type=types, key=f"upload_{kind}")
    if upload is None:
        return
    data = upload.getvalue()
    preview = checked(f"{kind}_{rbd}", importer, data, upload.name, user, context.clock())
    if isinstance(preview, UserError):
        st.error(f"«{upload.name}» tiene problemas: no se guardó nada. Corrija el archivo y "
                 "vuelva a cargarlo.")
        st.dataframe(error_table(preview), hide_index=True, width="stretch")
        return
    st.success("Archivo revisado sin errores. Esto es lo que cambiaría:")
    st.markdown("\n".join(f"- {line}" for line in preview.lines_es()))
    if not preview.changed_anything:
        return
    if st.button("Guardar en la base", key=f"save_{kind}", type="primary"):
        try:
            summary = run_import(importer, data, upload.name, user, context.clock())
        except UserError as problems:  # the data changed between the check and the save
            st.error("No se guardó nada:")
            st.dataframe(error_table(problems), hide_index=True, width="stretch")
            return
        forget_check(f"{kind}_{rbd}")  # the next check compares with what was just saved
        st.success("Guardado.")
        st.markdown("\n".join(f"- {line}" for line in summary.lines_es()))


nomina_tab, libro_tab = st.tabs(["Nómina SIGE", "Asistencia del Libro Digital"])
with nomina_tab:
    importer_tab("nomina", user, rbd)
with libro_tab:
    importer_tab("libro", user, rbd)
