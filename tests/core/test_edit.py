"""Editing: modes, canvas strokes into planes with any origin, plane operations, threshold,
mask import/export, and that failures leave the dataset unchanged."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pydicom.dataset import Dataset

from overlay_core import edit
from overlay_core.edit import Mode, Space
from overlay_core.errors import InvalidArgumentError, PlaneNotFoundError, UnsupportedError
from overlay_core.fabric import rasterize
from overlay_core.geometry import Region, fit_view
from overlay_core.maskio import read_mask
from overlay_core.placement import image_mask, place, to_image_space
from overlay_core.reading import load, read_plane, unpack_plane
from overlay_core.writing import Attributes, set_plane, to_bytes
from tests import builders as b

ROWS, COLS = 16, 20


def image(frames: int = 1) -> Dataset:
    return b.image_dataset(ROWS, COLS, frames=frames)


def with_plane(mask: np.ndarray, origin: tuple[int, int] = (1, 1), frames: int = 1) -> Dataset:
    ds = image(frames)
    set_plane(ds, 0x6000, mask, Attributes(origin=origin))
    return ds


def bits(ds: Dataset, group: int = 0x6000) -> np.ndarray:
    return unpack_plane(ds, group)[1]


def line(x0: float, y0: float, x1: float, y1: float, width: float = 2) -> dict[str, Any]:
    return {"type": "Line", "version": "7.4.0", "originX": "center", "originY": "center",
            "left": (x0 + x1) / 2, "top": (y0 + y1) / 2, "x1": (x0 - x1) / 2, "y1": (y0 - y1) / 2,
            "x2": (x1 - x0) / 2, "y2": (y1 - y0) / 2, "stroke": "red", "strokeWidth": width}


# --- modes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [Mode.ERASE, "erase", "ERASE", " Erase "])
def test_mode_accepts_enum_or_str(value: Any) -> None:
    assert Mode.coerce(value) is Mode.ERASE


def test_bad_mode_and_space() -> None:
    with pytest.raises(InvalidArgumentError, match='mode must be "draw", "erase" or "replace", not "paint"'):
        Mode.coerce("paint")
    with pytest.raises(InvalidArgumentError, match='space must be "image" or "plane"'):
        Space.coerce("world")


def test_combine_modes_truth_table() -> None:
    plane = np.array([0, 0, 1, 1], bool)
    stroke = np.array([0, 1, 0, 1], bool)
    assert edit.combine(plane, stroke, Mode.DRAW).tolist() == [False, True, True, True]
    assert edit.combine(plane, stroke, Mode.ERASE).tolist() == [False, False, True, False]
    assert edit.combine(plane, stroke, Mode.REPLACE).tolist() == [False, True, False, True]
    with pytest.raises(InvalidArgumentError, match="does not match"):
        edit.combine(plane, stroke[:2], "draw")


# --- strokes into planes --------------------------------------------------------------------


@pytest.mark.parametrize("origin", [(1, 1), (0, 0), (-3, -4), (5, 6)])
def test_canvas_stroke_lands_on_the_image_pixels_it_was_drawn_on(origin: tuple[int, int]) -> None:
    """Draw on a half-size view; the plane's bits, placed on the image, are the stroke."""
    ds = with_plane(np.zeros((12, 14), bool), origin)
    view = fit_view(ROWS, COLS, width=10)  # scale 0.5
    drawing = {"objects": [line(1, 4, 9, 4, width=1)]}  # image rows 7..8 (2 wide), cols 2..17
    edit.apply_canvas(ds, 0x6000, drawing, view)
    placed = image_mask(ds, 0x6000)[0]
    expected = rasterize(drawing, view)  # image space
    footprint = place(read_plane(ds, 0x6000), np.ones((1, 12, 14), bool), (1, ROWS, COLS))[0]
    assert (placed == (expected & footprint)).all()
    assert expected[7:9, 2:18].all() and expected.sum() == 2 * 16


def test_zoomed_canvas_stroke_lands_in_the_window() -> None:
    ds = with_plane(np.zeros((ROWS, COLS), bool))
    view = fit_view(ROWS, COLS, region=Region(4, 6, 8, 10), width=40)  # 4x, image (4, 6) at (0, 0)
    edit.apply_canvas(ds, 0x6000, {"objects": [line(0, 2, 40, 2, width=4)]}, view)
    expected = np.zeros((ROWS, COLS), bool)
    expected[4, 6:16] = True
    assert (bits(ds)[0] == expected).all()


