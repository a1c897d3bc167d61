"""A canvas drawing applied to the rows it touches only (the editor's fast path).

:func:`overlay_core.edit.apply.apply_canvas` unpacks the whole plane, combines and packs it
again: ~0.1 s for each stroke on a 4096² plane. A stroke inside the plane changes only the
rows under it, so :func:`apply_in_place` rasterises the drawing into its own box
(:func:`overlay_core.edit.fabric.rasterize_box`) and rewrites the bytes of those rows
(:mod:`overlay_core.planes.patch`). The stored bytes are those ``apply_canvas`` would
store; every case it does not handle (a new plane, a stroke that would grow the plane,
an embedded or unusually stored plane, nothing drawn on the plane) is left to
``apply_canvas``, which then does the whole-plane work and gives its messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from overlay_core.edit.apply import Mode, check_plane_frame, combine
from overlay_core.edit.fabric import rasterize_box
from overlay_core.errors import OverlayError
from overlay_core.model import OverlayPlane
from overlay_core.planes.patch import patchable, read_rows, write_rows
from overlay_core.planes.placement import origin_offset
from overlay_core.planes.reading import overlay_groups, read_plane
from overlay_core.render.geometry import ViewGeometry

__all__ = ["apply_in_place"]


def apply_in_place(
    ds: Dataset, group: int, json_data: Mapping[str, Any] | None, view: ViewGeometry,
    mode: Mode | str = Mode.DRAW, frame: int = 0, fill: bool | None = None, grow: bool = False,
) -> OverlayPlane | None:
    """Apply a canvas drawing as ``apply_canvas`` would, touching only its rows; ``None``: not done here.

    ``None`` leaves ``ds`` unchanged; the caller then uses ``apply_canvas``.

    >>> from overlay_core.planes.writing import set_plane
    >>> from overlay_core.render.geometry import fit_view
    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.zeros((4, 4), bool))
    >>> line = {"type": "Line", "left": 4, "top": 4, "originX": "center", "originY": "center",
    ...         "x1": 0, "y1": -4, "x2": 0, "y2": 4, "stroke": "black", "strokeWidth": 4}
    >>> apply_in_place(ds, 0x6000, {"objects": [line]}, fit_view(4, 4, width=8)).set_bits
    8
    """
    mode = Mode.coerce(mode)
    if not json_data or not json_data.get("objects") or group not in overlay_groups(ds):
        return None
    try:
        plane = read_plane(ds, group)
        check_plane_frame(plane, frame)
    except OverlayError:
        return None
    if not patchable(ds, plane):
        return None
    drawn = rasterize_box(json_data, view, plane, fill=fill)
    if drawn is None or not drawn[1].any():
        return None  # apply_canvas says that nothing drawn lies on the plane
    if grow and mode is not Mode.ERASE and not _inside(json_data, view, plane, fill):
        return None  # the plane grows to hold the stroke: apply_canvas does that
    (top, left), stroke = drawn
    rows = read_rows(ds, plane, frame, top, top + stroke.shape[0])
    cols = slice(left, left + stroke.shape[1])
    rows[:, cols] = combine(rows[:, cols], stroke, mode)
    return write_rows(ds, plane, frame, top, rows)


def _inside(json_data: Mapping[str, Any], view: ViewGeometry, plane: OverlayPlane, fill: bool | None) -> bool:
    """Whether every pixel drawn on the image lies on the plane (else the plane grows)."""
    r0, c0 = origin_offset(plane.origin)
    if r0 <= 0 and c0 <= 0 and r0 + plane.rows >= view.image_rows and c0 + plane.columns >= view.image_cols:
        return True  # the plane covers the image
    image_sized = OverlayPlane(plane.group, view.image_rows, view.image_cols)
    on_image = rasterize_box(json_data, view, image_sized, fill=fill)
    if on_image is None:
        return True
    (top, left), bits = on_image
    rows, cols = np.flatnonzero(bits.any(axis=1)), np.flatnonzero(bits.any(axis=0))
    if not rows.size:
        return True
    return (top + int(rows[0]) >= r0 and left + int(cols[0]) >= c0
            and top + int(rows[-1]) < r0 + plane.rows and left + int(cols[-1]) < c0 + plane.columns)
