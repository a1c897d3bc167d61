"""README's *Project layout* names every module of the app and the core, where it lies.

It says it is written from the folders; after parallel branches merge, a module one branch
added is easily missing from it (the tools, formats and de-identification modules were).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layout_paths(readme: str) -> set[str]:
    """The paths the layout's tree names, built from its two-space indentation.

    >>> sorted(layout_paths("## Project layout\\n```\\na/   x\\n  b.py  y\\n  c/\\n    d.py\\n```\\n"))
    ['a/', 'a/b.py', 'a/c/', 'a/c/d.py']
    """
    section = readme.split("## Project layout", 1)[1]
    block = section.split("```", 2)[1]
    stack: list[str] = []
    paths = set()
    for line in block.splitlines():
        found = re.match(r"( *)(\S+)", line)
        if not found or not re.fullmatch(r"[\w.<>-]+/?", found.group(2)):
            continue
        depth = len(found.group(1)) // 2
        if depth > len(stack):
            continue  # a description's continuation line
        del stack[depth:]
        name = found.group(2)
        paths.add("".join(stack) + name)
        if name.endswith("/"):
            stack.append(name)
    return paths


def test_every_module_is_in_the_project_layout() -> None:
    named = layout_paths((ROOT / "README.md").read_text())
    modules = {str(p.relative_to(ROOT)) for top in ("overlay_core", "studio", "pages")
               for p in (ROOT / top).rglob("*.py") if p.name != "__init__.py"}
    assert sorted(modules - named) == []
