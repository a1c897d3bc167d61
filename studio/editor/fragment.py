"""The edit loop: canvas, tools, zoom and pan, undo/redo, in two ``st.fragment`` side by side.

The canvas and its status line are one fragment (:func:`_canvas_part`, key
:data:`~studio.editor.settings.CANVAS_FRAGMENT`), the tools column another
(:func:`_tools_part`): a stroke, a gesture, a key the listener takes and an undo or redo
by key rerun the canvas alone, and the column follows when the pointer rests
(:mod:`studio.editor.sync`); a control in the column that changes what the canvas shows
reruns both (:func:`studio.editor.settings.rerun_editor`). Neither reruns the page. The
canvas' run goes through three parts, in this order:

1. **choice** (:func:`_take_input`, :func:`_make_run`): the keys pressed and the viewer
   gestures since the last run change the tool, brush, zoom and pan; the view (window of the
   image, canvas size) follows;
2. **strokes** (:func:`_take_strokes`): the strokes the canvas sent that are not applied yet
   (:mod:`studio.editor.strokes`) are applied, each its own undo step;
3. **redraw** (:func:`_canvas_panel`): the background
   is rebuilt from cached layers (:mod:`studio.editor.layers`) in the same run, showing the
   stored plane composited as Inspect composites it.

The canvas stays mounted (same key) while the user draws, so strokes drawn while the server
is busy are never dropped. Applied strokes stay drawn over the stored result until the
pointer rests (an ``idle`` gesture, :mod:`studio.gestures`); the canvas is then emptied (a
new *generation*, see :mod:`studio.editor.strokes`) and shows the stored plane alone. Undo,
redo and plane operations empty it at once. It is remounted only for a new frame or plane;
a new view (zoom, pan, window size) swaps its background and empties it
(:mod:`studio.editor.views`).

In the collect-then-Apply way (the *Apply on release* toggle off) strokes wait on the
canvas until *Apply* (key ``apply``) writes them all as one undo step.

With ``OVERLAY_STUDIO_EDITOR_RERUN=page`` in the server's environment the same editor runs
without fragments (every stroke then reruns the whole page, as before); ``make bench``
measures both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from pydicom.dataset import Dataset

from overlay_core.edit import apply as edit
from overlay_core.errors import OverlayError
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import origin_offset
from overlay_core.render.geometry import fit_view
from overlay_core.render.navigation import canvas_width, centre_of, step_zoom, zoom_window
from overlay_core.render.styles import PlaneStyle, default_style
from overlay_core.render.windowing import Voi, VoiKind, manual_window
from studio import gestures, restore
from studio.browser import DEFAULT_VIEWPORT, Viewport, keys
from studio.editor import editing, sync, tools, views  # tools: Fill (W) and the intensity range (issue 18)
from studio.editor.canvas import canvas_key, draw_canvas, png_level
from studio.editor.layers import background
from studio.editor.panel import STROKE_LABELS, history_step, tools_panel
from studio.editor.run import EditRun, voi_key
from studio.editor.settings import (
    CANVAS_FRAGMENT,
    PREFS,
    SHORTCUTS,
    TOOLS_FRAGMENT,
    brush_width,
    keys_memory,
    memory,
    page_mode,
    prefs,
    rerun_editor,
    set_tool,
    step_width,
    view_keys,
    zoom_to,
)
from studio.editor.strokes import (
    ERASE_FILL,
    ERASE_STROKE,
    applied,
    generation_of,
    mark_applied,
    new_objects,
    objects_of,
    stroke_mode,
)
from studio.gestures import Gesture, apply_zoom_pan, dragged_window
from studio.measure import statistics_panel
from studio.series import mark_is_stale
from studio.state import LoadedFile
from studio.text import plain

__all__ = ["NEW", "SHORTCUTS", "editor"]

#: The plane picker's value for "a new plane".
NEW = 0
# Room kept under the canvas for its status line (and the Apply row), in px.
_ROOM_BELOW = 78
_ROOM_BELOW_APPLY = 104  # the status line with the Apply and Discard buttons
#: The colour of the plane's extent outline (the overview's window is outlined alike).
EXTENT_COLOUR = "#ff9f1c"


def _state() -> Any:
    return st.session_state


def _css_key(key: str) -> str:
    """Return the class-name form Streamlit gives a widget key (``st-key-<this>``).

    >>> _css_key("canvas.f1.6000.0.n3.ab12")
    'canvas-f1-6000-0-n3-ab12'
    """
    return re.sub(r"[^a-zA-Z0-9_-]", "-", key)


def _rgba(color: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({color[0]}, {color[1]}, {color[2]}, {alpha})"


def _generation() -> int:
    """Return the canvas generation: a new one empties the canvas (see :mod:`studio.editor.strokes`).

    An edit made outside the fragment (a plane operation, an undo from the page) bumps the
    session's nonce (:func:`studio.editor.editing.bump_nonce`); that starts a generation too.
    """
    mem = memory()
    nonce = editing.nonce(_state())
    if mem.get("nonce_seen") != nonce:
        mem["nonce_seen"] = nonce
        mem["generation"] = int(mem.get("generation", 0)) + 1
    return int(mem.get("generation", 0))


def _empty_canvas() -> None:
    """Start a new canvas generation: the next run shows an empty canvas over the stored plane."""
    mem = memory()
    mem["generation"] = int(mem.get("generation", 0)) + 1
    mem.pop("clear_pending", None)


def _say(message: str | None, warning: bool = False) -> None:
    """Keep ``message`` on the status line until the next action (``None`` clears it).

    An error says why a stroke changed nothing; a warning, what it dropped.
    """
    memory()["message"] = None if message is None else (message, warning)


def _applied_count(entry: LoadedFile) -> int:
    """Return the strokes in effect: the stroke steps that undo can still take back."""
    return sum(1 for label in editing.history(entry).undo_labels if label in STROKE_LABELS)


def _apply(run: EditRun, objects: list[Mapping[str, Any]]) -> OverlayPlane:
    """Apply objects in drawing order as one undo step, each drawing or erasing as it was drawn.

    A plane that does not exist yet is created image-sized by the first object. Unless
    *Keep the plane's size* is on, a stroke past the plane grows it; with it on, what falls
    outside is dropped and the status line says how much.
    """
    assert run.frame is not None
    frame = run.frame
    grow = not bool(prefs()["keep"])
    runs: list[tuple[str, list[Mapping[str, Any]]]] = []
    for obj in objects:
        mode = stroke_mode(obj)
        if runs and runs[-1][0] == mode:
            runs[-1][1].append(obj)
        else:
            runs.append((mode, [obj]))

    view = run.drawn_in or run.view  # the view the strokes were drawn in (studio.editor.views)

    def action(ds: Dataset) -> OverlayPlane:
        plane = run.plane
        for mode, objs in runs:  # issue 18: Fill clicks, and every stroke within the intensity range
            plane = tools.apply_objects(ds, run.plane.group, objs, view, mode, frame, run.image_frame,
                                        run.tool, grow=grow)
        return plane

    dropped = 0
    if not grow and not run.create and run.tool != tools.FILL:
        dropped = sum(edit.dropped_outside({"objects": objs}, view, run.plane)
                      for mode, objs in runs if mode != "erase")
    plane = editing.run(run.entry, runs[0][0] if len(runs) == 1 else "draw", action)
    memory()["applies"] = int(memory().get("applies", 0)) + 1  # a new stored state (studio.editor.sync)
    _say(f"{dropped} drawn pixel{'s' if dropped != 1 else ''} outside plane {run.plane.group_hex} "
         "were dropped: Keep the plane's size is on." if dropped else None, warning=True)
    return plane


# --- 1. choice: keys, gestures, the view ---------------------------------------------------


def _sub_memory(name: str) -> dict[str, Any]:
    found = memory().get(name)
    if not isinstance(found, dict):
        found = memory()[name] = {}
    return found


def _drag_window(entry: LoadedFile, gesture: Gesture) -> None:
    """Change the editor's window by a right-button drag (a colour image has none)."""
    used = memory().get("voi_used")
    if not isinstance(used, Voi) or used.kind is not VoiKind.WINDOW:
        return
    centre, width = dragged_window(used.center, used.width, gesture.dx, gesture.dy)
    _state()[voi_key(entry)] = manual_window(centre, width)


