"""Speed of the RTSTRUCT and NIfTI exports (``make bench``); goals from issue 19.

A 20-instance 512 x 512 oblique series with non-square pixels and two planes on each
instance (a ring with a hole and an island, and two overlapping blobs at a negative
origin): the RT Structure Set of the series (goal ≤ 1 s) and the NIfTI mask of one plane
(goal ≤ 0.5 s), each written, read back and checked as the app and the CLI do it, and
the imports back.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset
from skimage.draw import disk, ellipse

from overlay_core.interop import nifti, rtstruct
from overlay_core.planes import reading, writing
from tests.formats_support import mr_series


def _planes(k: int) -> tuple[np.ndarray, np.ndarray]:
    ring = np.zeros((512, 512), bool)
    ring[disk((256, 256), 80 + 2 * k)] = True
    ring[disk((256, 256), 30)] = False
    ring[disk((256, 256), 10)] = True
    blobs = np.zeros((300, 300), bool)
    blobs[ellipse(100, 120, 60, 90, shape=blobs.shape)] = True
    blobs[disk((230, 200), 40, shape=blobs.shape)] = True
    return ring, blobs


@pytest.fixture(scope="module")
def series() -> list[Dataset]:
    out = []
    for k, ds in enumerate(mr_series(20, 512, 512, spacing=(0.5, 0.6))):
        ring, blobs = _planes(k)
        writing.set_plane(ds, 0x6000, ring, writing.Attributes(label="ring"))
        writing.set_plane(ds, 0x6002, blobs, writing.Attributes(origin=(-20, 250), label="blobs"))
        out.append(reading.load(writing.to_bytes(ds)))
    return out


def test_rtstruct_20_instances(benchmark, series: list[Dataset]) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(rtstruct.rtstruct_bytes, args=(series,), rounds=3)


def test_nifti_20_instances(benchmark, series: list[Dataset]) -> None:  # type: ignore[no-untyped-def]
    benchmark.pedantic(nifti.nifti_bytes, args=(series, [0x6000]), rounds=3)


def test_rtstruct_import_20_instances(benchmark, series: list[Dataset]) -> None:  # type: ignore[no-untyped-def]
    rs = reading.load(rtstruct.rtstruct_bytes(series))
    benchmark.pedantic(rtstruct.roi_masks, args=(series, rs), rounds=3)
