"""``overlay_core.interop.new_planes``: imported masks become planes on every image, or on none."""

from __future__ import annotations

import numpy as np
import pytest

from overlay_core.errors import OverlayError
from overlay_core.interop.new_planes import add_planes, crop_plane, free_groups
from overlay_core.planes.reading import overlay_groups, read_plane
from overlay_core.planes.writing import Attributes, set_plane
from tests.builders import image_dataset


def test_planes_go_where_their_mask_has_pixels_in_groups_free_on_every_image() -> None:
    first, second = image_dataset(8, 10), image_dataset(8, 10)
    set_plane(second, 0x6000, np.ones((2, 2), bool))
    free = free_groups([first, second])
    assert free[0] == 0x6002 and 0x6000 not in free
    mask = np.zeros((8, 10), bool)
    mask[2:4, 3:6] = True
    planes = add_planes([first, second], [(free[0], [mask, np.zeros_like(mask)], Attributes(origin=(1, 1)))])
    assert [[p.group for p in ps] for ps in planes] == [[0x6002], []]
    assert overlay_groups(second) == [0x6000] and read_plane(first, 0x6002).set_bits == 6


def test_one_plane_that_cannot_be_set_changes_no_image() -> None:
    first, second = image_dataset(8, 10), image_dataset(8, 10)
    good, bad = np.ones((8, 10), bool), np.ones((2, 2, 2, 2), bool)  # a 4-D mask is no plane
    with pytest.raises(OverlayError):
        add_planes([first, second], [(0x6000, [good, good], Attributes(origin=(1, 1))),
                                     (0x6002, [good, bad], Attributes(origin=(1, 1)))])
    assert overlay_groups(first) == [] and overlay_groups(second) == []


def test_crop_keeps_the_pixels_where_they_are_and_drops_empty_frames() -> None:
    ds = image_dataset(8, 10, frames=4)
    mask = np.zeros((4, 8, 10), bool)
    mask[1:3, 2:4, 5:7] = True
    (plane,) = add_planes([ds], [(0x6000, [mask], Attributes(origin=(1, 1)))], then=crop_plane)[0]
    assert (plane.rows, plane.columns, plane.frames, plane.origin) == (2, 2, 2, (3, 6))
    assert plane.image_frame_origin == 2