def _resized() -> None:
    """Rerun both fragments: the browser reported a new window size (the view changes with it)."""
    rerun_editor(_no_change)


def _no_change() -> None:
    """Change nothing (the rerun is the point)."""


def _take_input(entry: LoadedFile) -> Viewport:
    """Take the keys and gestures sent since the last run (the canvas' part); return the window's size.

    They change the tool, brush, zoom, pan and window; the size (the key listener measures
    the canvas' column) is kept for the tools column's runs (:func:`_make_run`).
    """
    state = _state()
    info = entry.image_info()
    rows, cols = info.rows, info.columns
    zoom_key, centre_key = view_keys(entry.id)
    # a new window size changes the view the column describes too: both fragments rerun
    presses, size = keys("edit.keys", keys_memory(), instant=state.get("edit.tool") != "Polygon",
                         on_viewport=_resized)
    memory()["size"] = size
    moves = gestures.take("edit.gestures", _sub_memory("gestures"))
    last_scale = float(memory().get("scale", 1.0))
    for pressed in presses:
        if pressed in ("[", "]"):
            step_width(1 if pressed == "]" else -1, last_scale)
        elif pressed in ("+", "=", "-"):
            zoom_to(entry.id, step_zoom(float(state.get(zoom_key, 1)), 1 if pressed != "-" else -1), None)
        elif pressed == "r":
            set_tool("Rectangle")
        elif pressed == "c":
            set_tool("Circle")
    for gesture in moves:
        if gesture.kind == "idle":
            memory()["idle"] = True
            continue
        if gesture.kind == "window":
            _drag_window(entry, gesture)
            continue
        before = float(state.get(zoom_key, 1))
        zoom, centre = apply_zoom_pan(gesture, before, zoom_window(rows, cols, before, state.get(centre_key)),
                                      rows, cols)
        zoom_to(entry.id, zoom, centre)
    return size


