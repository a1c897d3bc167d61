"""``overlay_core.files.png``: large images deflated in parts still make one valid zlib stream."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from isal import isal_zlib
from PIL import Image

from overlay_core.files.png import PART_BYTES, adler32_combine, png_bytes


def _idat(data: bytes) -> bytes:
    """Return the joined IDAT chunk data of a PNG."""
    pos, out = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        if data[pos + 4:pos + 8] == b"IDAT":
            out += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return out


@pytest.mark.parametrize("shape", [(2900, 2900, 3), (4097, 4099), (3001, 1500, 4)])
def test_an_image_in_parts_reads_back_exactly(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.arange(shape[0]), np.arange(shape[1])) // 7
    pixels = (ramp if len(shape) == 2 else ramp[..., None] * np.arange(1, shape[2] + 1)).astype(np.uint8)
    pixels[rng.random(shape[:2]) < 0.01] = 255  # some noise, as a scan has
    assert pixels.nbytes > 2 * PART_BYTES  # so it is written in several parts
    data = png_bytes(pixels)
    raw = zlib.decompress(_idat(data))  # checks the joined stream's Adler-32
    assert len(raw) == shape[0] * (1 + pixels[0].nbytes)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), pixels)


@pytest.mark.parametrize("level", [0, 1, 3, 9])
def test_a_small_image_is_one_plain_zlib_stream_of_up_filtered_rows(level: int) -> None:
    pixels = np.arange(64 * 48 * 3, dtype=np.uint32).astype(np.uint8).reshape(64, 48, 3)
    filtered = np.concatenate([np.full((64, 1), 2, np.uint8), pixels.reshape(64, -1)], axis=1)
    filtered[1:, 1:] -= pixels.reshape(64, -1)[:-1]
    idat = _idat(png_bytes(pixels, level))
    assert zlib.decompress(idat) == filtered.tobytes()  # zlib's own inflate, whichever deflater wrote it
    if level in (0, 9):  # zlib's levels: zlib's very bytes
        assert idat == zlib.compress(filtered.tobytes(), level)


def test_level_one_deflates_with_isal_smaller_than_zlib() -> None:
    """ISA-L at level 1 (the default): the burn-in's smooth image in fewer bytes than zlib's level 1."""
    ramp = np.add.outer(np.arange(1024), np.arange(1024)) * 255 // 2046
    pixels = np.repeat(ramp.astype(np.uint8)[..., None], 3, axis=2)
    filtered = np.concatenate([np.full((1024, 1), 2, np.uint8), pixels.reshape(1024, -1)], axis=1)
    filtered[1:, 1:] -= pixels.reshape(1024, -1)[:-1]
    idat = _idat(png_bytes(pixels))
    assert idat == isal_zlib.compress(filtered.tobytes(), 1)
    assert len(idat) < len(zlib.compress(filtered.tobytes(), 1))


def test_adler32_combine_matches_zlib() -> None:
    rng = np.random.default_rng(1)
    for size in (0, 1, 5552, 65521, 300_000):
        a, b = rng.bytes(int(rng.integers(0, 70_000))), rng.bytes(size)
        assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)
