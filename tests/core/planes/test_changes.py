"""overlay_core.planes.changes: what changed between the loaded and the edited dataset."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from pydicom.dataset import Dataset

from overlay_core.planes.changes import AttributeChange, ChangeKind, PlaneChange, plane_changes
from overlay_core.planes.writing import Attributes, delete_plane, set_attributes, set_plane


def image(rows: int = 8, cols: int = 8) -> Dataset:
    ds = Dataset()
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PixelRepresentation = 1, "MONOCHROME2", 0
    ds.PixelData = bytes(rows * cols)
    return ds


@pytest.fixture
def loaded() -> Dataset:
    ds = image()
    mask = np.zeros((8, 8), bool)
    mask[2:4, 2:4] = True
    set_plane(ds, 0x6000, mask, Attributes(label="A"))
    return ds


def test_unchanged_dataset_has_no_changes(loaded: Dataset) -> None:
    assert plane_changes(loaded, copy.deepcopy(loaded)) == []


def test_added_plane_counts_its_pixels(loaded: Dataset) -> None:
    after = copy.deepcopy(loaded)
    set_plane(after, 0x6002, np.eye(8, dtype=bool))
    [change] = plane_changes(loaded, after)
    assert (change.group, change.kind, change.pixels_set, change.pixels_cleared) == (
        0x6002, ChangeKind.ADDED, 8, 0,
    )
    assert AttributeChange("Rows", None, 8) in change.attributes


def test_deleted_plane_counts_cleared_pixels(loaded: Dataset) -> None:
    after = copy.deepcopy(loaded)
    delete_plane(after, 0x6000)
    [change] = plane_changes(loaded, after)
    assert (change.kind, change.pixels_set, change.pixels_cleared) == (ChangeKind.DELETED, 0, 4)
    assert change.summary == "Plane 6000 deleted: 4 pixels cleared"


def test_drawn_and_erased_pixels(loaded: Dataset) -> None:
    after = copy.deepcopy(loaded)
    mask = np.zeros((8, 8), bool)
    mask[2, 2:5] = True  # keeps (2,2) and (2,3), adds (2,4), clears row 3
    set_plane(after, 0x6000, mask)
    [change] = plane_changes(loaded, after)
    assert (change.kind, change.pixels_set, change.pixels_cleared, change.attributes) == (
        ChangeKind.EDITED, 1, 2, (),
    )


def test_attribute_changes_before_and_after(loaded: Dataset) -> None:
    after = copy.deepcopy(loaded)
    set_attributes(after, 0x6000, Attributes(label="B", type="R", description="tumour"))
    [change] = plane_changes(loaded, after)
    assert change.attributes == (
        AttributeChange("Type", "G", "R"),
        AttributeChange("Label", "A", "B"),
        AttributeChange("Description", "", "tumour"),
    )
    assert change.summary == (
        "Plane 6000 edited: Type 'G' -> 'R', Label 'A' -> 'B', Description '' -> 'tumour'"
    )


def test_crop_that_keeps_pixels_in_place_changes_no_pixel(loaded: Dataset) -> None:
    after = copy.deepcopy(loaded)
    set_plane(after, 0x6000, np.ones((2, 2), bool), Attributes(origin=(3, 3)))
    [change] = plane_changes(loaded, after)
    assert (change.pixels_set, change.pixels_cleared) == (0, 0)
    names = [a.name for a in change.attributes]
    assert names == ["Rows", "Columns", "Origin"]
    assert change.attributes[2] == AttributeChange("Origin", (1, 1), (3, 3))


def test_moving_a_plane_moves_its_pixels(loaded: Dataset) -> None:
    after = copy.deepcopy(loaded)
    set_attributes(after, 0x6000, Attributes(origin=(2, 1)))  # one row down
    [change] = plane_changes(loaded, after)
    assert (change.pixels_set, change.pixels_cleared) == (2, 2)


def test_unusable_group_on_one_side_is_reported(loaded: Dataset) -> None:
    after = copy.deepcopy(loaded)
    after.add_new(0x60020010, "US", 4)  # a group with no data: not a usable plane
    [change] = plane_changes(loaded, after)
    assert (change.group, change.kind, change.unusable) == (0x6002, ChangeKind.ADDED, True)
    assert "not a usable plane" in change.summary


def test_summary_of_a_plain_change() -> None:
    assert PlaneChange(0x601E, ChangeKind.EDITED).summary == "Plane 601E edited"


def test_pixels_lost_outside_the_image_are_counted() -> None:
    """Resize drops set pixels that lay beyond the image; a move can push them off it."""
    from overlay_core.edit.operations import move, resize_to_image

    loaded = Dataset()
    loaded.Rows, loaded.Columns = 3, 3
    mask = np.zeros((4, 4), bool)
    mask[0, 0] = mask[3, 3] = mask[1, 2] = True  # (3, 3) lies beyond the 3 x 3 image
    set_plane(loaded, 0x6000, mask)

    resized = copy.deepcopy(loaded)
    resize_to_image(resized, 0x6000)
    [change] = plane_changes(loaded, resized)
    assert (change.pixels_dropped_outside, change.pixels_moved_outside) == (1, 0)
    assert (change.pixels_set, change.pixels_cleared) == (0, 0)  # nothing moved on the image
    assert "1 set pixel outside the image dropped" in change.summary

    moved = copy.deepcopy(loaded)
    move(moved, 0x6000, (2, 3))  # one row down, two columns right: (1, 2) leaves the image
    [change] = plane_changes(loaded, moved)
    assert (change.pixels_dropped_outside, change.pixels_moved_outside) == (0, 1)
    assert "1 set pixel moved outside the image (kept, not shown)" in change.summary