def _make_run(entry: LoadedFile, plane: OverlayPlane, frame: int | None, image_frame: int, create: bool,
              size: Viewport) -> EditRun:
    """Return this run's tool and view, from the session's settings (both fragments call it alike)."""
    state = _state()
    info = entry.image_info()
    rows, cols = info.rows, info.columns
    state.setdefault("edit.tool", "Brush")
    state.setdefault("edit.mode", "draw")
    zoom_key, centre_key = view_keys(entry.id)
    zoom = float(state.get(zoom_key, 1))
    window = zoom_window(rows, cols, zoom, state.get(centre_key))
    if state.get(centre_key) != centre_of(window):
        state[centre_key] = centre_of(window)
    found = prefs()
    room = _ROOM_BELOW if found["release"] else _ROOM_BELOW_APPLY
    max_height = max(200, size.height - size.top - room)
    width = canvas_width(window, max(120, size.column), max_height)
    view = fit_view(rows, cols, region=window, width=width)
    memory()["scale"] = view.scale
    brush = brush_width(found["width"], view.scale)
    return EditRun(entry, plane, frame, image_frame, create, rows, cols, size, zoom, window, view,
                str(state["edit.tool"]), str(state["edit.mode"]), brush, bool(found["release"]),
                default_style(plane))


def _show_prefs() -> None:
    """Copy the editor's settings into their widgets, before the tools column draws them."""
    found, state = prefs(), _state()
    for name, (widget, _) in PREFS.items():
        if name != "width":
            state[widget] = found[name]


# --- 2. strokes: what the canvas sent, applied ---------------------------------------------


