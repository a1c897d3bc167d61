"""The editing API: modes, spaces, canvas strokes into planes with any origin, masks from
files, and that failures leave the dataset unchanged."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from overlay_core.edit import apply as edit
from overlay_core.edit import operations
from overlay_core.edit.apply import Mode, Space
from overlay_core.edit.fabric import rasterize
from overlay_core.errors import InvalidArgumentError, PlaneNotFoundError
from overlay_core.planes.placement import image_mask, place
from overlay_core.planes.reading import load, read_plane, unpack_plane
from overlay_core.planes.writing import to_bytes
from overlay_core.render.geometry import Region, fit_view
from tests import builders as b

ROWS, COLS = 16, 20
image, with_plane, bits = b.edit_helpers(ROWS, COLS)


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


# --- masks from files -----------------------------------------------------------------------


def test_import_image_space_into_a_new_plane() -> None:
    ds = image()
    mask = b.random_mask((ROWS, COLS), seed=6)
    plane = edit.apply_mask(ds, None, b.png_bytes(mask), "replace", "image")
    assert (plane.group, plane.origin, plane.shape) == (0x6000, (1, 1), (1, ROWS, COLS))
    assert (bits(ds)[0] == mask).all()


def test_import_plane_space_into_a_new_plane_has_any_size() -> None:
    ds = image()
    plane = edit.apply_mask(ds, 0x6006, b.npy_bytes(np.ones((3, 4), bool)), "replace", "plane")
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
        edit.apply_mask(ds, None, b.npy_bytes(np.ones((5, 5))), "replace", "image")
    with pytest.raises(InvalidArgumentError, match="mask is 5 x 5 pixels but overlay group 6000 is 4 x 4"):
        edit.apply_mask(ds, 0x6000, b.npy_bytes(np.ones((5, 5))), "replace", Space.PLANE)
    with pytest.raises(InvalidArgumentError, match="The mask has 2 frames but overlay group 6000 has 1"):
        edit.apply_mask(ds, 0x6000, b.npy_bytes(np.ones((2, 4, 4))), "replace", "plane")
    assert to_bytes(ds) == before


def test_failed_operations_change_nothing() -> None:
    ds = with_plane(np.zeros((4, 4), bool))
    before = to_bytes(ds)
    for call in (
        lambda: operations.crop_to_content(ds, 0x6000),
        lambda: edit.apply_canvas(ds, 0x6000, {"objects": [{"type": "Text"}]}, fit_view(ROWS, COLS)),
        lambda: edit.apply_mask(ds, 0x6000, np.ones((4, 4)), "paint"),
        lambda: operations.invert(ds, 0x6000, frame=5),
    ):
        with pytest.raises(InvalidArgumentError):
            call()
        assert to_bytes(ds) == before


def test_a_drawing_on_a_missing_group_makes_an_image_sized_plane() -> None:
    ds = image()
    plane = edit.apply_canvas(ds, 0x6002, {"objects": [line(0, 5, 20, 5, width=2)]}, fit_view(ROWS, COLS))
    assert (plane.group, plane.shape, plane.origin) == (0x6002, (1, ROWS, COLS), (1, 1))
    assert plane.subtype == "USER"
    assert bits(ds, 0x6002)[0, 4:6].all() and bits(ds, 0x6002).sum() == 2 * COLS


def test_a_drawing_beside_the_plane_changes_nothing_and_says_where_the_plane_is() -> None:
    ds = with_plane(np.zeros((3, 4), bool), origin=(11, 15))
    before = to_bytes(ds)
    with pytest.raises(InvalidArgumentError, match="which covers image rows 11–13 and columns 15–18"):
        edit.apply_canvas(ds, 0x6000, {"objects": [line(0, 2, 5, 2)]}, fit_view(ROWS, COLS))
    with pytest.raises(InvalidArgumentError, match="nothing to apply"):
        edit.apply_canvas(ds, 0x6002, {"objects": []}, fit_view(ROWS, COLS))
    assert to_bytes(ds) == before


def test_a_stroke_past_the_plane_grows_it_never_past_the_image() -> None:
    """A 3 x 4 plane at image rows 10-12, columns 14-17; a line along image row 2 from
    column 0 to beyond the right edge grows it up and left to the image's right edge."""
    ds = with_plane(np.ones((3, 4), bool), origin=(11, 15))
    plane = edit.apply_canvas(ds, 0x6000, {"objects": [line(0, 2.5, 40, 2.5, width=1)]},
                              fit_view(ROWS, COLS), grow=True)
    assert (plane.rows, plane.columns, plane.origin) == (11, COLS, (3, 1))  # rows 2-12, columns 0-19
    stored = read_plane(ds, 0x6000)
    assert (stored.rows, stored.columns, stored.origin) == (11, COLS, (3, 1))
    placed = image_mask(ds, 0x6000, 0)
    assert placed[2].all() and placed[10:13, 14:18].all()  # the stroke and the old pixels, in place
    assert placed.sum() == COLS + 12


def test_an_erase_or_a_kept_size_never_grows_the_plane() -> None:
    ds = with_plane(np.ones((3, 4), bool), origin=(11, 15))
    drawing = {"objects": [line(10, 11.5, 19, 11.5, width=1)]}  # image row 11, columns 10-18
    assert edit.dropped_outside(drawing, fit_view(ROWS, COLS), read_plane(ds, 0x6000)) == 4 + 1
    plane = edit.apply_canvas(ds, 0x6000, drawing, fit_view(ROWS, COLS), "erase", grow=True)
    assert (plane.rows, plane.columns) == (3, 4) and bits(ds, 0x6000)[0, 1].sum() == 0
    plane = edit.apply_canvas(ds, 0x6000, drawing, fit_view(ROWS, COLS))
    assert (plane.rows, plane.columns, plane.origin) == (3, 4, (11, 15))


@pytest.mark.parametrize("mode", list(Mode))
def test_whole_plane_and_one_frame_agree_on_a_single_frame_plane(mode: Mode) -> None:
    old, mask = b.random_mask((ROWS, COLS), seed=11), b.random_mask((ROWS, COLS), seed=12)
    one, whole = with_plane(old), with_plane(old)
    edit.apply_mask(one, 0x6000, mask, mode, "image", frame=0)
    edit.apply_mask(whole, 0x6000, mask, mode, "image", frame=None)
    assert np.array_equal(bits(one), bits(whole))
    assert np.array_equal(bits(one)[0], edit.combine(old, mask, mode))


def test_erase_needs_an_existing_plane() -> None:
    ds = image()
    with pytest.raises(PlaneNotFoundError, match='no overlay plane in group 6004 for mode "erase"'):
        edit.apply_mask(ds, 0x6004, np.ones((ROWS, COLS)), "erase", "image")
    assert 0x60040010 not in ds
