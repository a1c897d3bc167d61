"""Inspect's image viewer: wheel zoom, drag to pan, right-drag window, double-click fit, ruler, cine.

The picture is rendered exactly as wide as the browser offers (:func:`studio.gestures.offered_width`),
so "shown at N %" is true and no browser resampling dims one-pixel overlay lines (the
planes are OR-pooled when shown smaller than full size, see
:func:`overlay_core.render.compose.pool_mask`). Gestures (:mod:`studio.gestures`) are taken
before the view is drawn, so the view of a run already follows them. Cine plays the
instances of a series, or the frames of a multi-frame image, at a chosen rate
(:mod:`studio.cine`): the viewer is then an ``st.fragment`` that reruns itself at that rate
and moves to the next instance (the active file) or the next frame (:mod:`studio.frames`).
"""

from __future__ import annotations

import base64
from typing import Any

import streamlit as st

from overlay_core.errors import OverlayError
from overlay_core.render.navigation import centre_of, pixel_spacing, zoom_window
from overlay_core.render.styles import PlaneStyle
from overlay_core.render.windowing import Voi, VoiKind, manual_window
from studio import cine, gestures
from studio.editor.canvas import background_url
from studio.frames import current_frame, set_frame
from studio.state import LoadedFile
from studio.text import plain
from studio.view import Rendered, render_view

__all__ = ["KEY", "image_viewer"]

#: The gesture component's key on Inspect.
KEY = "inspect.viewer"
#: The width used until the browser has said how wide the view may be, in CSS pixels.
_FIRST_WIDTH = 640
_MAX_WIDTH = 1600
#: CSS pixels kept under the picture for its caption (up to three lines) and, with cine, its row.
_BELOW, _CINE_ROW = 110, 60
#: Pictures kept for the browser while cine plays (see :func:`_picture_key`).
_CINE_RING = 8


def _memory() -> dict[str, Any]:
    found = st.session_state.get("inspect.viewer.memory")
    if not isinstance(found, dict):
        found = st.session_state["inspect.viewer.memory"] = {}
    return found


def _keys(entry: LoadedFile, anchor: str) -> tuple[str, str, str, str, str]:
    """Return the session keys of the view of ``entry``: zoom, centre, dragged window, ruler, Reset.

    The ruler toggle's and the Reset button's are one per series (``anchor``: its first
    file), so while a series plays these widgets stay as they are.
    """
    return (f"inspect.zoom.{entry.id}", f"inspect.centre.{entry.id}", f"inspect.window.{entry.id}",
            f"inspect.ruler.{anchor}", f"inspect.reset.{anchor}")


def image_viewer(entry: LoadedFile, frame: int, voi: Voi | None, styles: list[PlaneStyle]) -> Rendered | None:
    """Show image frame ``frame`` with ``styles`` in the viewer; return the view shown (``None``: an error).

    ``voi`` is the window the page's controls chose; a right-button drag replaces it by a
    manual window until the controls change or *Reset* is pressed.
    """
    plays = cine.what_plays(st.session_state, entry)
    playing = plays.playing(st.session_state)
    body = st.fragment(_view, run_every=1 / plays.rate(st.session_state) if playing else None)
    result: list[Rendered | None] = []
    body(entry, frame, voi, styles, plays.kind if playing else "", plays, result)
    cine.controls(plays, playing)
    return result[0] if result else None


