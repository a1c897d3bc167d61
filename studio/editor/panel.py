"""The editor's tools column: tools, undo/redo, settings, zoom and pan, shortcuts, the overview."""

from __future__ import annotations

from typing import Any

import streamlit as st

from overlay_core.errors import OverlayError
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import origin_offset
from overlay_core.render.geometry import fit_view
from overlay_core.render.navigation import canvas_width, extent_view, pan, step_zoom
from studio.browser import overview
from studio.editor import editing, tools
from studio.editor.layers import background
from studio.editor.run import EditRun, voi_key
from studio.editor.settings import (
    SHORTCUTS,
    WIDTHS,
    memory,
    prefs,
    remember,
    rerun_editor,
    set_tool,
    toggle_eraser,
    zoom_to,
)
from studio.state import LoadedFile

__all__ = ["STROKE_LABELS", "history_step", "tools_panel"]

#: Labels of history steps that change only pixels: undoing them reruns only the editor.
STROKE_LABELS = {"draw", "erase"}
_TOOL_KEYS = {"Brush": "B", "Line": "L", "Rectangle": "R", "Circle": "C", "Polygon": "P"}
_TOOL_ICONS = {"Brush": ":material/brush:", "Line": ":material/horizontal_rule:",
               "Rectangle": ":material/crop_square:", "Circle": ":material/circle:",
               "Polygon": ":material/pentagon:"}


