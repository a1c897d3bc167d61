"""Comparing planes: Dice, Jaccard and Hausdorff against scikit-image and SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import directed_hausdorff
from skimage.metrics import hausdorff_distance

from overlay_core.audit.compare_planes import compare_masks, compare_planes
from overlay_core.errors import InvalidArgumentError
from tests import builders as b
from tests import tool_support as ts


def mm_hausdorff(a: np.ndarray, b_: np.ndarray, spacing: tuple[float, float]) -> float:
    pa, pb = np.argwhere(a) * spacing, np.argwhere(b_) * spacing
    return max(directed_hausdorff(pa, pb)[0], directed_hausdorff(pb, pa)[0])


@pytest.mark.parametrize("seed", range(5))
def test_compare_matches_numpy_and_scikit_image(seed: int) -> None:
    ds = ts.small_plane(ts.image(ts.blocks(), spacing=(0.7, 1.3)), seed=seed)
    ts.small_plane(ds, group=0x6002, origin=(6, 4), seed=seed + 50)
    a, b_ = ts.placed(ds, 0x6000), ts.placed(ds, 0x6002)
    result = compare_planes(ds, 0x6000, 0x6002)
    inter, union = (a & b_).sum(), (a | b_).sum()
    assert result.dice == pytest.approx(2 * inter / (a.sum() + b_.sum()))
    assert result.jaccard == pytest.approx(inter / union)
    assert result.hausdorff_pixels == pytest.approx(hausdorff_distance(a, b_))
    assert result.hausdorff_mm == pytest.approx(mm_hausdorff(a, b_, (0.7, 1.3)))
    assert result.area_difference_pixels == b_.sum() - a.sum()
    assert result.area_difference_mm2 == pytest.approx((b_.sum() - a.sum()) * 0.91)


def test_compare_across_two_files_and_undefined_values() -> None:
    first = ts.small_plane(ts.image(ts.blocks()))
    second = ts.small_plane(ts.image(ts.blocks()), seed=11, origin=(1, 1))
    result = compare_planes(first, 0x6000, 0x6000, second)
    assert result.hausdorff_mm is None and result.area_difference_mm2 is None
    assert result.dice is not None
    empty = np.zeros((1, 4, 4), bool)
    one = empty.copy()
    one[0, 1, 1] = True
    assert compare_masks(empty, empty).dice is None
    assert compare_masks(one, empty).hausdorff_pixels is None
    other = ts.image(ts.blocks(rows=30))
    b.add_plane(other, 0x6000, np.ones((3, 3)))
    with pytest.raises(InvalidArgumentError, match="differ in size"):
        compare_planes(first, 0x6000, 0x6000, other)