def test_erase_clears_only_under_the_stroke() -> None:
    ds = with_plane(np.ones((ROWS, COLS), bool), origin=(0, 0))
    edit.apply_canvas(ds, 0x6000, {"objects": [line(0, 5, 20, 5, width=2)]}, fit_view(ROWS, COLS), "erase")
    plane = bits(ds)[0]
    # the stroke covers image rows 4..5 and columns 0..19, i.e. plane rows 5..6 and columns
    # 1..19: origin 0\0 puts plane pixel (0, 0) one up and left of the image
    assert not plane[5:7, 1:].any() and plane[5:7, 0].all()
    assert plane[:5].all() and plane[7:].all()


def test_replace_and_mask_shape_checks() -> None:
    ds = with_plane(np.ones((4, 5), bool))
    stroke = np.zeros((4, 5), bool)
    stroke[1, 1] = True
    assert edit.apply_mask(ds, 0x6000, stroke, "replace").set_bits == 1
    with pytest.raises(InvalidArgumentError, match="mask is 3 x 5 pixels but overlay group 6000 is 4 x 5"):
        edit.apply_mask(ds, 0x6000, np.ones((3, 5)), "draw")
    with pytest.raises(PlaneNotFoundError):
        edit.apply_mask(ds, 0x6002, stroke)


def test_multi_frame_planes_are_edited_one_frame_at_a_time() -> None:
    mask = b.random_mask((3, ROWS, COLS), seed=4)
    ds = with_plane(mask, frames=3)
    before = bits(ds)
    edit.apply_mask(ds, 0x6000, np.ones((ROWS, COLS), bool), "draw", frame=1)
    after = bits(ds)
    assert after[1].all()
    assert (after[0] == before[0]).all() and (after[2] == before[2]).all()
    with pytest.raises(InvalidArgumentError, match="Frame index 3 is out of range: overlay group 6000 has 3"):
        edit.apply_mask(ds, 0x6000, np.ones((ROWS, COLS), bool), frame=3)


def test_draw_write_read_gives_the_bits() -> None:
    ds = with_plane(np.zeros((10, 10), bool), origin=(-2, 3))
    edit.apply_canvas(ds, 0x6000, {"objects": [line(0, 0, 20, 16, width=3)]}, fit_view(ROWS, COLS))
    drawn = bits(ds)
    assert drawn.any()
    again = load(to_bytes(ds))
    assert (unpack_plane(again, 0x6000)[1] == drawn).all()
    assert read_plane(again, 0x6000).origin == (-2, 3)


def test_drawing_into_an_embedded_plane_migrates_it() -> None:
    data, masks = b.embedded_file()
    ds = load(data)
    group = next(iter(masks))
    rows, cols = masks[group].shape[-2:]
    edit.apply_mask(ds, group, np.ones((rows, cols), bool))
    plane = read_plane(ds, group)
    assert not plane.embedded and plane.set_bits == plane.rows * plane.columns


# --- plane operations -----------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(row=st.integers(-6, 14), col=st.integers(-6, 18), rows=st.integers(1, 12), cols=st.integers(1, 12),
       seed=st.integers(0, 1000))
def test_crop_keeps_every_pixel_in_place(row: int, col: int, rows: int, cols: int, seed: int) -> None:
    mask = b.random_mask((rows, cols), seed=seed, density=0.15)
    ds = with_plane(mask, (row, col))
    before_image = image_mask(ds, 0x6000)
    if not mask.any():
        with pytest.raises(InvalidArgumentError, match="has no set pixels, so there is nothing to crop to"):
            edit.crop_to_content(ds, 0x6000)
        return
    plane = edit.crop_to_content(ds, 0x6000)
    cropped = bits(ds)[0]
    assert (image_mask(ds, 0x6000) == before_image).all()
    assert cropped[0].any() and cropped[-1].any() and cropped[:, 0].any() and cropped[:, -1].any()
    assert plane.set_bits == int(mask.sum())


def test_crop_hand_computed() -> None:
    mask = np.zeros((6, 6), bool)
    mask[2, 3] = mask[4, 1] = True
    ds = with_plane(mask, (-1, 2))
    plane = edit.crop_to_content(ds, 0x6000)
    assert (plane.rows, plane.columns, plane.origin) == (3, 3, (1, 3))
    assert bits(ds)[0].astype(int).tolist() == [[0, 0, 1], [0, 0, 0], [1, 0, 0]]


def test_resize_to_image_keeps_pixels_on_the_image() -> None:
    mask = b.random_mask((10, 12), seed=2)
    ds = with_plane(mask, (-2, 13))
    before = image_mask(ds, 0x6000)
    plane = edit.resize_to_image(ds, 0x6000)
    assert (plane.rows, plane.columns, plane.origin) == (ROWS, COLS, (1, 1))
    assert (image_mask(ds, 0x6000) == before).all()
    assert (bits(ds)[0] == before[0]).all()


