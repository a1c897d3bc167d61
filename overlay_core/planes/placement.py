r"""Where a plane lies on the image: the one place the 1-based origin is converted.

(60xx,0050) *Overlay Origin* is ``row\col`` with ``1\1`` the image's top-left pixel;
0 and negative values are legal, and a plane may be larger or smaller than the image or
partly outside it. (60xx,0051) *Image Frame Origin* is the 1-based image frame that the
plane's first frame applies to.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.checks import check_frame_index, require_image
from overlay_core.model import OverlayPlane
from overlay_core.planes.reading import frame_bits, image_info, read_plane, read_planes, unpack_plane

__all__ = [
    "combined_mask",
    "frame_map",
    "image_mask",
    "image_shape",
    "origin_from_offset",
    "origin_offset",
    "place",
    "plane_window",
    "to_image_space",
    "to_plane_space",
]


def origin_offset(origin: tuple[int, int]) -> tuple[int, int]:
    """Turn a 1-based Overlay Origin into the 0-based image ``(row, col)`` of its top-left.

    This is the only 1-based to 0-based conversion in the code base.

    >>> origin_offset((1, 1)), origin_offset((-25, 0))
    ((0, 0), (-26, -1))
    """
    return (int(origin[0]) - 1, int(origin[1]) - 1)


def origin_from_offset(offset: tuple[int, int]) -> tuple[int, int]:
    """Return the 1-based Overlay Origin of a 0-based offset (inverse of :func:`origin_offset`).

    >>> origin_from_offset((0, 0))
    (1, 1)
    """
    return (int(offset[0]) + 1, int(offset[1]) + 1)


def frame_map(plane: OverlayPlane, image_frames: int) -> list[tuple[int, int]]:
    """Pair each plane frame with the image frame it applies to, both 0-based.

    A plane without (60xx,0015) and (60xx,0051) applies to every image frame, as DCMTK
    renders it; otherwise plane frame ``k`` lies on image frame
    ``image_frame_origin - 1 + k``, and frames beyond the image are dropped.

    >>> p = OverlayPlane(0x6000, 2, 2, frames=2, image_frame_origin=2, frame_specific=True)
    >>> frame_map(p, 4), frame_map(p, 2)
    ([(0, 1), (1, 2)], [(0, 1)])
    """
    if plane.frames == 1 and not plane.frame_specific:
        return [(0, f) for f in range(image_frames)]
    first = plane.image_frame_origin - 1
    return [(k, first + k) for k in range(plane.frames) if 0 <= first + k < image_frames]


def plane_window(
    plane: OverlayPlane, rows: int, cols: int
) -> tuple[slice, slice, slice, slice] | None:
    """Return the slices of the part of the plane that lies on a ``rows x cols`` image.

    The result is ``(image_rows, image_cols, plane_rows, plane_cols)``, or ``None`` when
    none of the plane lies on the image.

    >>> plane_window(OverlayPlane(0x6000, 4, 4, origin=(0, 0)), 3, 3)
    (slice(0, 3, None), slice(0, 3, None), slice(1, 4, None), slice(1, 4, None))
    """
    r0, c0 = origin_offset(plane.origin)
    rs, cs = max(r0, 0), max(c0, 0)
    re, ce = min(r0 + plane.rows, rows), min(c0 + plane.columns, cols)
    if rs >= re or cs >= ce:
        return None
    return slice(rs, re), slice(cs, ce), slice(rs - r0, re - r0), slice(cs - c0, ce - c0)


def place(
    plane: OverlayPlane, bits: NDArray[np.bool_], image_shape: tuple[int, int, int]
) -> NDArray[np.bool_]:
    """Place a plane's bitmap on the image, clipped to it.

    Parameters
    ----------
    plane : OverlayPlane
        Gives the origin and the frame mapping.
    bits : numpy.ndarray
        The plane's own bitmap, ``(plane frames, plane rows, plane cols)``.
    image_shape : tuple of int
        ``(image frames, image rows, image cols)``.

    Returns
    -------
    numpy.ndarray
        ``numpy.bool_``, shape ``image_shape``.

    Examples
    --------
    >>> p = OverlayPlane(0x6000, 2, 2, origin=(0, 2))
    >>> place(p, np.ones((1, 2, 2), bool), (1, 3, 3)).astype(int)[0].tolist()
    [[0, 1, 1], [0, 0, 0], [0, 0, 0]]
    """
    frames, rows, cols = image_shape
    out = np.zeros(image_shape, dtype=bool)
    window = plane_window(plane, rows, cols)
    if window is None:
        return out
    ir, ic, pr, pc = window
    for k, f in frame_map(plane, frames):
        out[f, ir, ic] = bits[k, pr, pc]
    return out


def to_plane_space(plane: OverlayPlane, mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Cut one image-space ``(rows, cols)`` frame to the plane's pixels (outside is unset).

    >>> p = OverlayPlane(0x6000, 2, 2, origin=(2, 2))
    >>> to_plane_space(p, np.eye(3, dtype=bool)).astype(int).tolist()
    [[1, 0], [0, 1]]
    """
    out = np.zeros((plane.rows, plane.columns), dtype=bool)
    window = plane_window(plane, *np.shape(mask)[-2:])
    if window is not None:
        ir, ic, pr, pc = window
        out[pr, pc] = np.asarray(mask, dtype=bool)[ir, ic]
    return out


