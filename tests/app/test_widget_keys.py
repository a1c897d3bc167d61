"""Every widget key names its page (``edit.width``), except the documented keys that
scripts outside the project drive the app by: ``upload``, ``apply``, ``download`` and the
canvas keys (``canvas.…``, from :func:`studio.editor.canvas.canvas_key`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "pages").glob("*.py"))
DOCUMENTED = {"upload", "apply", "download"}
WIDGETS = {
    "button", "checkbox", "radio", "selectbox", "slider", "number_input", "text_input", "text_area",
    "color_picker", "file_uploader", "download_button", "form_submit_button", "dataframe", "data_editor",
    "multiselect", "toggle", "select_slider", "segmented_control", "pills", "form", "container",
    "fragment", "chat_input", "date_input", "time_input",
}


def _prefix(node: ast.expr, names: dict[str, ast.expr]) -> str:
    """The literal start of a key expression (resolving names assigned in the module)."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        return str(first.value) if isinstance(first, ast.Constant) else ""
    if isinstance(node, ast.Name) and node.id in names:
        return _prefix(names[node.id], names)
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "canvas_key":
        return "canvas."
    return ""


def keys(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    names = {t.id: n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WIDGETS:
            key = next((k.value for k in node.keywords if k.arg == "key"), None)
            if key is None and node.func.attr == "form" and node.args:
                key = node.args[0]
            if key is None:
                if node.func.attr in ("container", "fragment"):
                    continue  # layout without a key has no state
                found.append((node.lineno, ""))
            else:
                found.append((node.lineno, _prefix(key, names)))
    return found


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_every_widget_key_names_its_page(path: Path) -> None:
    wrong = [(line, key) for line, key in keys(path)
             if not (key in DOCUMENTED or key.startswith((f"{path.stem}.", "canvas.")))]
    assert wrong == [], f"{path.name}: widgets without a '{path.stem}.' key (line, key start): {wrong}"


def test_the_check_sees_a_missing_or_foreign_key(tmp_path: Path) -> None:
    page = tmp_path / "edit.py"
    page.write_text('import streamlit as st\nst.button("A")\nst.slider("B", key="inspect.b")\n'
                    'k = f"edit.c.{1}"\nst.checkbox("C", key=k)\nst.button("D", key="apply")\n')
    assert keys(page) == [(2, ""), (3, "inspect.b"), (5, "edit.c."), (6, "apply")]
