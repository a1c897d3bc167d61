"""copy_frame: one plane frame to the next image frame or to every image frame, or a clear error."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from pydicom.dataset import Dataset

from overlay_core.edit.frames import CopyTarget, copy_frame
from overlay_core.errors import InvalidArgumentError
from overlay_core.planes.placement import frame_map
from overlay_core.planes.reading import plane_bits, read_plane
from overlay_core.planes.writing import Attributes, set_plane


def image(frames: int) -> Dataset:
    ds = Dataset()
    ds.Rows, ds.Columns, ds.NumberOfFrames = 3, 4, frames
    return ds


def two_frames(origin: int = 2) -> tuple[Dataset, np.ndarray]:
    """A 4-frame image with a 2-frame plane on image frames ``origin`` and ``origin + 1`` (1-based)."""
    ds = image(4)
    mask = np.zeros((2, 3, 4), bool)
    mask[0, 0, 0] = True
    mask[1, 2, 3] = True
    set_plane(ds, 0x6000, mask, Attributes(image_frame_origin=origin))
    return ds, mask


def test_copy_to_the_next_frame_overwrites_it() -> None:
    ds, mask = two_frames()
    plane = copy_frame(ds, 0x6000, 0, CopyTarget.NEXT)
    bits = plane_bits(ds, 0x6000)
    assert (plane.frames, plane.image_frame_origin) == (2, 2)
    assert np.array_equal(bits[0], mask[0]) and np.array_equal(bits[1], mask[0])


def test_copy_past_the_last_plane_frame_grows_the_plane_onto_the_next_image_frame() -> None:
    ds, mask = two_frames(origin=2)  # image frames 2 and 3 of 4
    plane = copy_frame(ds, 0x6000, 1, "next")
    assert (plane.frames, plane.image_frame_origin) == (3, 2)
    assert frame_map(plane, 4) == [(0, 1), (1, 2), (2, 3)]
    assert np.array_equal(plane_bits(ds, 0x6000)[2], mask[1])


def test_copy_to_all_covers_every_image_frame() -> None:
    ds, mask = two_frames(origin=3)
    plane = copy_frame(ds, 0x6000, 1, "all")
    assert (plane.frames, plane.image_frame_origin) == (4, 1)
    assert all(np.array_equal(frame, mask[1]) for frame in plane_bits(ds, 0x6000))


@pytest.mark.parametrize(
    ("make", "frame", "to", "message"),
    [
        (lambda: two_frames(origin=3)[0], 1, "next", "Image frame 4 is the last one"),
        (lambda: two_frames()[0], 2, "next", "Frame index 2 is out of range"),
        (lambda: two_frames()[0], 0, "sideways", "copy target"),
    ],
)
def test_bad_copies_say_why_and_change_nothing(
    make: Callable[[], Dataset], frame: int, to: str, message: str
) -> None:
    ds = make()
    elements = [(e.tag, e.value) for e in ds]
    with pytest.raises(InvalidArgumentError, match=message):
        copy_frame(ds, 0x6000, frame, to)
    assert [(e.tag, e.value) for e in ds] == elements


def test_a_plane_on_every_frame_or_a_single_frame_image_has_nothing_to_copy() -> None:
    ds = image(3)
    set_plane(ds, 0x6000, np.ones((3, 4), bool))  # no Image Frame Origin: on every image frame
    with pytest.raises(InvalidArgumentError, match="already applies to every image frame"):
        copy_frame(ds, 0x6000, 0, "next")
    single = image(1)
    set_plane(single, 0x6000, np.ones((3, 4), bool))
    with pytest.raises(InvalidArgumentError, match="single frame"):
        copy_frame(single, 0x6000, 0, "all")
    assert read_plane(single, 0x6000).frames == 1