def to_image_space(plane: OverlayPlane, bits: NDArray[np.bool_], rows: int, cols: int) -> NDArray[np.bool_]:
    """Place one plane-space ``(rows, cols)`` frame on a ``rows x cols`` image, clipped.

    :func:`place` does this for every frame of a plane.

    >>> p = OverlayPlane(0x6000, 2, 2, origin=(0, 0))
    >>> to_image_space(p, np.ones((2, 2), bool), 2, 2).astype(int).tolist()
    [[1, 0], [0, 0]]
    """
    out = np.zeros((rows, cols), dtype=bool)
    window = plane_window(plane, rows, cols)
    if window is not None:
        ir, ic, pr, pc = window
        out[ir, ic] = np.asarray(bits, dtype=bool)[pr, pc]
    return out


def image_shape(ds: Dataset, purpose: str = "to place overlay planes on") -> tuple[int, int, int]:
    """Return the image's ``(frames, rows, cols)``; raise when there is none (see :func:`require_image`)."""
    info = image_info(ds)
    require_image(info, purpose)
    return info.shape


def image_mask(ds: Dataset, group: int, frame: int | None = None) -> NDArray[np.bool_]:
    """Return the plane in ``group`` placed on the image.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image and its overlay groups.
    group : int
        The overlay group.
    frame : int, optional
        A 0-based image frame: only that frame is placed and only the plane frame on it is
        unpacked, ``(rows, cols)``. Default: every frame, ``(frames, rows, cols)``.

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        As :func:`overlay_core.planes.reading.unpack_plane`.
    InvalidArgumentError
        If the dataset has no image (Rows/Columns), or ``frame`` is out of range.
    """
    shape = image_shape(ds)
    if frame is None:
        plane, bits, _ = unpack_plane(ds, group)
        return place(plane, bits, shape)
    check_frame_index(frame, shape[0], "the image")
    plane = read_plane(ds, group)
    for k, f in frame_map(plane, shape[0]):
        if f == frame:
            bits = frame_bits(ds, group, k)[1]  # a new array, ours to hand on
            if (plane.rows, plane.columns) == shape[1:] and origin_offset(plane.origin) == (0, 0):
                return bits  # the plane covers the image exactly: nothing to place
            return to_image_space(plane, bits, shape[1], shape[2])
    return np.zeros(shape[1:], dtype=bool)


def combined_mask(ds: Dataset, groups: Iterable[int] | None = None) -> NDArray[np.bool_]:
    """Return the union of the planes in ``groups`` (all usable planes by default)."""
    shape = image_shape(ds)
    chosen = [p.group for p in read_planes(ds)] if groups is None else list(groups)
    out = np.zeros(shape, dtype=bool)
    for group in chosen:
        plane, bits, _ = unpack_plane(ds, group)
        out |= place(plane, bits, shape)
    return out
