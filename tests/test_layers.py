"""The layers hold (.importlinter, checked by `lint-imports` in `make test`), and the check
bites: a copy of the code with one arrow turned upward is refused, naming the arrow."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache", "--config", str(folder / ".importlinter")],
                          cwd=folder, env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)


def test_the_code_keeps_its_layers():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def copy_with_an_import(tmp_path: Path, module: str, line: str) -> Path:
    """The code and its contracts, copied, with ``line`` added at the end of ``module``."""
    for part in ("reconcile", "ui", ".importlinter"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / part)
    changed = tmp_path / module
    changed.write_text(changed.read_text(encoding="utf-8") + f"\n{line}  # noqa: E402,F401\n",
                       encoding="utf-8")
    return tmp_path


def test_an_arrow_up_from_the_bottom_is_refused_and_named(tmp_path):
    result = lint(copy_with_an_import(tmp_path, "reconcile/access.py",
                                      "from reconcile import auth"))
    assert result.returncode == 1
    assert "reconcile.access is not allowed to import reconcile.auth" in result.stdout
    assert "reconcile.access -> reconcile.auth" in result.stdout


def test_a_circle_between_neighbours_of_one_layer_is_refused(tmp_path):
    """The pure floor's modules may use each other (one layer), but never in a circle."""
    result = lint(copy_with_an_import(tmp_path, "reconcile/rut.py", "from reconcile import es_cl"))
    assert result.returncode == 1
    assert "No import circles" in result.stdout and "BROKEN" in result.stdout
    assert ".rut -> .es_cl" in result.stdout or ".es_cl -> .rut" in result.stdout


def test_every_module_says_its_job_first():
    folders = [ROOT / "reconcile", ROOT / "ui", ROOT / "pages"]
    files = [ROOT / "dashboard.py"] + [path for folder in folders for path in folder.rglob("*.py")
                                       if "migrations" not in path.parts]
    silent = [str(path.relative_to(ROOT)) for path in files
              if not (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").strip()]
    assert not silent, f"sin una primera línea que diga su tarea: {silent}"
