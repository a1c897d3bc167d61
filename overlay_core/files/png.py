"""A fast lossless PNG writer for 8-bit grey and RGB images.

Pillow chooses a PNG filter for every row by trying all five (adaptive filtering), which
took three quarters of its time on a 4096 x 4096 RGB burn-in here (NOTES.md, *Start-up*).
This writer filters every row with *Up* (the row minus the row above: smooth images and
flat overlay colours become runs of zeros), one numpy subtraction for the whole image, and
deflates with zlib at level 1: about four times faster than Pillow's ``compress_level=1``
for files of about the same size. Any PNG reader reads the result (PNG 1.2, section 6).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from numpy.typing import NDArray

__all__ = ["png_bytes"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UP = 2  # PNG filter type 2
_COLOUR_TYPES = {1: 0, 3: 2, 4: 6}  # samples per pixel -> grey, RGB, RGBA


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(pixels: NDArray[np.uint8], level: int = 1) -> bytes:
    """Encode ``uint8`` pixels, grey ``(rows, cols)``, RGB or RGBA ``(rows, cols, 3|4)``, as PNG.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``uint8``, at least one row and one column.
    level : int
        zlib's compression level, 0 (none) to 9 (smallest, slowest).

    Raises
    ------
    ValueError
        If the array is not one of the shapes above or not ``uint8``.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> a = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    >>> np.array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(a)))), a)
    True
    """
    a = np.asarray(pixels)
    samples = 1 if a.ndim == 2 else (a.shape[2] if a.ndim == 3 else 0)
    if a.dtype != np.uint8 or samples not in _COLOUR_TYPES or 0 in a.shape[:2]:
        raise ValueError(f"Cannot encode a {a.dtype} array of shape {a.shape} as PNG.")
    rows, cols = int(a.shape[0]), int(a.shape[1])
    flat = a.reshape(rows, cols * samples)
    filtered = np.empty((rows, cols * samples + 1), np.uint8)
    filtered[:, 0] = _UP
    filtered[0, 1:] = flat[0]
    np.subtract(flat[1:], flat[:-1], out=filtered[1:, 1:])  # uint8 wraps modulo 256, as PNG wants
    header = struct.pack(">IIBBBBB", cols, rows, 8, _COLOUR_TYPES[samples], 0, 0, 0)
    return b"".join((
        _SIGNATURE,
        _chunk(b"IHDR", header),
        _chunk(b"IDAT", zlib.compress(filtered.data, level)),
        _chunk(b"IEND", b""),
    ))
