"""Planes read without unpacking or counting their bits: what a display render needs of them.

:func:`usable_groups` lists the groups :func:`~overlay_core.planes.reading.read_planes` lists,
without counting set bits (for a plane embedded in Pixel Data that reads every pixel word);
:func:`frame_packed` hands over one frame of Overlay Data still packed, for pooling it to a
view straight from its bytes (:mod:`overlay_core.render.pooling`). Both check a plane as
:mod:`overlay_core.planes.reading` does, with its own helpers.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from overlay_core.checks import check_frame_index
from overlay_core.errors import InvalidOverlayError, OverlayError
from overlay_core.model import OverlayPlane
from overlay_core.planes.bits import check_data
from overlay_core.planes.reading import _embedded_words, _header, _overlay_value, overlay_groups

__all__ = ["frame_packed", "usable_groups"]


def usable_groups(ds: Dataset) -> list[int]:
    """Return the groups of the planes ``read_planes`` lists, checked alike, their bits not counted.

    What a caller needs that only asks which planes there are (an embedded plane's count alone
    reads every pixel word).
    """
    groups = []
    for group in overlay_groups(ds):
        try:
            plane = _header(ds, group)
            if plane.embedded:
                _embedded_words(ds, plane)
            else:
                check_data(len(_overlay_value(ds, plane)), plane.frames, plane.rows, plane.columns, group)
        except OverlayError:
            continue
        groups.append(group)
    return groups


def frame_packed(ds: Dataset, group: int, frame: int) -> tuple[OverlayPlane, bytes, int]:
    r"""Return one 0-based frame of a plane's Overlay Data, still packed, checked as by :func:`frame_bits`.

    ``(plane, data, first)``: the bytes that hold the frame (zero-filled where the data is a
    few bits short, as unpacking fills it) and the bit of the frame's first pixel in them.

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        As :func:`unpack_plane`, and for a plane embedded in Pixel Data (it has no Overlay Data).
    InvalidArgumentError
        If ``frame`` is not one of the plane's frames.

    >>> import numpy as np
    >>> from overlay_core.planes.writing import set_plane
    >>> ds = Dataset(); ds.Rows, ds.Columns = 2, 8
    >>> _ = set_plane(ds, 0x6000, np.array([[1, 0, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0, 0]], bool))
    >>> frame_packed(ds, 0x6000, 0)[1:]
    (b'\x01\x02', 0)
    """
    plane = _header(ds, group)
    if plane.embedded:
        raise InvalidOverlayError(
            f"Overlay group {plane.group_hex} is embedded in Pixel Data: it has no Overlay Data.")
    data = _overlay_value(ds, plane)
    check_data(len(data), plane.frames, plane.rows, plane.columns, group)
    check_frame_index(frame, plane.frames, f"overlay group {plane.group_hex}")
    size = plane.rows * plane.columns
    start = frame * size
    first, last = start // 8, (start + size + 7) // 8
    chunk = bytes(data[first:last])
    return plane, chunk + bytes(last - first - len(chunk)), start - first * 8
