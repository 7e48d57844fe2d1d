"""Cargar datos: upload the SIGE nómina and the Libro Digital attendance.

Each file is first checked (a dry run in a transaction that is rolled back), so the
user sees every bad row, or exactly what would change, before anything is stored.
A nómina replaces only the courses it lists; removing many students of a course, or
emptying the courses it does not list, needs its own confirmation. After a save only
the result stays on screen.
"""
from functools import partial

import streamlit as st

from reconcile.access import AuthUser
from reconcile.errors import UserError
from reconcile.imports import import_libro, import_sige
from reconcile.loaders.wrong_tab import LIBRO, NOMINA, TABS
from ui import context, page
from ui.imports import (
    checked,
    forget_check,
    remember_saved,
    removal_confirmations,
    run_import,
    show_problems,
    show_saved,
    uploader_generation,
)

IMPORTERS = {
    NOMINA: (TABS[NOMINA], import_sige, ["xlsx", "csv", "xml"],
             "La nómina de alumnos exportada desde SIGE (Excel, CSV o XML)."),
    LIBRO: (TABS[LIBRO], import_libro, ["csv", "xlsx"],
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
    if show_saved(kind, rbd):
        return
    st.caption(help_text)
    generation = uploader_generation(kind)
    upload = st.file_uploader(title, type=types, key=f"upload_{kind}_{generation}")
    if upload is None:
        return
    data = upload.getvalue()
    check_key = f"{kind}_{rbd}"
    if importer is import_sige:
        whole_school = st.checkbox(
            "Vaciar los cursos que el archivo no trae", key=f"whole_school_{generation}",
            help="La nómina reemplaza la matrícula de los cursos que trae y deja los demás "
                 "sin cambios. Marque esta opción solo si el archivo es la nómina completa "
                 "del establecimiento.")
        importer = partial(import_sige, whole_school=whole_school)
        preview_importer = partial(importer, allow_removals=True)  # to show, not to refuse
        check_key += "_whole" if whole_school else ""
    else:
        preview_importer = importer
    preview = checked(check_key, preview_importer, data, upload.name, user, context.clock())
    if isinstance(preview, UserError):
        show_problems(preview, f"«{upload.name}» tiene problemas: no se guardó nada. "
                               "Corrija el archivo y vuelva a cargarlo.")
        return
    st.success("Archivo revisado sin errores. Esto es lo que cambiaría:")
    st.markdown("\n".join(f"- {line}" for line in preview.lines_es()))
    if not preview.changed_anything:
        return
    save_options, ready = {}, True
    if kind == NOMINA:
        allow_removals, ready = removal_confirmations(preview, f"{kind}_{generation}")
        save_options["allow_removals"] = allow_removals
    if st.button("Guardar en la base", key=f"save_{kind}", type="primary", disabled=not ready):
        try:
            summary = run_import(partial(importer, **save_options), data, upload.name, user,
                                 context.clock())
        except UserError as problems:  # the data changed between the check and the save
            show_problems(problems, "No se guardó nada:")
            return
        forget_check(f"{kind}_{rbd}")  # the next check compares with what was just saved
        remember_saved(kind, rbd, data, summary)
        st.rerun()


nomina_tab, libro_tab = st.tabs([TABS[NOMINA], TABS[LIBRO]])
with nomina_tab:
    importer_tab(NOMINA, user, rbd)
with libro_tab:
    importer_tab(LIBRO, user, rbd)
