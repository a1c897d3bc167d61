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
      applied but still drawn on the canvas (``pending``): the canvas may be emptied now.
``width``
    The width the picture may take, in CSS pixels (Inspect renders exactly that wide, so
    the percentage shown is true and no browser resampling dims thin lines).

While a gesture is under way the picture moves, scales or changes contrast at once in
the browser (a CSS preview); the server's new view replaces it when it arrives.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from overlay_core.render.geometry import Region
from overlay_core.render.navigation import MAX_ZOOM, centre_of

__all__ = ["WHEEL_STEP", "Gesture", "apply_zoom_pan", "dragged_window", "new_events", "offered_width",
           "ruler_length", "show", "take"]

#: The zoom factor of one wheel notch.
WHEEL_STEP = 1.25

_JS = """
export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const hostEl = parentElement instanceof ShadowRoot ? parentElement.host : parentElement;
  let self = parentElement.__overlayGestures;
  if (!self) {
    self = { serial: 0, events: [], mount: Math.random().toString(36).slice(2), space: false,
             hover: false, drag: null, wheel: null, moved: new Set(), setStateValue, data };
    const box = document.createElement("div");
    box.className = "og-box";
    const img = document.createElement("img");
    img.draggable = false;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "og-ruler");
    const label = document.createElement("div");
    label.className = "og-label";
    box.append(img, svg, label);
    parentElement.appendChild(box);
    Object.assign(self, { box, img, svg, label });
    const push = (event) => {
      self.serial += 1;
      self.events = [...self.events, [self.serial, event]].slice(-16);
      self.setStateValue("events", { mount: self.mount, events: self.events });
    };
    // The element gestures act on, and the one previewed, for an event's target.
    const targetOf = (e) => {
      const path = e.composedPath ? e.composedPath() : [];  // events in a shadow root: e.target is its host
      if (!self.data.canvas) return path.includes(self.box) ? { view: self.img, move: self.img } : null;
      const isCanvas = (el) => el.classList && [...el.classList].some((c) => c.startsWith("st-key-canvas-"));
      const host = path.find(isCanvas);
      if (!host) return null;
      const view = path.find((el) => el.classList && el.classList.contains("dc-container"));
      return view ? { view, move: view } : null;
    };
    const fraction = (view, e) => {
      const r = view.getBoundingClientRect();
      return { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height, r };
    };
    self.onWheel = (e) => {
      const t = targetOf(e);
      if (!t) return;
      e.preventDefault();
      e.stopPropagation();
      const w = self.wheel || (self.wheel = { steps: 0, t, at: fraction(t.view, e) });
      w.steps += e.deltaY < 0 ? 1 : -1;
      const f = w.at;
      self.moved.add(t.move);
      t.move.style.transformOrigin = `${f.x * 100}% ${f.y * 100}%`;
      t.move.style.transform = `scale(${Math.pow(1.25, w.steps)})`;
      clearTimeout(self.wheelTimer);
      self.wheelTimer = setTimeout(() => {
        const done = self.wheel; self.wheel = null;
        if (done && done.steps) push({ kind: "zoom", steps: done.steps, x: done.at.x, y: done.at.y });
      }, 140);
    };
    self.onDown = (e) => {
      const t = targetOf(e);
      if (!t) return;
      const measuring = e.button === 0 && self.data.ruler && !self.data.canvas;
      const kind = e.button === 1 || (e.button === 0 && self.space) ? "pan"
        : e.button === 2 ? "window" : measuring ? "ruler" : null;
      if (!kind) return;
      e.preventDefault();
      e.stopImmediatePropagation();  // the drawing canvas never sees it
      const f = fraction(t.view, e);
      self.drag = { kind, t, x0: e.clientX, y0: e.clientY, f0: f };
      self.moved.add(t.move);
    };
    self.onMove = (e) => {
      const d = self.drag;
      if (!d) { self.hover = !!targetOf(e); return; }
      e.preventDefault();
      e.stopImmediatePropagation();
      const dx = e.clientX - d.x0, dy = e.clientY - d.y0;
      if (d.kind === "pan") d.t.move.style.transform = `translate(${dx}px, ${dy}px)`;
      if (d.kind === "window") {
        d.t.move.style.filter = `contrast(${Math.exp(-dx / 300)}) brightness(${Math.exp(-dy / 300)})`;
      }
      if (d.kind === "ruler") self.drawRuler(d.f0, fraction(d.t.view, e));
    };
    self.onUp = (e) => {
      const d = self.drag;
      if (!d) return;
      self.drag = null;
      e.preventDefault();
      e.stopImmediatePropagation();
      const dx = e.clientX - d.x0, dy = e.clientY - d.y0;
      const r = d.f0.r;
      if (Math.abs(dx) + Math.abs(dy) < 2) { self.reset(); return; }
      if (d.kind === "pan") push({ kind: "pan", dx: dx / r.width, dy: dy / r.height });
      if (d.kind === "window") push({ kind: "window", dx, dy });
      if (d.kind === "ruler") {
        const f = fraction(d.t.view, e);
        push({ kind: "ruler", x0: d.f0.x, y0: d.f0.y, x1: f.x, y1: f.y });
      }
    };
    self.drawRuler = (a, b) => {
      const r = self.img.getBoundingClientRect();
      const [x0, y0, x1, y1] = [a.x * r.width, a.y * r.height, b.x * r.width, b.y * r.height];
      self.svg.innerHTML = `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y1}"/>`
        + `<circle cx="${x0}" cy="${y0}" r="3"/><circle cx="${x1}" cy="${y1}" r="3"/>`;
      const sp = self.data.spacing;
      const px = Math.hypot(x1 - x0, y1 - y0);
      const mm = sp ? Math.hypot((x1 - x0) * sp[1], (y1 - y0) * sp[0]) : null;
      const scale = self.data.width / (self.data.image_cols || self.data.width);
      self.label.textContent = mm !== null ? `${mm.toFixed(1)} mm` : `${(px / scale).toFixed(1)} px`;
      Object.assign(self.label.style, { left: `${x1 + 6}px`, top: `${y1 + 6}px`, display: "block" });
    };
    self.onDblClick = (e) => {
      if (self.data.canvas || !targetOf(e)) return;
      e.preventDefault();
      push({ kind: "fit" });
    };
    self.onContext = (e) => { if (targetOf(e)) e.preventDefault(); };
    self.onKey = (e) => {
      const tag = (e.target && e.target.tagName || "").toLowerCase();
      if (e.key !== " " || ["input", "textarea", "select"].includes(tag)) return;
      if (e.type === "keyup") { self.space = false; return; }
      if (self.hover) { self.space = true; e.preventDefault(); }  // not a page scroll, nor a click
    };
    self.reset = () => {  // the previews end: the server's view is shown as it is
      for (const el of self.moved) { el.style.transform = ""; el.style.filter = ""; }
      self.moved.clear();
    };
    self.report = () => {
      const width = Math.floor(hostEl.clientWidth);
      if (width && width !== self.width) { self.width = width; self.setStateValue("width", width); }
    };
    self.onMouseDown = (e) => { if (self.drag) e.stopImmediatePropagation(); };
    // A pause after strokes: the pointer up and still for 0.6 s (Edit).
    self.rest = { since: performance.now(), down: false, asked: false };
    self.onActivity = (e) => {
      if (!self.data.canvas) return;
      if (e.type === "pointerdown") self.rest.down = true;
      if (e.type === "pointerup") self.rest.down = false;
      if (e.type !== "pointermove" || e.buttons) self.rest.since = performance.now();
    };
    self.resting = setInterval(() => {
      const r = self.rest;
      if (self.data.canvas && self.data.pending && !r.down && !r.asked && performance.now() - r.since > 600) {
        r.asked = true;
        push({ kind: "idle" });
      }
    }, 100);
    // The plane's extent over the drawing canvas (inside its shadow root, so a page style
    // cannot reach it); a canvas mounted later is found on the next tick.
    const deepFind = (root, selector) => {
      const found = root.querySelector(selector);
      if (found) return found;
      for (const el of root.querySelectorAll("*")) {
        const inner = el.shadowRoot && deepFind(el.shadowRoot, selector);
        if (inner) return inner;
      }
      return null;
    };
    self.place = () => {
      if (!self.data.canvas) return;
      for (const host of document.querySelectorAll('[class*="st-key-canvas-"]')) {
        const container = deepFind(host, ".dc-container");
        if (!container) continue;
        let box = container.querySelector(".og-extent");
        const x = self.data.extent;
        if (!x) { if (box) box.remove(); continue; }
        if (!box) {
          box = document.createElement("div");
          box.className = "og-extent";
          Object.assign(box.style, { position: "absolute", pointerEvents: "none", zIndex: 5,
                                     outline: "1px dashed #ff9f1c", boxSizing: "border-box" });
          container.style.position = "relative";
          container.appendChild(box);
        }
        Object.assign(box.style, { left: x[0] + "px", top: x[1] + "px" });
        Object.assign(box.style, { width: x[2] + "px", height: x[3] + "px" });
      }
    };
    self.placer = setInterval(self.place, 300);
    for (const type of ["pointerdown", "pointermove", "pointerup"]) {
      window.addEventListener(type, self.onActivity, true);
    }
    window.addEventListener("wheel", self.onWheel, { capture: true, passive: false });
    window.addEventListener("pointerdown", self.onDown, true);
    window.addEventListener("mousedown", self.onMouseDown, true);
    window.addEventListener("pointermove", self.onMove, true);
    window.addEventListener("pointerup", self.onUp, true);
    window.addEventListener("dblclick", self.onDblClick, true);
    window.addEventListener("contextmenu", self.onContext, true);
    window.addEventListener("keydown", self.onKey, true);
    window.addEventListener("keyup", self.onKey, true);
    self.observer = new ResizeObserver(() => self.report());
    self.observer.observe(hostEl);
    parentElement.__overlayGestures = self;
  }
  self.data = data;
  self.setStateValue = setStateValue;
  if (data.canvas) {
    window.__overlayStudioGeneration = data.generation;
    window.__overlayStudioPending = !!data.pending;
    if (data.pending !== self.lastPending) self.rest.asked = false;  // new strokes wait: ask again
    self.lastPending = data.pending;
  }
  self.box.style.display = data.src ? "inline-block" : "none";
  if (data.src && self.img.src !== data.src) self.img.src = data.src;
  if (data.src) {
    self.img.style.width = data.width + "px";
    self.img.style.height = data.height + "px";
    self.svg.setAttribute("width", data.width);
    self.svg.setAttribute("height", data.height);
  }
  if (!self.drag && !self.wheel) {
    self.reset();
    if (!data.ruler || self.lastSrc !== data.src) {
      self.svg.innerHTML = "";
      self.label.style.display = "none";
    }
  }
  self.lastSrc = data.src;
  self.report();
  self.place();
  return () => {
    window.removeEventListener("wheel", self.onWheel, { capture: true });
    window.removeEventListener("pointerdown", self.onDown, true);
    window.removeEventListener("mousedown", self.onMouseDown, true);
    window.removeEventListener("pointermove", self.onMove, true);
    window.removeEventListener("pointerup", self.onUp, true);
    window.removeEventListener("dblclick", self.onDblClick, true);
    window.removeEventListener("contextmenu", self.onContext, true);
    window.removeEventListener("keydown", self.onKey, true);
    window.removeEventListener("keyup", self.onKey, true);
    self.observer.disconnect();
    clearInterval(self.placer);
    clearInterval(self.resting);
    for (const type of ["pointerdown", "pointermove", "pointerup"]) {
      window.removeEventListener(type, self.onActivity, true);
    }
    self.box.remove();
    delete parentElement.__overlayGestures;
  };
}
"""

