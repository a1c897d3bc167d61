r"""Fill (region grow) from a seed: the connected pixels whose value lies within a tolerance.

The region is the one ``skimage.segmentation.flood(values, seed, tolerance=t,
connectivity=1)`` gives (``connectivity=2`` for 8-connected): the pixels connected to the
seed whose Modality LUT value lies in ``[seed value - t, seed value + t]``. It is computed
as the seed's connected component of that range with :func:`scipy.ndimage.label`, which
is about twice as fast as a breadth-first flood on a 4096² image and gives the same set.

>>> values = np.array([[0, 0, 9], [9, 0, 9], [0, 9, 0]], float)
>>> fill_region(values, (0, 0), 0).astype(int).tolist()
[[1, 1, 0], [0, 1, 0], [0, 0, 0]]
>>> fill_region(values, (0, 0), 0, connectivity=8).astype(int).tolist()
[[1, 1, 0], [0, 1, 0], [1, 0, 1]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from scipy import ndimage

from overlay_core.edit.apply import Mode
from overlay_core.edit.placed import placed_frame, store
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane
from overlay_core.render.pixels import modality_frame

__all__ = ["check_seed", "fill", "fill_region"]

_STRUCTURES = {4: ndimage.generate_binary_structure(2, 1), 8: ndimage.generate_binary_structure(2, 2)}


def check_seed(seed: tuple[int, int], rows: int, cols: int) -> tuple[int, int]:
    """Return a 0-based ``(row, col)`` seed, or raise when it lies outside a ``rows x cols`` image.

    >>> check_seed((3, 0), 3, 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    overlay_core.errors.InvalidArgumentError: The seed (row 3, column 0) lies outside the 3 x 3 image ...
    """
    row, col = int(seed[0]), int(seed[1])
    if not (0 <= row < rows and 0 <= col < cols):
        raise InvalidArgumentError(
            f"The seed (row {row}, column {col}) lies outside the {rows} x {cols} image "
            f"(0-based rows 0 to {rows - 1}, columns 0 to {cols - 1})."
        )
    return row, col


def fill_region(
    values: NDArray[np.floating], seed: tuple[int, int], tolerance: float, connectivity: int = 4
) -> NDArray[np.bool_]:
    """Return the region grown from ``seed`` (0-based ``(row, col)``) over ``values``.

    Raises
    ------
    InvalidArgumentError
        If the seed lies outside, the tolerance is negative or not finite, or the
        connectivity is not 4 or 8.
    """
    if connectivity not in _STRUCTURES:
        raise InvalidArgumentError(f"The connectivity must be 4 or 8, not {connectivity}.")
    if not np.isfinite(tolerance) or tolerance < 0:
        raise InvalidArgumentError(f"The tolerance must be a number of 0 or more, not {tolerance}.")
    row, col = check_seed(seed, *values.shape)
    centre = values[row, col]
    # The same comparison as flood: low <= value <= high, not |value - seed| <= tolerance.
    near = (values >= centre - tolerance) & (values <= centre + tolerance)
    labels, _ = ndimage.label(near, _STRUCTURES[connectivity])
    return np.asarray(labels == labels[row, col], dtype=bool)


def fill(
    ds: Dataset,
    group: int,
    seed: tuple[int, int],
    frame: int = 0,
    tolerance: float = 0.0,
    connectivity: int = 4,
    mode: Mode | str = Mode.DRAW,
) -> OverlayPlane:
    """Draw (or erase) the region grown from ``seed`` on one frame of a plane.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A greyscale image; changed in place, unchanged when the call raises.
    group : int
        The plane's group.
    seed : (int, int)
        The 0-based image ``(row, col)`` clicked.
    frame : int
        The 0-based image frame.
    tolerance : float
        How far (in modality units) a value may lie from the seed's.
    connectivity : int
        4 or 8.
    mode : Mode or str
        ``draw`` sets the region, ``erase`` clears it.

    Returns
    -------
    OverlayPlane
        The plane as now stored; it grows when the region reaches past it.

    Raises
    ------
    PlaneNotFoundError
        If ``group`` holds no plane.
    InvalidArgumentError
        For a seed or frame outside the image, a bad tolerance, connectivity or mode.
    UnsupportedError
        If the image's values cannot be read (colour, undecodable).
    """
    mode = Mode.coerce(mode)
    if mode is Mode.REPLACE:
        raise InvalidArgumentError('A fill draws or erases; "replace" is not one of its modes.')
    placed = placed_frame(ds, group, frame)
    check_seed(seed, *placed.mask.shape)
    region = fill_region(modality_frame(ds, frame), seed, tolerance, connectivity)
    result = placed.mask | region if mode is Mode.DRAW else placed.mask & ~region
    return store(ds, placed, result)
