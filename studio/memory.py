"""Memory comes back: uploads released once read, closed sessions freed on time.

Two leaks of a plain Streamlit app, measured on this server (issue 10): a 296 MB upload
stayed in Streamlit's uploaded-file manager next to our own copy for as long as the
session lived; and a closed tab's session, kept ``server.disconnectedSessionTTL``
seconds for a reconnect, was dropped only when a *new* session next touched the
session store, and then without shutting down (so its uploads stayed in the manager).

- :func:`release_uploads` removes an upload from Streamlit's uploaded-file manager as
  soon as :mod:`studio.state` has read it, and empties the uploaded-file objects that
  Streamlit keeps as the widget's value until the next run (the session keeps only the
  loaded dataset).
- :func:`start_janitor` starts one daemon thread per server process that, every
  ``TTL / 8`` seconds, has Streamlit's event loop shut down (``close_session``: session
  state and uploads freed) every session disconnected for ``TTL - TTL / 4`` seconds or
  more, so a closed tab's files are gone within the session timeout whether or not
  anyone else connects; a tab that reconnects sooner keeps its session.

- :func:`prepare_process` runs once per server process, before the first page: it loads
  what the pages use (highdicom's tables, the decoders, the renderer) on the bundled sample
  and then moves every object that exists at that point out of the garbage collector's
  reach (``gc.freeze``). Streamlit collects all generations after every script run
  (``runner.postScriptGC``); without the freeze each collection walked about 340,000
  long-lived module objects (~90 ms here), which was most of the server's CPU time when
  ten sessions worked at once. Afterwards it walks only what sessions create. It also
  fixes glibc's mmap threshold at 128 KiB: glibc raises it up to 32 MiB as large blocks
  are freed, after which image-sized buffers freed by a page stayed in the heap (a 64 MB
  file's Export left the server 0.5× the file larger than with the fixed threshold).

All three are best effort around Streamlit's runtime (no runtime in AppTest or scripts: they
do nothing) and log, never raise.
"""

from __future__ import annotations

import ctypes
import gc
import io
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from studio import state

__all__ = ["disconnected_sessions", "prepare_process", "release_uploads", "start_janitor", "sweep"]

LOGGER = logging.getLogger("overlay_studio")

_lock = threading.Lock()
_janitor: threading.Thread | None = None
_prepared = False
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
_first_seen: dict[str, float] = {}


def _runtime() -> Any:
    """Return Streamlit's running server runtime, or ``None`` (scripts; AppTest's is a mock)."""
    from streamlit.runtime import Runtime

    runtime = Runtime.instance() if Runtime.exists() else None
    return runtime if type(runtime) is Runtime else None


def release_uploads(uploads: Iterable[Any]) -> int:
    """Let go of uploads this session has read: Streamlit's stored copy and the widget's.

    ``uploads`` are the uploader's value: ``UploadedFile`` objects (a ``BytesIO`` each) are
    emptied; ``DeletedFile`` placeholders of uploads released earlier are skipped.
    Returns how many were removed from the uploaded-file manager (0 outside a running
    server).
    """
    # An upload released in an earlier run comes back as a DeletedFile (no bytes, nothing to do).
    chosen: list[Any] = [u for u in uploads if isinstance(u, io.BytesIO)]
    for upload in chosen:  # kept as the uploader's value until the next run: hold no bytes
        upload.seek(0)
        upload.truncate()
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        runtime = _runtime()
        if ctx is None or runtime is None:
            return 0
        manager = runtime.uploaded_file_mgr
        for upload in chosen:
            manager.remove_file(ctx.session_id, upload.file_id)
        return len(chosen)
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


def _map_large_blocks() -> None:
    """Have glibc give every block of 128 KiB or more its own mapping, returned when freed."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):  # not glibc: its allocator's own policy stays
        pass


def _warm_up() -> None:
    """Make each kind of file once from the bundled sample, loading every library and table."""
    from pydicom import examples

    from overlay_core.interop.gsps import gsps_bytes
    from overlay_core.interop.secondary_capture import sc_bytes
    from overlay_core.interop.seg import seg_bytes
    from overlay_core.planes.reading import load
    from overlay_core.planes.writing import to_bytes
    from overlay_core.render.compose import render

    with open(examples.get_path("overlay"), "rb") as f:
        sample = load(f.read())
    render(sample).png()
    load(to_bytes(sample))
    seg_bytes(sample)
    gsps_bytes(sample)
    sc_bytes(sample, 0)


def prepare_process() -> bool:
    """Once per server process: warm up, then freeze what exists out of the collector's reach.

    Returns whether it ran now (not in AppTest or scripts, and only the first time).
    """
    global _prepared
    with _lock:
        if _prepared or _runtime() is None:
            return False
        _prepared = True
    started = time.monotonic()
    _map_large_blocks()
    try:
        _warm_up()
    except Exception:  # a slower collector is all that is lost
        LOGGER.exception("Warming up failed")
    gc.collect()
    gc.freeze()  # objects made before now are never walked again (they are still freed by refcount)
    LOGGER.info("Process prepared in %.1f s; %d objects frozen", time.monotonic() - started,
                gc.get_freeze_count())
    return True
