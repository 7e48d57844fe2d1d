"""No English a person reads: every page dashboard.py registers (as Director, Asistencia
and profesor) and the CLI's --help and usage errors are scanned for the English that
Streamlit and argparse write on their own."""
from __future__ import annotations

import ast
import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reconcile.cli import build_parser, main
from reconcile.db import transaction
from reconcile.imports import import_libro, import_sige
from tests.app_helpers import ROOT, app, log_in, make_school, make_user, open_page

SAMPLES = Path(__file__).parent / "data" / "samples"
ARGPARSE_ENGLISH = ["usage:", "positional arguments", "options:", "show this help",
                    "invalid choice", "choose from", "required:", "unrecognized arguments",
                    "expected one argument", "error:", "None"]
ENGLISH = ["Upload", "Browse files", "per file", "empty", "Choose an option", "Choose options",
           "Select...", "Select…", "No options to select", *ARGPARSE_ENGLISH]
# Proto fields people read; ids, keys, icons, CSS and JSON config are not read.
READ_FIELDS = {"label", "body", "help", "placeholder", "options", "caption", "text", "title",
               "value", "delta", "description", "string_value", "string_values"}
ROLES = ["director", "asistencia", "profesor"]


def registered_pages() -> list[str]:
    """Every ``st.Page("pages/….py", …)`` in dashboard.py, so a new page is scanned too."""
    tree = ast.parse((ROOT / "dashboard.py").read_text(encoding="utf-8"))
    return sorted({node.args[0].value for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page"
                   and node.args and isinstance(node.args[0], ast.Constant)
                   and str(node.args[0].value).startswith("pages/")})


def proto_texts(message) -> list[str]:  # noqa: ANN001
    found = []
    for field, value in message.ListFields():
        values = value if field.is_repeated else [value]
        if field.type == field.TYPE_MESSAGE:
            for item in values:
                found += proto_texts(item)
        elif field.type == field.TYPE_STRING and field.name in READ_FIELDS:
            found += [str(v) for v in values]
    return found


def elements(node):  # noqa: ANN001, ANN201
    yield node
    children = getattr(node, "children", None)
    for child in (children.values() if isinstance(children, dict) else []):
        yield from elements(child)


def problems_on(at) -> list[str]:  # noqa: ANN001
    """The English a person would read on this run, with where it is."""
    found = []
    for element in elements(at._tree):
        kind = getattr(element, "type", "")
        proto = getattr(element, "proto", None)
        if proto is None:
            continue
        if kind == "html":
            continue  # the CSS of ui/spanish.py: checked on its own below
        texts = proto_texts(proto)
        if kind in ("dataframe", "table"):
            table = element.value
            texts += [str(c) for c in table.columns]
            texts += [v for v in table.astype(object).to_numpy().ravel() if isinstance(v, str)]
            if table.empty:
                found.append(f"{kind} vacío: Streamlit escribe «empty»")
            if kind == "dataframe" and table.isna().to_numpy().any() and not proto.placeholder:
                found.append("celda vacía sin placeholder: Streamlit escribe «None»")
        if kind in ("selectbox", "multiselect"):
            if not proto.options:
                found.append(f"{kind} «{proto.label}» sin opciones: «No options to select»")
            # with a value too: the browser shows the placeholder while a person types
            if not proto.placeholder.strip():
                found.append(f"{kind} «{proto.label}» sin placeholder: «Choose an option»")
        if kind == "file_uploader" and proto.max_upload_size_mb != 50:
            found.append(f"file_uploader con límite {proto.max_upload_size_mb} MB, no 50 MB")
        found += [f"{kind}: «{text}»" for text in texts
                  if any(word in text for word in ENGLISH)]
    return found


@pytest.fixture
def samples(db_url, clock, monkeypatch):
    monkeypatch.setenv("RECONCILE_NOW", clock.now().isoformat())
    with transaction(db_url) as session:
        import_sige(session, SAMPLES / "nomina_sige.xlsx", clock=clock)
        import_libro(session, SAMPLES / "libro_asistencia_larga.csv", clock=clock)
    for role in ROLES:
        make_user(db_url, role, role, [24875])
    return db_url


