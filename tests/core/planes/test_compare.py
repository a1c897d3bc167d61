"""One comparison of planes (``planes.compare``): storage is not a difference, meaning is."""

from __future__ import annotations

from dataclasses import fields

import pytest
from pydicom.dataset import Dataset

from overlay_core.errors import WriteCheckError
from overlay_core.model import OverlayPlane
from overlay_core.planes.changes import plane_changes
from overlay_core.planes.compare import (
    ATTRIBUTES,
    check_readback,
    differences,
    first_difference,
    no_difference,
    shown_on_export,
)
from overlay_core.planes.reading import load, read_plane
from overlay_core.planes.writing import to_bytes
from tests import builders as b

MASK = b.random_mask((1, 5, 7), seed=4)  # 35 bits: 5 bytes of Overlay Data, one pad byte


def _dataset(data_vr: str = "OW", pad: bool = True) -> Dataset:
    ds = b.image_dataset(8, 8)
    return b.add_plane(ds, 0x6000, MASK, data=b.encode_mask(MASK, pad=pad), data_vr=data_vr, label="L")


def _file(data_vr: str = "OW") -> bytes:
    return b.to_file_bytes(_dataset(data_vr))


def test_ob_and_ow_are_not_a_difference() -> None:
    ow, ob = load(_file("OW")), load(_file("OB"))
    assert (read_plane(ow, 0x6000).vr, read_plane(ob, 0x6000).vr) == ("OW", "OB")
    assert no_difference(ow, ob) and no_difference(ob, ow)
    assert differences(ow, ob) == [] and first_difference(ow, ob) is None


def test_a_pad_byte_is_not_a_difference() -> None:
    odd, padded = _dataset(pad=False), load(_file())  # as given, and as written (pydicom pads)
    assert (read_plane(odd, 0x6000).data_length, read_plane(padded, 0x6000).data_length) == (5, 6)
    assert no_difference(odd, padded) and no_difference(padded, odd)
    check_readback(odd, to_bytes(odd))  # the written file gains the pad byte and passes


def test_a_lost_plane_or_pixel_is_a_difference_said_in_a_sentence() -> None:
    ds = load(_file())
    empty = b.image_dataset(8, 8)
    assert not no_difference(ds, empty)
    assert first_difference(ds, empty) == "Group 6000 is missing from the written file."
    flipped = MASK.copy()
    flipped[0, 0, :2] = ~flipped[0, 0, :2]
    other = b.image_dataset(8, 8)
    b.add_plane(other, 0x6000, flipped, label="M")
    assert differences(ds, load(b.to_file_bytes(other))) == [
        "Group 6000 has Label 'M' instead of 'L'.",
        "Group 6000 differs in 2 of its 35 pixels (frame 1 first).",
    ]
    assert first_difference(ds, other) == (
        "Group 6000 has Label 'M' instead of 'L' (and 1 more difference(s))."
    )
    with pytest.raises(WriteCheckError, match=r"group 6000 has Label 'M' instead of 'L' \(and 1 more"):
        check_readback(ds, b.to_file_bytes(other))


def test_one_table_covers_every_plane_field_and_feeds_the_export_list() -> None:
    assert {a.field for a in ATTRIBUTES} == {f.name for f in fields(OverlayPlane)} - {"group"}
    storage = {a.field for a in ATTRIBUTES if not a.on_write}
    assert storage == {"vr", "data_length", "set_bits"}
    ds = load(_file())
    relabelled = load(_file())
    relabelled[0x60001500].value = "NEW"
    [change] = plane_changes(ds, relabelled)
    assert [(a.name, a.before, a.after) for a in change.attributes] == [("Label", "L", "NEW")]
    assert "Label" in {a.name for a in shown_on_export()}
