"""Speed of the overlay core on a large image (``make bench``; not part of ``make test``).

A 4096 x 4096 16-bit image with a full-size standalone plane and an embedded plane:
read from bytes, unpack, place on the image, pack and write back.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset

from overlay_core.planes import placement, reading, writing
from tests.builders import image_dataset

SIZE = 4096


@pytest.fixture(scope="module")
def big_file() -> bytes:
    rng = np.random.default_rng(0)
    ds = image_dataset(SIZE, SIZE)  # 16 bits allocated, 12 stored
    pixels = np.frombuffer(ds.PixelData, "<u2").reshape(SIZE, SIZE).copy()
    pixels |= (rng.random((SIZE, SIZE)) < 0.01).astype(np.uint16) << 15  # embedded plane, bit 15
    ds.PixelData = pixels.tobytes()
    ds.add_new(0x60020010, "US", SIZE)
    ds.add_new(0x60020011, "US", SIZE)
    ds.add_new(0x60020050, "SS", [1, 1])
    ds.add_new(0x60020040, "CS", "G")
    ds.add_new(0x60020100, "US", 16)
    ds.add_new(0x60020102, "US", 15)
    writing.set_plane(ds, 0x6000, rng.random((SIZE, SIZE)) < 0.05)
    return writing.to_bytes(ds)


def test_load(benchmark, big_file):
    benchmark(reading.load, big_file)


def test_unpack_standalone(benchmark, big_file):
    ds = reading.load(big_file)
    benchmark(reading.plane_bits, ds, 0x6000)


def test_unpack_embedded(benchmark, big_file):
    ds = reading.load(big_file)
    benchmark(reading.plane_bits, ds, 0x6002)


def test_image_mask(benchmark, big_file):
    ds = reading.load(big_file)
    benchmark(placement.image_mask, ds, 0x6000)


def test_set_plane(benchmark, big_file):
    ds = reading.load(big_file)
    mask = reading.plane_bits(ds, 0x6000)
    benchmark(writing.set_plane, ds, 0x6000, mask)


def test_to_bytes(benchmark, big_file):
    ds = reading.load(big_file)
    benchmark(writing.to_bytes, ds)


def test_read_planes_lists_without_unpacking(benchmark, big_file):
    """What Inspect and every page's plane list cost: attributes and set-pixel counts only."""
    ds = reading.load(big_file)
    benchmark(reading.read_planes, ds)


def test_unpack_one_frame_of_a_200_frame_plane(benchmark):
    ds = Dataset()
    ds.Rows = ds.Columns = 512
    ds.NumberOfFrames = 200
    writing.set_plane(ds, 0x6000, np.random.default_rng(2).random((200, 512, 512)) < 0.05)
    benchmark(placement.image_mask, ds, 0x6000, 150)
