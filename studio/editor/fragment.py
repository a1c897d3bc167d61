"""The edit loop: canvas, tools, zoom and pan, undo/redo, in one ``st.fragment``.

A stroke reruns this fragment only, not the page. Each run first takes the strokes the
canvas sent that are not applied yet (:mod:`studio.editor.strokes`) and applies them one by
one, each its own undo step; then it redraws the background from cached layers
(:mod:`studio.editor.layers`), so the canvas shows the result in the same run. The canvas stays
mounted (same key) while the user draws, so strokes drawn while the server is busy are
never dropped; it is remounted, empty, only on undo/redo, a plane operation, or a new
view (zoom, pan, frame, plane, window size).

In the collect-then-Apply way (the *Apply on release* toggle off) strokes wait on the
canvas until *Apply* (key ``apply``) writes them all as one undo step.

With ``OVERLAY_STUDIO_EDITOR_RERUN=page`` in the server's environment the same editor runs
without the fragment (every stroke then reruns the whole page, as before); ``make bench``
measures both.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from pydicom.dataset import Dataset

from overlay_core.errors import OverlayError
from overlay_core.model import OverlayPlane
from overlay_core.render.geometry import ViewGeometry, fit_view
from overlay_core.render.navigation import canvas_width, centre_of, extent_view, pan, step_zoom, zoom_window
from overlay_core.render.styles import PlaneStyle, default_style
from studio.browser import DEFAULT_VIEWPORT, keys, overview
from studio.editor import editing, tools  # tools: Fill (W) and the intensity range (issue 18)
from studio.editor.canvas import canvas_key, draw_canvas
from studio.editor.layers import background
from studio.editor.strokes import (
    ERASE_FILL,
    ERASE_STROKE,
    applied,
    mark_applied,
    new_objects,
    objects_of,
    stroke_mode,
)
from studio.measure import statistics_panel
from studio.series import mark_is_stale
from studio.state import LoadedFile
from studio.text import plain

__all__ = ["NEW", "RERUN_ENV", "SHORTCUTS", "editor"]

#: ``page`` here runs the editor without ``st.fragment`` (for comparison in ``make bench``).
RERUN_ENV = "OVERLAY_STUDIO_EDITOR_RERUN"

#: The plane picker's value for "a new plane".
NEW = 0
#: Every shortcut of the editor, as shown in its help: ``(keys, what they do)``.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("B", "Brush (draw)"),
    ("W", "Fill: click to fill the connected pixels near the clicked value"),
    ("E", "Eraser on/off (any tool erases while it is on)"),
    ("L / R / C / P", "Line / Rectangle / Circle / Polygon"),
    ("[ and ]", "Thinner / thicker brush (in image pixels)"),
    ("+ and -", "Zoom in / out"),
    ("F", "Fit the whole image"),
    ("Z", "Zoom to the plane's extent"),
    ("← ↑ → ↓", "Pan by a quarter of the view"),
    ("PageUp / PageDown", "Previous / next image frame"),
    ("Ctrl+Z", "Undo"),
    ("Ctrl+Shift+Z or Ctrl+Y", "Redo"),
    ("Enter", "Apply (when strokes are collected, not applied on release)"),
)
#: Labels of history steps that change only pixels: undoing them reruns only the editor.
_STROKE_LABELS = {"draw", "erase"}
_WIDTHS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128)
_TOOL_KEYS = {"Brush": "B", "Line": "L", "Rectangle": "R", "Circle": "C", "Polygon": "P"}
_TOOL_ICONS = {"Brush": ":material/brush:", "Line": ":material/horizontal_rule:",
               "Rectangle": ":material/crop_square:", "Circle": ":material/circle:",
               "Polygon": ":material/pentagon:"}
# Room kept under the canvas for its status line (and the Apply row), in px.
_ROOM_BELOW = 78
_ROOM_BELOW_APPLY = 104  # the status line with the Apply and Discard buttons


def _state() -> Any:
    return st.session_state


def _memory() -> dict[str, Any]:
    """Return the editor's own bookkeeping: one dict, changed in place.

    A run that a newer rerun interrupts may lose values it assigned to ``st.session_state``
    keys, but not changes made inside an object those keys hold (measured: the count of
    applied strokes fell behind the strokes applied). Values that must survive such a run
    (the canvas in use, the strokes applied) live here.
    """
    memory = st.session_state.get("edit.memory")
    if not isinstance(memory, dict):
        memory = {}
        st.session_state["edit.memory"] = memory
    return memory


#: The editor's settings, and the widget that shows each.
_PREFS = {"width": ("edit.width", 6), "release": ("edit.release", True), "fill": ("edit.fill", True)}


def _keys_memory() -> dict[str, Any]:
    """Return where the key listener's last handled press is remembered."""
    memory = _memory()
    found = memory.get("keys")
    if not isinstance(found, dict):
        found = {}
        memory["keys"] = found
    return found


