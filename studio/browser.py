"""Two small browser-side helpers for the editor, as inline Streamlit v2 components.

* :func:`keys` makes the drawing canvas send a stroke at mouse-up (not 200 ms later),
  hides the canvas' own toolbar (its undo acts on the canvas only) and the frame it draws
  over the image's edge pixels, listens for the keys
  ``st.button(..., shortcut=...)`` cannot bind
  (Streamlit reserves ``C`` and ``R``; punctuation such as ``[`` ``]`` ``+`` ``-`` is not
  supported) and reports the browser window's size, so the canvas can fit the screen.
  A key pressed while typing in a field is left alone.
* :func:`overview` shows a small picture of the whole image with the zoomed window
  outlined; a click reports where, as fractions of the picture's width and height.

Both run in the page itself (v2 components are not sandboxed) and keep one listener per
mounted element, so reruns do not stack listeners.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

__all__ = ["DEFAULT_VIEWPORT", "KEYS", "Click", "Viewport", "keys", "overview"]

#: The keys :func:`keys` reports (compared in lower case).
KEYS = ("[", "]", "+", "=", "-", "r", "c")


@dataclass(frozen=True)
class Viewport:
    """Where the editor is drawn: the window and the canvas column, in CSS pixels.

    ``width`` and ``height`` are the browser window's inner size; ``column`` the width of
    the column holding :func:`keys` and ``top`` its offset from the top of the page.
    """

    width: int
    height: int
    column: int
    top: int


#: Assumed until the browser reports its own: a 1366 x 768 laptop screen, sidebar open.
DEFAULT_VIEWPORT = Viewport(1366, 768, 640, 140)

_KEYS_JS = """
export default function (component) {
  const { data, setTriggerValue, setStateValue, parentElement } = component;
  const element = parentElement instanceof ShadowRoot ? parentElement.host : parentElement;
  let self = parentElement.__overlayKeys;
  if (!self) {
    self = { data, setTriggerValue, setStateValue, last: null, timer: null, serial: 0, presses: [],
             mount: Math.random().toString(36).slice(2) };
    const typing = (t) => {
      const tag = (t && t.tagName || "").toLowerCase();
      return tag === "input" || tag === "textarea" || tag === "select" || (t && t.isContentEditable);
    };
    self.onKey = (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      const key = (e.key || "").toLowerCase();
      if (!(self.data.keys || []).includes(key)) return;
      e.preventDefault();
      e.stopImmediatePropagation();  // before Streamlit's own R (rerun) and C (clear cache)
      // Every press is numbered and the last ones are kept: reruns that coalesce (a press
      // while the app is busy) still deliver every press, in order.
      self.serial += 1;
      self.presses = [...self.presses, [self.serial, key]].slice(-32);
      self.setStateValue("presses", { mount: self.mount, presses: self.presses });
    };
    self.report = () => {
      const top = Math.round(element.getBoundingClientRect().top + window.scrollY);
      const size = { width: window.innerWidth, height: window.innerHeight, column: element.clientWidth, top };
      const last = self.last;
      if (last && Math.abs(last.width - size.width) < 16 && Math.abs(last.height - size.height) < 16
          && Math.abs((last.column || 0) - size.column) < 16 && Math.abs((last.top || 0) - top) < 16) return;
      self.last = size;
      self.setStateValue("viewport", size);
    };
    self.onResize = () => {
      clearTimeout(self.timer);
      self.timer = setTimeout(self.report, 250);
    };
    // The drawing canvas sends a stroke 200 ms after mouse-up (a debounce); its own "Update
    // the app" button sends at once, so press it right after a stroke ends. Its toolbar's
    // undo/redo act on the canvas alone, beside the app's own: hide it.
    const canvasRoot = (host) => {
      const search = (root) => {
        if (root.querySelector(".dc-root")) return root;
        for (const el of root.querySelectorAll("*")) {
          const found = el.shadowRoot && search(el.shadowRoot);
          if (found) return found;
        }
        return null;
      };
      return host && search(host);
    };
    self.tidy = () => {
      for (const host of document.querySelectorAll('[class*="st-key-canvas-"]')) {
        const root = canvasRoot(host);
        if (root && !root.querySelector("style[data-overlay-studio]")) {
          const style = document.createElement("style");
          style.dataset.overlayStudio = "1";
          // no toolbar; and no frame over the image's edge pixels: the canvas shows the plane as stored
          style.textContent = ".dc-toolbar { display: none !important; } "
            + ".dc-canvas { outline: none !important; }";
          root.appendChild(style);
        }
      }
    };
    const isCanvas = (el) => el.classList && [...el.classList].some((c) => c.startsWith("st-key-canvas-"));
    // A stroke that starts on the canvas is sent when the button is released, even off it.
    // The canvas is emptied (a new generation, see studio/editor/strokes.py) when the server
    // has applied strokes; if that lands while a stroke is being drawn, the drawing tool is
    // made anew and the stroke is lost. Each drag's points are kept, and a drag during which
    // the generation changed is drawn again on the emptied canvas (the same mouse events),
    // then sent: no stroke is ever lost to a clear.
    const generation = () => window.__overlayStudioGeneration;
    self.onPointerDown = (e) => {
      // a press the gestures component holds (the canvas is not showing the new view yet) draws nothing
      if (window.__overlayStudioViewPending) { self.downHost = null; self.drag = null; return; }
      const path = e.composedPath ? e.composedPath() : [];
      self.downHost = e.button === 0 ? path.find(isCanvas) || null : null;
      self.drag = self.downHost && !self.replaying
        ? { host: self.downHost, generation: generation(), view: window.__overlayStudioView,
            points: [[e.clientX, e.clientY]] } : null;
    };
    self.onPointerMove = (e) => { if (self.drag) self.drag.points.push([e.clientX, e.clientY]); };
    const sendFrom = (hosts) => {
      for (const h of hosts) {
        const root = canvasRoot(h);
        const send = root && root.querySelector('button[aria-label="Update the app with this drawing"]');
        if (send) send.click();
      }
    };
    self.replay = (drag) => {
      const root = canvasRoot(drag.host);
      const upper = root && root.querySelector("canvas.upper-canvas");
      if (!upper || !drag.host.isConnected) return;
      self.replaying = true;
      const fire = (type, [x, y], target) => target.dispatchEvent(new MouseEvent(type, {
        bubbles: true, cancelable: true, composed: true, clientX: x, clientY: y, button: 0,
        buttons: type === "mouseup" ? 0 : 1, view: window }));
      const pts = drag.points;
      fire("mousedown", pts[0], upper);
      for (const p of pts.slice(1)) fire("mousemove", p, upper);
      fire("mouseup", pts[pts.length - 1], upper);
      self.replaying = false;
      setTimeout(() => sendFrom([drag.host]), 0);
    };
    // What the new tool caught of the stroke after the canvas was emptied is taken back (the
    // canvas' own undo, hidden with its toolbar), then the whole stroke is drawn again.
    self.rescue = (drag) => {
      const root = canvasRoot(drag.host);
      const undo = root && root.querySelector('button[aria-label="Undo"]');
      if (undo && !undo.disabled) undo.click();
      // Emptied for a new view (a zoom key pressed while drawing): the points were aimed at the
      // old picture, and drawn again they would land on other image pixels. Not drawn again.
      if (drag.view !== window.__overlayStudioView) return;
      setTimeout(() => self.replay(drag), 80);  // the canvas reloads its state first
    };
    self.onPointerUp = (e) => {
      const started = self.downHost, drag = self.drag;
      self.downHost = null;
      self.drag = null;
      if (drag) drag.points.push([e.clientX, e.clientY]);
      if (!self.data.instant) return;
      const path = e.composedPath ? e.composedPath() : [];
      const host = path.find(isCanvas) || started;
      const inCanvas = path.some((el) => el.classList && el.classList.contains("dc-canvas"));
      if (!host && !inCanvas) return;
      setTimeout(() => {
        if (drag && drag.generation !== generation()) { self.rescue(drag); return; }  // emptied meanwhile
        sendFrom(host ? [host] : document.querySelectorAll('[class*="st-key-canvas-"]'));
      }, 0);
    };
    self.tidier = setInterval(self.tidy, 400);  // a canvas mounted later (new plane or view)
    window.addEventListener("pointerdown", self.onPointerDown, true);
    window.addEventListener("pointermove", self.onPointerMove, true);
    window.addEventListener("pointerup", self.onPointerUp);
    window.addEventListener("keydown", self.onKey, true);
    window.addEventListener("resize", self.onResize);
    self.observer = new ResizeObserver(self.onResize);  // the sidebar opening narrows the column
    self.observer.observe(element);
    parentElement.__overlayKeys = self;
    const seen = data.viewport;
    if (seen) self.last = seen;
    self.report();
  }
  self.data = data;
  self.setTriggerValue = setTriggerValue;
  self.setStateValue = setStateValue;
  setTimeout(self.tidy, 0);
  return () => {
    window.removeEventListener("pointerdown", self.onPointerDown, true);
    window.removeEventListener("pointermove", self.onPointerMove, true);
    window.removeEventListener("pointerup", self.onPointerUp);
    window.removeEventListener("keydown", self.onKey, true);
    window.removeEventListener("resize", self.onResize);
    clearTimeout(self.timer);
    clearInterval(self.tidier);
    self.observer.disconnect();
    delete parentElement.__overlayKeys;
  };
}
"""

_OVERVIEW_JS = """
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let self = parentElement.__overlayOverview;
  if (!self) {
    const box = document.createElement("div");
    box.className = "ov";
    const img = document.createElement("img");
    const frame = document.createElement("div");
    frame.className = "ov-window";
    const extent = document.createElement("div");
    extent.className = "ov-extent";
    box.append(img, extent, frame);
    parentElement.appendChild(box);
    self = { box, img, frame, extent, send: setTriggerValue };
    img.addEventListener("click", (e) => {
      const r = img.getBoundingClientRect();
      self.send("click", { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height });
    });
    parentElement.__overlayOverview = self;
  }
  self.send = setTriggerValue;
  if (self.img.src !== data.src) self.img.src = data.src;
  self.img.style.width = data.width + "px";
  self.img.style.height = data.height + "px";
  const w = data.window;
  Object.assign(self.frame.style, {
    left: (w.left * 100) + "%", top: (w.top * 100) + "%",
    width: (w.width * 100) + "%", height: (w.height * 100) + "%",
  });
  const x = data.extent;
  self.extent.style.display = x ? "block" : "none";
  if (x) {
    Object.assign(self.extent.style, {
      left: (x.left * 100) + "%", top: (x.top * 100) + "%",
      width: (x.width * 100) + "%", height: (x.height * 100) + "%",
    });
  }
  return () => { self.box.remove(); delete parentElement.__overlayOverview; };
}
"""

_OVERVIEW_CSS = """
.ov { position: relative; display: inline-block; line-height: 0; }
.ov img { cursor: crosshair; display: block; border-radius: 2px; }
.ov-window { position: absolute; border: 2px solid #ff9f1c; box-sizing: border-box; pointer-events: none; }
.ov-extent { position: absolute; outline: 1px dashed #ffd400; pointer-events: none; }
"""

_keys = st.components.v2.component("overlay_studio_keys", js=_KEYS_JS, isolate_styles=False)
_overview = st.components.v2.component("overlay_studio_overview", js=_OVERVIEW_JS, css=_OVERVIEW_CSS)


@dataclass(frozen=True)
class Click:
    """Where the overview was clicked, as fractions ``0..1`` of its width and height."""

    x: float
    y: float


def keys(key: str, memory: MutableMapping[str, Any], instant: bool = True,
         on_viewport: Callable[[], None] | None = None) -> tuple[list[str], Viewport]:
    """Listen for :data:`KEYS`; return the keys pressed since the last call, in order, and the viewport.

    Presses are numbered in the browser; ``memory`` (a dict kept across runs) remembers the
    last one handled, so presses that arrive together are all returned and none twice. The
    viewport is :data:`DEFAULT_VIEWPORT` until the browser has reported it. With
    ``instant``, a stroke on the drawing canvas is sent as soon as the mouse is released
    (not while a polygon is drawn: the canvas sends it when it is closed). ``on_viewport`` is
    called (a callback) when the browser reports a new viewport.
    """
    seen = st.session_state.get(key) or {}
    size = seen.get("viewport") if isinstance(seen, dict) else None
    result: Any = _keys(data={"keys": list(KEYS), "viewport": size, "instant": instant}, key=key,
                        on_presses_change=lambda: None, on_viewport_change=on_viewport or (lambda: None),
                        width="stretch", height=0)
    viewport = result.get("viewport") if result is not None else None
    found = DEFAULT_VIEWPORT
    if isinstance(viewport, dict) and viewport.get("width") and viewport.get("height"):
        found = Viewport(int(viewport["width"]), int(viewport["height"]),
                         int(viewport.get("column") or DEFAULT_VIEWPORT.column),
                         int(viewport.get("top") or DEFAULT_VIEWPORT.top))
    return (_new_presses(result.get("presses") if result is not None else None, memory), found)


def _new_presses(sent: object, memory: MutableMapping[str, Any]) -> list[str]:
    """Return the presses in ``sent`` not handled yet, and remember the last one.

    >>> memory = {}
    >>> _new_presses({"mount": "a", "presses": [[1, "["], [2, "["]]}, memory)
    ['[', '[']
    >>> _new_presses({"mount": "a", "presses": [[2, "["], [3, "r"]]}, memory)
    ['r']
    >>> _new_presses({"mount": "b", "presses": [[1, "c"]]}, memory)  # a new listener counts from 1
    ['c']
    """
    if not isinstance(sent, dict) or not isinstance(sent.get("presses"), list):
        return []
    mount = str(sent.get("mount"))
    last = int(memory.get("last", 0)) if memory.get("mount") == mount else 0
    fresh = []
    for item in sent["presses"]:
        if isinstance(item, list) and len(item) == 2 and int(item[0]) > last:
            fresh.append(str(item[1]))
            last = int(item[0])
    memory["mount"], memory["last"] = mount, last
    return fresh


def overview(key: str, png: bytes, width: int, height: int,
             window: tuple[float, float, float, float],
             extent: tuple[float, float, float, float] | None = None,
             on_click: Callable[[Click], None] | None = None) -> Click | None:
    """Show the overview picture with ``window`` (left, top, width, height as fractions) outlined.

    ``extent`` (the same fractions) is outlined dashed: where the plane lies. Returns the
    click of this run, or ``None``; ``on_click``, when given, is called with it before the
    run (a callback, so it may rerun other fragments).
    """
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    left, top, w, h = window

    def clicked() -> None:
        found = _click_of(st.session_state.get(key))
        if found is not None and on_click is not None:
            on_click(found)

    result: Any = _overview(
        data={"src": src, "width": width, "height": height,
              "window": {"left": left, "top": top, "width": w, "height": h},
              "extent": None if extent is None else dict(zip(("left", "top", "width", "height"), extent,
                                                             strict=True))},
        key=key, on_click_change=clicked,
    )
    return _click_of(result)


def _click_of(result: Any) -> Click | None:
    """Return the click a component's ``result`` holds (fractions, clamped to 0..1), or ``None``."""
    click = result.get("click") if result is not None and hasattr(result, "get") else None
    if isinstance(click, dict) and "x" in click and "y" in click:
        return Click(min(max(float(click["x"]), 0.0), 1.0), min(max(float(click["y"]), 0.0), 1.0))
    return None
