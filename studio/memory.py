"""Memory comes back: uploads released once read, closed sessions freed on time.

Two leaks of a plain Streamlit app, measured on this server (issue 10): a 296 MB upload
stayed in Streamlit's uploaded-file manager next to our own copy for as long as the
session lived; and a closed tab's session, kept ``server.disconnectedSessionTTL``
seconds for a reconnect, was dropped only when a *new* session next touched the
session store, and then without shutting down (so its uploads stayed in the manager).

- :func:`release_uploads` removes an upload from Streamlit's uploaded-file manager as
  soon as :mod:`studio.state` has read it (the session keeps its one copy).
- :func:`start_janitor` starts one daemon thread per server process that, every
  ``TTL / 8`` seconds, has Streamlit's event loop shut down (``close_session``: session
  state and uploads freed) every session disconnected for ``TTL - TTL / 4`` seconds or
  more, so a closed tab's files are gone within the session timeout whether or not
  anyone else connects; a tab that reconnects sooner keeps its session.

Both are best effort around Streamlit's runtime (no runtime in AppTest or scripts: they
do nothing) and log, never raise.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from . import state

__all__ = ["disconnected_sessions", "release_uploads", "start_janitor", "sweep"]

LOGGER = logging.getLogger("overlay_studio")

_lock = threading.Lock()
_janitor: threading.Thread | None = None
_first_seen: dict[str, float] = {}


def _runtime() -> Any:
    """Return Streamlit's running server runtime, or ``None`` (scripts; AppTest's is a mock)."""
    from streamlit.runtime import Runtime

    runtime = Runtime.instance() if Runtime.exists() else None
    return runtime if type(runtime) is Runtime else None


def release_uploads(file_ids: Iterable[str]) -> int:
    """Remove uploads this session has read from Streamlit's uploaded-file manager.

    Returns how many were removed (0 outside a running server).
    """
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        runtime = _runtime()
        if ctx is None or runtime is None:
            return 0
        manager = runtime.uploaded_file_mgr
        removed = 0
        for file_id in file_ids:
            manager.remove_file(ctx.session_id, file_id)
            removed += 1
        return removed
    except Exception:
        LOGGER.exception("Could not release uploads")
        return 0


def disconnected_sessions(runtime: Any) -> dict[str, Any]:
    """Return the sessions kept for a reconnect (no websocket), by id."""
    manager = runtime._session_mgr  # Streamlit has no public list of sessions
    active = {info.session.id for info in manager.list_active_sessions()}
    return {info.session.id: info.session for info in manager.list_sessions()
            if info.session.id not in active}


def _close(runtime: Any, session: Any) -> None:
    """Shut a session down and drop its state.

    ``Runtime.close_session`` shuts the session down (its uploads go), but Streamlit's
    event loop keeps its last-served session in a local variable until another session
    is served, and the session's widget callbacks keep the last page run's globals (our
    files among them), so the files would stay until someone connects; their bytes and
    datasets are dropped here, and the state cleared.
    """
    runtime.close_session(session.id)
    session_state = session.session_state
    try:  # our files, even if a stale reference to them remains (SessionState is no dict)
        held = session_state[state.FILES] if state.FILES in session_state else {}
        state.discard_all({state.FILES: held})
    finally:
        session_state.clear()


def sweep(ttl: float, now: float | None = None, runtime: Any = None) -> list[str]:
    """Shut down the sessions disconnected for ``ttl - ttl / 4`` seconds or more; return their ids."""
    runtime = runtime or _runtime()
    if runtime is None:
        return []
    now = time.monotonic() if now is None else now
    closed = []
    with _lock:
        waiting = disconnected_sessions(runtime)
        for session_id in list(_first_seen):
            if session_id not in waiting:  # reconnected, or already gone
                del _first_seen[session_id]
        for session_id in waiting:
            first = _first_seen.setdefault(session_id, now)
            if now - first >= ttl - ttl / 4:
                _close(runtime, waiting[session_id])
                _first_seen.pop(session_id, None)
                closed.append(session_id)
    if closed:
        for _ in range(2):  # downloads are marked on the first pass, deleted on the second
            runtime.media_file_mgr.remove_orphaned_files()
        gc.collect()  # datasets hold reference cycles; give their memory back now
        _trim()
        LOGGER.info("Freed %d closed session(s)", len(closed))
    return closed


def _trim() -> None:
    """Ask glibc to hand freed heap memory back to the system (Linux; elsewhere nothing)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _safe_sweep(ttl: float) -> None:
    try:
        sweep(ttl)
    except Exception:
        LOGGER.exception("Session clean-up failed")


def _loop(ttl: float) -> None:
    while True:
        time.sleep(max(1.0, ttl / 8))
        runtime = _runtime()
        if runtime is None:  # the server has stopped
            return
        try:  # session storage is touched on Streamlit's event loop only, as Streamlit does
            runtime._get_async_objs().eventloop.call_soon_threadsafe(_safe_sweep, ttl)
        except Exception:
            LOGGER.exception("Session clean-up could not be scheduled")


def start_janitor() -> bool:
    """Start the clean-up thread once per process; return whether it runs."""
    global _janitor
    with _lock:
        if _janitor is not None and _janitor.is_alive():
            return True
        if _runtime() is None:
            return False
        from streamlit import config

        ttl = float(config.get_option("server.disconnectedSessionTTL"))
        if not LOGGER.handlers:  # the server log: page errors (studio.guard) and clean-ups
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            LOGGER.addHandler(handler)
            LOGGER.setLevel(logging.INFO)
        _janitor = threading.Thread(target=_loop, args=(ttl,), name="overlay-studio-janitor", daemon=True)
        _janitor.start()
        return True
