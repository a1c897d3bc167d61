"""Edits of the active file, made undoable through ``overlay_core.edit.history.History``.

Every change the Edit page makes goes through :func:`run`: it calls an
:mod:`overlay_core` function on the dataset inside :meth:`History.change`, which records
one history item per change. When the change raises an
:class:`~overlay_core.errors.OverlayError`, :meth:`History.change` restores the dataset and
drops the item; the error is raised for the page to show. ``nonce`` counts applied
drawings and history steps; it is part of the canvas key, so each of them starts an
empty canvas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from pydicom.dataset import Dataset

from overlay_core.edit.history import History
from overlay_core.errors import OverlayError
from overlay_core.model import OverlayPlane
from studio.state import LoadedFile, State
from studio.text import plain

__all__ = [
    "bump_nonce",
    "history",
    "nonce",
    "run",
    "run_and_rerun",
    "select_key",
    "step_and_rerun",
]

T = TypeVar("T")
NONCE = "edit.nonce"


def nonce(state: State) -> int:
    """Return the canvas nonce of the session."""
    return int(state.get(NONCE, 0))


def bump_nonce(state: State) -> None:
    """Start a new, empty canvas on the next run."""
    state[NONCE] = nonce(state) + 1


def history(entry: LoadedFile) -> History:
    """Return the file's undo history, made on first use."""
    if entry.history is None:
        entry.history = History()
    return entry.history


def run(entry: LoadedFile, label: str, action: Callable[[Dataset], T]) -> T:
    """Record a history item, then apply ``action`` to the file's dataset.

    Raises
    ------
    OverlayError
        From ``action``; the dataset and the history are as they were.
    """
    assert entry.dataset is not None
    with history(entry).change(entry.dataset, label):
        return action(entry.dataset)


def select_key(entry: LoadedFile) -> str:
    """Return the session key that asks the Edit page to select a plane on its next run."""
    return f"edit.select.{entry.id}"


def run_and_rerun(
    entry: LoadedFile, label: str, action: Callable[[Dataset], object], *, select: bool = False,
    after: Callable[[], None] | None = None,
) -> None:
    """Run one edit for a page: one undo step; report a failure, or start afresh and rerun.

    On an :class:`OverlayError` its sentence is shown with ``st.error`` and the page goes
    on (the file and its history are as they were). On success the canvas starts empty,
    the plane ``action`` returned is selected when ``select``, ``after`` runs, and the page
    reruns.
    """
    try:
        result = run(entry, label, action)
    except OverlayError as exc:
        st.error(plain(str(exc)))
        return
    if select and isinstance(result, OverlayPlane):
        st.session_state[select_key(entry)] = result.group
    if after is not None:
        after()
    bump_nonce(st.session_state)
    st.rerun()


def step_and_rerun(entry: LoadedFile, redo: bool = False) -> None:
    """Undo (or redo) the file's last edit, start an empty canvas and rerun the page."""
    assert entry.dataset is not None
    steps = history(entry)
    (steps.redo if redo else steps.undo)(entry.dataset)
    bump_nonce(st.session_state)
    st.rerun()
