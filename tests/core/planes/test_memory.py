"""What reading, checking and opening a file hold in memory (issue 10: ≤ 3× per open file).

Measured with ``tracemalloc`` (numpy and every Python object report to it), so the
figures do not depend on the allocator or on other work on the machine.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from overlay_core.errors import WriteCheckError
from overlay_core.planes.compare import check_readback
from overlay_core.planes.reading import load
from overlay_core.planes.writing import to_bytes
from tests import builders as b


def _peak_and_held(work: Callable[[], Any]) -> tuple[int, int, Any]:
    gc.collect()
    tracemalloc.start()
    try:
        result = work()
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, held, result


def _big_file() -> bytes:
    ds = b.image_dataset(1024, 1024, frames=4, seed=5)  # 8 MiB of Pixel Data
    b.add_plane(ds, 0x6000, np.eye(1024, dtype=bool))
    return b.to_file_bytes(ds)


def test_a_loaded_dataset_does_not_keep_the_file_bytes() -> None:
    """pydicom keeps the file-like it read from; load() lets it go (every value is read)."""
    data = _big_file()
    _, held, ds = _peak_and_held(lambda: load(data))
    assert ds.buffer is None
    assert held < 1.1 * len(data), held / len(data)  # the Pixel Data, not the file again


def test_checking_standalone_planes_does_not_read_the_image_again() -> None:
    ds = load(_big_file())
    data = to_bytes(ds)
    peak, _, _ = _peak_and_held(lambda: check_readback(ds, data))
    # The two planes unpacked as booleans (1 MiB each), not a second 8 MiB image.
    assert peak < 0.6 * len(data), peak / len(data)


def test_header_only_read_back_still_sees_a_changed_plane() -> None:
    ds = load(_big_file())
    other = load(to_bytes(ds))
    other[0x60003000].value = bytes(len(other[0x60003000].value))  # the plane erased
    with pytest.raises(WriteCheckError, match="6000"):
        check_readback(ds, to_bytes(other))


@pytest.mark.parametrize("bits_allocated", [8, 16])
def test_embedded_planes_are_read_back_from_pixel_data(bits_allocated: int) -> None:
    data, _ = b.embedded_file(bits_allocated, frames=2)
    ds = load(data)
    check_readback(ds, to_bytes(ds))
    other = load(data)
    other.PixelData = bytes(len(other.PixelData))  # every embedded bit cleared
    with pytest.raises(WriteCheckError):
        check_readback(ds, to_bytes(other))


def test_writing_holds_the_file_once_and_leaves_the_dataset_as_it_was() -> None:
    """pydicom writes each value through a scratch copy: 8 MiB of Pixel Data took 16 MiB to write."""
    data = _big_file()
    ds = load(data)
    uid, pixels = ds.SOPInstanceUID, ds.PixelData
    peak, _, written = _peak_and_held(lambda: to_bytes(ds, new_sop_instance_uid=True))
    assert peak < 1.25 * len(written), peak / len(written)  # the file once (and the buffer's spare eighth)
    assert ds.SOPInstanceUID == uid and ds.PixelData is pixels and "PixelData" in ds
    again = load(written)
    assert again.SOPInstanceUID != uid and again.file_meta.MediaStorageSOPInstanceUID == again.SOPInstanceUID
    assert again.PixelData == pixels
    assert to_bytes(ds) == data  # the same file as pydicom writes it, value by value
