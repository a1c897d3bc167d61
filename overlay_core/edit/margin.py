r"""Margin and smoothing: grow or shrink by a radius in pixels or mm, open, close, fill holes.

Growing by ``R`` sets every pixel within distance ``R`` of a set pixel: a dilation by the
disk ``dy² + dx² <= R²`` (``skimage.morphology.disk(R)`` in pixels). With a spacing (mm) the
disk becomes the ellipse ``(dy·sy)² + (dx·sx)² <= R²``, so rows and columns may differ.
Shrinking is the erosion by the same disk; the image's edge does not erode (outside the
image counts as set, as ``skimage.morphology.binary_erosion`` pads). Opening is shrink
then grow, closing grow then shrink; filling holes is ``scipy.ndimage.binary_fill_holes``.

Why not ``scipy.ndimage.binary_dilation``: with a radius-10 disk it takes 3.4 s on a 4096²
image, and a Euclidean distance transform 3.3 s. A disk is the union, over row offsets
``dy``, of a horizontal segment ``w(dy)`` pixels to each side; so the mask is grown one column
at a time (two shifted ORs) and each grown copy is ORed in at the row offsets whose
half-width it is: about ``4R`` whole-array boolean ORs, on the mask's bounding box only.
The result is exact (tests compare it with ``skimage.morphology``).

>>> m = np.zeros((5, 5), bool); m[2, 2] = True
>>> dilate(m, 1).astype(int).tolist()
[[0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0]]
>>> int(erode(dilate(m, 1), 1).sum())
1
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from scipy import ndimage

from overlay_core.dataset.spacing import pixel_spacing
from overlay_core.edit.placed import placed_frame, require_pixels, store
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import Choice, OverlayPlane

__all__ = ["MorphOp", "close", "dilate", "erode", "margin", "morph", "open_"]


#: (row, column) spacing; pixels are (1, 1).
Spacing = tuple[float, float]


class MorphOp(Choice):
    """A smoothing operation: ``open``, ``close`` or ``fill-holes``."""

    OPEN = "open"
    CLOSE = "close"
    FILL_HOLES = "fill-holes"


def _reach(radius: float, spacing: tuple[float, float]) -> list[tuple[int, int]]:
    """Return the disk's half-width in columns for each row offset: ``[(dy, w), ...]``, ``dy >= 0``."""
    sy, sx = spacing
    out = []
    for dy in range(math.floor(radius / sy + 1e-9) + 1):
        left = radius * radius - (dy * sy) ** 2
        out.append((dy, math.floor(math.sqrt(max(left, 0.0)) / sx + 1e-9)))
    return out


def _dilate_all(mask: NDArray[np.bool_], reach: list[tuple[int, int]]) -> NDArray[np.bool_]:
    """Dilate by the disk ``reach`` describes: rows ``r + dy`` of the mask grown ``w`` columns wide."""
    rows = mask.shape[0]
    offsets: dict[int, list[int]] = {}
    for dy, w in reach:
        offsets.setdefault(w, []).append(dy)
    out = np.zeros_like(mask)
    wide = mask.copy()  # the mask grown w columns to each side, one more per step
    for w in range(max(offsets) + 1):
        if w:
            wide[:, w:] |= mask[:, :-w]
            wide[:, :-w] |= mask[:, w:]
        for dy in offsets.get(w, []):
            for shift in {dy, -dy}:
                if abs(shift) >= rows:
                    continue
                # out[r] |= wide[r + shift], for the rows where both exist
                out[max(-shift, 0):rows + min(-shift, 0)] |= wide[max(shift, 0):rows + min(shift, 0)]
    return out


def _box(mask: NDArray[np.bool_], pad_rows: int, pad_cols: int) -> tuple[slice, slice] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if not rows.size:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return (slice(max(int(rows[0]) - pad_rows, 0), min(int(rows[-1]) + 1 + pad_rows, mask.shape[0])),
            slice(max(int(cols[0]) - pad_cols, 0), min(int(cols[-1]) + 1 + pad_cols, mask.shape[1])))


def _check_radius(radius: float) -> None:
    if not (math.isfinite(radius) and radius > 0):
        raise InvalidArgumentError(f"The radius must be a number greater than 0, not {radius}.")


