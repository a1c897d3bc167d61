"""Islands: keep the largest 8-connected piece of a frame, or remove the pieces smaller than N pixels.

Pieces are 8-connected (diagonal neighbours touch), as Slicer's *Islands* effect counts
them. Only the part of the plane on the image is looked at and changed.

>>> m = np.array([[1, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 1]], bool)
>>> largest_island(m).astype(int).tolist()
[[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
>>> without_small_islands(m, 2).astype(int).tolist()
[[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from scipy import ndimage

from overlay_core.edit.placed import placed_frame, require_pixels, store
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane

__all__ = ["keep_largest_island", "largest_island", "remove_small_islands", "without_small_islands"]

_EIGHT = np.ones((3, 3), dtype=bool)


def _sizes(mask: NDArray[np.bool_]) -> tuple[NDArray[np.int32], NDArray[np.intp]]:
    labels, count = ndimage.label(mask, _EIGHT)
    return labels, np.bincount(labels.ravel(), minlength=count + 1)


def largest_island(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Return the largest 8-connected piece (the first in raster order among equals).

    Raises
    ------
    InvalidArgumentError
        If the mask has no set pixel.
    """
    labels, sizes = _sizes(mask)
    if sizes.size < 2:
        raise InvalidArgumentError(
            "The plane has no set pixels on this frame, so there is no island to keep."
        )
    return np.asarray(labels == int(np.argmax(sizes[1:])) + 1, dtype=bool)


def without_small_islands(mask: NDArray[np.bool_], min_size: int) -> NDArray[np.bool_]:
    """Return the mask without its 8-connected pieces of fewer than ``min_size`` pixels."""
    if min_size < 1:
        raise InvalidArgumentError(f"The smallest island to keep must be 1 pixel or more, not {min_size}.")
    labels, sizes = _sizes(mask)
    keep = sizes >= min_size
    keep[0] = False
    return np.asarray(keep[labels], dtype=bool)


def keep_largest_island(ds: Dataset, group: int, frame: int = 0) -> OverlayPlane:
    """Keep only the largest 8-connected piece of the plane on 0-based image frame ``frame``.

    Raises
    ------
    InvalidArgumentError
        If the frame has no set pixel on the image, or the frame is out of range.
    """
    placed = placed_frame(ds, group, frame)
    return store(ds, placed, largest_island(placed.mask))


def remove_small_islands(ds: Dataset, group: int, min_size: int, frame: int = 0) -> OverlayPlane:
    """Remove the 8-connected pieces of fewer than ``min_size`` pixels from one frame.

    Raises
    ------
    InvalidArgumentError
        If ``min_size`` is below 1, or no piece is that large (the frame would be left empty).
    """
    placed = placed_frame(ds, group, frame)
    result = without_small_islands(placed.mask, int(min_size))
    return store(ds, placed, require_pixels(result, f"Removing islands smaller than {min_size} pixels"))