def test_the_registered_pages_are_found():
    pages = registered_pages()
    assert {"pages/inicio.py", "pages/cargar_datos.py", "pages/conciliacion.py"} <= set(pages)


def pages_of(at) -> list[str]:  # noqa: ANN001
    """The pages dashboard.py registered for the logged-in user (by role and schools)."""
    return [str(Path(info["script_path"]).relative_to(ROOT))
            for info in at._registered_pages.values() if info.get("script_path")]


@pytest.mark.parametrize("role", ROLES)
def test_no_streamlit_english_on_any_page(samples, role):
    pages = pages_of(log_in(app().run(), role))
    assert "pages/inicio.py" in pages and "pages/conciliacion.py" in pages
    for page in pages:
        at = open_page(role, page)
        assert not at.exception, (page, at.exception)
        assert problems_on(at) == [], (role, page)


def test_every_page_is_scanned_by_some_role(samples, clock):
    """A page dashboard.py registers only for some users (a sostenedor's overview, the
    Director's configuration) is still scanned: the roles here see them all."""
    make_school(samples, clock, rbd=24876, name="Liceo Las Araucarias")
    make_user(samples, "sostenedor", "sostenedor", [24875, 24876])
    seen = set()
    for role in [*ROLES, "sostenedor"]:
        seen |= set(pages_of(log_in(app().run(), role)))
    assert set(registered_pages()) <= seen
    for page in sorted(seen - {p for r in ROLES for p in pages_of(log_in(app().run(), r))}):
        at = open_page("sostenedor", page)
        assert not at.exception, (page, at.exception)
        assert problems_on(at) == [], ("sostenedor", page)


def test_the_login_page_is_spanish_and_brings_the_uploader_texts(samples):
    at = app().run()
    assert not at.exception
    assert problems_on(at) == []
    styles = [e.proto.body for e in elements(at._tree) if getattr(e, "type", "") == "html"]
    assert any("Arrastre el archivo aquí o elija uno · hasta 50 MB" in s for s in styles)


def test_the_upload_limit_is_50_mb(samples):
    at = open_page("asistencia", "pages/cargar_datos.py")
    uploaders = [e for e in elements(at._tree) if getattr(e, "type", "") == "file_uploader"]
    assert uploaders and all(e.proto.max_upload_size_mb == 50 for e in uploaders)


def test_an_error_table_never_shows_none(samples):
    """A file-level error has no value: its cell reads «—», not Streamlit's «None»."""
    at = open_page("asistencia", "pages/cargar_datos.py")
    no_mark_column = "RBD;Curso;RUT;Nombre;Fecha\n24875;1° Básico A;23.456.789-6;Ana;02-11-2026\n"
    at.tabs[1].get("file_uploader")[0].upload("sin_asistencia.csv", no_mark_column.encode())
    at = at.run()
    assert not at.exception and at.dataframe  # the bad file's errors are on screen
    assert problems_on(at) == []


def test_the_scan_finds_what_streamlit_writes_in_english(samples, tmp_path):
    """The scan itself can fail: a page with an empty table, a None cell and a
    selectbox without placeholder is caught."""
    script = tmp_path / "english.py"
    script.write_text("import pandas as pd\nimport streamlit as st\n"
                      "st.dataframe(pd.DataFrame({'a': []}))\n"
                      "st.dataframe(pd.DataFrame({'a': [None, 'x']}))\n"
                      "st.selectbox('Curso', ['a'], index=None)\n"
                      "st.markdown('Browse files')\n", encoding="utf-8")
    from streamlit.testing.v1 import AppTest

    found = problems_on(AppTest.from_file(str(script)).run())
    assert any("«empty»" in p for p in found)
    assert any("«None»" in p for p in found)
    assert any("«Choose an option»" in p for p in found)
    assert any("Browse files" in p for p in found)


