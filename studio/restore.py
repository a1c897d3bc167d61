"""A reload of the tab keeps the work: files, edits and undo history come back.

A reload opens a new Streamlit session; the old one is kept, disconnected, for
``server.disconnectedSessionTTL`` seconds (then :mod:`studio.memory`'s janitor frees it).
Within that time the new session takes the old one's values over, from server memory
only (nothing is written to disk), if the browser proves it is the same tab:

* each session has an unguessable token (``secrets.token_urlsafe(32)``), kept in the tab's
  ``sessionStorage`` by a tiny Custom Component v2 (:func:`keep_on_reload`), so it survives
  a reload of that tab and no other tab or browser has it;
* the component reports the token it found when the page loaded; a *disconnected*
  session holding that token gives its values (not its widgets') to the new session and
  keeps nothing, so the janitor has nothing of them to free. A live session is never
  taken over.

While any file has an edit that can be undone, leaving or reloading the page asks first
(``beforeunload``); the editor, which reruns alone, says so too (:func:`say_unsaved`).
"""

from __future__ import annotations

import secrets
from typing import Any

import streamlit as st

from studio import memory, state

__all__ = ["TOKEN", "adopt", "keep_on_reload", "say_unsaved"]

#: Session-state key of the session's token.
TOKEN = "studio.restore.token"
_DONE = "studio.restore.seen"

_JS = """
export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const NAME = "overlay-studio-session";
  // One question on leaving, whichever element said last whether there are edits.
  if (!window.__overlayStudioAsk) {
    window.__overlayStudioAsk = (e) => {
      if (!window.__overlayStudioDirty) return;
      e.preventDefault();
      e.returnValue = "";  // the browser asks whether to leave: the edits are in this tab only
    };
    window.addEventListener("beforeunload", window.__overlayStudioAsk);
  }
  window.__overlayStudioDirty = !!data.dirty;
  if (!data.token) return;
  if (!parentElement.__overlayRestore) {
    parentElement.__overlayRestore = true;
    let found = null;
    try { found = window.sessionStorage.getItem(NAME); } catch (e) { found = null; }
    if (found && found !== data.token) setStateValue("found", found);  // a fresh tab: no extra rerun
  }
  try { window.sessionStorage.setItem(NAME, data.token); } catch (e) { /* private mode: no restore */ }
  return () => { delete parentElement.__overlayRestore; };
}
"""

_component = st.components.v2.component("overlay_studio_restore", js=_JS)


def _plain_keys(session_state: Any) -> list[str]:
    """Return the keys of values the app set itself (no widget's): those a new session can take."""
    from streamlit.runtime.state.common import is_element_id

    keys = session_state._keys()  # Streamlit has no public list that leaves widgets out
    return [k for k in keys if isinstance(k, str) and not is_element_id(k) and not k.startswith("$$")]


def adopt(token: str, into: Any, runtime: Any = None) -> bool:
    """Move the values of the disconnected session holding ``token`` into ``into``; say whether one did.

    The old session keeps none of them (its files are now the new session's).
    """
    runtime = runtime or memory._runtime()  # the running server's, as the janitor finds it
    if runtime is None or not token:
        return False
    for session in memory.disconnected_sessions(runtime).values():
        old = session.session_state
        try:
            if TOKEN not in old or old[TOKEN] != token:
                continue
            for key in _plain_keys(old):
                into[key] = old[key]
                del old[key]
        except (KeyError, AttributeError):
            continue
        return True
    return False


def _dirty() -> bool:
    return any(f.history is not None and f.history.can_undo for f in state.files(st.session_state))


def keep_on_reload() -> None:
    """Give the session a token kept by the tab, and take over the tab's previous session on a reload.

    Called once per run by ``app.py``, before the page.
    """
    session = st.session_state
    token = session.get(TOKEN)
    if not isinstance(token, str):
        token = session[TOKEN] = secrets.token_urlsafe(32)
    result: Any = _component(data={"token": token, "dirty": _dirty()}, key="studio.restore",
                             on_found_change=lambda: None, width="stretch", height=0)
    found = result.get("found") if result is not None else None
    if isinstance(found, str) and found and found != token and not session.get(_DONE):
        session[_DONE] = True
        if adopt(found, session):
            session[TOKEN] = found
            st.rerun()
    elif isinstance(found, str):
        session[_DONE] = True


def say_unsaved(key: str) -> None:
    """Tell the browser whether leaving now would lose edits (for a fragment that reruns alone)."""
    _component(data={"token": None, "dirty": _dirty()}, key=key, width="stretch", height=0)
