r"""Logical operators between two planes: union, intersect, subtract, xor, into a plane or a new one.

The planes are combined as placed on the image (each at its Overlay Origin, frame by image
frame), so planes of different sizes and origins combine where they overlap on the image.
The result is written as an image-sized plane at origin ``1\1``: one frame when neither
plane is frame-specific (both apply to every image frame), otherwise one frame per image
frame from Image Frame Origin 1.

>>> a, b = np.array([1, 1, 0, 0], bool), np.array([0, 1, 1, 0], bool)
>>> [combine_masks(a, b, op).astype(int).tolist() for op in ("union", "intersect", "subtract", "xor")]
[[1, 1, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0], [1, 0, 1, 0]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError
from overlay_core.model import Choice, OverlayPlane, group_hex, parse_group
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import overlay_groups, read_plane
from overlay_core.planes.writing import Attributes, delete_plane, first_free_group, set_plane

__all__ = ["LogicOp", "combine_masks", "logic"]


class LogicOp(Choice):
    """A logical operator: ``union``, ``intersect``, ``subtract`` (A and not B), ``xor``."""

    UNION = "union"
    INTERSECT = "intersect"
    SUBTRACT = "subtract"
    XOR = "xor"


def combine_masks(a: NDArray[np.bool_], b: NDArray[np.bool_], op: LogicOp | str) -> NDArray[np.bool_]:
    """Combine two masks of one shape."""
    op = LogicOp.coerce(op)
    if op is LogicOp.UNION:
        return a | b
    if op is LogicOp.INTERSECT:
        return a & b
    if op is LogicOp.SUBTRACT:
        return a & ~b
    return a ^ b


def logic(ds: Dataset, op: LogicOp | str, a: int, b: int, into: int | None = None) -> OverlayPlane:
    """Write ``a op b`` into plane ``into`` (replacing it) or, by default, a new plane.

    Raises
    ------
    PlaneNotFoundError, InvalidOverlayError
        If ``a`` or ``b`` holds no usable plane.
    InvalidArgumentError
        For an unknown operator, no free group, or an empty result (nothing is written).
    """
    op = LogicOp.coerce(op)
    first, second = read_plane(ds, a), read_plane(ds, b)
    result = combine_masks(image_mask(ds, a), image_mask(ds, b), op)
    if not result.any():
        raise InvalidArgumentError(
            f"{group_hex(a)} {op} {group_hex(b)} has no set pixel on the image; nothing was written."
        )
    target = first_free_group(ds) if into is None else parse_group(into)
    every_frame = not (first.frame_specific or second.frame_specific)
    stack = result[:1] if every_frame else result
    attrs = Attributes(origin=(1, 1), description=f"{group_hex(a)} {op} {group_hex(b)}",
                       image_frame_origin=None if every_frame else 1)
    if target in overlay_groups(ds) and target not in (a, b):
        delete_plane(ds, target)  # a plane replaced whole: none of its old attributes stay
    return set_plane(ds, target, stack, attrs)
