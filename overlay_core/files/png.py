"""A fast lossless PNG writer for 8-bit grey and RGB images.

Pillow chooses a PNG filter for every row by trying all five (adaptive filtering), which
took three quarters of its time on a 4096 x 4096 RGB burn-in here (NOTES.md, *Start-up*).
This writer filters every row with *Up* (the row minus the row above: smooth images and
flat overlay colours become runs of zeros), one numpy subtraction for the whole image, and
deflates at level 1: about four times faster than Pillow's ``compress_level=1`` for files of
about the same size. Any PNG reader reads the result (PNG 1.2, section 6).

Levels 1 to 3 deflate with ISA-L (the ``isal`` package, Intel's deflate with SIMD, zlib's
interface): on a 4096 x 4096 RGB burn-in here four times faster than zlib at level 1 (52
against 210 ms for 48 MB) and a tenth smaller. Level 0 (stored) and levels 4 to 9 (smaller,
slower) use zlib. The output is ordinary deflate either way; ISA-L picks its code for the
processor, so the bytes (never the pixels) may differ between machines.

An image of more than :data:`PART_BYTES` is filtered and deflated in parts side by side, one
thread per core (the deflaters and numpy let go of the GIL), as pigz does: each part is a raw
deflate stream of its own, all but the last ended on a byte boundary by a sync flush, so that
they join into the one zlib stream PNG wants, its Adler-32 combined from theirs (RFC 1950).
The parts depend on the image's size only, not on the number of cores.
"""

from __future__ import annotations

import os
import struct
import types
import zlib

import numpy as np
from isal import isal_zlib
from numpy.typing import NDArray

__all__ = ["PART_BYTES", "adler32_combine", "png_bytes"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UP = 2  # PNG filter type 2
_COLOUR_TYPES = {1: 0, 3: 2, 4: 6}  # samples per pixel -> grey, RGB, RGBA

#: Filtered bytes per part deflated on its own (a 4096 x 4096 RGB image has six parts).
PART_BYTES = 8 << 20
_MOST_PARTS = 16
_ADLER_BASE = 65521


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(pixels: NDArray[np.uint8], level: int = 1) -> bytes:
    """Encode ``uint8`` pixels, grey ``(rows, cols)``, RGB or RGBA ``(rows, cols, 3|4)``, as PNG.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``uint8``, at least one row and one column.
    level : int
        The compression level, 0 (none) to 9 (smallest, slowest), as zlib's; 1 to 3 use ISA-L.

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
    flat = np.ascontiguousarray(a).reshape(rows, cols * samples)
    parts = min(_MOST_PARTS, rows, max(1, flat.nbytes // PART_BYTES))
    if parts == 1:
        idat = _deflater(level).compress(_filtered(flat, 0, rows).data, level)
    else:
        idat = _deflate_in_parts(flat, parts, level)
    header = struct.pack(">IIBBBBB", cols, rows, 8, _COLOUR_TYPES[samples], 0, 0, 0)
    return b"".join((
        _SIGNATURE,
        _chunk(b"IHDR", header),
        _chunk(b"IDAT", idat),
        _chunk(b"IEND", b""),
    ))


def _filtered(flat: NDArray[np.uint8], start: int, stop: int) -> NDArray[np.uint8]:
    """Return rows ``start`` to ``stop`` filtered with Up, each led by its filter type byte."""
    out = np.empty((stop - start, flat.shape[1] + 1), np.uint8)
    out[:, 0] = _UP
    first = start
    if start == 0:  # the row above the first is taken as zeros
        out[0, 1:] = flat[0]
        first = 1
    np.subtract(flat[first:stop], flat[first - 1:stop - 1], out=out[first - start:, 1:])  # wraps mod 256
    return out


def _deflate_in_parts(flat: NDArray[np.uint8], parts: int, level: int) -> bytes:
    """Return the zlib stream of the filtered image, its row bands deflated side by side."""
    from concurrent.futures import ThreadPoolExecutor  # here: every command imports this module

    bounds = [len(flat) * i // parts for i in range(parts + 1)]

    deflater = _deflater(level)

    def deflate(i: int) -> tuple[bytes, int, int]:
        data = _filtered(flat, bounds[i], bounds[i + 1]).data
        part = deflater.compressobj(level, zlib.DEFLATED, -15)  # raw deflate: no header, no checksum
        last = i == parts - 1
        body = part.compress(data) + part.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
        return body, deflater.adler32(data), data.nbytes

    with ThreadPoolExecutor(max_workers=min(parts, _cores())) as pool:
        done = list(pool.map(deflate, range(parts)))
    checksum = done[0][1]
    for _, adler, length in done[1:]:
        checksum = adler32_combine(checksum, adler, length)
    return _zlib_header(level) + b"".join(body for body, _, _ in done) + struct.pack(">I", checksum)


def _deflater(level: int) -> types.ModuleType:
    """Return the module that deflates at ``level``: ISA-L for 1 to 3 (fast), else zlib."""
    return isal_zlib if 1 <= level <= 3 else zlib


def _cores() -> int:
    """Return how many cores this process may run on (all of the machine's where that is unknown)."""
    if hasattr(os, "sched_getaffinity"):  # Linux
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _zlib_header(level: int) -> bytes:
    """Return the two bytes opening a zlib stream: deflate, 32 KB window, the level's class (RFC 1950)."""
    cmf, flevel = 0x78, 0 if level < 2 else 1 if level < 6 else 2 if level == 6 else 3
    flg = flevel << 6
    return bytes((cmf, flg + (31 - (cmf * 256 + flg) % 31) % 31))


def adler32_combine(first: int, second: int, second_length: int) -> int:
    """Return the Adler-32 of two byte strings joined, from theirs and the second's length (zlib's).

    >>> a, b = b"overlay ", b"planes"
    >>> adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)
    True
    """
    rem = second_length % _ADLER_BASE
    sum1 = first & 0xFFFF
    sum2 = rem * sum1 % _ADLER_BASE
    sum1 += (second & 0xFFFF) + _ADLER_BASE - 1
    sum2 += (first >> 16) + (second >> 16) + _ADLER_BASE - rem
    return (sum1 % _ADLER_BASE) | (sum2 % _ADLER_BASE) << 16
