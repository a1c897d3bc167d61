"""The canvas and the tools column in step: a stroke reruns the canvas alone, the rest follows at a pause.

The editor is two fragments, one inside the other (:mod:`studio.editor.fragment`): a stroke
or an undo reruns only the inner one (the canvas, its status line and the keys that undo
and redo), which is what makes it fast: Streamlit's browser side spends most of a rerun
redrawing the fragment's elements, and the tools column holds about forty of them. The
canvas then shows the stored plane at once; what the tools column shows of the plane (its
statistics, the overview, whether Undo and Redo can act) is one change behind until the
outer fragment reruns. This small Custom Component v2 (no iframe) asks for that rerun when
the pointer has rested :data:`REST_MS` after the last change, and greys the stale parts of
the column meanwhile, so nothing on screen passes for stored when it is not.

It has two instances, one per fragment, sharing one number, the editor's *change serial*
(bumped by every change the inner fragment makes):

``canvas`` (inner fragment)
    ``changed``: the serial after this run; ``generation`` and ``pending``: the canvas
    generation shown and the number of the strokes that still wait on it for a pause, ``0``
    for none (published as ``window.__overlayStudioGeneration`` and, as a flag,
    ``window.__overlayStudioPending``, as the gestures component publishes them when the
    whole editor reruns). Strokes waiting are a reason to ask for the rerun too: it empties
    the canvas (a refused stroke changes nothing stored, but must not stay drawn).
    ``view`` and ``signature``: the view the canvas shows and its picture's row and column
    sums (``window.__overlayStudioPicture``): a stroke during a new view's load changes the
    picture the gestures component waits for, and only this instance hears of it.
``panel`` (outer fragment, tools column)
    ``shown``: the serial the column was drawn at. While it differs from the canvas' the
    page's ``<body>`` has the class ``os-stale`` (the column's plane-dependent parts are
    greyed); once the pointer has rested the instance sends the trigger ``refresh``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

__all__ = ["REST_MS", "STALE_CSS", "canvas_state", "panel_state"]

#: How long the pointer rests (no button down, no key) after a change before the column follows, ms.
REST_MS = 600

#: The parts of the tools column that show the plane, greyed while they are a change behind.
STALE_CSS = ".os-stale .st-key-edit-stats, .os-stale .st-key-edit-overview { opacity: .45; }"

_JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const w = window;
  const mark = () => document.body.classList.toggle(
    "os-stale", w.__overlayStudioShown !== undefined && w.__overlayStudioChanged !== w.__overlayStudioShown);
  if (!document.getElementById("os-stale-style")) {
    const style = document.createElement("style");
    style.id = "os-stale-style";
    style.textContent = data.css;
    document.head.appendChild(style);
  }
  if (data.role === "canvas") {
    w.__overlayStudioGeneration = data.generation;
    w.__overlayStudioPicture = { view: data.view, signature: data.signature };
    w.__overlayStudioPending = !!data.pending;
    if (w.__overlayStudioPendingSerial !== data.pending) w.__overlayStudioChangedAt = performance.now();
    w.__overlayStudioPendingSerial = data.pending;
    if (w.__overlayStudioChanged !== data.changed) {
      w.__overlayStudioChanged = data.changed;
      w.__overlayStudioChangedAt = performance.now();
    }
    mark();
    return;
  }
  let self = parentElement.__overlaySync;
  if (!self) {
    self = { since: 0, down: false, asked: null };
    self.onActivity = (e) => {
      if (e.type === "pointerdown") self.down = true;
      if (e.type === "pointerup") self.down = false;
      if (e.type !== "pointermove" || e.buttons) self.since = performance.now();
    };
    for (const type of ["pointerdown", "pointermove", "pointerup", "keydown"]) {
      w.addEventListener(type, self.onActivity, true);
    }
    // The column is one change behind: ask for it once the pointer rests (not while drawing).
    self.timer = setInterval(() => {
      const changed = w.__overlayStudioChanged, pending = w.__overlayStudioPendingSerial || 0;
      if (changed === undefined || (changed === self.data.shown && !pending)) return;
      const ask = changed + "|" + pending;
      if (self.asked === ask || self.down) return;
      const now = performance.now();
      if (now - Math.max(self.since, w.__overlayStudioChangedAt || 0) < self.data.rest) return;
      self.asked = ask;
      self.setTriggerValue("refresh", ask);
    }, 100);
    parentElement.__overlaySync = self;
  }
  self.data = data;
  self.setTriggerValue = setTriggerValue;
  w.__overlayStudioShown = data.shown;
  w.__overlayStudioChanged = data.shown;  // this run drew the canvas too: both show the same change
  mark();
  return () => {
    clearInterval(self.timer);
    for (const type of ["pointerdown", "pointermove", "pointerup", "keydown"]) {
      w.removeEventListener(type, self.onActivity, true);
    }
    delete parentElement.__overlaySync;
    w.__overlayStudioShown = undefined;
    mark();
  };
}
"""

_component = st.components.v2.component("overlay_studio_edit_sync", js=_JS, isolate_styles=False)


def canvas_state(key: str, changed: str, generation: int, pending: int, *, view: str,
                 signature: list[list[int]] | None) -> None:
    """Publish, from the inner fragment, the change serial and the canvas state this run drew."""
    _component(data={"role": "canvas", "changed": changed, "generation": generation, "pending": pending,
                     "view": view, "signature": signature, "css": STALE_CSS},
               key=key, width="stretch", height=0)


def panel_state(key: str, shown: str, on_refresh: Callable[[], None]) -> None:
    """Say, from the outer fragment, which change the tools column shows.

    ``on_refresh`` is called before the run the component asks for once the pointer rested
    after a change the column did not show yet.
    """
    _component(data={"role": "panel", "shown": shown, "rest": REST_MS, "css": STALE_CSS}, key=key,
               on_refresh_change=on_refresh, width="stretch", height=0)