def test_move_shifts_the_plane_on_the_image() -> None:
    mask = np.zeros((3, 3), bool)
    mask[0, 0] = True
    ds = with_plane(mask, (1, 1))
    assert edit.move(ds, 0x6000, (5, 7)).origin == (5, 7)
    placed = image_mask(ds, 0x6000)[0]
    assert placed[4, 6] and placed.sum() == 1
    with pytest.raises(InvalidArgumentError, match="between -32768 and 32767"):
        edit.move(ds, 0x6000, (40000, 1))


def test_invert_and_clear_one_frame_or_all() -> None:
    mask = b.random_mask((2, 5, 6), seed=3)
    ds = with_plane(mask, frames=2)
    edit.invert(ds, 0x6000, frame=0)
    assert (bits(ds)[0] == ~mask[0]).all() and (bits(ds)[1] == mask[1]).all()
    edit.invert(ds, 0x6000)
    assert (bits(ds)[0] == mask[0]).all() and (bits(ds)[1] == ~mask[1]).all()
    edit.clear(ds, 0x6000, frame=1)
    assert not bits(ds)[1].any() and (bits(ds)[0] == mask[0]).all()
    assert edit.clear(ds, 0x6000).set_bits == 0
    assert read_plane(ds, 0x6000).shape == (2, 5, 6)


# --- threshold ------------------------------------------------------------------------------


def test_threshold_uses_modality_lut_values() -> None:
    ds = image()
    ds.RescaleSlope, ds.RescaleIntercept = 2, -100
    stored = np.frombuffer(ds.PixelData, "<u2").reshape(ROWS, COLS)
    values = stored * 2.0 - 100
    plane = edit.threshold_plane(ds, 1000, 4000)
    assert (plane.group, plane.origin, plane.shape) == (0x6000, (1, 1), (1, ROWS, COLS))
    assert (bits(ds)[0] == ((values >= 1000) & (values <= 4000))).all()
    assert plane.description == "Intensity 1000 to 4000"
    again = edit.threshold_plane(ds, -100, -100)  # a second plane goes to the next free group
    assert again.group == 0x6002 and (bits(ds, 0x6002)[0] == (stored == 0)).all()


def test_threshold_on_a_multi_frame_image() -> None:
    ds = image(frames=3)
    stored = np.frombuffer(ds.PixelData, "<u2").reshape(3, ROWS, COLS)
    plane = edit.threshold_plane(ds, 0, 1000, frame=2)
    assert plane.frames == 1 and plane.image_frame_origin == 3 and plane.frame_specific
    assert (bits(ds)[0] == (stored[2] <= 1000)).all()
    every = edit.threshold_plane(ds, 0, 1000, frame=None, group=0x6004)
    assert every.frames == 3 and (bits(ds, 0x6004) == (stored <= 1000)).all()


def test_threshold_errors_leave_the_file_unchanged() -> None:
    ds = image()
    before = to_bytes(ds)
    with pytest.raises(InvalidArgumentError, match="low <= high, not 5 to 1"):
        edit.threshold_plane(ds, 5, 1)
    with pytest.raises(InvalidArgumentError, match="Frame index 1 is out of range"):
        edit.threshold_plane(ds, 0, 1, frame=1)
    rgb = image()
    rgb.SamplesPerPixel, rgb.PhotometricInterpretation, rgb.PlanarConfiguration = 3, "RGB", 0
    rgb.BitsAllocated = rgb.BitsStored = 8
    rgb.HighBit = 7
    rgb.PixelData = bytes(ROWS * COLS * 3)
    with pytest.raises(UnsupportedError, match="greyscale"):
        edit.threshold_plane(rgb, 0, 1)
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
    edit.threshold_plane(ds, 100, 2000)
    assert (bits(ds)[0] == ((stored >= 100) & (stored <= 2000))).all()


def test_threshold_reports_an_unusable_modality_lut() -> None:
    ds = image()
    item = Dataset()
    item.add_new(0x00283002, "US", [4, 0, 16])  # LUT Descriptor: 4 entries of 16 bits...
    item.add_new(0x00283006, "US", [1, 2])  # ...but LUT Data holds 2
    ds.ModalityLUTSequence = [item]
    before = to_bytes(ds)
    with pytest.raises(UnsupportedError, match="Modality LUT is unusable"):
        edit.threshold_plane(ds, 0, 1)
    assert to_bytes(ds) == before


# --- import and export ----------------------------------------------------------------------


