r"""Fill (region grow) from a seed: the connected pixels whose value lies within a tolerance.

The region is the one ``skimage.segmentation.flood(values, seed, tolerance=t,
connectivity=1)`` gives (``connectivity=2`` for 8-connected): the pixels connected to the
seed whose Modality LUT value lies in ``[seed value - t, seed value + t]``.

It is the seed's connected component of that range, found with :func:`scipy.ndimage.label`
in a window around the seed that grows only while the region touches its edge (issue 18's
speed follow-up). Labelling the whole range is what made a fill slow: on a noisy image the
range holds many tiny components everywhere, each labelled for nothing. A region that stays
off the window's edge cannot continue outside it (every step out of the window starts on
its edge), so the answer is exact. The next window is the region's box, grown by the box's
own size on each side the region reaches, so even a region spanning the image costs little
more than one whole-image labelling. Measured on a 4096² image with noise: a 2000² region
1.7 times as fast as labelling everything, a small region many times faster;
``skimage.segmentation.flood`` on the same range was slower than either (a pixel-by-pixel
walk of the whole region).

The range test itself reads the frame through :class:`~overlay_core.render.pixels.FrameValues`:
for 8- and 16-bit images a lookup of the stored value's in-range flag, window by window,
rather than a float copy of the whole frame.

>>> values = np.array([[0, 0, 9], [9, 0, 9], [0, 9, 0]], float)
>>> fill_region(values, (0, 0), 0).astype(int).tolist()
[[1, 1, 0], [0, 1, 0], [0, 0, 0]]
>>> fill_region(values, (0, 0), 0, connectivity=8).astype(int).tolist()
[[1, 1, 0], [0, 1, 0], [1, 0, 1]]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from scipy import ndimage

from overlay_core.edit.apply import Mode
from overlay_core.edit.placed import placed_frame, store
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane
from overlay_core.render.pixels import FrameValues, frame_values

__all__ = ["Region", "check_seed", "fill", "fill_region", "grow"]

_STRUCTURES = {4: ndimage.generate_binary_structure(2, 1), 8: ndimage.generate_binary_structure(2, 2)}

#: Half the side of the first window labelled around the seed: most clicked regions fit in it.
_FIRST_HALF = 256

#: ``inside(rows, cols)``: whether each pixel of that box of the image is in the tolerance range.
Inside = Callable[[slice, slice], NDArray[np.bool_]]


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


@dataclass(frozen=True, eq=False)
class Region:
    """A grown region: its pixels inside the image box ``[rows, cols]`` where it was found."""

    rows: slice
    cols: slice
    mask: NDArray[np.bool_]

    def on(self, shape: tuple[int, int]) -> NDArray[np.bool_]:
        """Return the region on an image of ``shape``."""
        out = np.zeros(shape, dtype=bool)
        out[self.rows, self.cols] = self.mask
        return out


def _check(tolerance: float, connectivity: int) -> None:
    if connectivity not in _STRUCTURES:
        raise InvalidArgumentError(f"The connectivity must be 4 or 8, not {connectivity}.")
    if not np.isfinite(tolerance) or tolerance < 0:
        raise InvalidArgumentError(f"The tolerance must be a number of 0 or more, not {tolerance}.")


def grow(inside: Inside, shape: tuple[int, int], seed: tuple[int, int], connectivity: int = 4) -> Region:
    """Return the connected component of ``inside`` holding ``seed``, labelling as little as it can.

    Parameters
    ----------
    inside : callable
        ``inside(rows, cols)`` gives the in-range flags of that box of the image; the seed
        must be in range.
    shape : (int, int)
        The image's ``(rows, cols)``.
    seed : (int, int)
        0-based ``(row, col)``.
    connectivity : int
        4 or 8.

    Examples
    --------
    >>> flags = np.zeros((3, 600), bool); flags[1, :] = True; flags[0, 599] = True
    >>> region = grow(lambda r, c: flags[r, c], flags.shape, (1, 0)).on(flags.shape)
    >>> int(region.sum()), bool(region[0, 599])
    (601, True)
    """
    rows, cols = shape
    row, col = seed
    top, bottom = max(row - _FIRST_HALF, 0), min(row + _FIRST_HALF + 1, rows)
    left, right = max(col - _FIRST_HALF, 0), min(col + _FIRST_HALF + 1, cols)
    while True:
        labels, _ = ndimage.label(inside(slice(top, bottom), slice(left, right)), _STRUCTURES[connectivity])
        mine = labels == labels[row - top, col - left]
        # The sides the region reaches that are not the image's own edges: it may go on there.
        up, down = top > 0 and mine[0].any(), bottom < rows and mine[-1].any()
        back, on = left > 0 and mine[:, 0].any(), right < cols and mine[:, -1].any()
        if not (up or down or back or on):
            return Region(slice(top, bottom), slice(left, right), mine)
        # Next window: the region's box, one pixel more on the sides it stays off (so that the
        # window does not end on it), and the box's own size more on the sides it reaches.
        used, across = np.flatnonzero(mine.any(axis=1)), np.flatnonzero(mine.any(axis=0))
        first, last = top + int(used[0]), top + int(used[-1])
        height = last - first + 1
        top = max(first - height, 0) if up else max(first - 1, 0)
        bottom = min(last + 1 + height, rows) if down else min(last + 2, rows)
        first, last = left + int(across[0]), left + int(across[-1])
        width = last - first + 1
        left = max(first - width, 0) if back else max(first - 1, 0)
        right = min(last + 1 + width, cols) if on else min(last + 2, cols)


def fill_region(
    values: NDArray[np.floating] | FrameValues, seed: tuple[int, int], tolerance: float, connectivity: int = 4
) -> NDArray[np.bool_]:
    """Return the region grown from ``seed`` (0-based ``(row, col)``) over ``values``.

    ``values`` are the frame's Modality LUT values, or the frame read by
    :func:`~overlay_core.render.pixels.frame_values` (the same region, read faster).

    Raises
    ------
    InvalidArgumentError
        If the seed lies outside, the tolerance is negative or not finite, or the
        connectivity is not 4 or 8.
    """
    shape = (int(values.stored.shape[0]), int(values.stored.shape[1])) if isinstance(values, FrameValues) \
        else (int(values.shape[0]), int(values.shape[1]))
    return _grown(values, seed, tolerance, connectivity).on(shape)


def _grown(values: NDArray[np.floating] | FrameValues, seed: tuple[int, int], tolerance: float,
           connectivity: int) -> Region:
    _check(tolerance, connectivity)
    if isinstance(values, FrameValues):
        shape = (int(values.stored.shape[0]), int(values.stored.shape[1]))
        row, col = check_seed(seed, *shape)
        centre = float(values.values(slice(row, row + 1), slice(col, col + 1))[0, 0])
        # The same comparison as flood: low <= value <= high, not |value - seed| <= tolerance.
        low, high = centre - tolerance, centre + tolerance
        reader = values
        return grow(lambda r, c: reader.within(low, high, r, c), shape, (row, col), connectivity)
    array = values
    row, col = check_seed(seed, *array.shape)
    centre = array[row, col]
    return grow(lambda r, c: (array[r, c] >= centre - tolerance) & (array[r, c] <= centre + tolerance),
                (int(array.shape[0]), int(array.shape[1])), (row, col), connectivity)


def fill(
    ds: Dataset,
    group: int,
    seed: tuple[int, int],
    frame: int = 0,
    tolerance: float = 0.0,
    connectivity: int = 4,
    mode: Mode | str = Mode.DRAW,
    values: FrameValues | None = None,
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
    values : FrameValues, optional
        Image frame ``frame`` already read in this call (what :func:`~overlay_core.edit.masking.limited`
        yields), so that it is not decoded again; read here by default.

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
    _check(tolerance, connectivity)
    if values is None or values.frame != frame:
        values = frame_values(ds, frame)
    region = _grown(values, seed, tolerance, connectivity)
    result = placed.mask.copy()  # changed only in the region's box: no image-sized temporaries
    box = result[region.rows, region.cols]
    if mode is Mode.DRAW:
        box |= region.mask
    else:
        box &= ~region.mask
    return store(ds, placed, result)
