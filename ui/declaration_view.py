"""Declaración's pieces: the asistencia media chart (SIGE beside the Libro, per course), the
courses' and the blocking course-days' tables, and a sostenedor's schools table, read from
``reconcile.declaration.summary``."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from reconcile.declaration.summary import Declaration, SchoolSummary
from reconcile.es_cl import fecha

SIGE_COLOUR, LIBRO_COLOUR = "#1f6fb2", "#9bbbd9"
# Where a blocking course-day is fixed: the page's title -> its file.
PAGES = {"Cargar datos": "pages/cargar_datos.py", "Sincronización": "pages/sincronizacion.py",
         "Estado": "pages/estado.py", "Conciliación": "pages/conciliacion.py",
         "Pendientes": "pages/pendientes.py"}
NEEDS = {"Cargar datos": "import"}  # the pages not everyone may open


def chart(school: SchoolSummary) -> go.Figure:
    """Asistencia media per course, SIGE's bar beside the Libro's."""
    labels = [course.label for course in school.courses]
    figure = go.Figure()
    for name, side, colour in (("SIGE (aceptado)", "sige", SIGE_COLOUR),
                               ("Libro Digital (hoy)", "libro", LIBRO_COLOUR)):
        values = [getattr(course, side).average for course in school.courses]
        figure.add_trace(go.Bar(
            x=labels, y=values, name=name, marker_color=colour,
            hovertemplate="%{x}<br>" + name + ": %{y:.2f}<extra></extra>"))
    figure.update_layout(
        barmode="group", height=360, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis_title="Asistencia media (presentes por día)", separators=",.",
        legend={"orientation": "h", "y": 1.12, "x": 0}, xaxis={"tickangle": -45})
    return figure


def _media(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def courses_table(school: SchoolSummary) -> pd.DataFrame:
    return pd.DataFrame([{
        "Curso": course.label,
        "Lista": "✔ Lista" if course.ready else "✖ No lista",
        "Matrícula": course.enrolled,
        "Días trabajados": course.worked_days,
        "Días sincronizados": course.synced_days,
        "Presentes SIGE": course.sige.present,
        "Ausentes SIGE": course.sige.absent,
        "Asistencia media SIGE": _media(course.sige.average),
        "% SIGE": _media(course.sige.percent),
        "Presentes Libro": course.libro.present,
        "Ausentes Libro": course.libro.absent,
        "Asistencia media Libro": _media(course.libro.average),
        "% Libro": _media(course.libro.percent),
        "Diferencia": _media(course.difference),
    } for course in school.courses])


NUMBER = "%.2f"
COURSE_COLUMNS = {
    "Curso": st.column_config.TextColumn(width=150, pinned=True),
    "Asistencia media SIGE": st.column_config.NumberColumn(format=NUMBER),
    "Asistencia media Libro": st.column_config.NumberColumn(format=NUMBER),
    "% SIGE": st.column_config.NumberColumn(format="%.1f %%"),
    "% Libro": st.column_config.NumberColumn(format="%.1f %%"),
    "Diferencia": st.column_config.NumberColumn(
        format=NUMBER, help="Asistencia media del Libro menos la de SIGE: si es positiva, "
                            "SIGE pagaría sobre menos asistencia de la que registra el Libro."),
}


def blocking_table(school: SchoolSummary) -> pd.DataFrame:
    return pd.DataFrame([{"Curso": block.label, "Fecha": fecha(block.day),
                          "Estado": block.state_es, "Causa": block.cause_es,
                          "Qué hacer": block.fix_es, "Dónde": block.where_es}
                         for block in school.blocking])


BLOCK_COLUMNS = {"Curso": st.column_config.TextColumn(width=130),
                 "Fecha": st.column_config.TextColumn(width=95),
                 "Estado": st.column_config.TextColumn(width=150),
                 "Causa": st.column_config.TextColumn(width="large"),
                 "Qué hacer": st.column_config.TextColumn(width="large")}


def schools_table(found: Declaration) -> pd.DataFrame:
    return pd.DataFrame([{
        "Establecimiento": f"{school.name} (RBD {school.rbd})",
        "Lista para declarar": "✔ Lista" if school.ready else "✖ No lista",
        "Días-curso que impiden": len(school.blocking),
        "Asistencia media SIGE": _media(school.sige.average),
        "Asistencia media Libro": _media(school.libro.average),
        "Días trabajados": len(school.worked_days),
    } for school in found.schools])


SCHOOL_COLUMNS = {"Establecimiento": st.column_config.TextColumn(width=330, pinned=True),
                  "Asistencia media SIGE": st.column_config.NumberColumn(format=NUMBER),
                  "Asistencia media Libro": st.column_config.NumberColumn(format=NUMBER)}
