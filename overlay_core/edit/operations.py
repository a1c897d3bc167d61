r"""Plane operations: resize, crop, move, invert, clear, threshold, and PNG export of a frame.

Every function takes the dataset and a group, validates everything first, and writes
through :func:`overlay_core.planes.writing.set_plane` or
:func:`~overlay_core.planes.writing.set_attributes`, so a bad call raises an
:class:`~overlay_core.errors.OverlayError` and leaves the dataset as it was. Wrap a call
in :meth:`overlay_core.edit.history.History.change` to make it undoable. ``frame`` is a
0-based index into the plane's own frames.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.edit.apply import Space, check_plane_frame
from overlay_core.errors import InvalidArgumentError
from overlay_core.files.masks import mask_png
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import image_shape, origin_from_offset, origin_offset, to_image_space
from overlay_core.planes.reading import unpack_plane
from overlay_core.planes.writing import Attributes, first_free_group, set_attributes, set_plane
from overlay_core.render.pixels import frame_values

__all__ = [
    "clear",
    "crop_to_content",
    "export_png",
    "invert",
    "move",
    "resize_to_image",
    "threshold_plane",
]


# --- plane operations -----------------------------------------------------------------------


def resize_to_image(ds: Dataset, group: int) -> OverlayPlane:
    r"""Make the plane exactly the image's size at origin ``1\1``.

    Every pixel that lies on the image stays where it is; pixels outside the image are
    dropped.

    Examples
    --------
    >>> ds = Dataset(); ds.Rows = ds.Columns = 3
    >>> _ = set_plane(ds, 0x6000, np.ones((1, 1), bool), Attributes(origin=(2, 3)))
    >>> p = resize_to_image(ds, 0x6000)
    >>> p.shape, p.origin, unpack_plane(ds, 0x6000)[1][0, 1, 2]
    ((1, 3, 3), (1, 1), np.True_)
    """
    _, rows, cols = image_shape(ds, "to place the plane on")
    plane, bits, _ = unpack_plane(ds, group)
    new = np.stack([to_image_space(plane, frame_bits, rows, cols) for frame_bits in bits])
    return set_plane(ds, group, new, Attributes(origin=(1, 1)))


def crop_to_content(ds: Dataset, group: int) -> OverlayPlane:
    """Shrink the plane to the bounding box of its set pixels (over all its frames).

    Overlay Rows/Columns and Overlay Origin change together, so nothing moves on the
    image.

    Raises
    ------
    InvalidArgumentError
        If the plane has no set pixel: there is no content to crop to.

    Examples
    --------
    >>> ds = Dataset(); m = np.zeros((4, 4), bool); m[2, 1] = m[3, 2] = True
    >>> p = crop_to_content(ds, set_plane(ds, 0x6000, m).group)
    >>> p.shape, p.origin
    ((1, 2, 2), (3, 2))
    """
    plane, bits, _ = unpack_plane(ds, group)
    any_frame = np.any(bits, axis=0)
    rows = np.flatnonzero(any_frame.any(axis=1))
    cols = np.flatnonzero(any_frame.any(axis=0))
    if not len(rows):
        raise InvalidArgumentError(
            f"Overlay group {plane.group_hex} has no set pixels, so there is nothing to crop to."
        )
    r0, c0 = int(rows[0]), int(cols[0])
    r1, c1 = int(rows[-1]) + 1, int(cols[-1]) + 1
    row_off, col_off = origin_offset(plane.origin)
    origin = origin_from_offset((row_off + r0, col_off + c0))
    return set_plane(ds, group, bits[:, r0:r1, c0:c1], Attributes(origin=origin))


def move(ds: Dataset, group: int, origin: tuple[int, int]) -> OverlayPlane:
    r"""Move the plane on the image: set its 1-based (60xx,0050) *Overlay Origin*.

    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> move(ds, 0x6000, (-4, 10)).origin
    (-4, 10)
    """
    return set_attributes(ds, group, Attributes(origin=(int(origin[0]), int(origin[1]))))


def _change_frames(
    ds: Dataset, group: int, frame: int | None, change: Callable[[NDArray[np.bool_]], NDArray[np.bool_]]
) -> OverlayPlane:
    """Apply ``change`` to one frame of the plane's bits, or to all of them (``None``)."""
    plane, bits, _ = unpack_plane(ds, group)
    new = bits.copy()
    if frame is None:
        new = change(new)
    else:
        check_plane_frame(plane, frame)
        new[frame] = change(new[frame])
    return set_plane(ds, group, new)


