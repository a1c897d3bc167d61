"""The tools of issue 18, each against an independent scikit-image / SciPy / NumPy computation.

Every case places the plane oddly (smaller than the image at a negative origin, or a
multi-frame plane from Image Frame Origin 2) on a rescaled or MONOCHROME1 image.
"""

from __future__ import annotations

from copy import deepcopy

import numpy as np
import pytest
from pydicom.dataset import Dataset
from scipy import ndimage
from skimage.measure import label
from skimage.morphology import disk, remove_small_objects
from skimage.segmentation import flood

from overlay_core.edit.fill import fill
from overlay_core.edit.history import History
from overlay_core.edit.islands import keep_largest_island, remove_small_islands
from overlay_core.edit.logic import logic
from overlay_core.edit.margin import margin, morph
from overlay_core.errors import InvalidArgumentError, PlaneNotFoundError
from overlay_core.planes.reading import read_plane
from overlay_core.planes.writing import to_bytes
from tests import builders as b
from tests import tool_support as ts

LOOKS = [
    pytest.param({}, id="plain"),
    pytest.param({"slope": 2.0, "intercept": -1024.0}, id="rescaled"),
    pytest.param({"slope": 0.5, "intercept": 10.0, "monochrome1": True}, id="monochrome1-rescaled"),
]


def small(look: dict[str, object]) -> Dataset:
    return ts.small_plane(ts.image(ts.blocks(), **look))  # type: ignore[arg-type]


def check_geometry(ds: Dataset, before: Dataset | None = None) -> None:
    """The plane holds every set pixel and never reaches past the image further than before."""
    plane = read_plane(ds, 0x6000)
    top, left = plane.origin[0] - 1, plane.origin[1] - 1
    old = read_plane(before, 0x6000) if before is not None else plane
    assert top >= min(0, old.origin[0] - 1) and left >= min(0, old.origin[1] - 1)
    assert top + plane.rows <= max(ts.ROWS, old.origin[0] - 1 + old.rows)
    assert left + plane.columns <= max(ts.COLS, old.origin[1] - 1 + old.columns)


# --------------------------------------------------------------------------- fill


@pytest.mark.parametrize("look", LOOKS)
@pytest.mark.parametrize(("seed", "tolerance", "connectivity"),
                         [((10, 10), 0.0, 4), ((10, 10), 3.0, 8), ((22, 45), 0.0, 4), ((0, 0), 50.0, 8)])
