"""``overlay_core.render.display``: a shrunk greyscale view is averaged first, then windowed, as DCMTK does.

DCMTK's ``DiMonoImage`` scaling constructor scales the modality values and applies the VOI
window when it writes the output; ``dcmj2pnm +Sxv N`` of a noisy image under a narrow
window tells the two orders apart (up to 20 grey levels here), so the oracle test compares
a power-of-two shrink with DCMTK's own scaled output (its pbmplus area averaging), within one
grey level of rounding.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset

from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load
from overlay_core.render.display import frame_view
from overlay_core.render.geometry import Region, fit_view
from overlay_core.render.pixels import decode_frame, frame_image
from overlay_core.render.pooling import view_mask
from overlay_core.render.resize import pool_mask, resize_image, stored_box_sums
from overlay_core.render.windowing import (
    VoiKind,
    automatic_window,
    default_voi,
    grey_levels,
    manual_window,
    modality_values,
    voi_unit,
)
from tests import builders as b


def noisy_file(rows: int = 256, cols: int = 256, *, signed: bool = False, embedded: bool = True,
               frames: int = 1, bits_allocated: int = 16) -> Dataset:
    """Noise around the middle of 12 (or 7) bits, a narrow window, and a plane in the top bit."""
    ds = b.image_dataset(rows, cols, frames=frames, bits_allocated=bits_allocated)
    rng = np.random.default_rng(3)
    stored = ds.BitsStored
    middle = 1 << (stored - 1)
    values = rng.integers(middle - middle // 4, middle + middle // 4, (frames, rows, cols))
    if signed:
        ds.PixelRepresentation = 1
        values -= middle
    dtype = np.dtype(f"<{'i' if signed else 'u'}{bits_allocated // 8}")
    words = values.astype(dtype).view(f"<u{bits_allocated // 8}") & ((1 << stored) - 1)
    ds.PixelData = words.astype(f"<u{bits_allocated // 8}").tobytes()
    ds.RescaleSlope, ds.RescaleIntercept = "2", "-7"
    centre = 2 * (0 if signed else middle) - 7  # in modality units, as the noise is
    ds.WindowCenter, ds.WindowWidth = str(centre), str(max(middle // 3, 8))
    if embedded:
        b.add_embedded_plane(ds, 0x6000, rng.random((frames, rows, cols)) < 0.3, bits_allocated - 1)
    return load(b.to_file_bytes(ds))


def expected_view(ds: Dataset, k: int) -> np.ndarray:
    """The rule spelt out: the stored values' Modality LUT values averaged per k x k box, then windowed."""
    stored = ds.BitsStored
    bits = ds.BitsAllocated
    words = np.frombuffer(ds.PixelData, f"<u{bits // 8}")[: ds.Rows * ds.Columns].astype(np.int64)
    values = words & ((1 << stored) - 1)
    if ds.PixelRepresentation == 1:
        values = np.where(values >= 1 << (stored - 1), values - (1 << stored), values)
    values = values.reshape(ds.Rows // k, k, ds.Columns // k, k)
    means = modality_values(values, ds).mean(axis=(1, 3))
    voi = manual_window(float(ds.WindowCenter), float(ds.WindowWidth))
    return grey_levels(voi_unit(means, ds, voi), inverted=False)


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("bits_allocated", [16, 8])
@pytest.mark.parametrize("k", [2, 4, 8])
def test_a_power_of_two_shrink_windows_the_box_means(signed: bool, bits_allocated: int, k: int) -> None:
    ds = noisy_file(signed=signed, bits_allocated=bits_allocated)
    view = frame_view(ds, 0, None, fit_view(256, 256, max_size=256 // k))
    assert view.missing_reason is None
    assert np.array_equal(view.pixels, expected_view(ds, k))


def test_the_old_order_differs_and_the_full_size_frame_is_unchanged() -> None:
    ds = noisy_file()
    whole = frame_view(ds)
    assert np.array_equal(whole.pixels, frame_image(ds).pixels)
    geometry = fit_view(256, 256, max_size=64)
    windowed_first = resize_image(frame_image(ds).pixels, geometry)
    assert np.abs(frame_view(ds, 0, None, geometry).pixels.astype(int) - windowed_first).max() > 5


@pytest.mark.parametrize(("region", "width"), [
    (Region(0, 0, 300, 200), 64),     # 4.6875: not a power of two, the floating-point path
    (Region(10, 20, 128, 64), 32),    # 2 x 2 of a zoomed region
    (Region(0, 0, 300, 200), 50),     # exactly 4 x 4 of a region that is not a power of two wide
])
def test_every_shrink_averages_the_modality_values(region: Region, width: int) -> None:
    ds = noisy_file(300, 200)
    geometry = fit_view(300, 200, region=region, width=width)
    r = geometry.region
    frame = np.frombuffer(ds.PixelData, "<u2").reshape(300, 200)
    words = frame[r.row0:r.row0 + r.rows, r.col0:r.col0 + r.cols]
    values = modality_values((words & 0xFFF).astype(np.int64), ds).astype(np.float32)
    size = (geometry.display_width, geometry.display_height)
    means = np.asarray(Image.fromarray(values, "F").resize(size, Image.Resampling.BOX), np.float64)
    voi = manual_window(float(ds.WindowCenter), float(ds.WindowWidth))
    expected = grey_levels(voi_unit(means, ds, voi), inverted=False)
    shown = frame_view(ds, 0, None, geometry).pixels
    assert shown.shape == expected.shape
    assert np.abs(shown.astype(int) - expected).max() <= 1  # float32 sums against exact integer sums


def test_bands_of_the_floating_point_shrink_are_one_filter() -> None:
    ds = noisy_file(1500, 1100, embedded=False)  # 1.6 M pixels: two bands of about a million
    geometry = fit_view(1500, 1100, width=333)
    words = np.frombuffer(ds.PixelData, "<u2").reshape(1500, 1100)
    values = modality_values((words & 0xFFF).astype(np.int64), ds).astype(np.float32)
    size = (geometry.display_width, geometry.display_height)
    means = np.asarray(Image.fromarray(values, "F").resize(size, Image.Resampling.BOX), np.float64)
    voi = manual_window(float(ds.WindowCenter), float(ds.WindowWidth))
    expected = grey_levels(voi_unit(means, ds, voi), inverted=False)
    assert np.abs(frame_view(ds, 0, None, geometry).pixels.astype(int) - expected).max() <= 1


def test_stored_box_sums_refuses_what_its_lanes_cannot_hold() -> None:
    words = np.zeros((64, 64), np.uint16)
    assert stored_box_sums(words, 16, False, 2, 2) is None  # 2 x 65535 overflows a 16-bit lane
    assert stored_box_sums(words, 12, False, 3, 4) is None  # 64 rows are not boxes of 3
    assert stored_box_sums(words, 12, False, 4, 4) is not None


@pytest.mark.parametrize("frames", [1, 3])
@pytest.mark.parametrize(("region", "width"), [
    (Region(0, 0, 256, 256), 64),
    (Region(32, 64, 128, 64), 16),
    (Region(0, 0, 256, 256), 100),  # not a power of two: placed, then pooled
])
def test_an_embedded_plane_pooled_from_the_words_is_the_placed_plane_pooled(
    frames: int, region: Region, width: int
) -> None:
    ds = noisy_file(frames=frames)
    geometry = fit_view(256, 256, region=region, width=width)
    for frame in range(frames):
        expected = pool_mask(image_mask(ds, 0x6000, frame), geometry)
        assert np.array_equal(view_mask(ds, 0x6000, frame, geometry), expected)


def test_a_shrunk_view_of_an_embedded_plane_file_shows_no_plane_bits() -> None:
    data, _ = b.embedded_file()
    ds = load(data)
    ds.WindowCenter, ds.WindowWidth = "2048", "4096"
    shown = frame_view(ds, 0, None, fit_view(9, 11, max_size=5)).pixels
    assert shown.max() < 255  # bit 15 would push every value far above the window


@pytest.mark.skipif(shutil.which("dcmj2pnm") is None, reason="DCMTK's dcmj2pnm is not installed (dcmtk)")
@pytest.mark.parametrize("k", [2, 4])
def test_a_power_of_two_shrink_matches_dcmtks_scaled_output(tmp_path: Path, k: int) -> None:
    ds = noisy_file(512, 512, embedded=True)
    path = tmp_path / "noisy.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    out = tmp_path / "dcmtk.png"
    subprocess.run(["dcmj2pnm", "+on", "-O", "+Wi", "1", "+Sxv", str(512 // k), str(path), str(out)],
                   check=True, capture_output=True, timeout=60)
    theirs = np.asarray(Image.open(out)).astype(int)
    ours = frame_view(ds, 0, None, fit_view(512, 512, max_size=512 // k)).pixels.astype(int)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() <= 1
    windowed_first = resize_image(frame_image(ds).pixels, fit_view(512, 512, max_size=512 // k))
    assert np.abs(windowed_first.astype(int) - theirs).max() > 5  # the order DCMTK does not use


def plane_file() -> Dataset:
    """Three frames of 256 x 256 and Overlay Data planes of every placement."""
    ds = b.image_dataset(256, 256, frames=3)
    rng = np.random.default_rng(11)
    sparse = rng.random((3, 256, 256)) < 0.002  # single pixels: a box is set by one of its pixels
    b.add_plane(ds, 0x6000, sparse, frames_attr=3)                       # covers every frame, packed
    b.add_plane(ds, 0x6002, rng.random((256, 256)) < 0.01)             # one frame, on every image frame
    b.add_plane(ds, 0x6004, rng.random((90, 70)) < 0.05, origin=(37, 101))   # a region, off the boxes
    b.add_plane(ds, 0x6006, rng.random((80, 80)) < 0.05, origin=(-20, 230))  # partly outside
    b.add_plane(ds, 0x6008, rng.random((2, 50, 50)) < 0.1, origin=(1, 1), frames_attr=2,
                image_frame_origin=2)                                  # frames 2 and 3 only
    b.add_plane(ds, 0x600A, rng.random((300, 300)) < 0.01, origin=(-9, -9))  # larger than the image
    data = b.encode_mask(rng.random((256, 256)) < 0.01)
    b.add_plane(ds, 0x600C, None, rows=256, cols=256, data=data[:-2])  # a few bits short
    return load(b.to_file_bytes(ds))


@pytest.mark.parametrize(("region", "width"), [
    (Region(0, 0, 256, 256), 128), (Region(0, 0, 256, 256), 64), (Region(0, 0, 256, 256), 16),
    (Region(0, 0, 256, 256), 8),      # boxes of 32 columns: four bytes of packed bits each
    (Region(24, 40, 128, 64), 32),    # a zoomed region on whole bytes
    (Region(3, 5, 128, 64), 16),      # a zoomed region off the bytes: placed, then pooled
    (Region(0, 0, 256, 256), 100),    # not a power of two: placed on the frame, then pooled
])
def test_every_plane_pooled_to_a_view_is_the_placed_plane_pooled(region: Region, width: int) -> None:
    ds = plane_file()
    geometry = fit_view(256, 256, region=region, width=width)
    for group in (0x6000, 0x6002, 0x6004, 0x6006, 0x6008, 0x600A, 0x600C):
        for frame in range(3):
            expected = pool_mask(image_mask(ds, group, frame), geometry)
            assert np.array_equal(view_mask(ds, group, frame, geometry), expected), (hex(group), frame)


def test_a_pooled_view_raises_what_placing_raises() -> None:
    ds = plane_file()
    geometry = fit_view(256, 256, max_size=64)
    for group, frame in ((0x6010, 0), (0x6000, 3)):
        with pytest.raises(Exception) as placing:
            image_mask(ds, group, frame)
        with pytest.raises(type(placing.value), match=re.escape(str(placing.value))):
            view_mask(ds, group, frame, geometry)


def test_a_compressed_frame_is_shrunk_by_the_same_rule() -> None:
    ds = load(b.rle_file()[0])
    rows, cols = ds.Rows, ds.Columns
    geometry = fit_view(rows, cols, width=max(1, cols // 2))
    r = geometry.region
    values = decode_frame(ds, 0)[r.row0:r.row0 + r.rows, r.col0:r.col0 + r.cols].astype(np.float32)
    size = (geometry.display_width, geometry.display_height)
    means = np.asarray(Image.fromarray(values, "F").resize(size, Image.Resampling.BOX), np.float64)
    voi = default_voi(ds)
    if voi.kind is VoiKind.AUTO:
        voi = automatic_window(float(values.min()), float(values.max()))
    expected = grey_levels(voi_unit(modality_values(means, ds), ds, voi), inverted=False)
    shown = frame_view(ds, 0, None, geometry)
    assert shown.missing_reason is None
    assert np.abs(shown.pixels.astype(int) - expected).max() <= 1


def test_a_modality_lut_table_is_applied_before_the_averages() -> None:
    ds = b.image_dataset(64, 64, bits_stored=4)  # stored values 0 to 15
    item = Dataset()
    item.LUTDescriptor = [16, 0, 16]
    item.add_new(0x00283006, "US", [v * v for v in range(16)])  # not a rescale: squares
    ds.ModalityLUTSequence = [item]
    ds.WindowCenter, ds.WindowWidth = "112.5", "226"
    ds = load(b.to_file_bytes(ds))
    stored = np.frombuffer(ds.PixelData, "<u2").reshape(64, 64).astype(np.int64)
    for width in (16, 20):  # a power of two, and not
        geometry = fit_view(64, 64, width=width)
        values = modality_values(stored, ds).astype(np.float32)
        size = (geometry.display_width, geometry.display_height)
        means = np.asarray(Image.fromarray(values, "F").resize(size, Image.Resampling.BOX), np.float64)
        expected = grey_levels(voi_unit(means, ds, manual_window(112.5, 226)), inverted=False)
        shown = frame_view(ds, 0, None, geometry).pixels
        assert np.abs(shown.astype(int) - expected).max() <= 1, width
