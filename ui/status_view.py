"""The Estado page's pieces: the courses x days heatmap (one colour and one symbol
per state), a course-day's detail and the errors table, all read from
``reconcile.sync.status``."""
from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from reconcile.db.models import EN_PROCESO, ERROR, POR_SINCRONIZAR, SIN_REGISTRO, SINCRONIZADO
from reconcile.es_cl import fecha, fecha_hora, rut_es
from reconcile import day_states as states
from reconcile.sync.status import (
    SHORT_ES,
    STATE_ORDER,
    ErrorEntry,
    MonthStatus,
    day_label,
    describe,
)

COLOURS = {SIN_REGISTRO: "#d5d8dc", POR_SINCRONIZAR: "#85c1e9", EN_PROCESO: "#f5b041",
           SINCRONIZADO: "#58d68d", ERROR: "#ec7063"}
ROW_PX = 26  # one course row; the chart grows with the school
CHART_MARGIN_PX = 120


STATE_Z = {state: n for n, state in enumerate(STATE_ORDER)}  # a cell's z: its state


def state_scale() -> dict:
    """The heatmaps' colour scale: one step per state (no blending), z = ``STATE_Z``.
    Estado and Establecimientos both draw with it, so a colour means one state."""
    last = len(STATE_ORDER) - 1
    scale = []
    for state, n in STATE_Z.items():
        scale += [[n / (last + 1), COLOURS[state]], [(n + 1) / (last + 1), COLOURS[state]]]
    return {"zmin": -0.5, "zmax": last + 0.5, "colorscale": scale}


def legend_traces(figure: go.Figure) -> None:
    """One legend entry per state: its colour, symbol and name."""
    for state in STATE_ORDER:
        figure.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", name=f"{states.SYMBOLS[state]} "
            f"{states.LABELS_ES[state]}", marker={"symbol": "square", "size": 14,
                                                  "color": COLOURS[state]}))


def table_view(status: MonthStatus) -> pd.DataFrame:
    """The heatmap as a table (courses x days, each state in words), for a screen
    reader or whoever prefers to read it."""
    table = pd.DataFrame(
        [[f"{cell.symbol} {SHORT_ES[cell.state]}" for cell in
          (status.cell(code, day) for day in status.days)] for code in status.labels],
        index=list(status.labels.values()), columns=[fecha(day) for day in status.days])
    return table.rename_axis(index="Curso")


def heatmap(status: MonthStatus) -> tuple[go.Figure, list[tuple[str, date]]]:
    """The figure and, in the order of its clickable points, each one's (course code,
    day). A Heatmap draws the cells (Streamlit does not pass clicks on heatmap cells
    back), and an invisible marker over each cell takes the hover and the click."""
    codes, names = list(status.labels), list(status.labels.values())
    columns = [day_label(day) for day in status.days]
    z, text = [], []
    for code in codes:
        cells = [status.cell(code, day) for day in status.days]
        z.append([STATE_Z[c.state] for c in cells])
        text.append([c.symbol for c in cells])
    figure = go.Figure(go.Heatmap(
        z=z, x=columns, y=names, **state_scale(), showscale=False, text=text, texttemplate="%{text}", textfont={"size": 13},
        hoverinfo="skip", xgap=2, ygap=2, name="Estado"))
    keys, xs, ys, hovers = [], [], [], []
    for code, name in zip(codes, names, strict=True):
        for day, column in zip(status.days, columns, strict=True):
            keys.append((code, day))
            xs.append(column)
            ys.append(name)
            hovers.append("<br>".join(describe(status.cell(code, day))))
    figure.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers", hovertext=hovers, hoverinfo="text", showlegend=False,
        marker={"symbol": "square", "size": 18, "color": "rgba(0,0,0,0)"},
        selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 1}},
        name="Días-curso"))
    legend_traces(figure)
    figure.update_layout(
        height=CHART_MARGIN_PX + ROW_PX * max(len(codes), 1),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend={"orientation": "h", "yref": "container", "yanchor": "top", "y": 1.0, "x": 0},
        # explicit ranges: the markers would otherwise pad the axes
        xaxis={"side": "top", "type": "category", "fixedrange": True, "showgrid": False,
               "range": [-0.5, len(columns) - 0.5]},
        yaxis={"type": "category", "fixedrange": True, "showgrid": False,
               "range": [len(codes) - 0.5, -0.5]},
        clickmode="event+select", dragmode=False, plot_bgcolor="white",
        hoverlabel={"align": "left"})
    return figure, keys


def error_table(errors: list[ErrorEntry]) -> pd.DataFrame:
    """One row per error: course (as people read it), date, cause, SIGE's words, fix."""
    return pd.DataFrame([{
        "Curso": entry.day.course_label,
        "Fecha": fecha(entry.day.day),
        "Causa": entry.cause_es,
        "Lo que dijo SIGE": " · ".join(entry.day.sige_words) or "—",
        "Qué hacer": fix_text(entry),
    } for entry in errors])


def fix_text(entry: ErrorEntry) -> str:
    """The fix, with who is missing (Caso 1) or which RUT and its suggested RUN (Caso 2)."""
    parts = [entry.fix_es]
    if entry.missing:
        parts.append("Faltan: " + "; ".join(f"{name} ({rut_es(rut)})" if name else rut_es(rut)
                                            for rut, name in entry.missing) + ".")
    if entry.unknown:
        parts.append("RUT que SIGE no reconoce: " + "; ".join(
            f"{rut_es(rut)} → RUN sugerido {rut_es(run)}" if run else
            f"{rut_es(rut)} (sin RUN sugerido)" for rut, run in entry.unknown) + ".")
    if entry.day.job_note and entry.day.state == EN_PROCESO:
        parts.append(entry.day.job_note)
    return " ".join(parts)


def detail_lines(status: MonthStatus, code: str, day: date) -> list[str]:
    cell = status.cell(code, day)
    if cell is None:
        return []
    lines = describe(cell)[1:]
    entry = next((e for e in status.errors if e.day.course == code and e.day.day == day), None)
    if entry is not None:
        lines.append(f"Qué hacer: {fix_text(entry)}")
    elif cell.state == SIN_REGISTRO:
        lines.append("El Libro Digital no tiene asistencia de este curso ese día: no se envía.")
    elif cell.state == SINCRONIZADO:
        lines.append("SIGE tiene la asistencia de este día tal como está en el Libro Digital.")
    elif cell.state == POR_SINCRONIZAR:
        lines.append("Aún no se envía a SIGE: envíelo desde «Sincronización» (si la "
                     "conciliación muestra problemas ese día, revíselos en «Conciliación»).")
    return lines


def when(status: MonthStatus) -> str:
    return f"Actualizado: {fecha_hora(status.now)}"
