"""Undo/redo: exact bytes back, labels, bounds, embedded planes, raw (unparsed) elements."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.examples import get_path

from overlay_core.edit import apply as edit
from overlay_core.edit import operations
from overlay_core.edit.history import History
from overlay_core.errors import InvalidArgumentError
from overlay_core.planes.reading import load, read_plane, unpack_plane
from overlay_core.planes.writing import (
    Attributes,
    delete_plane,
    migrate_embedded,
    new_plane,
    set_attributes,
    to_bytes,
)
from tests import builders as b


def dataset() -> Dataset:
    ds = b.image_dataset(16, 20)
    b.add_plane(ds, 0x6000, b.random_mask((16, 20), seed=1), origin=(1, 1))
    b.add_plane(ds, 0x6002, b.random_mask((5, 7), seed=2), origin=(3, 4))
    return load(b.to_file_bytes(ds))  # elements stay raw until something reads them


def test_undo_redo_restore_exact_bytes_through_many_edits() -> None:
    ds = dataset()
    history = History()
    states = [to_bytes(ds)]
    steps = [
        ("Draw", lambda: edit.apply_mask(ds, 0x6000, np.eye(16, 20, dtype=bool), "draw")),
        ("Erase", lambda: edit.apply_mask(ds, 0x6002, np.arange(7) < 3 + np.zeros((5, 1)), "erase")),
        ("Crop", lambda: operations.crop_to_content(ds, 0x6002)),
        ("Move", lambda: operations.move(ds, 0x6000, (-3, 2))),
        ("Label", lambda: set_attributes(ds, 0x6000, Attributes(label="EDITED", type="R"))),
        ("New plane", lambda: new_plane(ds)),
        ("Delete", lambda: delete_plane(ds, 0x6002)),
    ]
    for label, step in steps:
        assert history.record(ds, label)
        step()
        states.append(to_bytes(ds))
    assert len(set(states)) == len(states)  # every step changed the file
    assert history.undo_labels == [label for label, _ in reversed(steps)]
    for i in range(len(steps), 0, -1):
        assert history.undo(ds) == steps[i - 1][0]
        assert to_bytes(ds) == states[i - 1]
    assert not history.can_undo and history.undo(ds) is None
    for i in range(1, len(steps) + 1):
        assert history.redo(ds) == steps[i - 1][0]
        assert to_bytes(ds) == states[i]
    assert not history.can_redo and history.redo(ds) is None


def test_labels_and_redo_is_dropped_by_a_new_change() -> None:
    ds = dataset()
    history = History()
    assert (history.undo_label, history.redo_label) == (None, None)
    history.record(ds, "Draw")
    operations.clear(ds, 0x6000)
    history.undo(ds)
    assert (history.undo_label, history.redo_label, history.can_redo) == (None, "Draw", True)
    history.record(ds, "Invert")
    operations.invert(ds, 0x6000)
    assert (history.undo_label, history.can_redo, len(history)) == ("Invert", False, 1)


def test_a_step_that_fails_half_way_is_rolled_back() -> None:
    ds = dataset()
    history = History()
    with history.change(ds, "Earlier"):
        operations.clear(ds, 0x6002)
    before = to_bytes(ds)
    with pytest.raises(InvalidArgumentError), history.change(ds, "Two calls"):
        new_plane(ds, np.ones((16, 20), bool))  # the first call succeeds: group 6004 exists now
        migrate_embedded(ds, 0x6000)  # the second fails: 6000 is not embedded
    assert to_bytes(ds) == before and 0x60040010 not in ds
    assert history.undo_labels == ["Earlier"] and not history.can_redo


def test_embedded_pixel_data_is_restored_after_a_failed_step() -> None:
    data, _ = b.embedded_file()
    ds = load(data)
    before = to_bytes(ds)
    history = History()
    with pytest.raises(InvalidArgumentError), history.change(ds, "Migrate then fail"):
        migrate_embedded(ds, 0x6002)  # clears the plane's bit in Pixel Data
        operations.invert(ds, 0x6002, frame=9)  # then fails: the plane has one frame
    assert to_bytes(ds) == before


def test_change_context_drops_failed_and_empty_steps() -> None:
    ds = dataset()
    history = History()
    before = to_bytes(ds)
    with pytest.raises(InvalidArgumentError), history.change(ds, "Bad"):
        edit.apply_mask(ds, 0x6000, np.ones((2, 2)), "draw")
    assert not history.can_undo and to_bytes(ds) == before
    with history.change(ds, "Nothing"):
        edit.apply_mask(ds, 0x6000, np.zeros((16, 20), bool), "draw")  # OR with nothing
    assert not history.can_undo
    with history.change(ds, "Clear"):
        operations.clear(ds, 0x6000)
    assert history.undo_label == "Clear"
    history.undo(ds)
    assert to_bytes(ds) == before


def test_a_failed_change_keeps_the_redo_steps() -> None:
    ds = dataset()
    history = History()
    with history.change(ds, "Clear"):
        operations.clear(ds, 0x6000)
    history.undo(ds)
    with pytest.raises(InvalidArgumentError), history.change(ds, "Bad"):
        operations.invert(ds, 0x6000, frame=9)
    assert history.redo_label == "Clear"


def test_bounded_by_items() -> None:
    ds = dataset()
    history = History(max_items=3)
    for i in range(5):
        history.record(ds, f"step {i}")
        operations.invert(ds, 0x6000)
    assert history.undo_labels == ["step 4", "step 3", "step 2"]


def test_bounded_by_memory() -> None:
    ds = b.image_dataset(16, 20)
    ds = load(b.to_file_bytes(ds))
    big = np.zeros((400, 400), bool)
    edit.apply_mask(ds, 0x6000, big, "replace", "plane", frame=None)  # 20000 bytes of Overlay Data
    history = History(max_bytes=50_000)
    for i in range(6):
        assert history.record(ds, f"step {i}")
        operations.invert(ds, 0x6000)  # a new 20000-byte value each time
    assert 1 <= len(history) <= 2 and history.nbytes <= 50_000
    assert history.undo_label == "step 5"
    tiny = History(max_bytes=1000)
    assert tiny.record(ds, "too big") is False and not tiny.can_undo


def test_shared_values_are_counted_once() -> None:
    ds = dataset()
    history = History()
    history.record(ds, "a")
    one = history.nbytes
    history.record(ds, "b")  # nothing changed between: the same bytes objects
    assert history.nbytes - one < 2000


def test_migrating_an_embedded_plane_is_undone_with_pixel_data() -> None:
    data, masks = b.embedded_file()
    ds = load(data)
    group = next(iter(masks))
    before = to_bytes(ds)
    history = History()
    with history.change(ds, "Migrate"):
        migrate_embedded(ds, group)
    after = to_bytes(ds)
    assert after != before and not read_plane(ds, group).embedded
    history.undo(ds)
    assert to_bytes(ds) == before and read_plane(ds, group).embedded
    assert (unpack_plane(ds, group)[1] == masks[group]).all()
    history.redo(ds)
    assert to_bytes(ds) == after


def test_the_pydicom_overlay_example_round_trips() -> None:
    ds = load(get_path("overlay").read_bytes())
    before = to_bytes(ds)
    history = History()
    with history.change(ds, "Erase all"):
        operations.clear(ds, 0x6000)
    history.undo(ds)
    assert to_bytes(ds) == before


def test_in_place_value_changes_do_not_leak_into_snapshots() -> None:
    ds = dataset()
    history = History()
    history.record(ds, "Origin")
    ds[0x60000050].value = [9, 9]  # pydicom changes the element in place
    history.undo(ds)
    assert read_plane(ds, 0x6000).origin == (1, 1)


def test_bad_limits() -> None:
    with pytest.raises(InvalidArgumentError, match="max_items >= 1"):
        History(max_items=0)