def dilate(mask: NDArray[np.bool_], radius: float, spacing: Spacing = (1.0, 1.0)) -> NDArray[np.bool_]:
    """Grow ``mask`` by ``radius`` (in the unit of ``spacing``: pixels by default)."""
    _check_radius(radius)
    reach = _reach(radius, spacing)
    box = _box(mask, reach[-1][0], reach[0][1])
    out = np.zeros_like(mask, dtype=bool)
    if box is not None:
        out[box] = _dilate_all(np.asarray(mask[box], dtype=bool), reach)
    return out


def erode(mask: NDArray[np.bool_], radius: float, spacing: Spacing = (1.0, 1.0)) -> NDArray[np.bool_]:
    """Shrink ``mask`` by ``radius``; the image's edge does not erode."""
    _check_radius(radius)
    reach = _reach(radius, spacing)
    # One unset pixel around the box stands for everything unset beyond it (nearer in both axes).
    box = _box(mask, 1, 1)
    out = np.zeros_like(mask, dtype=bool)
    if box is not None:
        out[box] = ~_dilate_all(~np.asarray(mask[box], dtype=bool), reach)
    return out


def open_(mask: NDArray[np.bool_], radius: float, spacing: Spacing = (1.0, 1.0)) -> NDArray[np.bool_]:
    """Shrink then grow: removes parts narrower than the disk."""
    return dilate(erode(mask, radius, spacing), radius, spacing)


def close(mask: NDArray[np.bool_], radius: float, spacing: Spacing = (1.0, 1.0)) -> NDArray[np.bool_]:
    """Grow then shrink: closes gaps narrower than the disk."""
    return erode(dilate(mask, radius, spacing), radius, spacing)


def _spacing(ds: Dataset, mm: bool) -> tuple[float, float]:
    if not mm:
        return (1.0, 1.0)
    spacing = pixel_spacing(ds)
    if spacing is None:
        raise InvalidArgumentError(
            "The image has no usable Pixel Spacing, so a margin in mm cannot be measured."
        )
    return spacing


def margin(ds: Dataset, group: int, radius: float, frame: int = 0, mm: bool = False) -> OverlayPlane:
    """Grow (``radius > 0``) or shrink (``radius < 0``) one frame of a plane.

    ``radius`` is in pixels, or in mm with ``mm`` (by (0028,0030) *Pixel Spacing*, rows and
    columns each their own); ``frame`` is the 0-based image frame. The plane grows with the
    result, up to the image's edge.

    Raises
    ------
    InvalidArgumentError
        If ``radius`` is 0 or not finite, ``mm`` is asked without Pixel Spacing, or
        shrinking leaves nothing.
    """
    if not math.isfinite(radius) or radius == 0:
        raise InvalidArgumentError(f"The margin must be a number other than 0, not {radius}.")
    spacing = _spacing(ds, mm)
    placed = placed_frame(ds, group, frame)
    if radius > 0:
        return store(ds, placed, dilate(placed.mask, radius, spacing))
    unit = "mm" if mm else "pixels"
    result = erode(placed.mask, -radius, spacing)
    return store(ds, placed, require_pixels(result, f"Shrinking by {-radius:g} {unit}"))


def morph(ds: Dataset, group: int, op: MorphOp | str, radius: float = 1, frame: int = 0) -> OverlayPlane:
    """Open, close (by a disk of ``radius`` pixels) or fill the holes of one frame of a plane.

    Raises
    ------
    InvalidArgumentError
        For an unknown operation or a radius not greater than 0.
    """
    op = MorphOp.coerce(op)
    placed = placed_frame(ds, group, frame)
    operations: dict[MorphOp, Callable[[NDArray[np.bool_]], NDArray[np.bool_]]] = {
        MorphOp.OPEN: lambda m: open_(m, radius),
        MorphOp.CLOSE: lambda m: close(m, radius),
        MorphOp.FILL_HOLES: lambda m: np.asarray(ndimage.binary_fill_holes(m), dtype=bool),
    }
    result = operations[op](placed.mask)
    if op is MorphOp.OPEN:
        require_pixels(result, f"Opening with radius {radius:g}")
    return store(ds, placed, result)