def _take_strokes(run: EditRun) -> None:
    """Apply the strokes the canvas sent and no run has applied yet (when applying on release).

    Runs before anything is drawn, so undo and the background already show them in this run.
    """
    if run.frame is None:
        return
    state, mem = _state(), memory()
    # A new plane or frame mounts a new canvas; its key is never used twice. A new view keeps
    # it: a new generation empties it, and each drawing is read in its own generation's view.
    base = (run.entry.id, run.plane.group, run.frame)
    if mem.get("canvas_base") != base:
        mem["canvas_base"] = base
        mem["canvas_serial"] = int(mem.get("canvas_serial", 0)) + 1
    run.key = canvas_key(run.entry.id, run.plane.group, run.frame, int(mem["canvas_serial"]))
    if mem.pop("idle", False) and mem.pop("clear_pending", False):
        _empty_canvas()  # the user paused: the canvas shows the stored plane alone
    before = _generation()
    run.generation = views.settle_view(mem, before, run.view)
    if run.generation != before:
        mem.pop("clear_pending", None)  # a new view empties the canvas at once
    seen = state.get(run.key)
    drawing = seen.get("drawing", {}).get("raw") if isinstance(seen, Mapping) else None
    run.drawing = drawing
    # Ready once the browser has said how big it is and the canvas has its background.
    run.ready = (isinstance(seen, Mapping) and seen.get("backgroundFit") is not None
                 and run.size is not DEFAULT_VIEWPORT)
    drawn = generation_of(drawing)
    run.drawn_in = run.view if drawn is None else views.drawn_in(mem, drawn)
    # a drawing of a generation whose view is forgotten is never read in a guessed view
    objects = objects_of(drawing) if run.drawn_in is not None else []
    run.done = applied(mem, run.key, generation_of(drawing))
    run.fresh = new_objects(objects, run.done)
    if drawing is not None and not objects:
        # The canvas said it is empty (cleared): an identical new stroke is a new stroke.
        # A run without the canvas' value (dropped by an interrupted rerun, or not sent
        # yet) says nothing: forgetting then would apply every stroke again.
        run.done.clear()
    fill = run.tool == tools.FILL  # a Fill click applies at once; its marker goes when the pointer rests
    if not ((run.release or fill) and run.fresh):
        return
    _say(None)
    grew = False
    for index, obj in enumerate(run.fresh):
        try:
            after = _apply(run, [obj])
        except OverlayError as exc:
            _say(str(exc))  # a stroke that cannot apply is reported once, and not left painted
            mark_applied(run.done, obj)
            continue
        mark_applied(run.done, obj)
        if run.create:  # the plane now exists: the rest of the strokes go to it after a rerun
            for later in run.fresh[index + 1:]:
                mark_applied(run.done, later)
            state[editing.select_key(run.entry)] = run.plane.group
            _empty_canvas()
            st.rerun(scope="app")
        if (after.rows, after.columns, after.origin) != (run.plane.rows, run.plane.columns, run.plane.origin):
            grew = True  # its size and origin show on the page, above the fragment
            run.plane = after
    run.fresh = []
    if run.tool == "Polygon":
        # A polygon is sent only when closed, and the next one's points are clicked with pauses
        # between them: emptied at the next pause, a polygon under way would be lost. Emptied now.
        _empty_canvas()
    else:
        # Emptied once the user pauses (the gestures component says so): emptied at once, a
        # stroke sent from the old canvas and one sent from the new could reach the server in
        # one rerun, and only the later drawing would be read. Until then the strokes show over
        # the stored result, where they are.
        mem["clear_pending"] = int(mem.get("pending_serial", 0)) + 1
        mem["pending_serial"] = mem["clear_pending"]
    if grew:
        st.rerun(scope="app")


# --- 3. redraw: the tools, the canvas over the stored plane ---------------------------------


def _extent_box(run: EditRun) -> tuple[float, float, float, float] | None:
    """Return the plane's extent in canvas pixels (left, top, width, height), cut to the canvas.

    It is outlined over the canvas, never drawn in it: the canvas' pixels stay the stored
    plane's.
    """
    if run.create:
        return None
    v = run.view
    r0, c0 = origin_offset(run.plane.origin)
    x0, y0 = v.image_to_display(r0, c0)
    x1, y1 = v.image_to_display(r0 + run.plane.rows, c0 + run.plane.columns)
    left, top = max(x0, 0.0), max(y0, 0.0)
    right, bottom = min(x1, float(v.display_width)), min(y1, float(v.display_height))
    if right <= left or bottom <= top:
        return None
    return (left, top, right - left, bottom - top)