def test_fill_is_the_flood_region(look: dict[str, object], seed: tuple[int, int], tolerance: float,
                                  connectivity: int) -> None:
    ds = small(look)
    before = ts.placed(ds, 0x6000)
    values = ts.modality(ds)
    expected = before | flood(values, seed, tolerance=tolerance * 1.0, connectivity=connectivity // 4)
    reference = deepcopy(ds)
    fill(ds, 0x6000, seed, tolerance=tolerance, connectivity=connectivity)
    assert (ts.placed(ds, 0x6000) == expected).all()
    check_geometry(ds, reference)


def test_fill_grows_the_plane_to_the_region_but_not_past_the_image() -> None:
    ds = small({})
    fill(ds, 0x6000, (22, 45))  # the band runs across the whole image, past the plane
    plane = read_plane(ds, 0x6000)
    assert plane.origin == (-4, -6)  # the old top-left stays: its pixels off the image are kept
    assert plane.origin[1] - 1 + plane.columns == ts.COLS  # grown to the image's right edge, no further
    assert ts.placed(ds, 0x6000)[22:24, :].all()


def test_fill_erase_clears_exactly_the_region() -> None:
    ds = small({"slope": 2.0, "intercept": -1024.0})
    before = ts.placed(ds, 0x6000)
    region = flood(ts.modality(ds), (10, 10), tolerance=0)
    fill(ds, 0x6000, (10, 10), mode="erase")
    assert (ts.placed(ds, 0x6000) == (before & ~region)).all()


def test_fill_on_a_multiframe_plane_changes_only_the_chosen_frame() -> None:
    ds = ts.small_plane(ts.image(ts.blocks(frames=5), slope=2.0, intercept=-50.0), origin=(3, 2),
                        frames=3, image_frame_origin=2)
    before = [ts.placed(ds, 0x6000, f) for f in range(5)]
    fill(ds, 0x6000, (10, 10), frame=2, tolerance=1.0)
    region = flood(ts.modality(ds, 2), (10, 10), tolerance=1.0, connectivity=1)
    after = [ts.placed(ds, 0x6000, f) for f in range(5)]
    assert (after[2] == (before[2] | region)).all()
    for f in (0, 1, 3, 4):
        assert (after[f] == before[f]).all()
    plane = read_plane(ds, 0x6000)
    assert (plane.frames, plane.image_frame_origin) == (3, 2)


def test_fill_refuses_bad_input_and_changes_nothing() -> None:
    ds = ts.small_plane(ts.image(ts.blocks(frames=5)), frames=3, image_frame_origin=2)
    data = to_bytes(ds)
    with pytest.raises(InvalidArgumentError, match="lies outside the 40 x 50 image"):
        fill(ds, 0x6000, (40, 0), frame=1)
    with pytest.raises(InvalidArgumentError, match="on image frame 5; it covers image frames 2 to 4"):
        fill(ds, 0x6000, (1, 1), frame=4)
    with pytest.raises(InvalidArgumentError, match="Frame index 5 is out of range"):
        fill(ds, 0x6000, (1, 1), frame=5)
    with pytest.raises(PlaneNotFoundError):
        fill(ds, 0x6002, (1, 1), frame=1)
    with pytest.raises(InvalidArgumentError, match="tolerance must be a number of 0 or more"):
        fill(ds, 0x6000, (1, 1), frame=1, tolerance=-1)
    assert to_bytes(ds) == data


# --------------------------------------------------------------------------- islands


@pytest.mark.parametrize("look", LOOKS)
def test_keep_largest_island_is_the_largest_8_connected_label(look: dict[str, object]) -> None:
    ds = small(look)
    before = ts.placed(ds, 0x6000)
    labels = label(before, connectivity=2)
    sizes = np.bincount(labels.ravel())[1:]
    expected = labels == int(np.argmax(sizes)) + 1
    keep_largest_island(ds, 0x6000)
    assert (ts.placed(ds, 0x6000) == expected).all()


@pytest.mark.parametrize("min_size", [1, 2, 5, 9])
def test_remove_small_islands_is_remove_small_objects(min_size: int) -> None:
    ds = small({"monochrome1": True})
    before = ts.placed(ds, 0x6000)
    expected = remove_small_objects(before, max_size=min_size - 1, connectivity=2)
    remove_small_islands(ds, 0x6000, min_size)
    assert (ts.placed(ds, 0x6000) == expected).all()


def test_islands_refuse_an_empty_result() -> None:
    ds = small({})
    data = to_bytes(ds)
    with pytest.raises(InvalidArgumentError, match="leaves no set pixel on this frame"):
        remove_small_islands(ds, 0x6000, 10_000)
    assert to_bytes(ds) == data


# --------------------------------------------------------------------------- margin and smoothing


def erode(mask: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    # The image's edge does not erode: outside counts as set.
    return np.asarray(ndimage.binary_erosion(mask, footprint, border_value=1))


@pytest.mark.parametrize("radius", [1, 3, 6])
def test_margin_in_pixels_is_dilation_and_erosion_by_a_disk(radius: int) -> None:
    ds = small({"slope": 2.0, "intercept": -1024.0})
    before = ts.placed(ds, 0x6000)
    grown = deepcopy(ds)
    margin(grown, 0x6000, radius)
    assert (ts.placed(grown, 0x6000) == ndimage.binary_dilation(before, disk(radius))).all()
    check_geometry(grown, ds)
    solid = np.zeros((ts.ROWS, ts.COLS), bool)
    solid[2:30, 0:25] = True
    solid |= b.random_mask(solid.shape, seed=radius, density=0.3)
    dense = deepcopy(ds)
    b.add_plane(dense, 0x6002, solid[1:, 2:], origin=(2, 3))
    solid_placed = ts.placed(dense, 0x6002)
    margin(dense, 0x6002, -radius)
    assert (ts.placed(dense, 0x6002) == erode(solid_placed, disk(radius))).all()


def test_margin_in_mm_follows_anisotropic_pixel_spacing() -> None:
    ds = ts.small_plane(ts.image(ts.blocks(), spacing=(0.5, 1.25)))
    before = ts.placed(ds, 0x6000)
    margin(ds, 0x6000, 2.6, mm=True)
    expected = ndimage.distance_transform_edt(~before, sampling=(0.5, 1.25)) <= 2.6
    assert (ts.placed(ds, 0x6000) == expected).all()


def test_margin_refuses_mm_without_spacing_and_shrinking_to_nothing() -> None:
    ds = small({})
    data = to_bytes(ds)
    with pytest.raises(InvalidArgumentError, match="no usable Pixel Spacing"):
        margin(ds, 0x6000, 2, mm=True)
    with pytest.raises(InvalidArgumentError, match="Shrinking by 30 pixels leaves no set pixel"):
        margin(ds, 0x6000, -30)
    with pytest.raises(InvalidArgumentError, match="other than 0"):
        margin(ds, 0x6000, 0)
    assert to_bytes(ds) == data


@pytest.mark.parametrize("radius", [1, 2])
def test_open_close_and_fill_holes(radius: int) -> None:
    ds = small({"monochrome1": True})
    before = ts.placed(ds, 0x6000)
    foot = disk(radius)
    cases = {
        "open": ndimage.binary_dilation(erode(before, foot), foot),
        "close": erode(ndimage.binary_dilation(before, foot), foot),
        "fill-holes": ndimage.binary_fill_holes(before),
    }
    for op, expected in cases.items():
        copy = deepcopy(ds)
        if op == "open" and not expected.any():
            continue
        morph(copy, 0x6000, op, radius)
        assert (ts.placed(copy, 0x6000) == expected).all(), op


# --------------------------------------------------------------------------- logic


@pytest.mark.parametrize(("op", "function"), [("union", np.logical_or), ("intersect", np.logical_and),
                                              ("subtract", lambda a, b: a & ~b), ("xor", np.logical_xor)])
def test_logic_combines_the_placed_planes(op: str, function: object) -> None:
    ds = ts.small_plane(small({}), origin=(8, 12), shape=(25, 30), seed=9, group=0x6002)
    a, b_ = ts.placed(ds, 0x6000), ts.placed(ds, 0x6002)
    plane = logic(ds, op, 0x6000, 0x6002)
    assert plane.group == 0x6004
    assert (ts.placed(ds, 0x6004) == function(a, b_)).all()  # type: ignore[operator]
    into = logic(ds, op, 0x6000, 0x6002, into=0x6000)
    assert into.group == 0x6000 and (ts.placed(ds, 0x6000) == function(a, b_)).all()  # type: ignore[operator]


def test_logic_on_frame_specific_planes_works_frame_by_frame() -> None:
    ds = ts.image(ts.blocks(frames=4))
    ts.small_plane(ds, frames=2, image_frame_origin=2, seed=1)
    ts.small_plane(ds, group=0x6002, origin=(2, 3), seed=2)  # on every frame
    logic(ds, "intersect", 0x6000, 0x6002)
    for f in range(4):
        assert (ts.placed(ds, 0x6004, f) == (ts.placed(ds, 0x6000, f) & ts.placed(ds, 0x6002, f))).all()


def test_logic_refuses_an_empty_result() -> None:
    ds = ts.image(ts.blocks())
    b.add_plane(ds, 0x6000, np.eye(3, dtype=bool))
    b.add_plane(ds, 0x6002, np.eye(3, dtype=bool), origin=(20, 20))
    with pytest.raises(InvalidArgumentError, match="6000 intersect 6002 has no set pixel"):
        logic(ds, "intersect", 0x6000, 0x6002)
    assert 0x6004 << 16 | 0x0010 not in ds


# --------------------------------------------------------------------------- undo


def test_each_tool_is_one_undoable_step() -> None:
    ds = ts.small_plane(ts.image(ts.blocks(), spacing=(1.0, 1.0)))
    ts.small_plane(ds, group=0x6002, origin=(3, 3), seed=8)
    history = History()
    steps = [
        ("Fill", lambda: fill(ds, 0x6000, (10, 10))),
        ("Smooth", lambda: morph(ds, 0x6000, "close", 1)),
        ("Islands", lambda: keep_largest_island(ds, 0x6000)),
        ("Margin", lambda: margin(ds, 0x6000, 2.0, mm=True)),
        ("Logic", lambda: logic(ds, "union", 0x6000, 0x6002)),
    ]
    states = []
    for name, step in steps:
        states.append(to_bytes(ds))
        with history.change(ds, name):
            step()
        assert to_bytes(ds) != states[-1], name
    for name, _ in reversed(steps):
        assert history.undo(ds) == name
        assert to_bytes(ds) == states.pop()
