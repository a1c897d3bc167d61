r"""One frame of a plane placed on the image: what every tool reads, and how its result is stored.

The tools (:mod:`~overlay_core.edit.fill`, :mod:`~overlay_core.edit.islands`,
:mod:`~overlay_core.edit.margin`, ...) work in *image space*: on the chosen image frame's
``(rows, cols)`` with the plane placed at its (60xx,0050) *Overlay Origin*
(:mod:`overlay_core.planes.placement`). :func:`placed_frame` gives them that mask;
:func:`store` writes their image-space result back. A result reaching past the plane grows
the plane (Overlay Rows, Columns and Origin change together, so nothing else moves), but
never past the image, since a result only has the image's pixels; the plane's pixels off
the image and its other frames are kept as they are.

``frame`` is a 0-based *image* frame here, as the image's values come from it; the plane
frame on it follows from (60xx,0051) *Image Frame Origin* (:func:`plane_frame_index`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.checks import check_frame_index
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import (
    frame_map,
    image_shape,
    origin_from_offset,
    origin_offset,
    plane_window,
    to_image_space,
)
from overlay_core.planes.reading import unpack_plane
from overlay_core.planes.writing import Attributes, set_plane

__all__ = ["PlacedFrame", "placed_frame", "plane_frame_index", "require_pixels", "store"]


@dataclass(frozen=True, eq=False)
class PlacedFrame:
    """A plane frame on its image frame.

    Attributes
    ----------
    plane : OverlayPlane
        The plane as stored.
    bits : numpy.ndarray
        The plane's own bits, every frame, ``(frames, rows, cols)``.
    index : int
        The 0-based plane frame on ``image_frame``.
    image_frame : int
        The 0-based image frame.
    mask : numpy.ndarray
        The plane frame placed on the image, ``(image rows, image cols)``, clipped to it.
    """

    plane: OverlayPlane
    bits: NDArray[np.bool_]
    index: int
    image_frame: int
    mask: NDArray[np.bool_]


def plane_frame_index(plane: OverlayPlane, image_frame: int, image_frames: int) -> int:
    """Return the 0-based plane frame that lies on 0-based ``image_frame``.

    Raises
    ------
    InvalidArgumentError
        If no frame of the plane lies on that image frame.

    Examples
    --------
    >>> p = OverlayPlane(0x6000, 2, 2, frames=2, image_frame_origin=3, frame_specific=True)
    >>> plane_frame_index(p, 3, 5)
    1
    """
    for k, f in frame_map(plane, image_frames):
        if f == image_frame:
            return k
    first = plane.image_frame_origin
    raise InvalidArgumentError(
        f"Overlay group {plane.group_hex} has no frame on image frame {image_frame + 1}; it covers "
        f"image frames {first} to {first + plane.frames - 1}."
    )


def placed_frame(ds: Dataset, group: int, frame: int = 0) -> PlacedFrame:
    """Unpack the plane in ``group`` and place its frame on 0-based image frame ``frame``.

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        If ``group`` holds no usable plane.
    InvalidArgumentError
        If the file has no image, ``frame`` is out of range or the plane has no frame there.

    Examples
    --------
    >>> ds = Dataset(); ds.Rows, ds.Columns = 3, 3
    >>> _ = set_plane(ds, 0x6000, np.ones((2, 2), bool), Attributes(origin=(0, 0)))
    >>> placed_frame(ds, 0x6000).mask.astype(int).tolist()
    [[1, 0, 0], [0, 0, 0], [0, 0, 0]]
    """
    frames, rows, cols = image_shape(ds, "to place the plane on")
    check_frame_index(frame, frames, "the image")
    plane, bits, _ = unpack_plane(ds, group)
    index = plane_frame_index(plane, frame, frames)
    return PlacedFrame(plane, bits, index, frame, to_image_space(plane, bits[index], rows, cols))


def require_pixels(result: NDArray[np.bool_], what: str) -> NDArray[np.bool_]:
    """Return ``result``, or raise when it has no set pixel: ``what`` would leave the frame empty.

    >>> require_pixels(np.zeros((1, 1), bool), "Shrinking by 3 pixels")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    overlay_core.errors.InvalidArgumentError: Shrinking by 3 pixels leaves no set pixel on this frame; ...
    """
    if not result.any():
        raise InvalidArgumentError(f"{what} leaves no set pixel on this frame; nothing was changed.")
    return result


def _extent(plane: OverlayPlane, result: NDArray[np.bool_]) -> tuple[int, int, int, int]:
    """Return the 0-based image box ``(top, left, bottom, right)`` holding the plane and the result."""
    top, left = origin_offset(plane.origin)
    bottom, right = top + plane.rows, left + plane.columns
    rows = np.flatnonzero(result.any(axis=1))
    if rows.size:
        cols = np.flatnonzero(result.any(axis=0))
        top, bottom = min(top, int(rows[0])), max(bottom, int(rows[-1]) + 1)
        left, right = min(left, int(cols[0])), max(right, int(cols[-1]) + 1)
    return top, left, bottom, right


def store(ds: Dataset, placed: PlacedFrame, result: NDArray[np.bool_]) -> OverlayPlane:
    r"""Write an image-space result as the plane frame of ``placed``, growing the plane to hold it.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        Changed in place.
    placed : PlacedFrame
        What :func:`placed_frame` returned for the plane (unchanged since).
    result : numpy.ndarray
        ``(image rows, image cols)`` bool: the frame's new pixels on the image.

    Returns
    -------
    OverlayPlane
        The plane as now stored.

    Examples
    --------
    >>> ds = Dataset(); ds.Rows, ds.Columns = 3, 4
    >>> _ = set_plane(ds, 0x6000, np.ones((1, 1), bool), Attributes(origin=(2, 2)))
    >>> grown = np.zeros((3, 4), bool); grown[1, 1] = grown[2, 3] = True
    >>> p = store(ds, placed_frame(ds, 0x6000), grown)
    >>> p.shape, p.origin
    ((1, 2, 3), (2, 2))
    """
    plane, bits = placed.plane, placed.bits
    rows, cols = result.shape
    top, left, bottom, right = _extent(plane, result)
    row_off, col_off = origin_offset(plane.origin)
    new = np.zeros((bits.shape[0], bottom - top, right - left), dtype=bool)
    new[:, row_off - top:row_off - top + plane.rows, col_off - left:col_off - left + plane.columns] = bits
    origin = origin_from_offset((top, left))
    grown = dataclasses.replace(plane, rows=bottom - top, columns=right - left, origin=origin)
    window = plane_window(grown, rows, cols)
    if window is not None:
        ir, ic, pr, pc = window
        new[placed.index, pr, pc] = result[ir, ic]
    attrs = Attributes(origin=origin) if origin != plane.origin else None
    return set_plane(ds, plane.group, new, attrs)
