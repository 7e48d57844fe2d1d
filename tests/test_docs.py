"""The README stays a front door and the guide follows the product: every command of the
command line in the README's table, every page of the menu in the guide, every picture they
show on disk (docs/img/, made by `make screenshots`)."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from reconcile.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "guia.md"


def commands() -> list[str]:
    parser = build_parser()
    choices = next(action.choices for action in parser._actions  # noqa: SLF001
                   if isinstance(action, argparse._SubParsersAction))  # noqa: SLF001
    return sorted(choices)


def menu_titles() -> list[str]:
    """The pages of dashboard.py's menu, by their titles."""
    return re.findall(r'menu\.Page\("pages/\w+\.py", title="([^"]+)"',
                      (ROOT / "dashboard.py").read_text(encoding="utf-8"))


def test_the_readme_is_short_and_names_every_command():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    named = {re.match(r"\| `([\w-]+)", row).group(1) for row in rows}
    assert set(commands()) <= named, f"sin fila en el README: {set(commands()) - named}"


def test_the_guide_has_a_section_and_a_picture_for_every_page_of_the_menu():
    text = GUIDE.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    by_title = {section.splitlines()[0].strip(): section for section in sections[1:]}
    assert len(menu_titles()) >= 11
    for title in menu_titles():
        assert title in by_title, f"la guía no tiene «## {title}»"
        assert "](img/" in by_title[title], f"«{title}» no tiene imagen en la guía"
    assert text.split("\n\n")[1].startswith("!["), "la guía abre con una imagen"


def test_every_picture_shown_exists():
    for page in (README, GUIDE):
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).is_file(), f"{page.name}: falta {target}"


def test_the_readme_layout_names_only_what_is_there():
    block = README.read_text(encoding="utf-8").split("## Organización del código")[1]
    block = block.split("```")[1]
    missing = []
    for line in block.strip().splitlines():
        names, folder = line.split("  ")[0].split(), ROOT
        if line.startswith("  "):
            names, folder = line.strip().split("  ")[0].split(), ROOT / "reconcile"
        missing += [name for name in names  # data/ is made by `make run`, outside git
                    if name not in ("…", "data/") and not (folder / name).exists()]
    assert not missing, f"el README nombra lo que no existe: {missing}"


def test_the_architecture_places_every_module_of_the_library():
    text = (ROOT / "docs" / "arquitectura.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in text.splitlines() if line.startswith("| "))
    modules = sorted(path.stem if path.is_file() else path.name
                     for path in (ROOT / "reconcile").iterdir()
                     if (path.suffix == ".py" and path.stem != "__init__")
                     or (path.is_dir() and (path / "__init__.py").exists()))
    unplaced = [name for name in modules
                if f"`{name}`" not in table and f"`{name}/`" not in table]
    assert not unplaced, f"docs/arquitectura.md no ubica: {unplaced}"