def _view(entry: LoadedFile, frame: int, voi: Voi | None, styles: list[PlaneStyle], playing: str,
          plays: cine.Cine, result: list[Rendered | None]) -> None:
    """One view; ``playing`` (``"series"`` or ``"frames"``) first moves to the next instance or frame.

    On the fragment's own reruns the arguments are those of the page's last run: while a
    series plays, the instance shown, its window and styles are read from the session.
    """
    state = st.session_state
    place = ""
    if playing == "series":  # the next instance, made active, shown as Inspect shows it
        entry, k, n = cine.step(state, entry)
        frame = current_frame(state, entry, entry.image_info().frames)
        voi, styles = cine.instance_voi(state, entry), cine.instance_styles(state, entry)
        place = f" · instance {k} of {n}: {plain(entry.name)}"
    info = entry.image_info()
    rows, cols = info.rows, info.columns
    zoom_key, centre_key, window_key, ruler_key, reset_key = _keys(entry, plays.anchor)
    if playing == "frames":  # the next frame, shared with the page's frame control
        frame = (current_frame(state, entry, info.frames) + 1) % info.frames
        set_frame(state, entry, frame, info.frames)
    zoom = float(state.get(zoom_key, 1.0))
    window = zoom_window(rows, cols, zoom, state.get(centre_key))
    measured = None
    for gesture in gestures.take(KEY, _memory()):
        if gesture.kind == "window":
            used = _memory().get("voi_used")
            if isinstance(used, Voi) and used.kind is VoiKind.WINDOW:
                state[window_key] = (voi, manual_window(*gestures.dragged_window(
                    used.center, used.width, gesture.dx, gesture.dy)))
        elif gesture.kind == "ruler":
            measured = gesture
        else:
            zoom, centre = gestures.apply_zoom_pan(gesture, zoom, window, rows, cols)
            window = zoom_window(rows, cols, zoom, centre)
    state[zoom_key], state[centre_key] = zoom, centre_of(window)
    dragged = state.get(window_key)
    if isinstance(dragged, tuple) and dragged[0] == voi:
        voi = dragged[1]  # a dragged window holds while the controls keep their choice
    width = min(gestures.offered_width(KEY) or _FIRST_WIDTH, _MAX_WIDTH)
    width = min(width, round(window.cols * 16))  # at most 16 screen pixels per image pixel
    try:
        view = render_view(entry, frame=frame, voi=voi, styles=styles, max_size=None, region=window,
                           width=max(64, width))
    except OverlayError as exc:
        st.error(plain(str(exc)))
        result.append(None)
        return
    _memory()["voi_used"] = view.voi
    g = view.geometry
    spacing = pixel_spacing(entry.dataset) if entry.dataset is not None else None
    ruler = bool(state.get(ruler_key))
    picture = _picture_key(playing)
    url = background_url(view.png, picture)
    gestures.show(KEY, src=url if isinstance(url, str) else _data_url(url),
                  width=g.display_width, height=g.display_height, ruler=ruler,
                  spacing=(spacing[0] / g.scale_y, spacing[1] / g.scale_x) if spacing else None,
                  # While cine plays, each tick's message is new (its tick in the view's name):
                  # Streamlit sends a message seen before as a reference to the browser's cached
                  # copy, and at cine's pace that copy can be gone ("Cached ForwardMsg MISS",
                  # the connection drops).
                  image_cols=g.region.cols, view=f"{g}" + (f" {picture}#{_memory()['cine_tick']}"
                                                           if playing else ""),
                  below=_BELOW + (_CINE_ROW if plays.kind else 0))
    if view.missing_reason:
        st.warning(f"The image cannot be shown ({plain(view.missing_reason)}); "
                   "the planes are drawn on black.")
    w = g.region
    # 1-based, as people count (and as Edit's status line says)
    where = (f"rows {w.row0 + 1}–{w.row0 + w.rows}, columns {w.col0 + 1}–{w.col0 + w.cols}"
             if zoom > 1 else "the whole image")
    line = st.columns([3, 1, 1], vertical_alignment="center")
    line[0].caption(f"{plain(view.voi.name) if view.voi else ''} · shown at {g.scale:.0%} of full size · "
                    f"{where}" + (f" · frame {frame + 1} of {info.frames}" if info.frames > 1 else "")
                    + place,
                    help="Wheel: zoom about the pointer · middle drag or Space + drag: pan · right "
                    "drag: window (left/right width, up/down level) · double-click: fit · Ruler on: "
                    "drag to measure.")
    line[1].toggle("Ruler", key=ruler_key, help="Drag on the image to measure: mm from Pixel Spacing, "
                   "else image pixels.")
    if line[2].button("Reset", key=reset_key, icon=":material/restart_alt:",
                      help="Fit the whole image and go back to the window chosen above."):
        state[zoom_key], state[centre_key] = 1.0, None
        state.pop(window_key, None)
        st.rerun()
    if measured is not None:
        length, unit = gestures.ruler_length(measured, g.region.rows, g.region.cols, spacing)
        _memory()["ruler"] = (f"Ruler: {length:.1f} {unit}"
                              + ("" if spacing else " (no Pixel Spacing in the file)"))
    if ruler and _memory().get("ruler"):
        st.caption(str(_memory()["ruler"]), help="The last distance measured.")
    result.append(view)


def _picture_key(playing: str) -> str:
    """Return the media-file key of the picture of this run.

    Streamlit drops a media file at the end of the run that replaced it under the same key;
    while cine plays the browser may ask for a picture after that (a 404: a broken image), so
    the last :data:`_CINE_RING` pictures are kept under keys of their own until the next run
    of the whole page.
    """
    if not playing:
        return KEY
    tick = int(_memory().get("cine_tick", 0)) + 1
    _memory()["cine_tick"] = tick
    return f"{KEY}.cine{tick % _CINE_RING}"


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
