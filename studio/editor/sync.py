"""The canvas and the tools column in step: a stroke reruns the canvas alone, the column follows at a pause.

The editor is two fragments side by side (:mod:`studio.editor.fragment`): a stroke, a
gesture or an undo by key reruns only the canvas' (the canvas, its status line, the keys),
which is what makes it fast: Streamlit's browser side spends most of a rerun redrawing the
fragment's elements, and the tools column holds about forty of them. The canvas then shows
the stored plane at once; what the tools column shows of it (its statistics, the overview,
whether Undo and Redo can act, the tool and zoom chosen by key) is one change behind until
the column's fragment reruns. This small Custom Component v2 (no iframe) asks for that rerun
when the pointer has rested :data:`REST_MS` after the last change, and greys the stale parts
of the column meanwhile, so nothing on screen passes for stored when it is not. (A control
in the column that changes the canvas reruns both fragments at once:
:func:`studio.editor.settings.rerun_editor`.)

It has two instances, one per fragment, sharing one name, the editor's *change serial*
(:func:`studio.editor.fragment._change_serial`: the stored state and the settings the
canvas is drawn with):

``canvas`` (the canvas' fragment)
    ``changed``: the serial this run drew, published as ``window.__overlayStudioChanged``.
``panel`` (the column's fragment)
    ``shown``: the serial the column was drawn at. While it differs from the canvas' the
    page's ``<body>`` has the class ``os-stale`` (the column's plane-dependent parts are
    greyed); once the pointer has rested the instance sends the trigger ``refresh``, which
    reruns the column.
"""

from __future__ import annotations

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
    // The column is a change behind: ask for it once the pointer rests (not while drawing).
    self.timer = setInterval(() => {
      const changed = w.__overlayStudioChanged;
      if (changed === undefined || changed === self.data.shown) return;
      if (self.asked === changed + "|" + self.data.shown || self.down) return;
      const now = performance.now();
      if (now - Math.max(self.since, w.__overlayStudioChangedAt || 0) < self.data.rest) return;
      self.asked = changed + "|" + self.data.shown;
      self.setTriggerValue("refresh", changed);
    }, 100);
    parentElement.__overlaySync = self;
  }
  self.data = data;
  self.setTriggerValue = setTriggerValue;
  w.__overlayStudioShown = data.shown;
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


def _follow() -> None:
    """Nothing to do before the column's rerun the component asked for: the run itself follows."""


def canvas_state(key: str, changed: str) -> None:
    """Publish, from the canvas' fragment, the change serial this run drew."""
    _component(data={"role": "canvas", "changed": changed, "css": STALE_CSS}, key=key, width="stretch",
               height=0)


def panel_state(key: str, shown: str) -> None:
    """Say, from the column's fragment, which change the tools column shows."""
    _component(data={"role": "panel", "shown": shown, "rest": REST_MS, "css": STALE_CSS}, key=key,
               on_refresh_change=_follow, width="stretch", height=0)
