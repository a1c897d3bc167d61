"""Viewer gestures, as in OHIF or Weasis: one small Custom Component v2 for Inspect and Edit.

The component runs in the page (v2 components are not sandboxed, no iframe). It either
shows an image itself (Inspect: ``src`` given) or attaches to the drawing canvas of the
Edit page (``canvas``: the elements whose class starts with ``st-key-canvas-``). It keeps
drawing to the canvas: only the gestures below are taken from it.

Protocol (data in, events out)
------------------------------
Data in (``data=``):

``src``, ``width``, ``height``
    The picture to show and its size in CSS pixels (Inspect); absent on Edit.
``canvas``
    ``True`` on Edit: listen on the drawing canvas instead.
``below``
    (Inspect) The height in CSS pixels the caption and controls under the picture take.
``spacing``
    ``[row_mm, col_mm]`` of one display pixel, or ``None`` (the ruler then reads pixels).
``ruler``
    Whether a left drag measures (Inspect's ruler toggle); on Edit a left drag draws.
``extent``
    ``[left, top, width, height]`` in display pixels of the canvas: the plane's extent,
    outlined dashed over the canvas (Edit), or ``None``.
``pending``
    (Edit) Applied strokes are still drawn on the canvas, waiting for a pause (``idle``): a
    number that changes with each stroke applied, ``0`` for none. Published (as a flag) as
    ``window.__overlayStudioPending``.
``generation``
    The canvas generation shown (Edit; see :mod:`studio.editor.strokes`), published as
    ``window.__overlayStudioGeneration`` for the key listener, which draws a stroke again
    when the canvas was emptied while it was drawn.
``view``, ``signature``, ``handled``
    (Edit) The view the server drew (a name), its picture's
    :func:`studio.editor.views.signature`, and ``[mount, serial]`` of the last event it
    took (:func:`handled`). From a zoom or pan gesture until the canvas' background shows
    that picture for the view of a run that took the gesture, the canvas takes no pointer
    press (published as ``window.__overlayStudioViewPending``), the gesture's CSS preview
    stays, and the plane's extent keeps its old place.

State out (``st.session_state[key]``):

``events``
    ``{"mount": id, "events": [[serial, event], ...]}``, the last 16 events, numbered by
    the browser; :func:`new_events` returns each once, in order, across coalesced reruns.
    An event is a dict with ``kind``:

    * ``zoom``: ``steps`` (wheel notches, positive in) about the point ``x``, ``y``
      (fractions ``0..1`` of the view's width and height);
    * ``pan``: ``dx``, ``dy``, how far the view was dragged, as fractions of its size
      (middle button, or Space + left button);
    * ``window``: ``dx``, ``dy`` in screen pixels of a right-button drag (right: wider,
      down: brighter is lower level);
    * ``fit``: a double-click (Inspect; on Edit a double-click would draw);
    * ``ruler``: ``x0``, ``y0``, ``x1``, ``y1``, the measured line as fractions of the view;
    * ``idle``: (Edit) the pointer has rested 0.6 s since the last stroke while strokes are
      applied but still drawn on the canvas (``pending``): the canvas may be emptied now;
    * ``redraw``: (Edit) the canvas has not shown the view ``view`` 2 s after it arrived (a
      picture that failed to load): a run sends it again. Nothing else is done with it.
``width``
    The width the picture may take, in CSS pixels (Inspect renders exactly that wide, so
    the percentage shown is true and no browser resampling dims thin lines). On Inspect it
    is also kept to a picture no taller than the window leaves below its top, less
    ``below`` CSS pixels for its caption and controls (at least 240 px tall), so the
    picture and its controls fit in one screen.

While a gesture is under way the picture moves, scales or changes contrast at once in
the browser (a CSS preview); the server's new view replaces it when it arrives.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from overlay_core.render.geometry import Region
from overlay_core.render.navigation import MAX_ZOOM, centre_of

__all__ = ["WHEEL_STEP", "Gesture", "apply_zoom_pan", "dragged_window", "handled", "new_events",
           "offered_width", "ruler_length", "show", "take"]

#: The zoom factor of one wheel notch.
WHEEL_STEP = 1.25

# The browser half, kept as plain files (an editor checks them as JavaScript and CSS); read
# once at import, as Custom Components v2 takes asset paths only from installed packages.
_STATIC = Path(__file__).with_name("static")
_JS = (_STATIC / "gestures.js").read_text(encoding="utf-8")
_CSS = (_STATIC / "gestures.css").read_text(encoding="utf-8")

_component = st.components.v2.component("overlay_studio_gestures", js=_JS, css=_CSS)


@dataclass(frozen=True)
class Gesture:
    """One viewer gesture from the browser (see the module docstring for the fields)."""

    kind: str
    x: float = 0.5
    y: float = 0.5
    steps: int = 0
    dx: float = 0.0
    dy: float = 0.0
    x1: float = 0.5
    y1: float = 0.5

    @classmethod
    def of(cls, event: object) -> Gesture | None:
        """Read an event the browser sent; ``None`` for anything malformed.

        >>> Gesture.of({"kind": "zoom", "steps": 2, "x": 0.25, "y": 2})
        Gesture(kind='zoom', x=0.25, y=1.0, steps=2, dx=0.0, dy=0.0, x1=0.5, y1=0.5)
        >>> Gesture.of({"kind": "explode"}) is None
        True
        """
        kinds = ("zoom", "pan", "window", "fit", "ruler", "idle")
        if not isinstance(event, dict) or event.get("kind") not in kinds:
            return None

        def num(name: str, default: float, unit: bool = False) -> float:
            try:
                value = float(event.get(name, default))
            except (TypeError, ValueError):
                return default
            if not math.isfinite(value):
                return default
            return min(max(value, 0.0), 1.0) if unit else value

        kind = str(event["kind"])
        if kind == "ruler":
            return cls(kind, num("x0", 0.5, True), num("y0", 0.5, True), 0, 0.0, 0.0,
                       num("x1", 0.5, True), num("y1", 0.5, True))
        return cls(kind, num("x", 0.5, True), num("y", 0.5, True), int(num("steps", 0)),
                   num("dx", 0.0), num("dy", 0.0))


def new_events(sent: object, memory: MutableMapping[str, Any]) -> list[Gesture]:
    """Return the gestures in ``sent`` not handled yet, in order, and remember the last one.

    >>> memory = {}
    >>> sent = {"mount": "a", "events": [[1, {"kind": "fit"}], [2, {"kind": "zoom", "steps": 1}]]}
    >>> [g.kind for g in new_events(sent, memory)], new_events(sent, memory)
    (['fit', 'zoom'], [])
    """
    if not isinstance(sent, dict) or not isinstance(sent.get("events"), list):
        return []
    mount = str(sent.get("mount"))
    last = int(memory.get("last", 0)) if memory.get("mount") == mount else 0
    fresh = []
    for item in sent["events"]:
        if isinstance(item, list) and len(item) == 2 and int(item[0]) > last:
            last = int(item[0])
            gesture = Gesture.of(item[1])
            if gesture is not None:
                fresh.append(gesture)
    memory["mount"], memory["last"] = mount, last
    return fresh


def apply_zoom_pan(gesture: Gesture, zoom: float, window: Region, rows: int, cols: int
                   ) -> tuple[float, tuple[float, float]]:
    """Return the zoom and centre after a zoom, pan or fit gesture on a view of ``window``.

    A wheel zoom keeps the image point under the pointer under it (as far as the image's
    edges allow); a pan moves the image with the pointer.

    >>> apply_zoom_pan(Gesture("zoom", x=0.0, y=0.0, steps=1), 1, Region(0, 0, 100, 100), 100, 100)
    (1.25, (40.0, 40.0))
    >>> apply_zoom_pan(Gesture("pan", dx=0.1, dy=0.0), 2, Region(20, 20, 50, 50), 100, 100)
    (2, (45.0, 40.0))
    """
    if gesture.kind == "fit":
        return 1.0, (rows / 2, cols / 2)
    if gesture.kind == "pan":
        r, c = centre_of(window)
        return zoom, (r - gesture.dy * window.rows, c - gesture.dx * window.cols)
    if gesture.kind != "zoom" or not gesture.steps:
        return zoom, centre_of(window)
    new = min(max(zoom * WHEEL_STEP ** gesture.steps, 1.0), MAX_ZOOM)
    new = round(new, 4)
    row = window.row0 + gesture.y * window.rows  # the image point under the pointer
    col = window.col0 + gesture.x * window.cols
    new_rows, new_cols = rows / new, cols / new
    return new, (row - gesture.y * new_rows + new_rows / 2, col - gesture.x * new_cols + new_cols / 2)


def dragged_window(center: float, width: float, dx: float, dy: float) -> tuple[float, float]:
    """Return the window after a right-button drag of ``dx``, ``dy`` screen pixels.

    Right widens and left narrows the window (by a factor, so it never reaches zero);
    down raises the level, so the image darkens, as in OHIF.

    >>> dragged_window(40, 400, 0, 0), dragged_window(40, 400, 0, 100)
    ((40, 400), (140.0, 400))
    >>> round(dragged_window(40, 400, 300, 0)[1])
    1087
    """
    if dx:
        width = max(1.0, width * math.exp(dx / 300))
    if dy:
        center = center + dy * width / 400
    return center, width


def ruler_length(gesture: Gesture, view_rows: int, view_cols: int,
                 spacing: tuple[float, float] | None) -> tuple[float, str]:
    """Return a ruler's length, in mm with Pixel Spacing ``(row, col)`` in mm, else in pixels.

    ``view_rows`` and ``view_cols`` are the image pixels the view shows.

    >>> ruler_length(Gesture("ruler", 0, 0, x1=1, y1=0), 50, 40, (0.5, 0.25))
    (10.0, 'mm')
    >>> ruler_length(Gesture("ruler", 0, 0, x1=0.75, y1=1), 40, 40, None)
    (50.0, 'px')
    """
    drow = (gesture.y1 - gesture.y) * view_rows
    dcol = (gesture.x1 - gesture.x) * view_cols
    if spacing is not None:
        return math.hypot(drow * spacing[0], dcol * spacing[1]), "mm"
    return math.hypot(drow, dcol), "px"


def take(key: str, memory: MutableMapping[str, Any]) -> list[Gesture]:
    """Return the gestures the component ``key`` sent that no run has taken yet, in order.

    Read before the view is drawn (the component's state is in ``st.session_state[key]``),
    so the view drawn in this run already follows them.
    """
    seen = st.session_state.get(key)
    return new_events(seen.get("events") if isinstance(seen, dict) else None, memory)


def handled(memory: MutableMapping[str, Any]) -> list[Any]:
    """Return ``[mount, serial]`` of the last event :func:`new_events` took with ``memory``.

    >>> memory = {}
    >>> _ = new_events({"mount": "a", "events": [[4, {"kind": "fit"}]]}, memory)
    >>> handled(memory), handled({})
    (['a', 4], [None, 0])
    """
    return [memory.get("mount"), int(memory.get("last", 0))]


def offered_width(key: str) -> int | None:
    """Return the width the browser offers the picture of the component ``key``, once it said."""
    seen = st.session_state.get(key)
    width = seen.get("width") if isinstance(seen, dict) else None
    return int(width) if isinstance(width, (int, float)) and width > 0 else None


def show(key: str, *, src: str | None = None, width: int = 0, height: int = 0, canvas: bool = False,
         ruler: bool = False, spacing: tuple[float, float] | None = None, image_cols: int = 0,
         view: str = "", extent: tuple[float, float, float, float] | None = None,
         generation: int | None = None, pending: int = 0, below: int = 0,
         signature: list[list[int]] | None = None, handled: list[Any] | None = None) -> None:
    """Show the gesture component (see the module docstring for its data).

    ``src`` (a data URL or media URL) shows that picture, ``width`` x ``height`` CSS pixels;
    ``canvas`` listens on the Edit page's drawing canvas instead. ``spacing`` is the Pixel
    Spacing of one *display* pixel in mm, for the ruler's label; ``view`` names the view
    shown (a new one ends the browser's preview of a gesture); ``extent`` is outlined over
    the canvas; ``generation`` is the canvas generation shown; ``pending`` says applied
    strokes wait on the canvas for a pause; ``below`` is the room kept under the picture;
    ``signature`` and ``handled`` tell the browser when the canvas shows the view ``view``.
    """
    _component(
        data={"src": src, "width": width, "height": height, "canvas": canvas, "ruler": ruler,
              "spacing": list(spacing) if spacing else None, "image_cols": image_cols, "view": view,
              "generation": generation, "pending": pending, "below": below,
              "signature": signature, "handled": handled,
              "extent": None if extent is None else [round(v, 1) for v in extent]},
        key=key, on_events_change=lambda: None, on_width_change=lambda: None,
        width="stretch", height="content" if src else 0,
    )
