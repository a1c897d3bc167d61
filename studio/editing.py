"""Edits of the active file, made undoable through ``overlay_core.history.History``.

Every change the Edit page makes goes through :func:`run`: it calls an
:mod:`overlay_core` function on the dataset inside :meth:`History.change`, which records
one history item per change. The core functions validate before they write, so an
:class:`~overlay_core.errors.OverlayError` leaves the dataset as it was; the history item
is then dropped and the error is raised for the page to show. ``nonce`` counts applied
drawings and history steps; it is part of the canvas key, so each of them starts an
empty canvas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from overlay_core import edit
from overlay_core.canvas import rasterize
from overlay_core.errors import InvalidArgumentError, OverlayError
from overlay_core.geometry import ViewGeometry
from overlay_core.history import History
from overlay_core.model import OverlayPlane
from overlay_core.placement import origin_offset
from overlay_core.reading import read_plane
from overlay_core.writing import set_plane

from .state import LoadedFile
from .text import plain

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
        st.error(plain(str(exc)))
        return False
    bump_nonce(st.session_state)
    return True


def _outside_message(plane: OverlayPlane, view: ViewGeometry) -> str:
    """Say where plane lies on the image, for a drawing that missed it entirely."""
    row, col = origin_offset(plane.origin)
    rows = max(row, 0), min(row + plane.rows, view.image_rows) - 1
    cols = max(col, 0), min(col + plane.columns, view.image_cols) - 1
    where = (f"which covers image rows {rows[0]}–{rows[1]} and columns {cols[0]}–{cols[1]}"
             if rows[0] <= rows[1] and cols[0] <= cols[1] else "which lies wholly outside the image")
    return (f"Nothing you drew lies on plane {plane.group_hex}, {where}; nothing was changed. "
            "Draw inside the plane, or resize it to the image first.")


def apply_drawing(
    entry: LoadedFile,
    group: int,
    drawing: Mapping[str, Any] | None,
    view: ViewGeometry,
    mode: str,
    frame: int,
    fill: bool,
    create: bool = False,
) -> None:
    """Write the canvas drawing into plane ``group`` (creating an image-sized plane first).

    Raises
    ------
    InvalidArgumentError
        When there is nothing drawn, or nothing drawn lies on the plane (e.g. a plane
        smaller than the image, drawn beside).
    OverlayError
        From :func:`overlay_core.edit.apply_mask`; nothing is changed then.
    """
    if not drawing or not drawing.get("objects"):
        raise InvalidArgumentError("There is nothing to apply: draw on the image first.")

    def action(ds: Any) -> object:
        if create:
            set_plane(ds, group, np.zeros((view.image_rows, view.image_cols), bool))
        try:
            plane = read_plane(ds, group)
            stroke = rasterize(drawing, view, plane, fill=fill)
            if not stroke.any():
                raise InvalidArgumentError(_outside_message(plane, view))
            return edit.apply_mask(ds, group, stroke, mode, frame)
        except OverlayError:
            if create:
                from overlay_core.writing import delete_plane

                delete_plane(ds, group)
            raise

    run(entry, "draw" if mode == "draw" else "erase", action)


def undo(entry: LoadedFile) -> None:
    """Undo the file's last edit."""
    assert entry.dataset is not None
    history(entry).undo(entry.dataset)


def redo(entry: LoadedFile) -> None:
    """Redo the file's last undone edit."""
    assert entry.dataset is not None
    history(entry).redo(entry.dataset)
