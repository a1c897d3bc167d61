r"""(0028,0030) *Pixel Spacing*: the physical size of a pixel, for areas and distances in mm.

Pixel Spacing is ``row spacing\column spacing`` in mm: the first value is the distance
between the centres of adjacent *rows* (vertical), the second between adjacent *columns*
(horizontal) (PS3.3 10.7.1.3). They may differ.

>>> from pydicom.dataset import Dataset
>>> ds = Dataset(); ds.PixelSpacing = [0.5, 0.8]
>>> pixel_spacing(ds), pixel_spacing(Dataset())
((0.5, 0.8), None)
"""

from __future__ import annotations

import math

from pydicom.dataset import Dataset

from overlay_core.dataset.values import element_value

__all__ = ["pixel_spacing"]


def pixel_spacing(ds: Dataset) -> tuple[float, float] | None:
    r"""Return ``(row spacing, column spacing)`` in mm, or ``None`` when absent or unusable.

    Unusable: not two values, not numbers, or not positive and finite.

    >>> ds = Dataset(); ds.add_new(0x00280030, "DS", "0\\1")
    >>> pixel_spacing(ds) is None
    True
    """
    value = element_value(ds, 0x0028, 0x0030)
    if value is None or isinstance(value, (bytes, bytearray, str)):
        return None
    try:
        row, col = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) and v > 0 for v in (row, col)):
        return None
    return (row, col)