def _canvas_panel(run: EditRun) -> None:
    """Draw the canvas over the stored plane, its extent, and the status line."""
    state, plane, frame = _state(), run.plane, run.frame
    if frame is None:
        st.info(f"Plane {plane.group_hex} has no frame on image frame {run.image_frame + 1}: pick another "
                "frame, or copy a frame of the plane here.")
        return
    styles = [] if run.create else [run.style]
    try:
        shown = background(run.entry, run.image_frame, run.view, _others(run.entry, plane) + styles, state,
                           state.get(voi_key(run.entry)), level=png_level())
    except OverlayError as exc:
        st.error(plain(str(exc)))
        return
    memory()["voi_used"] = shown.voi
    run.signature = shown.signature
    colour = run.style.color
    # Until the browser has said how big its window is, the canvas is drawn at a default size
    # and resized in a moment: it takes no stroke meanwhile. The style is drawn in every run
    # (empty once the size is known), as the canvas keeps its key and a style left from an
    # earlier run would still apply to it.
    waiting = "{pointer-events:none;opacity:.6}" if run.size is DEFAULT_VIEWPORT else "{}"
    st.html(f"<style>.st-key-{_css_key(run.key)}{waiting}</style>")
    fill = bool(prefs()["fill"])
    fill_colour = ERASE_FILL if run.mode == "erase" else _rgba(colour, 0.45)
    draw_canvas(
        key=run.key, background_png=shown.png, view=run.view, tool=run.tool,
        stroke_width=max(0.5, round(run.brush * run.view.scale, 2)),
        stroke_color=ERASE_STROKE if run.mode == "erase" else _rgba(colour, 0.85),
        fill_color=fill_colour if fill else "rgba(0, 0, 0, 0)",
        generation=run.generation,
    )
    w = run.view.region
    status = st.container(key="edit.status")
    message = memory().get("message")
    if isinstance(message, tuple):
        (status.warning if message[1] else status.error)(plain(str(message[0])))
    applied_count = _applied_count(run.entry)
    # the image rows and columns in view, 1-based as people count them (short: a wrap would move the canvas)
    where = ((f" (frame {frame + 1} of {plane.frames})" if plane.frames > 1 else "")
             + f" · rows {w.row0 + 1}–{w.row0 + w.rows}, columns {w.col0 + 1}–{w.col0 + w.cols}")
    if run.release:
        status.caption(f"Drawing on plane {plane.group_hex}{where} · "
                       + (f"{applied_count} applied on release" if run.ready else "the canvas is loading…")
                       + (" · click the first point again to close the polygon; it applies when closed"
                          if run.tool == "Polygon" else ""))
    else:
        _apply_row(run, status, where, applied_count)
    if shown.missing_reason:
        status.caption(f"The image cannot be shown ({shown.missing_reason}); "
                       "the planes are drawn on black.")


def _apply_row(run: EditRun, status: Any, where: str, applied_count: int) -> None:
    """Draw the status line of the collect-then-Apply way, with Apply and Discard."""
    fresh, plane = run.fresh, run.plane
    a = status.columns([3.2, 1.2, 1.1], vertical_alignment="center", gap="small")
    a[0].caption(
        f"Drawing on plane {plane.group_hex}{where} · {applied_count} applied · "
        + (f"{len(fresh)} shape{'s' if len(fresh) != 1 else ''} drawn, not yet applied"
           if fresh else "nothing drawn yet: draw, then Apply")
        + (" · click the first point again to close the polygon" if run.tool == "Polygon" else ""))
    if a[1].button("Apply", key="apply", type="primary", icon=":material/check:", shortcut="Enter",
                   disabled=not fresh, width="stretch", help="Write the strokes into the plane (Enter)."):
        try:
            after = _apply(run, fresh)
        except OverlayError as exc:
            _say(str(exc))
        else:
            for obj in fresh:
                mark_applied(run.done, obj)
            _empty_canvas()
            grew = (after.rows, after.columns, after.origin) != (plane.rows, plane.columns, plane.origin)
            if run.create or grew:
                if run.create:
                    _state()[editing.select_key(run.entry)] = plane.group
                st.rerun(scope="app")
        _rerun_canvas()
    if a[2].button("Discard", key="edit.discard", icon=":material/ink_eraser_off:", disabled=not fresh):
        for obj in fresh:
            mark_applied(run.done, obj)
        _empty_canvas()
        _rerun_canvas()


def _rerun_canvas() -> None:
    """Rerun the canvas' fragment (the page, when the editor runs without fragments)."""
    st.rerun(scope="app" if page_mode() else "fragment")


def _change_serial(run: EditRun) -> str:
    """Return a name for what the canvas shows: the stored state and the settings it is drawn with.

    It changes with every stroke, undo and redo, and with the tool, brush, zoom, pan and
    window. The canvas publishes it; the tools column says which one it shows, and follows
    when they differ (:mod:`studio.editor.sync`).
    """
    found = prefs()
    shown = (run.entry.id, editing.nonce(_state()), int(memory().get("applies", 0)), run.tool, run.mode,
             run.brush, run.release, bool(found["fill"]), bool(found["keep"]), round(run.zoom, 9),
             run.window, run.view.display_width, run.view.display_height,
             repr(_state().get(voi_key(run.entry))))
    return hashlib.blake2b(repr(shown).encode(), digest_size=8).hexdigest()


