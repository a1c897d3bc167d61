"""The editor's settings and bookkeeping: brush, tool, eraser, zoom, kept across runs.

Streamlit drops a widget's value in some runs (one interrupted by a newer rerun, or a
rerun called from the fragment) and the widget then comes back at its default; a run
that a newer rerun interrupts may also lose values it assigned to ``st.session_state``
keys, but not changes made inside an object those keys hold. So the editor keeps what
must survive such a run in one dict (:func:`memory`), changed in place, and copies its
settings into the widgets before each is drawn.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import streamlit as st

__all__ = [
    "CANVAS_FRAGMENT",
    "PREFS",
    "RERUN_ENV",
    "SHORTCUTS",
    "TOOLS_FRAGMENT",
    "WIDTHS",
    "brush_width",
    "keys_memory",
    "memory",
    "page_mode",
    "prefs",
    "remember",
    "rerun_editor",
    "set_tool",
    "step_width",
    "toggle_eraser",
    "view_keys",
    "zoom_to",
]

#: Every shortcut of the editor, as shown in its help: ``(keys, what they do)``. The help is a
#: markdown table, whose cells hold no lists: "+ and -" shows as written (a browser test reads it).
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("B", "Brush (draw)"),
    ("W", "Fill: click to fill the connected pixels near the clicked value"),
    ("E", "Eraser on/off (any tool erases while it is on)"),
    ("L / R / C / P", "Line / Rectangle / Circle / Polygon"),
    ("[ and ]", "Thinner / thicker brush (in image pixels)"),
    ("+ and -", "Zoom in / out"),
    ("Mouse wheel", "Zoom about the pointer"),
    ("Middle drag, or Space + drag", "Pan"),
    ("Right drag", "Window (left/right: width, up/down: level)"),
    ("F", "Fit the whole image"),
    ("Z", "Zoom to the plane's extent"),
    ("← ↑ → ↓", "Pan by a quarter of the view"),
    ("PageUp / PageDown", "Previous / next image frame"),
    ("Shift+PageUp / Shift+PageDown", "Previous / next instance of a series"),
    ("Ctrl+Z", "Undo"),
    ("Ctrl+Shift+Z or Ctrl+Y", "Redo"),
    ("Enter", "Apply (when strokes are collected, not applied on release)"),
)
#: The brush widths ``[`` and ``]`` step through, in image pixels.
WIDTHS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128)
#: The smallest default brush, in image pixels, and on screen.
_DEFAULT_WIDTH, _MIN_SCREEN = 6, 3.0
#: The editor's settings, and the widget that shows each (``None``: the brush follows the zoom;
#: its slider's key carries its value, ``edit.width.<n>``).
PREFS: dict[str, tuple[str, Any]] = {
    "width": ("edit.width", None), "release": ("edit.release", True), "fill": ("edit.fill", True),
    "keep": ("edit.keep", False),
}


#: ``page`` here runs the editor without ``st.fragment`` (for comparison in ``make bench``).
RERUN_ENV = "OVERLAY_STUDIO_EDITOR_RERUN"
#: The keys of the editor's two fragments, side by side: the canvas, and the tools column.
CANVAS_FRAGMENT, TOOLS_FRAGMENT = "edit-canvas", "edit-tools"


def page_mode() -> bool:
    """Whether the editor runs without fragments (``OVERLAY_STUDIO_EDITOR_RERUN=page``)."""
    return os.environ.get(RERUN_ENV, "").strip().lower() == "page"


def rerun_editor(change: Callable[..., None], *args: Any) -> None:
    """Make ``change`` (a control's callback in the tools column), then rerun both fragments.

    A control beside the canvas that changes what the canvas shows (a tool, the brush, the
    zoom, an undo) would otherwise rerun its own fragment only. Streamlit reruns fragments by
    key only from a callback, hence this wrapper (``on_click=rerun_editor, args=(set_tool,
    "Line")``). Without fragments the page reruns anyway.
    """
    change(*args)
    if not page_mode():
        st.rerun([CANVAS_FRAGMENT, TOOLS_FRAGMENT])


def memory() -> dict[str, Any]:
    """Return the editor's own bookkeeping: one dict in the session, changed in place."""
    found = st.session_state.get("edit.memory")
    if not isinstance(found, dict):
        found = {}
        st.session_state["edit.memory"] = found
    return found


def keys_memory() -> dict[str, Any]:
    """Return where the key listener's last handled press is remembered."""
    found = memory().get("keys")
    if not isinstance(found, dict):
        found = {}
        memory()["keys"] = found
    return found


def prefs() -> dict[str, Any]:
    """Return the editor's settings (brush width, apply on release, fill, keep size)."""
    found = memory().get("prefs")
    if not isinstance(found, dict):
        found = {name: default for name, (_, default) in PREFS.items()}
        memory()["prefs"] = found
    for name, (_, default) in PREFS.items():
        found.setdefault(name, default)
    return found


def remember(name: str) -> None:
    """Copy a settings widget's new value into :func:`prefs` (its ``on_change``)."""
    prefs()[name] = st.session_state[PREFS[name][0]]


def brush_width(chosen: int | None, scale: float) -> int:
    """Return the brush width in image pixels: the one chosen, or a default.

    The default is 6 image pixels, or the first wider step that is at least 3 screen
    pixels at ``scale`` (screen pixels per image pixel), so a brush is never invisible on a
    large image shown small.

    >>> brush_width(None, 1.0), brush_width(None, 0.15), brush_width(2, 0.15)
    (6, 20, 2)
    """
    if chosen is not None:
        return int(chosen)
    return next((w for w in WIDTHS if w >= _DEFAULT_WIDTH and w * scale >= _MIN_SCREEN), WIDTHS[-1])


def step_width(by: int, scale: float) -> None:
    """Make the brush one step thicker (``by > 0``) or thinner."""
    found = prefs()
    width = brush_width(found["width"], scale)
    if by > 0:
        found["width"] = next((w for w in WIDTHS if w > width), WIDTHS[-1])
    else:
        found["width"] = next((w for w in reversed(WIDTHS) if w < width), WIDTHS[0])


def set_tool(tool: str) -> None:
    """Choose a tool (the brush also turns the eraser off)."""
    st.session_state["edit.tool"] = tool
    if tool == "Brush":
        st.session_state["edit.mode"] = "draw"


def toggle_eraser() -> None:
    """Turn the eraser on or off."""
    st.session_state["edit.mode"] = "draw" if st.session_state.get("edit.mode") == "erase" else "erase"


def view_keys(entry_id: str) -> tuple[str, str]:
    """Return the session keys of the file ``entry_id``'s zoom and view centre in the editor.

    >>> view_keys("f1")
    ('edit.zoom.f1', 'edit.centre.f1')
    """
    return f"edit.zoom.{entry_id}", f"edit.centre.{entry_id}"


def zoom_to(entry_id: str, zoom: float, centre: tuple[float, float] | None) -> None:
    """Show the file ``entry_id`` at ``zoom`` (1: the whole image), centred on ``centre``."""
    zoom_key, centre_key = view_keys(entry_id)
    st.session_state[zoom_key] = zoom
    if centre is not None:
        st.session_state[centre_key] = centre
