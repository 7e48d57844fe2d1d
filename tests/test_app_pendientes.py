"""Pendientes through AppTest on the samples: one row per child and problem over the
month, filters, a pair approved from its row, every 100 %-confidence pair approved
after one confirmation naming the count, and the download."""
from __future__ import annotations

import csv
import dataclasses
import io
import json

from reconcile.db import transaction
from reconcile.imports import import_libro
from reconcile.worklist import export_csv, worklist
from tests.app_helpers import open_page
from tests.cli_helpers import run_cli
from tests.test_app_conciliacion import TYPO_IN_SECOND_GRADE
from tests.test_app_conciliacion import samples  # noqa: F401 - the fixture

PAGE = "pages/pendientes.py"


def worklist_json() -> dict:
    result = run_cli("worklist", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def rows(at) -> list[dict]:  # noqa: ANN001
    return at.dataframe(key="worklist").value.to_dict("records")


def pick(at, name: str):  # noqa: ANN001, ANN201
    """Select the row of the child called ``name``."""
    index = next(n for n, row in enumerate(rows(at)) if row["Estudiante"] == name)
    at.session_state["worklist"] = {"selection": {"rows": [index], "columns": [], "cells": []}}
    return at.run()


def test_one_row_per_child_and_problem(samples):  # noqa: F811
    at = open_page("asistencia", PAGE)
    assert not at.exception
    listed = rows(at)
    jose = [r for r in listed if r["Estudiante"] == "José Manuel Hernández Castillo"]
    assert len(jose) == 1  # once for the month, not once per course-day
    assert jose[0]["RUT en el Libro"] == "100.234.567-2"
    assert jose[0]["RUT en SIGE"] == "25.123.456-6"
    assert jose[0]["Días-curso"] == "6: 02-11 al 09-11"
    assert jose[0]["Dónde corregir"] == "Libro Digital" and jose[0]["Aprobar aquí"] == "Sí"
    sofia = [r for r in listed if r["Estudiante"] == "Sofía Antonia Pérez Soto"]
    assert len(sofia) == 1 and sofia[0]["RUT en el Libro"] == "—"
    assert "Caso 1" in sofia[0]["Problema"] and sofia[0]["Estado"] == "Abierto"


def test_a_pair_is_approved_from_its_row(samples):  # noqa: F811
    at = pick(open_page("asistencia", PAGE), "José Manuel Hernández Castillo")
    button = at.button(key="wl_approve")
    assert button.label == "Aprobar par de José Manuel Hernández Castillo"
    button.click()
    at = at.run()
    at.button(key="confirm_pair").click()
    at = at.run()
    assert not at.exception
    [jose] = [r for r in rows(at) if r["Estudiante"] == "José Manuel Hernández Castillo"]
    assert jose["Estado"] == "Corregido aquí el 16-11-2026" and jose["Aprobar aquí"] == "No"
    [item] = [i for i in worklist_json()["items"] if i["libro_rut"] == "100234567-2"]
    assert item["state"] == "corregido_aqui" and item["sige_rut"] == "25123456-6"


def test_a_profesor_sees_the_list_without_approving(samples):  # noqa: F811
    at = pick(open_page("profesor", PAGE), "José Manuel Hernández Castillo")
    assert not at.exception
    assert not any(b.key in ("wl_approve", "wl_approve_all") for b in at.button)
    assert any("Solo Director(a)" in c.value for c in at.caption)


def test_filters_by_course_and_by_where_to_fix(samples, clock):  # noqa: F811
    with transaction(samples) as session:
        import_libro(session, TYPO_IN_SECOND_GRADE.encode("utf-8"), filename="segundo.csv",
                     clock=clock)
    at = open_page("asistencia", PAGE)
    assert {r["Curso"] for r in rows(at)} == {"1° Básico A", "2° Básico A"}
    at.selectbox(key="wl_course").set_value("110-2-A")
    at = at.run()
    assert {r["Curso"] for r in rows(at)} == {"2° Básico A"}
    at.selectbox(key="wl_course").set_value(None)
    at.selectbox(key="wl_where").set_value("sige")
    at = at.run()
    assert not at.exception
    assert "Ningún pendiente con esos filtros." in [i.value for i in at.info]


def test_every_sure_pair_is_approved_after_one_confirmation(samples, clock):  # noqa: F811
    with transaction(samples) as session:
        import_libro(session, TYPO_IN_SECOND_GRADE.encode("utf-8"), filename="segundo.csv",
                     clock=clock)
    at = open_page("asistencia", PAGE)
    button = at.button(key="wl_approve_all")
    assert button.label == "Aprobar 2 pares con 100 % de confianza"
    button.click()
    at = at.run()
    confirm = at.button(key="wl_confirm_all")  # the dialog asks first: nothing approved yet
    assert confirm.label == "Aprobar 2 pares"
    assert all(i["state"] == "abierto" for i in worklist_json()["items"])
    confirm.click()
    at = at.run()
    assert not at.exception
    states = {i["libro_rut"]: i["state"] for i in worklist_json()["items"]}
    assert states["100234567-2"] == states["22876123-1"] == "corregido_aqui"
    assert not any(b.key == "wl_approve_all" for b in at.button)  # none left to approve


def test_the_download_is_the_list_shown(samples, clock):  # noqa: F811
    at = open_page("asistencia", PAGE)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Descargar pendientes (CSV)", "Descargar pendientes (Excel)"]
    with transaction(samples) as session:
        found = worklist(session, 24875, clock)
    named = dataclasses.replace(found.items[0], name="=HYPERLINK(\"x\")")
    text = export_csv([named, *found.items[1:]], {"110-1-A": "1° Básico A"}).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(table) == len(rows(at))
    assert table[0]["Estudiante"].startswith("'=HYPERLINK")  # never a formula
    assert table[0]["Curso"] == "1° Básico A" and table[0]["Dónde corregir"] == "Libro Digital"
    assert table[0]["RUT en el Libro"] == "100.234.567-2"
