"""Read and rewrite a band of rows of one plane frame without unpacking the whole plane.

A brush stroke changes a few rows of a plane; unpacking a 4096² plane (16 M pixels), combining
it and packing it again cost ~0.1 s per stroke. Here only the bytes that hold the stroke's
rows are unpacked and packed again, and spliced into (60xx,3000) *Overlay Data*. The result
is byte for byte what :func:`overlay_core.planes.writing.set_plane` writes for the same bits,
so this is used only where that holds (:func:`patchable`): a plane stored in its own
Overlay Data (not embedded in Pixel Data), one bit per pixel at bit 0, of the even length
its size asks for, with its padding bits clear.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.model import OverlayPlane
from overlay_core.planes.bits import expected_length
from overlay_core.planes.reading import DATA, read_plane, tag

__all__ = ["patchable", "read_rows", "write_rows"]


def _data(ds: Dataset, plane: OverlayPlane) -> bytes | None:
    elem = ds.get(tag(plane.group, DATA))
    value = elem.value if elem is not None else None
    return value if isinstance(value, bytes) else None


def _span(plane: OverlayPlane, frame: int, first: int, end: int) -> tuple[int, int, int]:
    """Return the bytes ``[b0, b1)`` holding rows ``[first, end)`` of ``frame``, and the first bit in them."""
    bit0 = (frame * plane.rows + first) * plane.columns
    bit1 = (frame * plane.rows + end) * plane.columns
    b0 = bit0 // 8
    return b0, (bit1 + 7) // 8, bit0 - 8 * b0


def patchable(ds: Dataset, plane: OverlayPlane) -> bool:
    """Whether rows of ``plane`` can be rewritten in place (see the module docstring).

    >>> from overlay_core.planes.writing import set_plane
    >>> ds = Dataset(); plane = set_plane(ds, 0x6000, np.eye(3, dtype=bool))
    >>> patchable(ds, plane), patchable(Dataset(), plane)
    (True, False)
    """
    if plane.embedded or plane.bits_allocated != 1 or plane.bit_position != 0:
        return False
    elem = ds.get(tag(plane.group, DATA))
    data = _data(ds, plane)
    if elem is None or elem.VR != "OW" or data is None:
        return False
    size = plane.frames * plane.rows * plane.columns
    if len(data) != expected_length(plane.frames, plane.rows, plane.columns):
        return False
    tail = np.unpackbits(np.frombuffer(data[size // 8:], np.uint8), bitorder="little")[size % 8:]
    return not tail.any()


def read_rows(ds: Dataset, plane: OverlayPlane, frame: int, first: int, end: int) -> NDArray[np.bool_]:
    """Return rows ``[first, end)`` of plane frame ``frame`` (0-based), shape ``(end - first, columns)``.

    >>> from overlay_core.planes.writing import set_plane
    >>> ds = Dataset(); plane = set_plane(ds, 0x6000, np.eye(3, dtype=bool))
    >>> read_rows(ds, plane, 0, 1, 3).astype(int).tolist()
    [[0, 1, 0], [0, 0, 1]]
    """
    data = _data(ds, plane)
    assert data is not None
    b0, b1, skip = _span(plane, frame, first, end)
    bits = np.unpackbits(np.frombuffer(data, np.uint8, b1 - b0, b0), bitorder="little")
    count = (end - first) * plane.columns
    return bits[skip:skip + count].astype(bool).reshape(end - first, plane.columns)


def write_rows(ds: Dataset, plane: OverlayPlane, frame: int, first: int, rows: NDArray[np.bool_]
               ) -> OverlayPlane:
    r"""Store ``rows`` as rows ``first, first + 1, …`` of plane frame ``frame``; return the plane.

    Only the bytes holding those rows are packed again; the bits around them in those
    bytes are kept. ``ds`` must be :func:`patchable` for ``plane``.

    >>> from overlay_core.planes.writing import set_plane
    >>> ds = Dataset(); plane = set_plane(ds, 0x6000, np.zeros((3, 3), bool))
    >>> _ = write_rows(ds, plane, 0, 1, np.array([[1, 1, 0]], bool))
    >>> ds[0x60003000].value
    b'\x18\x00'
    """
    data = _data(ds, plane)
    assert data is not None
    end = first + rows.shape[0]
    b0, b1, skip = _span(plane, frame, first, end)
    bits = np.unpackbits(np.frombuffer(data, np.uint8, b1 - b0, b0), bitorder="little")
    bits[skip:skip + rows.size] = rows.reshape(-1)
    packed = np.packbits(bits, bitorder="little").tobytes()
    ds[tag(plane.group, DATA)].value = data[:b0] + packed + data[b1:]
    return read_plane(ds, plane.group)