_CSS = """
.og-box { position: relative; line-height: 0; overflow: hidden; cursor: crosshair; }
.og-box img { display: block; user-select: none; }
.og-ruler { position: absolute; left: 0; top: 0; pointer-events: none; }
.og-ruler line { stroke: #ffd400; stroke-width: 1.5; }
.og-ruler circle { fill: #ffd400; }
.og-label { position: absolute; display: none; background: rgba(0,0,0,.7); color: #ffd400;
            font: 12px/1.4 sans-serif; padding: 1px 4px; border-radius: 3px; pointer-events: none; }
"""

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


def offered_width(key: str) -> int | None:
    """Return the width the browser offers the picture of the component ``key``, once it said."""
    seen = st.session_state.get(key)
    width = seen.get("width") if isinstance(seen, dict) else None
    return int(width) if isinstance(width, (int, float)) and width > 0 else None


def show(key: str, *, src: str | None = None, width: int = 0, height: int = 0, canvas: bool = False,
         ruler: bool = False, spacing: tuple[float, float] | None = None, image_cols: int = 0,
         view: str = "", extent: tuple[float, float, float, float] | None = None,
         generation: int | None = None, pending: int = 0) -> None:
    """Show the gesture component (see the module docstring for its data).

    ``src`` (a data URL or media URL) shows that picture, ``width`` x ``height`` CSS pixels;
    ``canvas`` listens on the Edit page's drawing canvas instead. ``spacing`` is the Pixel
    Spacing of one *display* pixel in mm, for the ruler's label; ``view`` names the view
    shown (a new one ends the browser's preview of a gesture); ``extent`` is outlined over
    the canvas; ``generation`` is the canvas generation shown; ``pending`` says applied
    strokes wait on the canvas for a pause.
    """
    _component(
        data={"src": src, "width": width, "height": height, "canvas": canvas, "ruler": ruler,
              "spacing": list(spacing) if spacing else None, "image_cols": image_cols, "view": view,
              "generation": generation, "pending": pending,
              "extent": None if extent is None else [round(v, 1) for v in extent]},
        key=key, on_events_change=lambda: None, on_width_change=lambda: None,
        width="stretch", height="content" if src else 0,
    )