def _history_keys(entry: LoadedFile) -> None:
    """Bind Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y in the canvas' fragment: an undo reruns the canvas alone.

    Hidden buttons (the page's style hides them); the tools column's Undo and Redo, clicked,
    do the same and rerun both fragments.
    """
    history = editing.history(entry)
    for key, shortcut, redo, able in (("edit.undo_z", "Ctrl+Z", False, history.can_undo),
                                      ("edit.redo_z", "Ctrl+Shift+Z", True, history.can_redo),
                                      ("edit.redo_y", "Ctrl+Y", True, history.can_redo)):
        st.button("Redo" if redo else "Undo", key=key, shortcut=shortcut, disabled=not able,
                  on_click=history_step, args=(entry, redo), type="tertiary", help=f"({shortcut})")


def _canvas_part(entry: LoadedFile, plane: OverlayPlane, frame: int | None, image_frame: int,
                 create: bool) -> None:
    """Run the canvas' fragment: keys and gestures, the strokes applied, the canvas, its status line.

    A stroke, a gesture, a key the listener takes, and an undo or redo by key rerun this
    part alone; the tools column follows when the pointer rests (:mod:`studio.editor.sync`).
    """
    if _state().pop("edit.rerun_app", False):
        st.rerun(scope="app")
    run = _make_run(entry, plane, frame, image_frame, create, _take_input(entry))  # 1. choice
    _take_strokes(run)  # 2. strokes, applied
    # a closed polygon empties the canvas in this run, not the next: its new generation is
    # remembered with this view, or a drawing in it would never be read (studio.editor.views)
    run.generation = views.settle_view(memory(), _generation(), run.view)
    _history_keys(run.entry)
    _canvas_panel(run)  # 3. redraw (the canvas)
    mem = memory()
    # invisible: the gestures on the canvas, the plane's extent over it
    gestures.show("edit.gestures", canvas=True, view=f"{run.key}/{views.view_id(run.view)}",
                  extent=_extent_box(run),
                  generation=run.generation, pending=int(mem.get("clear_pending") or 0),
                  signature=run.signature, handled=gestures.handled(_sub_memory("gestures")))
    sync.canvas_state("edit.sync.canvas", _change_serial(run))
    restore.say_unsaved("edit.unsaved")  # the first stroke makes leaving ask, an undo back stops it
    if mark_is_stale(_state(), run.entry):  # the sidebar's unsaved mark flipped: redraw it at once
        st.rerun(scope="app")


def _tools_part(entry: LoadedFile, plane: OverlayPlane, frame: int | None, image_frame: int,
                create: bool) -> None:
    """Run the tools column's fragment: tools, undo/redo, settings, zoom, pan, overview, statistics.

    Drawn with the size the canvas' part last measured. A control here that changes what
    the canvas shows reruns both fragments (:func:`studio.editor.settings.rerun_editor`).
    """
    if _state().pop("edit.rerun_app", False):
        st.rerun(scope="app")
    run = _make_run(entry, plane, frame, image_frame, create, memory().get("size", DEFAULT_VIEWPORT))
    _show_prefs()  # before the widgets are drawn
    tools_panel(run)
    sync.panel_state("edit.sync.panel", _change_serial(run))
    if not create:  # issue 18: statistics always shown, as stored after the canvas' last change
        statistics_panel(entry, run.plane, image_frame, "edit")


def _others(entry: LoadedFile, plane: OverlayPlane) -> list[PlaneStyle]:
    """Return the styles of the other planes: faint, under the one being edited."""
    out = []
    for p in entry.planes():
        if p.group != plane.group:
            s = default_style(p)
            out.append(PlaneStyle(p.group, s.color, min(s.opacity, 0.35), True, False))
    return out


_canvas_fragment: Callable[..., None] = st.fragment(_canvas_part, key=CANVAS_FRAGMENT)
_tools_fragment: Callable[..., None] = st.fragment(_tools_part, key=TOOLS_FRAGMENT)


def editor(entry: LoadedFile, plane: OverlayPlane, frame: int | None, image_frame: int, create: bool) -> None:
    """Show the editor for ``plane`` (plane frame ``frame`` on image frame ``image_frame``).

    ``create``: the plane does not exist yet; the first stroke creates it image-sized.
    """
    canvas_col, tools_col = st.columns([2.5, 1.5], gap="small")
    page = page_mode()
    with canvas_col:  # the canvas first, so its picture is fetched while the column is drawn
        (_canvas_part if page else _canvas_fragment)(entry, plane, frame, image_frame, create)
    with tools_col:
        (_tools_part if page else _tools_fragment)(entry, plane, frame, image_frame, create)
