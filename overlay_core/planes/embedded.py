"""Retired overlay planes embedded in native Pixel Data: the one place pixel words are decoded.

PS3.3 C.9.2 (retired): an embedded plane has (60xx,0100) *Overlay Bits Allocated* equal to
the image's Bits Allocated and its bits at (60xx,0102) *Overlay Bit Position* of each
pixel word. pydicom's ``pixel_array`` masks those bits away, so they are read from the raw
words here, and cleared here when a plane is migrated or deleted.

>>> bit_plane(np.array([[0x8001, 0x0001]], np.uint16), 15).tolist()
[[True, False]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidOverlayError, UnsupportedError
from overlay_core.model import ImageInfo, OverlayPlane

__all__ = ["bit_plane", "clear_bit", "count_set", "pixel_words", "plane_words"]

_BIG_ENDIAN = "1.2.840.10008.1.2.2"

Words = NDArray[np.unsignedinteger[Any]]


def pixel_words(ds: Dataset, info: ImageInfo) -> Words:
    """Return native Pixel Data as its stored words, ``(frames, rows, cols)``: a read-only view.

    The words keep the transfer syntax's byte order; the caller has checked that the Pixel
    Data is native and its Bits Allocated is 8, 16 or 32.
    """
    dtype = np.dtype(f"u{info.bits_allocated // 8}").newbyteorder(
        ">" if info.transfer_syntax == _BIG_ENDIAN else "<")
    words = np.frombuffer(ds.PixelData, dtype=dtype, count=info.frames * info.rows * info.columns)
    return words.reshape(info.frames, info.rows, info.columns)


def plane_words(ds: Dataset, plane: OverlayPlane, info: ImageInfo) -> Words:
    """Check that an embedded plane can be read and return the pixel words that hold it.

    Raises
    ------
    InvalidOverlayError
        If the file has no or compressed Pixel Data, or the plane's Bits Allocated, Bit
        Position or size do not fit the image's pixel words.
    """
    name = f"Overlay group {plane.group_hex}"
    if not info.has_pixel_data:
        raise InvalidOverlayError(f"{name} is embedded in Pixel Data, but the file has no Pixel Data.")
    if info.compressed:
        raise InvalidOverlayError(
            f"{name} is embedded in compressed Pixel Data ({info.transfer_syntax_name}), "
            "which this tool cannot read overlay bits from."
        )
    if plane.bits_allocated != info.bits_allocated or info.bits_allocated not in (8, 16, 32):
        raise InvalidOverlayError(
            f"{name} has Overlay Bits Allocated {plane.bits_allocated}, which does not match "
            f"the image's Bits Allocated {info.bits_allocated}."
        )
    if not 0 <= plane.bit_position < info.bits_allocated:
        raise InvalidOverlayError(
            f"{name} has Overlay Bit Position {plane.bit_position}, outside the "
            f"{info.bits_allocated}-bit pixel words."
        )
    if (plane.rows, plane.columns) != (info.rows, info.columns) or info.samples_per_pixel != 1:
        raise InvalidOverlayError(
            f"{name} is embedded in Pixel Data but its size {plane.rows} x {plane.columns} "
            f"differs from the image's {info.rows} x {info.columns}."
        )
    return pixel_words(ds, info)


def bit_plane(words: Words, bit: int) -> NDArray[np.bool_]:
    """Return bit ``bit`` of every word as a bool array of the words' shape.

    >>> bit_plane(np.array([0x8000, 0x7FFF], np.uint16), 15).tolist()
    [True, False]
    """
    return np.asarray(np.bitwise_and(words, words.dtype.type(1 << bit)) != 0)  # one temporary, not two


def count_set(words: Words, bit: int) -> int:
    """Count the words whose bit ``bit`` is set, a megaword at a time (the temporary stays small).

    >>> count_set(np.array([0x8000, 0x8001, 1], np.uint16), 15)
    2
    """
    flat, mask = words.reshape(-1), words.dtype.type(1 << bit)
    chunk = 1 << 20
    return sum(int(np.count_nonzero(flat[i:i + chunk] & mask)) for i in range(0, flat.size, chunk))


def clear_bit(ds: Dataset, plane: OverlayPlane, info: ImageInfo) -> bytes:
    """Return native Pixel Data with the plane's bit cleared in every pixel word.

    Raises
    ------
    UnsupportedError
        If the Pixel Data is compressed (never re-encoded) or the bit holds image data.
    """
    if info.compressed:
        raise UnsupportedError(
            f"Overlay group {plane.group_hex} is embedded in compressed Pixel Data "
            f"({info.transfer_syntax_name}), which this tool does not re-encode."
        )
    if plane.bit_position <= info.high_bit:
        raise UnsupportedError(
            f"Overlay group {plane.group_hex} uses bit {plane.bit_position}, which holds image data "
            f"(High Bit is {info.high_bit}), so its bits cannot be cleared from Pixel Data."
        )
    words = pixel_words(ds, info).copy()
    words &= words.dtype.type(~(1 << plane.bit_position) & ((1 << info.bits_allocated) - 1))
    return words.tobytes() + bytes(ds.PixelData)[words.nbytes:]
