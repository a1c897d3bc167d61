r"""Placing planes on the image: 1-based Overlay Origin (PS3.3 C.9.2.1.2) and Image Frame Origin.

The expected masks come from :func:`reference_place`, a pixel-by-pixel reading of the
standard that shares no code with :mod:`overlay_core.planes.placement`: image pixel ``(r, c)``
(0-based) shows plane pixel ``(r - (row0 - 1), c - (col0 - 1))`` when that lies in the plane.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import (
    combined_mask,
    frame_map,
    image_mask,
    origin_from_offset,
    origin_offset,
    place,
    plane_window,
)
from overlay_core.planes.reading import load, plane_bits
from tests import builders as b


def reference_place(
    bits: np.ndarray, origin: tuple[int, int], shape: tuple[int, int, int], pairs: list[tuple[int, int]]
) -> np.ndarray:
    out = np.zeros(shape, bool)
    for k, f in pairs:
        for r in range(shape[1]):
            for c in range(shape[2]):
                pr, pc = r - (origin[0] - 1), c - (origin[1] - 1)
                if 0 <= pr < bits.shape[1] and 0 <= pc < bits.shape[2]:
                    out[f, r, c] = bits[k, pr, pc]
    return out


def test_origin_offset_is_the_one_based_conversion() -> None:
    assert origin_offset((1, 1)) == (0, 0)
    assert origin_offset((0, 0)) == (-1, -1)
    assert origin_offset((-25, 704)) == (-26, 703)
    for origin in [(1, 1), (0, 0), (-3, 7), (100, -1)]:
        assert origin_from_offset(origin_offset(origin)) == origin


@pytest.mark.parametrize(
    ("plane_shape", "origin"),
    [
        ((4, 5), (1, 1)),      # top-left pixel
        ((4, 5), (0, 0)),      # one row and column above/left of the image
        ((4, 5), (-2, -3)),    # negative
        ((4, 5), (6, 7)),      # bottom-right corner, partly outside
        ((10, 12), (0, -1)),   # larger than the image on every side
        ((2, 2), (3, 4)),      # smaller, inside
        ((3, 3), (9, 1)),      # just below the image: nothing shown
        ((3, 3), (1, -2)),     # just left of the image: nothing shown
    ],
)
def test_place_matches_the_reference(plane_shape: tuple[int, int], origin: tuple[int, int]) -> None:
    bits = b.random_mask((1, *plane_shape), seed=sum(origin) + 50, density=0.5)
    plane = OverlayPlane(0x6000, *plane_shape, origin=origin)
    placed = place(plane, bits, (1, 8, 9))
    assert placed.shape == (1, 8, 9) and placed.dtype == np.bool_
    assert np.array_equal(placed, reference_place(bits, origin, (1, 8, 9), [(0, 0)]))


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(-10, 12), st.integers(-10, 12), st.integers(0, 99))
def test_place_property(rows: int, cols: int, r0: int, c0: int, seed: int) -> None:
    bits = b.random_mask((1, rows, cols), seed=seed, density=0.5)
    plane = OverlayPlane(0x6000, rows, cols, origin=(r0, c0))
    expected = reference_place(bits, (r0, c0), (1, 6, 7), [(0, 0)])
    assert np.array_equal(place(plane, bits, (1, 6, 7)), expected)
    assert (plane_window(plane, 6, 7) is None) == (not _overlaps(rows, cols, r0, c0))


def _overlaps(rows: int, cols: int, r0: int, c0: int) -> bool:
    return r0 - 1 < 6 and r0 - 1 + rows > 0 and c0 - 1 < 7 and c0 - 1 + cols > 0


def test_multi_frame_plane_lands_on_its_image_frames() -> None:
    data, bits = b.multiframe_file(image_frames=4, plane_frames=2, image_frame_origin=2, origin=(2, 3))
    ds = load(data)
    placed = image_mask(ds, 0x6000)
    assert placed.shape == (4, 10, 11)
    assert not placed[0].any() and not placed[3].any()
    assert np.array_equal(placed, reference_place(bits, (2, 3), (4, 10, 11), [(0, 1), (1, 2)]))


def test_plane_frames_beyond_the_image_are_dropped() -> None:
    data, bits = b.multiframe_file(image_frames=4, plane_frames=3, image_frame_origin=3, origin=(1, 1))
    placed = image_mask(load(data), 0x6000)
    assert np.array_equal(placed, reference_place(bits, (1, 1), (4, 10, 11), [(0, 2), (1, 3)]))


def test_single_frame_plane_without_frame_attributes_applies_to_every_frame() -> None:
    ds = b.image_dataset(6, 7, frames=3)
    bits = b.random_mask((1, 4, 4), seed=12, density=0.5)
    b.add_plane(ds, 0x6000, bits, origin=(2, 2))
    placed = image_mask(load(b.to_file_bytes(ds)), 0x6000)
    expected = reference_place(bits, (2, 2), (3, 6, 7), [(0, 0), (0, 1), (0, 2)])
    assert placed[0].any() and np.array_equal(placed, expected)


def test_single_frame_plane_with_image_frame_origin_applies_to_that_frame_only() -> None:
    ds = b.image_dataset(6, 7, frames=3)
    bits = b.random_mask((1, 4, 4), seed=13, density=0.5)
    b.add_plane(ds, 0x6000, bits, origin=(2, 2), image_frame_origin=3)
    placed = image_mask(load(b.to_file_bytes(ds)), 0x6000)
    assert np.array_equal(placed, reference_place(bits, (2, 2), (3, 6, 7), [(0, 2)]))


@pytest.mark.parametrize(("image_frame_origin", "plane_frames"), [(2, 2), (3, 3), (1, 1)])
def test_one_image_frame_is_that_frame_of_the_whole(image_frame_origin: int, plane_frames: int) -> None:
    data, _ = b.multiframe_file(image_frames=4, plane_frames=plane_frames,
                                image_frame_origin=image_frame_origin, origin=(2, 3))
    ds = load(data)
    whole = image_mask(ds, 0x6000)
    for frame in range(4):
        assert np.array_equal(image_mask(ds, 0x6000, frame), whole[frame]), frame
    with pytest.raises(InvalidArgumentError, match="Frame index 4 is out of range: the image has 4 frame"):
        image_mask(ds, 0x6000, 4)


def test_frame_map() -> None:
    shared = OverlayPlane(0x6000, 2, 2)
    assert frame_map(shared, 3) == [(0, 0), (0, 1), (0, 2)]
    specific = OverlayPlane(0x6000, 2, 2, frames=3, image_frame_origin=2, frame_specific=True)
    assert frame_map(specific, 3) == [(0, 1), (1, 2)]
    assert frame_map(OverlayPlane(0x6000, 2, 2, image_frame_origin=5, frame_specific=True), 3) == []


def test_combined_mask_is_the_union_of_placed_planes() -> None:
    data, masks = b.two_plane_file()
    ds = load(data)
    expected = reference_place(masks[0x6000], (1, 1), (1, 16, 20), [(0, 0)])
    expected |= reference_place(masks[0x6002], (3, 4), (1, 16, 20), [(0, 0)])
    assert np.array_equal(combined_mask(ds), expected)
    assert np.array_equal(combined_mask(ds, [0x6002]), image_mask(ds, 0x6002))


def test_embedded_plane_is_placed_like_any_other() -> None:
    data, masks = b.embedded_file(16, frames=2)
    ds = load(data)
    assert np.array_equal(image_mask(ds, 0x6002), masks[0x6002])
    assert np.array_equal(plane_bits(ds, 0x6002), masks[0x6002])


def test_no_image_to_place_on() -> None:
    data, _ = b.presentation_state_file()
    with pytest.raises(InvalidArgumentError, match=r"no image \(no Rows and Columns\) to place"):
        image_mask(load(data), 0x6002)
