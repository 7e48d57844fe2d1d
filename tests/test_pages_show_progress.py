"""Every long action a page starts (queueing a send, approving or undoing a correction,
asking SIGE, checking or saving a file, preparing the audit's CSV) runs inside a spinner
or a progress bar, so a person sees that something is happening."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# as called in pages/ and ui/: the importers run inside ui.imports.progress_bar (its own test)
LONG_ACTIONS = {"rules.request", "corrections.approve", "corrections.undo", "verify_student",
                "audit_report.export_csv", "probe_connection"}
SHOWS_PROGRESS = {"spinner", "progress_bar", "status"}


def called_name(node: ast.Call) -> str | None:
    """``owner.name`` for a call on a module (``rules.request``), else the bare name."""
    func = node.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        return f"{owner}.{func.attr}" if owner else func.attr
    return getattr(func, "id", None)


def unshown_long_actions(source: str) -> list[int]:
    """Lines where a long action is called outside any ``with`` showing progress."""
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree)
               for child in ast.iter_child_nodes(parent)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and called_name(node) in LONG_ACTIONS):
            continue
        shown, up = False, parents.get(node)
        while up is not None and not shown:
            shown = isinstance(up, ast.With) and any(
                isinstance(item.context_expr, ast.Call)
                and str(called_name(item.context_expr)).split(".")[-1] in SHOWS_PROGRESS
                for item in up.items)
            up = parents.get(up)
        if not shown:
            found.append(node.lineno)
    return found


def test_every_long_action_on_a_page_shows_progress():
    files = sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")])
    missing = {str(f.relative_to(ROOT)): lines for f in files
               if (lines := unshown_long_actions(f.read_text(encoding="utf-8")))}
    assert missing == {}


def test_the_check_finds_a_long_action_without_progress():
    source = ("import streamlit as st\n"
              "with transaction() as session:\n    rules.request(session)\n"
              "with st.spinner('…'), transaction() as session:\n    rules.request(session)\n")
    assert unshown_long_actions(source) == [3]
