"""PACS requests the person can watch and cancel: a progress bar and a *Cancel* button.

A request (open a series, store and check) runs in a worker thread that touches no
session state; the page's script thread waits for it, updating the progress bar every
0.1 s. A click on *Cancel* (key ``pacs.cancel``) asks Streamlit for a new run, which stops
this run at its next update: the request is then told to stop (an event it checks between
instances, and the client's ``abort``, which aborts a DIMSE association at once) and its
result, if it still comes, is dropped. The session changes only after a request returns,
in the script thread, so a cancel leaves nothing half-done. How long a server may take is
the operator's setting (``timeout`` of each server).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from overlay_core.pacs.client import PacsClient, Progress

__all__ = ["CANCEL", "CANCELLED", "cancelled_note", "run"]

T = TypeVar("T")
#: The Cancel button's key, and the session key of the sentence shown after a cancel.
CANCEL, CANCELLED = "pacs.cancel", "pacs.cancelled"
_POLL = 0.1  # seconds between progress updates: how soon a Cancel click takes effect


def _note(sentence: str) -> None:
    st.session_state[CANCELLED] = sentence


def run(
    client: PacsClient,
    work: Callable[[threading.Event, Progress], T],
    label: str,
    cancelled: str,
) -> T:
    """Run ``work(cancel, progress)`` in a worker thread with a progress bar and a Cancel button.

    ``cancelled`` is the sentence shown on the next run when the person cancels.

    Raises
    ------
    BaseException
        Whatever ``work`` raised (a :class:`~overlay_core.pacs.errors.PacsError`), or
        Streamlit's own stop of this run after a Cancel click (the request is aborted first).
    """
    cancel = threading.Event()
    counts = [0, 0]

    def progress(done: int, total: int) -> None:
        counts[:] = [done, total]

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work(cancel, progress)
        except BaseException as exc:  # handed to the script thread, raised there
            outcome["error"] = exc

    holder = st.empty()  # the bar and the button go once the request is over
    with holder.container():
        bar = st.progress(0.0, text=label)
        st.button("Cancel", key=CANCEL, icon=":material/cancel:", on_click=_note, args=(cancelled,))
    worker = threading.Thread(target=target, name="pacs-request", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(_POLL)
            done, total = counts
            text = f"{label} {done} of {total} instances" if total else label
            bar.progress(done / total if total else 0.0, text=text)  # where a Cancel click stops this run
    except BaseException:
        cancel.set()
        client.abort()
        raise
    holder.empty()
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def cancelled_note() -> None:
    """Show, once, the sentence of a request cancelled on the previous run."""
    sentence = st.session_state.pop(CANCELLED, None)
    if sentence:
        st.info(sentence, icon=":material/cancel:")
