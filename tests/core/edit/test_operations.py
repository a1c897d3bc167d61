"""Plane operations: crop, resize, move, invert, clear, threshold, PNG export."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from overlay_core.edit import operations
from overlay_core.errors import InvalidArgumentError, UnsupportedError
from overlay_core.files.masks import read_mask
from overlay_core.planes.placement import image_mask, to_image_space
from overlay_core.planes.reading import read_plane
from overlay_core.planes.writing import to_bytes
from tests import builders as b

ROWS, COLS = 16, 20
image, with_plane, bits = b.edit_helpers(ROWS, COLS)


@settings(max_examples=40, deadline=None)
@given(row=st.integers(-6, 14), col=st.integers(-6, 18), rows=st.integers(1, 12), cols=st.integers(1, 12),
       seed=st.integers(0, 1000))
def test_crop_keeps_every_pixel_in_place(row: int, col: int, rows: int, cols: int, seed: int) -> None:
    mask = b.random_mask((rows, cols), seed=seed, density=0.15)
    ds = with_plane(mask, (row, col))
    before_image = image_mask(ds, 0x6000)
    if not mask.any():
        with pytest.raises(InvalidArgumentError, match="has no set pixels, so there is nothing to crop to"):
            operations.crop_to_content(ds, 0x6000)
        return
    plane = operations.crop_to_content(ds, 0x6000)
    cropped = bits(ds)[0]
    assert (image_mask(ds, 0x6000) == before_image).all()
    assert cropped[0].any() and cropped[-1].any() and cropped[:, 0].any() and cropped[:, -1].any()
    assert plane.set_bits == int(mask.sum())


def test_crop_hand_computed() -> None:
    mask = np.zeros((6, 6), bool)
    mask[2, 3] = mask[4, 1] = True
    ds = with_plane(mask, (-1, 2))
    plane = operations.crop_to_content(ds, 0x6000)
    assert (plane.rows, plane.columns, plane.origin) == (3, 3, (1, 3))
    assert bits(ds)[0].astype(int).tolist() == [[0, 0, 1], [0, 0, 0], [1, 0, 0]]


def test_resize_to_image_keeps_pixels_on_the_image() -> None:
    mask = b.random_mask((10, 12), seed=2)
    ds = with_plane(mask, (-2, 13))
    before = image_mask(ds, 0x6000)
    plane = operations.resize_to_image(ds, 0x6000)
    assert (plane.rows, plane.columns, plane.origin) == (ROWS, COLS, (1, 1))
    assert (image_mask(ds, 0x6000) == before).all()
    assert (bits(ds)[0] == before[0]).all()


def test_move_shifts_the_plane_on_the_image() -> None:
    mask = np.zeros((3, 3), bool)
    mask[0, 0] = True
    ds = with_plane(mask, (1, 1))
    assert operations.move(ds, 0x6000, (5, 7)).origin == (5, 7)
    placed = image_mask(ds, 0x6000)[0]
    assert placed[4, 6] and placed.sum() == 1
    with pytest.raises(InvalidArgumentError, match="between -32768 and 32767"):
        operations.move(ds, 0x6000, (40000, 1))


def test_invert_and_clear_one_frame_or_all() -> None:
    mask = b.random_mask((2, 5, 6), seed=3)
    ds = with_plane(mask, frames=2)
    operations.invert(ds, 0x6000, frame=0)
    assert (bits(ds)[0] == ~mask[0]).all() and (bits(ds)[1] == mask[1]).all()
    operations.invert(ds, 0x6000)
    assert (bits(ds)[0] == mask[0]).all() and (bits(ds)[1] == ~mask[1]).all()
    operations.clear(ds, 0x6000, frame=1)
    assert not bits(ds)[1].any() and (bits(ds)[0] == mask[0]).all()
    assert operations.clear(ds, 0x6000).set_bits == 0
    assert read_plane(ds, 0x6000).shape == (2, 5, 6)


def test_threshold_uses_modality_lut_values() -> None:
    ds = image()
    ds.RescaleSlope, ds.RescaleIntercept = 2, -100
    stored = np.frombuffer(ds.PixelData, "<u2").reshape(ROWS, COLS)
    values = stored * 2.0 - 100
    plane = operations.threshold_plane(ds, 1000, 4000)
    assert (plane.group, plane.origin, plane.shape) == (0x6000, (1, 1), (1, ROWS, COLS))
    assert (bits(ds)[0] == ((values >= 1000) & (values <= 4000))).all()
    assert plane.description == "Intensity 1000 to 4000"
    again = operations.threshold_plane(ds, -100, -100)  # a second plane goes to the next free group
    assert again.group == 0x6002 and (bits(ds, 0x6002)[0] == (stored == 0)).all()


def test_threshold_on_a_multi_frame_image() -> None:
    ds = image(frames=3)
    stored = np.frombuffer(ds.PixelData, "<u2").reshape(3, ROWS, COLS)
    plane = operations.threshold_plane(ds, 0, 1000, frame=2)
    assert plane.frames == 1 and plane.image_frame_origin == 3 and plane.frame_specific
    assert (bits(ds)[0] == (stored[2] <= 1000)).all()
    every = operations.threshold_plane(ds, 0, 1000, frame=None, group=0x6004)
    assert every.frames == 3 and (bits(ds, 0x6004) == (stored <= 1000)).all()


def test_threshold_errors_leave_the_file_unchanged() -> None:
    ds = image()
    before = to_bytes(ds)
    with pytest.raises(InvalidArgumentError, match="low <= high, not 5 to 1"):
        operations.threshold_plane(ds, 5, 1)
    with pytest.raises(InvalidArgumentError, match="Frame index 1 is out of range"):
        operations.threshold_plane(ds, 0, 1, frame=1)
    rgb = image()
    rgb.SamplesPerPixel, rgb.PhotometricInterpretation, rgb.PlanarConfiguration = 3, "RGB", 0
    rgb.BitsAllocated = rgb.BitsStored = 8
    rgb.HighBit = 7
    rgb.PixelData = bytes(ROWS * COLS * 3)
    with pytest.raises(UnsupportedError, match="greyscale"):
        operations.threshold_plane(rgb, 0, 1)
    assert to_bytes(ds) == before


def test_threshold_ignores_an_empty_modality_lut_as_rendering_does() -> None:
    # dwv_leadtools-8BitsJpegLossyGrayScale.dcm: empty Rescale Slope/Intercept and a
    # Modality LUT Sequence item whose LUT Descriptor and LUT Data are empty.
    ds = image()
    ds.RescaleSlope = ds.RescaleIntercept = None
    item = Dataset()
    item.LUTDescriptor = item.LUTData = None
    ds.ModalityLUTSequence = [item]
    stored = np.frombuffer(ds.PixelData, "<u2").reshape(ROWS, COLS)
    operations.threshold_plane(ds, 100, 2000)
    assert (bits(ds)[0] == ((stored >= 100) & (stored <= 2000))).all()


def test_threshold_reports_an_unusable_modality_lut() -> None:
    ds = image()
    item = Dataset()
    item.add_new(0x00283002, "US", [4, 0, 16])  # LUT Descriptor: 4 entries of 16 bits...
    item.add_new(0x00283006, "US", [1, 2])  # ...but LUT Data holds 2
    ds.ModalityLUTSequence = [item]
    before = to_bytes(ds)
    with pytest.raises(UnsupportedError, match="Modality LUT is unusable"):
        operations.threshold_plane(ds, 0, 1)
    assert to_bytes(ds) == before


def test_export_png_round_trips_in_plane_and_image_space() -> None:
    mask = b.random_mask((2, 6, 7), seed=7)
    ds = with_plane(mask, origin=(0, 15), frames=2)
    for frame in (0, 1):
        exported = operations.export_png(ds, 0x6000, frame)
        assert exported[:8] == b"\x89PNG\r\n\x1a\n"
        assert (read_mask(exported) == mask[frame]).all()
    on_image = read_mask(operations.export_png(ds, 0x6000, 1, space="image"))
    assert on_image.shape == (ROWS, COLS)
    assert (on_image == to_image_space(read_plane(ds, 0x6000), mask[1], ROWS, COLS)).all()
    assert (on_image[:5, 14:] == mask[1][1:, :6]).all()
    with pytest.raises(InvalidArgumentError, match="Frame index 2 is out of range"):
        operations.export_png(ds, 0x6000, 2)

