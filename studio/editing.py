"""Edits of the active file, made undoable through ``overlay_core.history.History``.

Every change the Edit page makes goes through :func:`run`: it calls an
:mod:`overlay_core` function on the dataset inside :meth:`History.change`, which records
one history item per change. When the change raises an
:class:`~overlay_core.errors.OverlayError`, :meth:`History.change` restores the dataset and
drops the item; the error is raised for the page to show. ``nonce`` counts applied
drawings and history steps; it is part of the canvas key, so each of them starts an
empty canvas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TypeVar

import streamlit as st

from overlay_core import edit
from overlay_core.errors import OverlayError
from overlay_core.geometry import ViewGeometry
from overlay_core.history import History
from overlay_core.model import OverlayPlane

from .state import LoadedFile

__all__ = ["apply_drawing", "bump_nonce", "history", "nonce", "redo", "run", "run_reporting", "undo"]

T = TypeVar("T")
NONCE = "edit.nonce"


def nonce(state: MutableMapping[str, Any]) -> int:
    """Return the canvas nonce of the session."""
    return int(state.get(NONCE, 0))


def bump_nonce(state: MutableMapping[str, Any]) -> None:
    """Start a new, empty canvas on the next run."""
    state[NONCE] = nonce(state) + 1


def history(entry: LoadedFile) -> History:
    """Return the file's undo history, made on first use."""
    if entry.history is None:
        entry.history = History()
    return entry.history


def run(entry: LoadedFile, label: str, action: Callable[[Any], T]) -> T:
    """Record a history item, then apply ``action`` to the file's dataset.

    Raises
    ------
    OverlayError
        From ``action``; the dataset and the history are as they were.
    """
    assert entry.dataset is not None
    with history(entry).change(entry.dataset, label):
        return action(entry.dataset)


def run_reporting(entry: LoadedFile, label: str, action: Callable[[Any], object]) -> bool:
    """:func:`run`, showing an :class:`OverlayError` with ``st.error``; True when it worked.

    On success the canvas nonce moves on, since the background has changed.
    """
    try:
        run(entry, label, action)
    except OverlayError as exc:
        st.error(str(exc))
        return False
    bump_nonce(st.session_state)
    return True


def apply_drawing(
    entry: LoadedFile,
    group: int,
    drawing: Mapping[str, Any] | None,
    view: ViewGeometry,
    mode: edit.Mode | str,
    frame: int,
    fill: bool,
) -> OverlayPlane:
    """Write the canvas drawing into plane ``group`` with :func:`overlay_core.edit.apply_canvas`.

    A missing group becomes an image-sized plane. One undo step, labelled by the mode.

    Raises
    ------
    OverlayError
        When nothing is drawn, nothing drawn lies on the plane, or the plane is unusable;
        the file and its history are as they were.
    """
    mode = edit.Mode.coerce(mode)
    return run(entry, mode.value, lambda ds: edit.apply_canvas(ds, group, drawing, view, mode, frame, fill))


def undo(entry: LoadedFile) -> None:
    """Undo the file's last edit."""
    assert entry.dataset is not None
    history(entry).undo(entry.dataset)


def redo(entry: LoadedFile) -> None:
    """Redo the file's last undone edit."""
    assert entry.dataset is not None
    history(entry).redo(entry.dataset)
