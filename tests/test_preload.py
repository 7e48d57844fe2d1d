"""The panel loads what the pages import once, before any page runs (ui/preload.py):
a click during a page's first run can no longer meet a half-imported module."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ui import preload

ROOT = Path(__file__).resolve().parent.parent


def test_it_names_what_the_pages_import_and_every_ui_module():
    names = preload.modules_the_pages_import()
    assert {"reconcile.worklist", "reconcile.sync.status", "reconcile.loaders.wrong_tab",
            "ui.sync", "ui.worklist", "ui.preload"} <= set(names)
    assert not [n for n in names if not n.startswith(("reconcile", "ui"))]  # ours only


def test_after_it_every_page_import_is_a_look_up():
    """In a fresh interpreter: nothing of the project loaded before, all of it after."""
    code = ("import sys; from ui import preload; names = preload.modules_the_pages_import();"
            "before = [n for n in names if n in sys.modules and n not in ('ui', 'ui.preload')];"
            "preload.everything(); after = [n for n in names if n not in sys.modules];"
            "print(len(names), before, after)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split(" ", 1)
    assert int(out[0]) > 20 and out[1].strip() == "[] []"
