"""Paths: whether writing an output would write over an input (the CLI's and batch's one rule)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["same_file"]


def same_file(target: str | Path, source: str | Path) -> bool:
    """Whether writing ``target`` would write over ``source``: the same path, or the same file.

    >>> same_file("a/../b.dcm", "b.dcm"), same_file("b.dcm", "c.dcm")
    (True, False)
    """
    target, source = Path(target), Path(source)
    if target.resolve() == source.resolve():
        return True
    try:
        return target.exists() and os.path.samefile(target, source)
    except OSError:
        return False