#: The shortcuts as a markdown table (a cell's ``|`` escaped).
_SHORTCUT_TABLE = "| Keys | Action |\n|---|---|\n" + "\n".join(
    "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in SHORTCUTS)


def _state() -> Any:
    return st.session_state


def _width_moved(key: str) -> None:
    prefs()["width"] = int(_state()[key])


def history_step(entry: LoadedFile, redo: bool) -> None:
    """Undo (or redo) one step of ``entry``'s history; a step that changed more than pixels redraws all."""
    history = editing.history(entry)
    label = history.redo_label if redo else history.undo_label
    if label is None or entry.dataset is None:
        return
    (history.redo if redo else history.undo)(entry.dataset)
    memory()["message"] = None  # a message stays until the next action: this one
    editing.bump_nonce(_state())
    if label not in STROKE_LABELS:
        _state()["edit.rerun_app"] = True  # attributes or size changed: redraw the page


def tools_panel(run: EditRun) -> None:
    """Draw the tools column: tools, undo/redo, settings, zoom and pan, the overview."""
    entry, state = run.entry, _state()
    tool, mode, zoom, window, rows, cols = run.tool, run.mode, run.zoom, run.window, run.rows, run.cols
    t = st.columns(3, gap="small")
    for i, name in enumerate(("Brush", "Line", "Rectangle", "Circle", "Polygon")):
        # Streamlit reserves R and C: the key listener answers them, and the hint says so.
        shortcut = _TOOL_KEYS[name] if name not in ("Rectangle", "Circle") else None
        t[i % 3].button("" if shortcut else _TOOL_KEYS[name], key=f"edit.tool.{name.lower()}",
                        icon=_TOOL_ICONS[name], type="primary" if tool == name else "secondary",
                        shortcut=shortcut, help=f"{name} ({_TOOL_KEYS[name]})", on_click=rerun_editor,
                        args=(set_tool, name), width="stretch")
    tools.fill_button(t[2], tool)  # issue 18: Fill (W)
    t[0].button("", key="edit.eraser", icon=":material/ink_eraser:", shortcut="E",
                type="primary" if mode == "erase" else "secondary", on_click=rerun_editor,
                args=(toggle_eraser,), width="stretch",
                help="Eraser on/off (E): while on, every tool erases")
    history = editing.history(entry)
    u = st.columns([1, 1.35], gap="small")  # Redo's shortcut hint is the longer one
    # Their keys (Ctrl+Z, Ctrl+Shift+Z, Ctrl+Y) are bound in the canvas' own fragment, so an
    # undo by key reruns the canvas alone (studio/editor/sync.py); a click here reruns both fragments.
    u[0].button("Undo", key="edit.undo", icon=":material/undo:", width="stretch",
                disabled=not history.can_undo, on_click=rerun_editor, args=(history_step, entry, False),
                help=f"Undo {history.undo_label} (Ctrl+Z)" if history.undo_label else "Nothing to undo")
    u[1].button("Redo", key="edit.redo", icon=":material/redo:", width="stretch",
                disabled=not history.can_redo, on_click=rerun_editor, args=(history_step, entry, True),
                help=f"Redo {history.redo_label} (Ctrl+Shift+Z or Ctrl+Y)" if history.redo_label
                else "Nothing to redo")
    o = st.columns([1.35, 1], gap="small")
    o[0].toggle("Apply on release", key="edit.release", on_change=rerun_editor, args=(remember, "release"),
                help="On: each stroke is written when you release the mouse (one undo step each). "
                "Off: strokes wait on the canvas until you press Apply.")
    o[1].toggle("Fill shapes", key="edit.fill", on_change=rerun_editor, args=(remember, "fill"),
                help="Rectangles, circles and polygons are filled, covering exactly what you drag out.")
    st.toggle("Keep the plane's size", key="edit.keep", on_change=rerun_editor, args=(remember, "keep"),
              help="Off: a stroke past the plane's extent (the dashed outline) grows the plane to hold "
              "it, never past the image. On: what falls outside is dropped.")
    # Keyed by its value: a rerun that carries the slider's value from before a key press
    # (sent before the browser had the new one) is then an old slider's, unchanged, and
    # cannot undo the press (the first ] after opening Edit was lost that way).
    width_key = f"edit.width.{run.brush}"
    st.slider("Brush, image pixels", 1, WIDTHS[-1], value=run.brush, key=width_key, on_change=rerun_editor,
              args=(_width_moved, width_key),
              help="The stroke width in pixels of the image; [ and ] change it.")
    tools.options(entry, run.image_frame, tool)  # issue 18: Fill settings, intensity range
    scale = run.view.scale
    st.caption(f"{'Erasing' if mode == 'erase' else 'Drawing'} with the {tool.lower()} · "
               f"{run.brush} image px = {run.brush * scale:.1f} screen px at {scale:.0%}")
    z = st.columns(4, gap="small")
    z[0].button("", key="edit.zoom_in", icon=":material/zoom_in:", help="Zoom in (+, or the mouse wheel)",
                width="stretch", on_click=rerun_editor, args=(zoom_to, entry.id, step_zoom(zoom, 1), None))
    z[1].button("", key="edit.zoom_out", icon=":material/zoom_out:", help="Zoom out (-, or the mouse wheel)",
                width="stretch", on_click=rerun_editor, args=(zoom_to, entry.id, step_zoom(zoom, -1), None))
    z[2].button("", key="edit.fit", icon=":material/fit_screen:", shortcut="F", width="stretch",
                help="Fit the whole image (F)", on_click=rerun_editor, args=(zoom_to, entry.id, 1.0, None))
    ext_zoom, ext_centre = extent_view(run.plane, rows, cols)
    z[3].button("", key="edit.extent", icon=":material/center_focus_strong:", shortcut="Z",
                width="stretch", help="Zoom to the plane's extent (Z)", on_click=rerun_editor,
                args=(zoom_to, entry.id, ext_zoom, ext_centre), disabled=run.create)
    p = st.columns(4, gap="small")
    for column, (name, icon, arrow, down, right) in zip(p, (
        ("left", ":material/arrow_back:", "Left", 0, -0.25),
        ("up", ":material/arrow_upward:", "Up", -0.25, 0),
        ("down", ":material/arrow_downward:", "Down", 0.25, 0),
        ("right", ":material/arrow_forward:", "Right", 0, 0.25),
    ), strict=True):
        column.button("", key=f"edit.pan.{name}", icon=icon, shortcut=arrow, width="stretch",
                      help=f"Pan {name} ({arrow}; or drag with the middle button, or Space + drag)",
                      disabled=zoom <= 1, on_click=rerun_editor,
                      args=(zoom_to, entry.id, zoom, pan(window, rows, cols, down, right)))
    with st.popover("Shortcuts", icon=":material/keyboard:", width="stretch"):
        st.markdown(_SHORTCUT_TABLE)  # markdown, not st.table: no dataframe built on every stroke
    thumb = fit_view(rows, cols, width=canvas_width(fit_view(rows, cols).region, 220, 160))
    try:
        small = background(entry, run.image_frame, thumb, [run.style] if not run.create else [], state,
                           state.get(voi_key(entry)))
    except OverlayError:
        small = None
    if small is not None:
        overview("edit.overview", small.png, thumb.display_width, thumb.display_height,
                 (window.col0 / cols, window.row0 / rows, window.cols / cols, window.rows / rows),
                 extent=None if run.create else _extent_fractions(run.plane, rows, cols),
                 on_click=lambda click: rerun_editor(zoom_to, entry.id, max(zoom, 2.0),
                                                     (click.y * rows, click.x * cols)))
        st.caption(f"Shown at {run.view.scale:.0%} of full size (zoom {zoom:.3g}×) · "
                   "click the overview to centre the view there.")


def _extent_fractions(plane: OverlayPlane, rows: int, cols: int) -> tuple[float, float, float, float]:
    """Return the plane's extent as fractions of the image: left, top, width, height.

    >>> _extent_fractions(OverlayPlane(0x6000, 10, 20, origin=(11, 1)), 100, 100)
    (0.0, 0.1, 0.2, 0.1)
    """
    r0, c0 = origin_offset(plane.origin)
    return (c0 / cols, r0 / rows, plane.columns / cols, plane.rows / rows)


