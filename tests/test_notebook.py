"""The analyst's notebook runs top to bottom (nbclient, a real Python kernel) against a
temporary database, and says what the library says: the suggested pairs it lists and
the status heatmap it draws are those of the demo month."""
from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient

from reconcile.db import session_factory
from reconcile.demo.school import DEFAULT_RBD
from reconcile.matching.store import run_check
from reconcile.sige_calendar import Month
from tests.app_helpers import ROOT

NOTEBOOK = ROOT / "notebooks" / "conciliacion.ipynb"
NOW = "2026-11-20T10:00"


def outputs(notebook) -> tuple[str, list[dict]]:  # noqa: ANN001
    """The printed text of every cell, and every plotly figure drawn."""
    text, figures = [], []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text.append(output.get("text", ""))
            data = output.get("data", {})
            text.append(data.get("text/plain", ""))
            if "application/vnd.plotly.v1+json" in data:
                figures.append(data["application/vnd.plotly.v1+json"])
    return "\n".join(text), figures


def test_the_notebook_runs_top_to_bottom(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CONCILIACION_DATABASE_URL", db_url)
    monkeypatch.setenv("CONCILIACION_CARPETA", str(tmp_path))
    monkeypatch.setenv("RECONCILE_NOW", NOW)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    text, figures = outputs(notebook)
    assert "Ahora: 20-11-2026 10:00" in text
    assert (tmp_path / "demo" / "nomina_sige.xlsx").exists()  # the files went to the folder
    month = Month(2026, 11)
    with session_factory(db_url)() as session:  # the notebook's database, read from here
        check = run_check(session, DEFAULT_RBD, month.first_day, month.first_day.replace(day=20))
    pairs = len(check.pairs.drop_duplicates(["libro", "sige"]))
    assert pairs > 0 and f"{pairs} pares sugeridos" in text
    ready = int(check.course_days["ready"].sum())
    assert f"{len(check.course_days)} días-curso con asistencia; listos: {ready};" in text
    [figure] = figures
    heat = next(trace for trace in figure["data"] if trace["type"] == "heatmap")
    assert len(heat["y"]) == 36 and "1° Básico A" in heat["y"]
    assert len(heat["x"]) == 15 and heat["x"][0] == "lu 02"
    assert json.dumps(figure).count("Sincronizado") >= 1  # the states' names on the scale