def _prefs() -> dict[str, Any]:
    """Return the editor's settings (brush width, apply on release, fill), kept in :func:`_memory`.

    Streamlit drops a widget's value in some runs (one interrupted by a newer rerun, or a
    rerun called from the fragment) and the widget then comes back at its default; the
    settings are kept here and copied into the widgets before each is drawn.
    """
    memory = _memory()
    prefs = memory.get("prefs")
    if not isinstance(prefs, dict):
        prefs = {name: default for name, (_, default) in _PREFS.items()}
        memory["prefs"] = prefs
    return prefs


def _remember(name: str) -> None:
    """Copy a settings widget's new value into :func:`_prefs` (its ``on_change``)."""
    _prefs()[name] = _state()[_PREFS[name][0]]


def _css_key(key: str) -> str:
    """Return the class-name form Streamlit gives a widget key (``st-key-<this>``).

    >>> _css_key("canvas.f1.6000.0.n3.ab12")
    'canvas-f1-6000-0-n3-ab12'
    """
    return re.sub(r"[^a-zA-Z0-9_-]", "-", key)


def _rgba(color: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({color[0]}, {color[1]}, {color[2]}, {alpha})"


def _step_width(by: int) -> None:
    prefs = _prefs()
    width = int(prefs["width"])
    if by > 0:
        prefs["width"] = next((w for w in _WIDTHS if w > width), _WIDTHS[-1])
    else:
        prefs["width"] = next((w for w in reversed(_WIDTHS) if w < width), _WIDTHS[0])


def _set_tool(tool: str) -> None:
    state = _state()
    state["edit.tool"] = tool
    if tool == "Brush":
        state["edit.mode"] = "draw"


def _toggle_eraser() -> None:
    state = _state()
    state["edit.mode"] = "draw" if state.get("edit.mode") == "erase" else "erase"


def _history_step(entry: LoadedFile, redo: bool) -> None:
    history = editing.history(entry)
    label = history.redo_label if redo else history.undo_label
    if label is None or entry.dataset is None:
        return
    (history.redo if redo else history.undo)(entry.dataset)
    editing.bump_nonce(_state())
    if label not in _STROKE_LABELS:
        _state()["edit.rerun_app"] = True  # attributes or size changed: redraw the page


def _zoom_to(entry_id: str, zoom: float, centre: tuple[float, float] | None) -> None:
    state = _state()
    state[f"edit.zoom.{entry_id}"] = zoom
    if centre is not None:
        state[f"edit.centre.{entry_id}"] = centre


def _apply(entry: LoadedFile, plane: OverlayPlane, objects: list[Mapping[str, Any]], view: ViewGeometry,
           frame: int, image_frame: int = 0) -> None:
    """Apply objects in drawing order as one undo step, each drawing or erasing as it was drawn.

    A plane that does not exist yet is created image-sized by the first object.
    """
    runs: list[tuple[str, list[Mapping[str, Any]]]] = []
    for obj in objects:
        mode = stroke_mode(obj)
        if runs and runs[-1][0] == mode:
            runs[-1][1].append(obj)
        else:
            runs.append((mode, [obj]))

    tool = str(_state().get("edit.tool", "Brush"))

    def action(ds: Dataset) -> None:
        for mode, objs in runs:  # issue 18: Fill clicks, and every stroke within the intensity range
            tools.apply_objects(ds, plane.group, objs, view, mode, frame, image_frame, tool)

    editing.run(entry, runs[0][0] if len(runs) == 1 else "draw", action)


def _editor(
    entry: LoadedFile, plane: OverlayPlane, frame: int | None, image_frame: int, create: bool
) -> None:
    """Run the edit loop once (see the module docstring); :func:`editor` wraps it in a fragment."""
    state = _state()
    if state.pop("edit.rerun_app", False):
        st.rerun(scope="app")
    info = entry.image_info()
    rows, cols = info.rows, info.columns
    state.setdefault("edit.tool", "Brush")
    state.setdefault("edit.mode", "draw")
    prefs = _prefs()
    zoom_key, centre_key = f"edit.zoom.{entry.id}", f"edit.centre.{entry.id}"

    canvas_col, tools_col = st.columns([2.5, 1.5], gap="small")
    with canvas_col:
        presses, size = keys("edit.keys", _keys_memory(), instant=state.get("edit.tool") != "Polygon")
    for pressed in presses:
        if pressed in ("[", "]"):
            _step_width(1 if pressed == "]" else -1)
        elif pressed in ("+", "=", "-"):
            _zoom_to(entry.id, step_zoom(float(state.get(zoom_key, 1)), 1 if pressed != "-" else -1), None)
        elif pressed == "r":
            _set_tool("Rectangle")
        elif pressed == "c":
            _set_tool("Circle")

    memory = _memory()
    zoom = float(state.get(zoom_key, 1))
    window = zoom_window(rows, cols, zoom, state.get(centre_key))
    if state.get(centre_key) != centre_of(window):
        state[centre_key] = centre_of(window)
    room = _ROOM_BELOW if prefs["release"] else _ROOM_BELOW_APPLY
    max_height = max(200, size.height - size.top - room)
    width = canvas_width(window, max(120, size.column), max_height)
    view = fit_view(rows, cols, region=window, width=width)
    scale = view.scale
    release = bool(prefs["release"])
    mode = str(state["edit.mode"])
    tool = str(state["edit.tool"])
    brush = int(prefs["width"])
    for name, (widget, _) in _PREFS.items():
        state[widget] = prefs[name]  # before the widgets are drawn
    style = default_style(plane)

    # --- strokes the canvas sent: applied before anything is drawn, so undo and the
    # background already show them in this run ---
    key, done, fresh, ready = "", Counter[str](), list[Mapping[str, Any]](), False
    drawing = None
    message: str | None = None
    if frame is not None:
        # A new plane, frame or view mounts a new canvas; its key is never used twice.
        base = (entry.id, plane.group, frame, view)
        if memory.get("canvas_base") != base:
            memory["canvas_base"] = base
            memory["canvas_serial"] = int(memory.get("canvas_serial", 0)) + 1
        key = canvas_key(entry.id, plane.group, frame, view, int(memory["canvas_serial"]))
        seen = state.get(key)
        drawing = seen.get("drawing", {}).get("raw") if isinstance(seen, Mapping) else None
        # Ready once the browser has said how big it is and the canvas has its background.
        ready = (isinstance(seen, Mapping) and seen.get("backgroundFit") is not None
                 and size is not DEFAULT_VIEWPORT)
        objects = objects_of(drawing)
        done = applied(memory, key)
        fresh = new_objects(objects, done)
        if drawing is not None and not objects:
            # The canvas said it is empty (cleared): an identical new stroke is a new stroke.
            # A run without the canvas' value (dropped by an interrupted rerun, or not sent
            # yet) says nothing: forgetting then would apply every stroke again.
            done.clear()
        if (release or tool == tools.FILL) and fresh:  # a Fill click applies at once
            refused = False
            for index, obj in enumerate(fresh):
                try:
                    _apply(entry, plane, [obj], view, frame, image_frame)
                except OverlayError as exc:
                    message = str(exc)
                    mark_applied(done, obj)  # a stroke that cannot apply is reported once
                    refused = True
                    continue
                mark_applied(done, obj)
                memory["strokes"] = int(memory.get("strokes", 0)) + 1
                if create:  # the plane now exists: the rest of the strokes go to it after a rerun
                    for later in fresh[index + 1:]:
                        mark_applied(done, later)
                    state[editing.select_key(entry)] = plane.group
                    st.rerun(scope="app")
            fresh = []
            if refused or tool == tools.FILL:  # nothing to keep painted (a click marker): a new canvas
                memory["canvas_serial"] = int(memory["canvas_serial"]) + 1
                key = canvas_key(entry.id, plane.group, frame, view, int(memory["canvas_serial"]))
                done = applied(memory, key)

    # --- tools (right) ---
    with tools_col:
        t = st.columns(3, gap="small")
        for i, name in enumerate(("Brush", "Line", "Rectangle", "Circle", "Polygon")):
            shortcut = _TOOL_KEYS[name] if name not in ("Rectangle", "Circle") else None
            t[i % 3].button("", key=f"edit.tool.{name.lower()}", icon=_TOOL_ICONS[name],
                            type="primary" if tool == name else "secondary", shortcut=shortcut,
                            help=f"{name} ({_TOOL_KEYS[name]})", on_click=_set_tool, args=(name,),
                            width="stretch")
        tools.fill_button(t[2], tool)  # issue 18
        t[0].button("", key="edit.eraser", icon=":material/ink_eraser:", shortcut="E",
                    type="primary" if mode == "erase" else "secondary", on_click=_toggle_eraser,
                    help="Eraser on/off (E): while on, every tool erases", width="stretch")
        history = editing.history(entry)
        u = st.columns([1, 1.35], gap="small")  # Redo's shortcut hint is the longer one
        u[0].button("Undo", key="edit.undo", icon=":material/undo:", shortcut="Ctrl+Z", width="stretch",
                    disabled=not history.can_undo, on_click=_history_step, args=(entry, False),
                    help=f"Undo {history.undo_label} (Ctrl+Z)" if history.undo_label else "Nothing to undo")
        u[1].button("Redo", key="edit.redo", icon=":material/redo:", shortcut="Ctrl+Shift+Z", width="stretch",
                    disabled=not history.can_redo, on_click=_history_step, args=(entry, True),
                    help=f"Redo {history.redo_label} (Ctrl+Shift+Z or Ctrl+Y)" if history.redo_label
                    else "Nothing to redo")
        # Ctrl+Y redoes too: a second button, hidden by the page's style, carries that shortcut.
        st.button("Redo", key="edit.redo_y", shortcut="Ctrl+Y", disabled=not history.can_redo,
                  on_click=_history_step, args=(entry, True), type="tertiary", help="Redo (Ctrl+Y)")
        o = st.columns([1.35, 1], gap="small")
        o[0].toggle("Apply on release", key="edit.release", on_change=_remember, args=("release",),
                    help="On: each stroke is written when you release the mouse (one undo step each). "
                    "Off: strokes wait on the canvas until you press Apply.")
        o[1].toggle("Fill shapes", key="edit.fill", on_change=_remember, args=("fill",),
                    help="Fill rectangles, circles and polygons.")
        st.slider("Brush, image pixels", 1, _WIDTHS[-1], key="edit.width", on_change=_remember,
                  args=("width",), help="The stroke width in pixels of the image; [ and ] change it.")
        tools.options(entry, image_frame, tool)  # issue 18: Fill settings, intensity range
        st.caption(f"{'Erasing' if mode == 'erase' else 'Drawing'} with the {tool.lower()} · "
                   f"{brush} image px = {brush * scale:.1f} screen px at {scale:.2f}×")
        z = st.columns(4, gap="small")
        z[0].button("", key="edit.zoom_in", icon=":material/zoom_in:", help="Zoom in (+)", width="stretch",
                    on_click=_zoom_to, args=(entry.id, step_zoom(zoom, 1), None))
        z[1].button("", key="edit.zoom_out", icon=":material/zoom_out:", help="Zoom out (-)", width="stretch",
                    on_click=_zoom_to, args=(entry.id, step_zoom(zoom, -1), None))
        z[2].button("", key="edit.fit", icon=":material/fit_screen:", shortcut="F", width="stretch",
                    help="Fit the whole image (F)", on_click=_zoom_to, args=(entry.id, 1.0, None))
        ext_zoom, ext_centre = extent_view(plane, rows, cols)
        z[3].button("", key="edit.extent", icon=":material/center_focus_strong:", shortcut="Z",
                    width="stretch",
                    help="Zoom to the plane's extent (Z)", on_click=_zoom_to,
                    args=(entry.id, ext_zoom, ext_centre), disabled=create)
        p = st.columns(4, gap="small")
        for column, (name, icon, arrow, down, right) in zip(p, (
            ("left", ":material/arrow_back:", "Left", 0, -0.25),
            ("up", ":material/arrow_upward:", "Up", -0.25, 0),
            ("down", ":material/arrow_downward:", "Down", 0.25, 0),
            ("right", ":material/arrow_forward:", "Right", 0, 0.25),
        ), strict=True):
            column.button("", key=f"edit.pan.{name}", icon=icon, shortcut=arrow, width="stretch",
                          help=f"Pan {name} ({arrow})", disabled=zoom <= 1,
                          on_click=_zoom_to, args=(entry.id, zoom, pan(window, rows, cols, down, right)))
        with st.popover("Shortcuts", icon=":material/keyboard:", width="stretch"):
            st.table({"Keys": [k for k, _ in SHORTCUTS], "Action": [a for _, a in SHORTCUTS]})
        thumb = fit_view(rows, cols, width=canvas_width(fit_view(rows, cols).region, 220, 160))
        try:
            small = background(entry, image_frame, thumb, [style] if not create else [], state)
        except OverlayError:
            small = None
        if small is not None:
            click = overview("edit.overview", small.png, thumb.display_width, thumb.display_height,
                             (window.col0 / cols, window.row0 / rows, window.cols / cols, window.rows / rows))
            if click is not None:
                _zoom_to(entry.id, max(zoom, 2.0), (click.y * rows, click.x * cols))
                st.rerun(scope="fragment")
            st.caption(f"Zoom {zoom:g}× · click the overview to centre the view there.")

    # --- the canvas (left) ---
    with canvas_col:
        if frame is None:
            st.info(f"Plane {plane.group_hex} has no frame on image frame {image_frame + 1}: pick another "
                    "frame, or copy a frame of the plane here.")
            return
        styles = [] if create else [style]
        try:
            shown = background(entry, image_frame, view, _others(entry, plane) + styles, state)
        except OverlayError as exc:
            st.error(plain(str(exc)))
            return
        colour = style.color
        if size is DEFAULT_VIEWPORT:
            # The browser has not said how big its window is: this canvas is replaced by one
            # of the real size in a moment, and a stroke drawn on it now would be lost.
            st.html(f"<style>.st-key-{_css_key(key)}{{pointer-events:none;opacity:.6}}</style>")
        draw_canvas(
            key=key, background_png=shown.png, view=view, tool=tool,
            stroke_width=max(0.5, round(brush * scale, 2)),
            stroke_color=ERASE_STROKE if mode == "erase" else _rgba(colour, 0.85),
            fill_color=(ERASE_FILL if mode == "erase" else _rgba(colour, 0.45))
            if prefs["fill"] else "rgba(0, 0, 0, 0)",
            clear=editing.nonce(state),
        )
        w = view.region
        status = st.container(key="edit.status")
        if message:
            status.error(plain(message))
        applied_count = int(memory.get("strokes", 0))
        where = ((f" (frame {frame + 1} of {plane.frames})" if plane.frames > 1 else "")
                 + f" · image rows {w.row0 + 1}–{w.row0 + w.rows}, columns {w.col0 + 1}–{w.col0 + w.cols}")
        if release:
            status.caption(f"Drawing on plane {plane.group_hex}{where} · "
                           + (f"{applied_count} applied on release" if ready else "the canvas is loading…")
                           + (" · click the first point again to close the polygon; it applies when closed"
                              if tool == "Polygon" else ""))
        else:
            a = status.columns([3.2, 1.2, 1.1], vertical_alignment="center", gap="small")
            a[0].caption(
                f"Drawing on plane {plane.group_hex}{where} · {applied_count} applied · "
                + (f"{len(fresh)} shape{'s' if len(fresh) != 1 else ''} drawn, not yet applied"
                   if fresh else "nothing drawn yet: draw, then Apply")
                + (" · click the first point again to close the polygon" if tool == "Polygon" else ""))
            if a[1].button("Apply", key="apply", type="primary", icon=":material/check:", shortcut="Enter",
                           disabled=not fresh, width="stretch",
                           help="Write the strokes into the plane (Enter)."):
                try:
                    _apply(entry, plane, fresh, view, frame, image_frame)
                except OverlayError as exc:
                    st.error(plain(str(exc)))
                else:
                    for obj in fresh:
                        mark_applied(done, obj)
                    memory["strokes"] = applied_count + len(fresh)
                    editing.bump_nonce(state)
                    if create:
                        state[editing.select_key(entry)] = plane.group
                        st.rerun(scope="app")
                    st.rerun(scope="fragment")
            if a[2].button("Discard", key="edit.discard", icon=":material/ink_eraser_off:",
                           disabled=not fresh):
                editing.bump_nonce(state)
                st.rerun(scope="fragment")
        if shown.missing_reason:
            status.caption(f"The image cannot be shown ({shown.missing_reason}); "
                           "the planes are drawn on black.")
        if not create:  # issue 18: statistics always shown, as stored after this run's strokes
            statistics_panel(entry, plane, image_frame, "edit")
    if mark_is_stale(state, entry):  # the sidebar's unsaved mark flipped: redraw it at once
        st.rerun(scope="app")


def _others(entry: LoadedFile, plane: OverlayPlane) -> list[PlaneStyle]:
    """Return the styles of the other planes: faint, under the one being edited."""
    out = []
    for p in entry.planes():
        if p.group != plane.group:
            s = default_style(p)
            out.append(PlaneStyle(p.group, s.color, min(s.opacity, 0.35), True, False))
    return out


_fragment: Callable[..., None] = st.fragment(_editor)


def editor(entry: LoadedFile, plane: OverlayPlane, frame: int | None, image_frame: int, create: bool) -> None:
    """Show the editor for ``plane`` (plane frame ``frame`` on image frame ``image_frame``).

    ``create``: the plane does not exist yet; the first stroke creates it image-sized.
    """
    if os.environ.get(RERUN_ENV, "").strip().lower() == "page":
        _editor(entry, plane, frame, image_frame, create)
    else:
        _fragment(entry, plane, frame, image_frame, create)
