"""Derived objects in a series of the caller's choosing, and the check of one read back."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from overlay_core.errors import InvalidArgumentError
from overlay_core.interop.gsps import gsps_bytes
from overlay_core.interop.roundtrip import derived_difference, referenced_uids
from overlay_core.interop.secondary_capture import sc_bytes
from overlay_core.interop.seg import seg_bytes
from overlay_core.planes.reading import load
from tests import builders as b

MAKERS: dict[str, Callable[..., bytes]] = {"seg": seg_bytes, "gsps": gsps_bytes, "sc": sc_bytes}


@pytest.fixture(name="image")
def image_fixture() -> Dataset:
    return load(b.two_plane_file()[0])


@pytest.mark.parametrize("kind", MAKERS)
def test_objects_made_with_one_series_uid_share_that_series(kind: str, image: Dataset) -> None:
    uid = generate_uid()
    first, second = (load(MAKERS[kind](image, series_uid=uid)) for _ in range(2))
    assert first.SeriesInstanceUID == second.SeriesInstanceUID == uid
    assert first.SOPInstanceUID != second.SOPInstanceUID
    assert first.StudyInstanceUID == image.StudyInstanceUID
    default = load(MAKERS[kind](image))  # without one: a new series each time
    assert default.SeriesInstanceUID not in (uid, image.SeriesInstanceUID)


@pytest.mark.parametrize("kind", MAKERS)
def test_an_invalid_series_uid_is_one_sentence(kind: str, image: Dataset) -> None:
    with pytest.raises(InvalidArgumentError, match=r"^'1\.02\.x' is not a valid Series Instance UID\.$"):
        MAKERS[kind](image, series_uid="1.02.x")


def _flip_first_byte(ds: Dataset, tag: int) -> None:
    value = bytearray(ds[tag].value)
    value[0] ^= 0xFF
    ds[tag].value = bytes(value)


@pytest.mark.parametrize(("kind", "tag", "reason"), [
    ("seg", 0x7FE00010, r"^segment 1 differs in \d+ pixels on the image$"),
    ("gsps", 0x60003000, "^it shows plane 6000 differently on the image$"),
    ("sc", 0x7FE00010, "^its pixels differ$"),
])
def test_the_check_finds_changed_content(kind: str, tag: int, reason: str, image: Dataset) -> None:
    data = MAKERS[kind](image)
    sent = load(data)
    assert derived_difference(sent, load(data), image) is None
    found = load(data)
    _flip_first_byte(found, tag)
    difference = derived_difference(sent, found, image)
    assert difference is not None
    assert re.match(reason, difference), difference


@pytest.mark.parametrize("kind", MAKERS)
def test_the_check_finds_wrong_identity_and_references(kind: str, image: Dataset) -> None:
    sent = load(MAKERS[kind](image))
    other = copy.deepcopy(image)
    other.SOPInstanceUID = generate_uid()
    # The image as stored under another SOP Instance UID: the object references another instance.
    assert derived_difference(sent, sent, other) == "it references another instance than the image"
    moved = copy.deepcopy(image)
    moved.SeriesInstanceUID = generate_uid()
    if kind == "sc":  # a Secondary Capture names no series in its references
        assert derived_difference(sent, sent, moved) is None
    else:
        assert derived_difference(sent, sent, moved) == "it references another series than the image's"
    elsewhere = copy.deepcopy(image)
    elsewhere.StudyInstanceUID = generate_uid()
    assert derived_difference(sent, sent, elsewhere) == "it is not in the study of the image"
    renamed = copy.deepcopy(sent)
    renamed.SOPInstanceUID = generate_uid()
    assert derived_difference(sent, renamed, image) == (
        f"its SOP Instance UID is {renamed.SOPInstanceUID} instead of {sent.SOPInstanceUID}")
    sops, series = referenced_uids(sent)
    assert sops == {image.SOPInstanceUID}
    assert series == (set() if kind == "sc" else {image.SeriesInstanceUID})


def test_the_check_names_segment_attributes(image: Dataset) -> None:
    data = seg_bytes(image)
    sent, found = load(data), load(data)
    found.SegmentSequence[0].SegmentLabel = "Other"
    assert derived_difference(sent, found, image) == (
        "its segment labels, descriptions or algorithm types differ")
    found = load(data)
    found.SOPClassUID = sent.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    assert derived_difference(sent, found, image) == (
        "it is not a SEG, a presentation state, a Secondary Capture or an RT Structure Set")