def commands(parser=None, prefix=()) -> list[tuple[str, ...]]:  # noqa: ANN001
    """Every sub-command path: ('check',), ('user', 'add'), …"""
    parser = parser or build_parser()
    found = []
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for name, sub in (action.choices or {}).items():
            found.append((*prefix, name))
            found += commands(sub, (*prefix, name))
    return found


def cli_output(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out + err


def assert_spanish(text: str) -> None:
    english = [word for word in ARGPARSE_ENGLISH if word in text]
    assert english == [], (english, text)


def test_every_help_is_spanish(capsys):
    paths = commands()
    assert ("check",) in paths and ("user", "add") in paths and ("config", "list") in paths
    for path in [(), *paths]:
        code, text = cli_output(capsys, *path, "--help")
        assert code == 0, path
        assert "uso: python -m reconcile" in text and "muestra esta ayuda y termina" in text
        assert_spanish(text)


@pytest.mark.parametrize("args, expected", [
    (["nope"], "opción no válida: 'nope'"),
    ([], "faltan argumentos obligatorios: COMANDO"),
    (["check"], "faltan argumentos obligatorios: --from, --to"),
    (["check", "--from"], "argumento --from: falta su valor"),
    (["config", "list", "--rbd", "x"], "no es un número entero: 'x'"),
    (["init-db", "extra"], "argumentos no reconocidos: extra"),
    (["user", "add", "ana", "--role", "rector", "--rbd", "1"], "opción no válida: 'rector'"),
    (["user"], "faltan argumentos obligatorios: ACCIÓN"),
])
def test_usage_errors_are_spanish(capsys, args, expected):
    code, text = cli_output(capsys, *args)
    assert code == 2
    assert expected in text and text.startswith("uso: ")
    assert_spanish(text)


def test_the_real_command_help_is_spanish():
    result = subprocess.run([sys.executable, "-m", "reconcile", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == ""
    assert "comandos:" in result.stdout
    assert_spanish(result.stdout)


def test_the_sostenedors_school_selector_has_a_value_and_a_spanish_placeholder(samples, clock):
    """The header's selector never falls back to Streamlit's «Choose an option»: it always
    holds a school, and while a person types to search it reads Spanish."""
    make_school(samples, clock, rbd=24876, name="Liceo Las Araucarias")
    make_user(samples, "sostenedor", "sostenedor", [24875, 24876])
    at = log_in(app().run(), "sostenedor")
    for page in pages_of(at):
        at = at.switch_page(page).run()
        selector = [box for box in at.selectbox if box.key == "school_selector"]
        assert len(selector) == 1, page
        assert selector[0].value in (24875, 24876), page
        assert selector[0].proto.placeholder == "Elija un establecimiento", page


def test_every_page_run_brings_spanish_for_streamlits_browser_english(samples):
    """The words Streamlit's browser code writes by itself (names a screen reader reads,
    hints, date placeholders) have a Spanish replacement in the script every run brings;
    the browser test (test_browser_accessibility.py) proves it reaches the page."""
    at = app().run()
    bodies = [e.proto.body for e in elements(at._tree) if getattr(e, "type", "") == "html"]
    script = next(body for body in bodies if "<script" in body)
    # the word lists travel encoded (the source shows no English to a text scan): decode them
    [encoded] = re.findall(r'atob\("([A-Za-z0-9+/=]+)"\)', script)
    words = json.loads(base64.b64decode(encoded).decode("utf-8"))
    for english, spanish in [("Open", "Abrir lista"), ("Help", "Ayuda"),
                             ("Choose date", "Elegir fecha"), ("Press Enter to apply",
                                                               "Pulse Enter para aplicar"),
                             ("Skip to main content", "Saltar al contenido principal")]:
        assert words["labels"][english] == spanish
        assert english not in script
    assert any("files are not allowed" in p for p, _ in words["patterns"])
    assert words["segments"] == {"yyyy": "aaaa"}
    styles = "".join(body for body in bodies if body.startswith("<style>"))
    assert '[data-testid="stElementToolbar"] { display: none; }' in styles
