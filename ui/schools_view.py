"""The sostenedor view's pieces: the schools x days heatmap (each day in Estado's
state colours, with the share of course-days SIGE has and the errors), its table
view, and the schools table (with each one's close risk), read from
``reconcile.sync.overview`` and ``reconcile.autopilot.risk``."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from reconcile.autopilot_summary import Risk
from reconcile.es_cl import duracion, fecha, fecha_hora, numero
from reconcile.sync.overview import DayCounts, SchoolsOverview, describe, percent
from reconcile.sync.status import SHORT_ES, day_label
from ui.autopilot_view import risk_cell
from ui.status_view import STATE_Z, legend_traces, state_scale

ROW_PX = 44  # one school row
CHART_MARGIN_PX = 110


def row_label(name: str, rbd: int) -> str:
    return f"{name} (RBD {rbd})"


def heatmap(overview: SchoolsOverview) -> tuple[go.Figure, list[int]]:
    """The figure and, in the order of its clickable points, each one's RBD. As on
    Estado, a Heatmap draws the cells and an invisible marker over each cell takes
    the hover and the click (Streamlit does not pass clicks on heatmap cells back)."""
    columns = [day_label(day) for day in overview.days]
    rows = [row_label(school.name, school.rbd) for school in overview.schools]
    z, text = [], []
    for school in overview.schools:
        z_row, text_row = [], []
        for day in overview.days:
            counts = school.days.get(day)
            z_row.append(STATE_Z[counts.state] if counts else None)  # Estado's colours
            text_row.append(cell_text(counts).replace(" · ", "<br>"))
        z.append(z_row)
        text.append(text_row)
    figure = go.Figure(go.Heatmap(
        z=z, x=columns, y=rows, **state_scale(), showscale=False,
        text=text, texttemplate="%{text}", textfont={"size": 11}, hoverinfo="skip",
        xgap=2, ygap=2, name="Establecimientos"))
    keys, xs, ys, hovers = [], [], [], []
    for school, row in zip(overview.schools, rows, strict=True):
        for day, column in zip(overview.days, columns, strict=True):
            keys.append(school.rbd)
            xs.append(column)
            ys.append(row)
            hovers.append("<br>".join(describe(school, day)))
    figure.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers", hovertext=hovers, hoverinfo="text", showlegend=False,
        marker={"symbol": "square", "size": 26, "color": "rgba(0,0,0,0)"},
        selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 1}},
        name="Días"))
    legend_traces(figure)
    figure.update_layout(
        height=CHART_MARGIN_PX + ROW_PX * max(len(rows), 1),
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        legend={"orientation": "h", "yref": "container", "yanchor": "top", "y": 1.0, "x": 0},
        xaxis={"side": "top", "type": "category", "fixedrange": True, "showgrid": False,
               "range": [-0.5, len(columns) - 0.5]},
        yaxis={"type": "category", "fixedrange": True, "showgrid": False,
               "range": [len(rows) - 0.5, -0.5]},
        clickmode="event+select", dragmode=False, plot_bgcolor="white",
        hoverlabel={"align": "left"})
    return figure, keys


TABLE_ORDER = ("Establecimiento", "Riesgo de cierre", "Aviso", "Sin sincronizar", "Con error",
               "Sincronizados", "Sin registro en el Libro", "Cierre", "Tiempo restante")
TABLE_COLUMNS = {"Establecimiento": st.column_config.TextColumn(width=330, pinned=True),
                 "Riesgo de cierre": st.column_config.TextColumn(width=400),
                 "Aviso": st.column_config.TextColumn(width="large")}


def table(overview: SchoolsOverview, risks: dict[int, Risk]) -> pd.DataFrame:
    """One row per school, at risk first: its close, what SIGE lacks and the close
    risk (its level first, so the column sorts A tiempo, En riesgo, Vencido)."""
    return pd.DataFrame([{
        "Establecimiento": row_label(school.name, school.rbd),
        "Cierre": fecha_hora(school.close_at),
        "Tiempo restante": duracion(school.time_left) if school.time_left else "Cerrado",
        "Sincronizados": f"{numero(school.synced)} de {numero(school.with_record)}",
        "Sin sincronizar": numero(school.not_synced),
        "Con error": numero(school.errors),
        "Sin registro en el Libro": numero(school.no_record),
        "Riesgo de cierre": risk_cell(risks[school.rbd]) if school.rbd in risks else "—",
        "Aviso": school.aviso_es(),
    } for school in overview.schools])


def cell_text(counts: DayCounts | None) -> str:
    """A school's day in a cell: the share SIGE has and the errors (``·``: no record)."""
    if counts is None:
        return ""
    if counts.share_synced is None:
        return "·"
    return percent(counts.share_synced) + (f" · ⚠ {counts.errors}" if counts.errors else "")


def table_view(overview: SchoolsOverview) -> pd.DataFrame:
    """The heatmap as a table (schools x days, the state in words and the share), for
    a screen reader or whoever prefers to read it."""
    return pd.DataFrame(
        [[f"{SHORT_ES[counts.state]} ({cell_text(counts)})" if counts else "Sin clases"
          for counts in (school.days.get(day) for day in overview.days)]
         for school in overview.schools],
        index=[row_label(school.name, school.rbd) for school in overview.schools],
        columns=[fecha(day) for day in overview.days]).rename_axis(index="Establecimiento")
