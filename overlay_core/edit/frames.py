r"""Copying one frame of a multi-frame plane to the next image frame or to every image frame.

A plane with (60xx,0015) *Number of Frames in Overlay* and (60xx,0051) *Image Frame
Origin* covers the image frames ``origin - 1`` to ``origin - 2 + frames`` (0-based, see
:func:`overlay_core.planes.placement.frame_map`). Copying may grow the plane so that it covers
the target frames; it never moves a frame to another image frame. Like every edit, a
bad call raises an :class:`~overlay_core.errors.OverlayError` and changes nothing.
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError
from overlay_core.model import Choice, OverlayPlane
from overlay_core.planes.reading import image_info, unpack_plane
from overlay_core.planes.writing import Attributes, set_plane

__all__ = ["CopyTarget", "copy_frame"]


class CopyTarget(Choice):
    """Where :func:`copy_frame` copies a frame: the ``next`` image frame or ``all`` of them.

    >>> CopyTarget.coerce("All")
    <CopyTarget.ALL: 'all'>
    """

    NEXT = "next"
    ALL = "all"


def copy_frame(ds: Dataset, group: int, frame: int, to: CopyTarget | str = CopyTarget.NEXT) -> OverlayPlane:
    r"""Copy plane frame ``frame`` (0-based) to the next image frame, or to every image frame.

    ``next`` overwrites plane frame ``frame + 1``, adding it when the plane ends at
    ``frame`` and the image has a frame after it. ``all`` makes the plane cover every image
    frame (Image Frame Origin 1, as many frames as the image) with a copy of ``frame`` in
    each.

    Raises
    ------
    InvalidArgumentError
        If the image has a single frame, the plane has one frame that already applies to
        every image frame, ``frame`` is out of range, or there is no next image frame.

    Examples
    --------
    >>> from overlay_core.planes.writing import set_plane
    >>> ds = Dataset(); ds.Rows = ds.Columns = 2; ds.NumberOfFrames = 3
    >>> m = np.zeros((1, 2, 2), bool); m[0, 0, 0] = True
    >>> _ = set_plane(ds, 0x6000, m, Attributes(image_frame_origin=1))
    >>> p = copy_frame(ds, 0x6000, 0, "next")
    >>> p.frames, p.image_frame_origin, p.set_bits
    (2, 1, 2)
    >>> p = copy_frame(ds, 0x6000, 1, "all")
    >>> p.frames, p.set_bits
    (3, 3)
    """
    target = CopyTarget.coerce(to)
    image_frames = image_info(ds).frames
    plane, bits, _ = unpack_plane(ds, group)
    if image_frames < 2:
        raise InvalidArgumentError("The image has a single frame, so there is no other frame to copy to.")
    if plane.frames == 1 and not plane.frame_specific:
        raise InvalidArgumentError(
            f"Overlay group {plane.group_hex} has one frame without an Image Frame Origin, so it "
            "already applies to every image frame."
        )
    if not 0 <= frame < plane.frames:
        raise InvalidArgumentError(
            f"Frame index {frame} is out of range: overlay group {plane.group_hex} has "
            f"{plane.frames} frame(s), indices 0 to {plane.frames - 1}."
        )
    first = plane.image_frame_origin - 1  # the image frame of plane frame 0
    if target is CopyTarget.ALL:
        new = np.repeat(bits[frame][None], image_frames, axis=0)
        return set_plane(ds, group, new, Attributes(image_frame_origin=1))
    if frame + 1 < plane.frames:
        new = bits.copy()
    elif first + frame + 1 < image_frames:
        new = np.concatenate([bits, bits[frame][None]])
    else:
        raise InvalidArgumentError(
            f"Image frame {first + frame + 1} is the last one, so there is no next frame to copy to."
        )
    new[frame + 1] = bits[frame]
    return set_plane(ds, group, new, Attributes(image_frame_origin=plane.image_frame_origin))
