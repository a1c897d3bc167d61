"""overlay_core is the library under every UI: it never imports streamlit."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "overlay_core"
FORBIDDEN = {"streamlit", "streamlit_drawable_canvas"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__"
        ):
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    roots.add(arg.value.split(".")[0])
    return roots


def test_no_core_module_imports_streamlit() -> None:
    modules = sorted(CORE.rglob("*.py"))
    assert len(modules) >= 40
    offenders = {str(p.relative_to(CORE)): sorted(_imported_roots(p) & FORBIDDEN) for p in modules}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_scan_would_catch_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    for source in ("import streamlit as st\n", "from streamlit import session_state\n",
                   "import importlib\nimportlib.import_module('streamlit.runtime')\n"):
        sample.write_text(source)
        assert "streamlit" in _imported_roots(sample), source


def test_importing_every_core_module_does_not_load_streamlit() -> None:
    names = ["overlay_core"] + [
        ".".join(("overlay_core", *p.relative_to(CORE).with_suffix("").parts)).removesuffix(".__init__")
        for p in sorted(CORE.rglob("*.py")) if p.stem != "__main__"]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r})\n"
        "print(len(sys.modules), loaded)\n"
        "assert not loaded, loaded\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("[]")
