"""Masks to polygons and back: even-odd filling gives every mask back, as skimage.draw.polygon does."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.draw import polygon

from overlay_core.interop.contours import fill_polygons, mask_contours
from tests import builders as b


def skimage_even_odd(polygons: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """The reading the issue names: each polygon filled by skimage.draw.polygon, XOR."""
    out = np.zeros(shape, bool)
    for points in polygons:
        rr, cc = polygon(points[:, 0], points[:, 1], shape)
        filled = np.zeros(shape, bool)
        filled[rr, cc] = True
        out ^= filled
    return out


@pytest.mark.parametrize("seed", range(40))
def test_random_masks_come_back_bit_for_bit(seed: int) -> None:
    mask = b.random_mask((13, 17), seed=seed, density=0.45)
    polygons = mask_contours(mask)
    assert np.array_equal(fill_polygons(polygons, mask.shape), mask)
    assert np.array_equal(skimage_even_odd(polygons, mask.shape), mask)


def test_holes_and_islands_in_holes_are_separate_contours() -> None:
    mask = np.zeros((11, 11), bool)
    mask[1:10, 1:10] = True
    mask[3:8, 3:8] = False  # a hole
    mask[5, 5] = True  # an island in the hole
    mask[0, 10] = True  # an island touching the border
    polygons = mask_contours(mask)
    assert len(polygons) == 4
    assert np.array_equal(fill_polygons(polygons, mask.shape), mask)


@pytest.mark.parametrize("seed", range(20))
def test_fill_equals_skimage_on_arbitrary_polygons(seed: int) -> None:
    rng = np.random.default_rng(seed)
    polygons = [rng.random((rng.integers(3, 9), 2)) * 24 - 3 for _ in range(2)]  # partly outside
    assert np.array_equal(fill_polygons(polygons, (18, 20)), skimage_even_odd(polygons, (18, 20)))


def test_contours_through_pixel_centres_include_them() -> None:
    # What OpenCV (and rt-utils) trace: the centres of the boundary pixels.
    outline = np.array([[2.0, 2.0], [2.0, 6.0], [5.0, 6.0], [5.0, 2.0]])
    expected = np.zeros((8, 8), bool)
    expected[2:6, 2:7] = True
    assert np.array_equal(fill_polygons([outline], (8, 8)), expected)


def test_empty_mask_has_no_contour() -> None:
    assert mask_contours(np.zeros((4, 4), bool)) == []
    assert not fill_polygons([], (4, 4)).any()
