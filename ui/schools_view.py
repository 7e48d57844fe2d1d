"""The sostenedor view's pieces: the schools x days heatmap (the share of each
school's course-days SIGE has, errors counted) and the schools table, read from
``reconcile.sync.overview``."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from reconcile.es_cl import duracion, fecha_hora, numero
from reconcile.sync.overview import SchoolsOverview, describe, percent
from reconcile.sync.status import day_label

# from nothing synced yet (the blue of "por sincronizar") to all synced (green)
SCALE = [[0.0, "#d6eaf8"], [0.5, "#a9dfbf"], [1.0, "#27ae60"]]
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
            share = counts.share_synced if counts else None
            z_row.append(share)
            if counts is None or share is None:
                text_row.append("" if counts is None else "·")
            else:
                text_row.append(percent(share) + (f"<br>⚠ {counts.errors}" if counts.errors
                                                  else ""))
        z.append(z_row)
        text.append(text_row)
    figure = go.Figure(go.Heatmap(
        z=z, x=columns, y=rows, zmin=0, zmax=1, colorscale=SCALE, showscale=False,
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
    figure.update_layout(
        height=CHART_MARGIN_PX + ROW_PX * max(len(rows), 1),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"side": "top", "type": "category", "fixedrange": True, "showgrid": False,
               "range": [-0.5, len(columns) - 0.5]},
        yaxis={"type": "category", "fixedrange": True, "showgrid": False,
               "range": [len(rows) - 0.5, -0.5]},
        clickmode="event+select", dragmode=False, plot_bgcolor="white",
        hoverlabel={"align": "left"})
    return figure, keys


def table(overview: SchoolsOverview) -> pd.DataFrame:
    """One row per school, at risk first: its close and what SIGE lacks."""
    return pd.DataFrame([{
        "Establecimiento": row_label(school.name, school.rbd),
        "Cierre": fecha_hora(school.close_at),
        "Tiempo restante": duracion(school.time_left) if school.time_left else "Cerrado",
        "Sincronizados": f"{numero(school.synced)} de {numero(school.with_record)}",
        "Sin sincronizar": numero(school.not_synced),
        "Con error": numero(school.errors),
        "Sin registro en el Libro": numero(school.no_record),
        "Aviso": school.notice or ("Sin nómina SIGE cargada." if not school.courses else "—"),
    } for school in overview.schools])
