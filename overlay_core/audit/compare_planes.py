r"""Comparing two planes: Dice, Jaccard, symmetric Hausdorff distance and area difference.

The planes are compared as placed on the image (``(frames, rows, cols)``, each at its
Overlay Origin), so they may come from one file or from two files of one image size.
Distances are in-plane: the Hausdorff distance is the largest, over the frames, of each
frame's symmetric Hausdorff distance, in pixels and, with (0028,0030) *Pixel Spacing*, in mm
(rows and columns each their own spacing). It is ``None`` when it is undefined: a frame
where one plane has pixels and the other none, or both planes empty.

>>> a = np.zeros((1, 4, 4), bool); b = a.copy(); a[0, 0, 0] = b[0, 0, 0] = b[0, 3, 0] = True
>>> c = compare_masks(a, b, (2.0, 1.0))
>>> round(c.dice, 3), c.jaccard, c.hausdorff_pixels, c.hausdorff_mm, c.area_difference_pixels
(0.667, 0.5, 3.0, 6.0, 1)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from scipy import ndimage

from overlay_core.dataset.spacing import pixel_spacing
from overlay_core.errors import InvalidArgumentError
from overlay_core.planes.placement import image_mask

__all__ = ["Comparison", "compare_masks", "compare_planes"]


@dataclass(frozen=True)
class Comparison:
    """How two planes (A and B) agree. Areas in mm² and distances in mm are ``None`` without spacing."""

    a_pixels: int
    b_pixels: int
    intersection: int
    union: int
    dice: float | None
    jaccard: float | None
    hausdorff_pixels: float | None
    hausdorff_mm: float | None
    area_difference_pixels: int
    area_difference_mm2: float | None

    def document(self) -> dict[str, Any]:
        """Return the comparison as a JSON-ready dict."""
        return asdict(self)


def _directed(a: NDArray[np.bool_], b: NDArray[np.bool_], sampling: tuple[float, float]) -> float:
    """Largest distance from a pixel of ``a`` to the nearest pixel of ``b`` (both non-empty)."""
    union = a | b
    rows, cols = np.flatnonzero(union.any(axis=1)), np.flatnonzero(union.any(axis=0))
    box = slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)
    # Every pixel of b lies in the box, so the distance to b computed there is exact.
    distance = ndimage.distance_transform_edt(~b[box], sampling=sampling)
    return float(distance[a[box]].max())


def _hausdorff(a: NDArray[np.bool_], b: NDArray[np.bool_], sampling: tuple[float, float]) -> float | None:
    worst = 0.0
    seen = False
    for fa, fb in zip(a, b, strict=True):
        has_a, has_b = bool(fa.any()), bool(fb.any())
        if has_a != has_b:
            return None
        if has_a:
            seen = True
            worst = max(worst, _directed(fa, fb, sampling), _directed(fb, fa, sampling))
    return worst if seen else None


def compare_masks(a: NDArray[np.bool_], b: NDArray[np.bool_],
                  spacing: tuple[float, float] | None = None) -> Comparison:
    """Compare two image-space ``(frames, rows, cols)`` masks; ``spacing`` is (row, column) mm."""
    if a.shape != b.shape:
        raise InvalidArgumentError(
            f"The planes cannot be compared: their images are {a.shape} and {b.shape}."
        )
    na, nb = int(np.count_nonzero(a)), int(np.count_nonzero(b))
    inter, union = int(np.count_nonzero(a & b)), int(np.count_nonzero(a | b))
    pixel_area = spacing[0] * spacing[1] if spacing else None
    hd = _hausdorff(a, b, (1.0, 1.0))
    return Comparison(
        a_pixels=na, b_pixels=nb, intersection=inter, union=union,
        dice=2 * inter / (na + nb) if na + nb else None,
        jaccard=inter / union if union else None,
        hausdorff_pixels=hd,
        hausdorff_mm=_hausdorff(a, b, spacing) if spacing and hd is not None else None,
        area_difference_pixels=nb - na,
        area_difference_mm2=(nb - na) * pixel_area if pixel_area else None,
    )


def compare_planes(ds: Dataset, a: int, b: int, other: Dataset | None = None) -> Comparison:
    """Compare plane ``a`` of ``ds`` with plane ``b`` of ``other`` (default: of ``ds`` too).

    The spacing is ``ds``'s.

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        If a plane is absent or unusable.
    InvalidArgumentError
        If the two images differ in size or number of frames.
    """
    first = image_mask(ds, a)
    second = image_mask(ds if other is None else other, b)
    if first.shape != second.shape:
        raise InvalidArgumentError(
            f"The two images differ in size: {' x '.join(map(str, first.shape))} and "
            f"{' x '.join(map(str, second.shape))} (frames x rows x columns)."
        )
    return compare_masks(first, second, pixel_spacing(ds))
