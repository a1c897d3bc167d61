"""One run of the editor: what it knows, filled part by part (see :mod:`studio.editor.fragment`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from overlay_core.model import OverlayPlane
from overlay_core.render.geometry import Region, ViewGeometry
from overlay_core.render.styles import PlaneStyle
from studio.browser import Viewport
from studio.state import LoadedFile

__all__ = ["EditRun", "voi_key"]


@dataclass
class EditRun:
    """What one run of the editor knows, filled part by part."""

    entry: LoadedFile
    plane: OverlayPlane
    frame: int | None
    image_frame: int
    create: bool
    rows: int
    cols: int
    size: Viewport
    zoom: float
    window: Region
    view: ViewGeometry
    tool: str
    mode: str
    brush: int
    release: bool
    style: PlaneStyle
    key: str = ""
    generation: int = 0
    drawing: Mapping[str, Any] | None = None
    done: Counter[str] = field(default_factory=Counter)
    fresh: list[Mapping[str, Any]] = field(default_factory=list)
    ready: bool = False
    #: The view the canvas' drawing was drawn in (``None``: forgotten, see :mod:`studio.editor.views`).
    drawn_in: ViewGeometry | None = None
    #: The shown picture's :func:`studio.editor.views.signature`, for the browser.
    signature: list[list[int]] | None = None


def voi_key(entry: LoadedFile) -> str:
    """Return the session key of the window the editor shows ``entry`` with (``None``: the file's)."""
    return f"edit.voi.{entry.id}"
