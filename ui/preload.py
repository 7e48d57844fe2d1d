"""Load everything the pages import once per process, in one thread, before any page runs.

Streamlit runs each browser session's script in a thread of its own, and a click on
another page starts a new run while the last one may still be importing. Two threads
importing the same modules (some still import each other) can then meet a partially
initialised module ("cannot import name … from partially initialized module"): the
page would show a traceback once. Importing all of it under one lock, before the page,
makes every later import a look-up. Nothing imported here draws anything.
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import threading
from functools import cache
from pathlib import Path

import ui

PAGES = Path(__file__).resolve().parent.parent / "pages"
_lock = threading.Lock()


def modules_the_pages_import() -> list[str]:
    """The project's modules named by the pages' import lines, and every ``ui`` module."""
    names = {f"ui.{m.name}" for m in pkgutil.iter_modules(ui.__path__)}
    for path in sorted(PAGES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return sorted(n for n in names if n.split(".")[0] in ("reconcile", "ui"))


@cache
def _loaded() -> bool:
    for name in modules_the_pages_import():
        importlib.import_module(name)
    return True


def everything() -> None:
    with _lock:
        _loaded()
