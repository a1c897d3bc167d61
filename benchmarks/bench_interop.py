"""Speed of the SEG, presentation state and Secondary Capture exports (``make bench``).

A 2048 x 2048 16-bit image with two image-sized planes, and a 20-frame 512 x 512 image
with a 20-frame plane: each export is written, read back and checked, as the app and the
CLI do it.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from overlay_core.interop import gsps, secondary_capture, seg
from overlay_core.planes import reading, writing


def _image(size: int, frames: int) -> Dataset:
    rng = np.random.default_rng(0)
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3" if frames > 1 else "1.2.840.10008.5.1.4.1.1.7"
    for keyword in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
        setattr(ds, keyword, generate_uid())
    ds.Rows = ds.Columns = size
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = rng.integers(0, 4096, (frames, size, size), dtype=np.uint16).tobytes()
    for group in ((0x6000, 0x6002) if frames == 1 else (0x6000,)):
        writing.set_plane(ds, group, rng.random((frames, size, size)) < 0.05)
    return reading.load(writing.to_bytes(ds))


@pytest.fixture(scope="module")
def large() -> Dataset:
    return _image(2048, 1)


@pytest.fixture(scope="module")
def cine() -> Dataset:
    return _image(512, 20)


def test_seg_2048(benchmark, large: Dataset) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(seg.seg_bytes, args=(large,), rounds=3)


def test_seg_20_frames(benchmark, cine: Dataset) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(seg.seg_bytes, args=(cine,), rounds=3)


def test_seg_import_2048(benchmark, large: Dataset) -> None:  # type: ignore[no-untyped-def]
    data = reading.load(seg.seg_bytes(large))

    def run() -> None:
        target = reading.load(writing.to_bytes(large))
        for plane in reading.read_planes(target):
            writing.delete_plane(target, plane.group)
        seg.import_seg(target, data, crop=True)

    benchmark.pedantic(run, rounds=3)


def test_gsps_2048(benchmark, large: Dataset) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(gsps.gsps_bytes, args=(large,), rounds=3)


def test_sc_2048(benchmark, large: Dataset) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(secondary_capture.sc_bytes, args=(large,), rounds=3)
