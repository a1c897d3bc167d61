"""Speed of rendering a large image (``make bench``; not part of ``make test``).

A 4096 x 4096 16-bit image (Bits Stored 12, a window preset) with a full-size standalone
plane of one-pixel lines and an embedded plane in bit 15: decode and window a frame, draw the
planes to a 1024-pixel view (what the app ships to the browser), a zoomed view, and the
full-resolution burn-in PNG. Also a 2048 x 2048 JPEG 2000 frame for the decoder's share.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import JPEG2000Lossless

from overlay_core.planes import reading, writing
from overlay_core.render import compose as render
from overlay_core.render import pixels
from overlay_core.render.geometry import Region
from tests.builders import image_dataset

SIZE = 4096


def _image(size: int) -> Dataset:
    rng = np.random.default_rng(0)
    ds = image_dataset(size, size)  # 16 bits allocated, 12 stored; its pixels replaced by a ramp
    ds.WindowCenter, ds.WindowWidth = "2048", "4096"
    ramp = np.add.outer(np.arange(size), np.arange(size)) * 4095 // (2 * size - 2)
    ds.PixelData = (ramp + rng.integers(0, 64, (size, size))).clip(0, 4095).astype("<u2").tobytes()
    return ds


@pytest.fixture(scope="module")
def big() -> Dataset:
    ds = _image(SIZE)
    pixels = np.frombuffer(ds.PixelData, "<u2").reshape(SIZE, SIZE).copy()
    lines = np.zeros((SIZE, SIZE), bool)
    lines[::97, :] = True  # one-pixel lines every 97 rows and columns
    lines[:, ::97] = True
    pixels |= (np.random.default_rng(1).random((SIZE, SIZE)) < 0.01).astype(np.uint16) << 15
    ds.PixelData = pixels.tobytes()
    for element, value, vr in ((0x0010, SIZE, "US"), (0x0011, SIZE, "US"), (0x0050, [1, 1], "SS"),
                               (0x0040, "G", "CS"), (0x0100, 16, "US"), (0x0102, 15, "US")):
        ds.add_new(0x60020000 | element, vr, value)
    writing.set_plane(ds, 0x6000, lines)
    return reading.load(writing.to_bytes(ds))


def test_frame_image_4096(benchmark, big):
    benchmark(pixels.frame_image, big)


def test_view_1024_from_decoded_frame(benchmark, big):
    """What the app does on a style or zoom change: frame and masks cached."""
    image = pixels.frame_image(big)
    masks = {g: reading.plane_bits(big, g)[0] for g in (0x6000, 0x6002)}
    benchmark(render.render, big, image=image, masks=masks, max_size=1024)


def test_view_1024_from_scratch(benchmark, big):
    benchmark(render.render, big, max_size=1024)


def test_zoom_512_window_to_1024(benchmark, big):
    image = pixels.frame_image(big)
    masks = {g: reading.plane_bits(big, g)[0] for g in (0x6000, 0x6002)}
    benchmark(render.render, big, image=image, masks=masks, region=Region(1000, 1000, 512, 512),
              width=1024)


def test_full_view_png_4096(benchmark, big):
    benchmark.pedantic(render.full_view_png, args=(big,), rounds=3, iterations=1)


def test_frame_image_jpeg2000_2048(benchmark):
    ds = _image(2048)
    ds.compress(JPEG2000Lossless)
    ds = reading.load(writing.to_bytes(ds))
    benchmark.pedantic(pixels.frame_image, args=(ds,), rounds=3, iterations=1)