def invert(ds: Dataset, group: int, frame: int | None = None) -> OverlayPlane:
    """Invert the plane's bits within its own extent: one frame, or every frame (``None``).

    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> invert(ds, 0x6000).set_bits
    2
    """
    return _change_frames(ds, group, frame, np.logical_not)


def clear(ds: Dataset, group: int, frame: int | None = None) -> OverlayPlane:
    """Unset every bit of one frame, or of every frame (``None``); the plane stays.

    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> clear(ds, 0x6000).set_bits
    0
    """
    return _change_frames(ds, group, frame, np.zeros_like)


# --- threshold ------------------------------------------------------------------------------


def threshold_plane(
    ds: Dataset,
    low: float,
    high: float,
    frame: int | None = 0,
    group: int | None = None,
    attrs: Attributes | None = None,
) -> OverlayPlane:
    r"""Make an image-sized plane of the pixels whose intensity lies in a range.

    The intensity is the Modality LUT value (rescaled units such as HU); ``low`` and
    ``high`` are both included.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A greyscale image; changed in place.
    low, high : float
        The intensity range.
    frame : int or None
        The 0-based image frame to threshold. On a multi-frame image the plane is
        frame-specific: one frame whose (60xx,0051) *Image Frame Origin* is ``frame + 1``.
        ``None`` thresholds every frame into a plane with as many frames.
    group : int, optional
        Where to write (replacing any plane there); the first free group by default.
    attrs : Attributes, optional
        Attributes to set; by default the description says the range.

    Raises
    ------
    InvalidArgumentError
        If ``low > high``, the frame is out of range, or no group is free.
    UnsupportedError
        If the image cannot be decoded or is in colour.
    """
    if not (np.isfinite(low) and np.isfinite(high)) or low > high:
        raise InvalidArgumentError(
            f"The intensity range must be two numbers with low <= high, not {low} to {high}."
        )
    frames, _, _ = image_shape(ds, "to place the plane on")
    target = first_free_group(ds) if group is None else group
    indices = list(range(frames)) if frame is None else [frame]
    masks = []
    for index in indices:
        masks.append(frame_values(ds, index).within(low, high))  # no float copy of the frame
    attrs = attrs or Attributes(description=f"Intensity {low:g} to {high:g}")
    changes: dict[str, Any] = {"origin": (1, 1)}
    if frames > 1 and frame is not None:
        changes["image_frame_origin"] = frame + 1
    elif frames > 1:
        changes["image_frame_origin"] = 1
    attrs = dataclasses.replace(attrs, **changes)
    return set_plane(ds, target, np.stack(masks), attrs)


def export_png(ds: Dataset, group: int, frame: int = 0, space: Space | str = Space.PLANE) -> bytes:
    r"""Export one frame of a plane as a black-and-white PNG (set pixels white).

    ``plane`` space gives the plane's own Rows x Columns; ``image`` space places it on
    the image at its origin, clipped to the image. :func:`overlay_core.files.masks.read_mask`
    reads it back.

    >>> ds = Dataset(); _ = set_plane(ds, 0x6000, np.eye(2, dtype=bool))
    >>> from overlay_core.files.masks import read_mask
    >>> read_mask(export_png(ds, 0x6000)).tolist()
    [[True, False], [False, True]]
    """
    space = Space.coerce(space)
    plane, bits, _ = unpack_plane(ds, group)
    check_plane_frame(plane, frame)
    out = bits[frame]
    if space is Space.IMAGE:
        _, rows, cols = image_shape(ds, "to place the plane on")
        out = to_image_space(plane, out, rows, cols)
    return mask_png(out)