def png(arr: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    image_ = Image.fromarray(arr)
    (image_.convert(mode) if mode else image_).save(buffer, format="PNG")
    return buffer.getvalue()


def npy(arr: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, arr)
    return buffer.getvalue()


def test_read_mask_file_formats() -> None:
    mask = b.random_mask((5, 7), seed=5)
    assert (read_mask(png(mask.astype(np.uint8) * 255)) == mask).all()
    assert (read_mask(png(mask.astype(np.uint8) * 3)) == mask).all()
    assert (read_mask(png(mask.astype(np.uint8) * 255, "RGB")) == mask).all()
    rgba = np.zeros((5, 7, 4), np.uint8)
    rgba[mask] = (0, 0, 0, 255)  # black strokes on a transparent background
    assert (read_mask(png(rgba)) == mask).all()
    assert (read_mask(png(mask, "1")) == mask).all()
    assert (read_mask(npy(mask)) == mask).all()
    assert (read_mask(npy(mask.astype(float) * 0.5)) == mask).all()
    assert read_mask(npy(np.ones((2, 5, 7), np.uint8))).shape == (2, 5, 7)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"GIF89a....", "neither a PNG image nor a NumPy .npy array"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "PNG mask could not be read"),
        (b"\x93NUMPY garbage", ".npy mask could not be read"),
        (npy(np.ones(5)), "must be a 2-D or 3-D array of booleans or numbers, not a 1-D array"),
        (npy(np.array([["a"]])), "booleans or numbers"),
    ],
)
def test_read_mask_file_errors(data: bytes, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        read_mask(data)


def test_import_image_space_into_a_new_plane() -> None:
    ds = image()
    mask = b.random_mask((ROWS, COLS), seed=6)
    plane = edit.apply_mask(ds, None, png(mask.astype(np.uint8) * 255), "replace", "image")
    assert (plane.group, plane.origin, plane.shape) == (0x6000, (1, 1), (1, ROWS, COLS))
    assert (bits(ds)[0] == mask).all()


def test_import_plane_space_into_a_new_plane_has_any_size() -> None:
    ds = image()
    plane = edit.apply_mask(ds, 0x6006, npy(np.ones((3, 4), bool)), "replace", "plane")
    assert (plane.group, plane.shape, plane.origin) == (0x6006, (1, 3, 4), (1, 1))


def test_import_image_space_into_an_existing_plane_is_cut_to_it() -> None:
    ds = with_plane(np.zeros((4, 4), bool), origin=(3, 5))
    mask = np.zeros((ROWS, COLS), bool)
    mask[3, 5] = mask[0, 0] = True  # image (3, 5) is plane (1, 1); (0, 0) is off the plane
    edit.apply_mask(ds, 0x6000, mask, "draw", "image")
    assert bits(ds)[0].astype(int).sum() == 1 and bits(ds)[0, 1, 1]


def test_import_size_mismatches_are_clear_errors() -> None:
    ds = with_plane(np.zeros((4, 4), bool))
    before = to_bytes(ds)
    with pytest.raises(InvalidArgumentError, match="The mask is 5 x 5 pixels but the image is 16 x 20"):
        edit.apply_mask(ds, None, npy(np.ones((5, 5))), "replace", "image")
    with pytest.raises(InvalidArgumentError, match="mask is 5 x 5 pixels but overlay group 6000 is 4 x 4"):
        edit.apply_mask(ds, 0x6000, npy(np.ones((5, 5))), "replace", Space.PLANE)
    with pytest.raises(InvalidArgumentError, match="The mask has 2 frames but overlay group 6000 has 1"):
        edit.apply_mask(ds, 0x6000, npy(np.ones((2, 4, 4))), "replace", "plane")
    assert to_bytes(ds) == before


def test_export_png_round_trips_in_plane_and_image_space() -> None:
    mask = b.random_mask((2, 6, 7), seed=7)
    ds = with_plane(mask, origin=(0, 15), frames=2)
    for frame in (0, 1):
        exported = edit.export_png(ds, 0x6000, frame)
        assert exported[:8] == b"\x89PNG\r\n\x1a\n"
        assert (read_mask(exported) == mask[frame]).all()
    on_image = read_mask(edit.export_png(ds, 0x6000, 1, space="image"))
    assert on_image.shape == (ROWS, COLS)
    assert (on_image == to_image_space(read_plane(ds, 0x6000), mask[1], ROWS, COLS)).all()
    assert (on_image[:5, 14:] == mask[1][1:, :6]).all()
    with pytest.raises(InvalidArgumentError, match="Frame index 2 is out of range"):
        edit.export_png(ds, 0x6000, 2)


def test_failed_operations_change_nothing() -> None:
    ds = with_plane(np.zeros((4, 4), bool))
    before = to_bytes(ds)
    for call in (
        lambda: edit.crop_to_content(ds, 0x6000),
        lambda: edit.apply_canvas(ds, 0x6000, {"objects": [{"type": "Text"}]}, fit_view(ROWS, COLS)),
        lambda: edit.apply_mask(ds, 0x6000, np.ones((4, 4)), "paint"),
        lambda: edit.invert(ds, 0x6000, frame=5),
    ):
        with pytest.raises(InvalidArgumentError):
            call()
        assert to_bytes(ds) == before
