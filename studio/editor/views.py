"""A new view (zoom, pan) on the canvas already mounted: which view each stroke was drawn in.

A wheel notch used to mount a new drawing canvas for the new view (a new widget key): a new
fabric.js canvas, its background fetched and decoded, and one more rerun once it reported
its background. The canvas now stays mounted across views of one plane frame; a new view
swaps its background and starts a new canvas *generation* (:mod:`studio.editor.strokes`),
which empties the canvas, since strokes drawn over the old picture would sit over the wrong
pixels of the new one.

Two things keep the screen and the stored plane one:

* **Each stroke is applied in the view it was drawn in.** The view of every generation is
  remembered (:func:`settle_view`); a drawing is read with its own generation's view
  (:func:`drawn_in`), so a stroke sent just before a wheel notch, and read in the run that
  changes the view, lands where it was drawn. A drawing of a generation no longer
  remembered is never read with a guessed view.
* **The canvas takes no stroke until the new view is on screen.** The browser (the gestures
  component, ``studio/static/gestures.js``) holds every pointer press on the canvas from
  the wheel notch until the canvas' background shows the new picture, which it checks
  against the picture's :func:`signature` (the sums of each row and each column of its
  RGB values, exact at one display pixel per picture pixel); the zoom's CSS preview stays
  until then, so the old picture never jumps back.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from overlay_core.render.geometry import ViewGeometry

__all__ = ["GENERATIONS", "drawn_in", "settle_view", "signature", "view_id"]

#: Generations whose view is remembered (more than :mod:`studio.editor.strokes` keeps applied counts for).
GENERATIONS = 16


def view_id(view: ViewGeometry) -> str:
    """Return a short name of ``view``: the same for the same window and size.

    >>> from overlay_core.render.geometry import fit_view
    >>> view_id(fit_view(10, 10, width=100)) == view_id(fit_view(10, 10, width=100))
    True
    >>> view_id(fit_view(10, 10, width=100)) == view_id(fit_view(10, 10, width=90))
    False
    """
    w = view.region
    text = (f"{view.image_rows}x{view.image_cols}:{w.row0},{w.col0},{w.rows},{w.cols}:"
            f"{view.display_width}x{view.display_height}")
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def settle_view(memory: MutableMapping[str, Any], generation: int, view: ViewGeometry) -> int:
    """Return the canvas generation for ``view``: a new one when the view changed, else ``generation``.

    ``memory`` is the editor's per-session memory; its ``"generation"`` is advanced for a new
    view, and each generation's view is remembered (the last :data:`GENERATIONS`).

    >>> from overlay_core.render.geometry import Region, fit_view
    >>> mem = {"generation": 3}
    >>> a, b = fit_view(10, 10, width=100), fit_view(10, 10, region=Region(0, 0, 5, 5), width=100)
    >>> settle_view(mem, 3, a), settle_view(mem, 3, a), settle_view(mem, 3, b), mem["generation"]
    (3, 3, 4, 4)
    >>> drawn_in(mem, 3) == a, drawn_in(mem, 4) == b, drawn_in(mem, 1)
    (True, True, None)
    """
    views = memory.get("views")
    if not isinstance(views, dict):
        views = memory["views"] = {}
    known = views.get(generation)
    if known is None:
        views[generation] = view
    elif known != view:
        generation = int(memory.get("generation", generation)) + 1
        memory["generation"] = generation
        views[generation] = view
    for old in sorted(views)[:-GENERATIONS]:
        del views[old]
    return generation


def drawn_in(memory: MutableMapping[str, Any], generation: int | None) -> ViewGeometry | None:
    """Return the view canvas generation ``generation`` was shown in (``None``: not remembered)."""
    views = memory.get("views")
    found = views.get(generation) if isinstance(views, dict) and generation is not None else None
    return found if isinstance(found, ViewGeometry) else None


def signature(rgb: NDArray[np.uint8]) -> list[list[int]]:
    """Return the sums of R + G + B of each row and of each column of a picture.

    The browser computes the same from the canvas' background to know the picture is shown.

    >>> signature(np.array([[[1, 2, 3], [4, 5, 6]]], dtype=np.uint8))
    [[21], [6, 15]]
    """
    pixels = rgb if rgb.ndim == 3 else rgb[:, :, None]
    rows = pixels.reshape(pixels.shape[0], -1).sum(axis=1, dtype=np.int64)
    cols = pixels.sum(axis=0, dtype=np.int64).sum(axis=1)
    return [rows.tolist(), cols.tolist()]
