"""Clean Graphics on generated planes: names, IDs and dates (DejaVu, 8-16 px) beside graphics.

After cleaning, OCR of the result finds none of the words and at least 95 % of the
graphics' pixels remain: single- and multi-frame, standalone and embedded in Pixel Data.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset

from overlay_core.deid import ocr
from overlay_core.deid.clean import clean_graphics, find_text
from overlay_core.deid.profiles import deidentify
from overlay_core.planes.reading import load, overlay_groups, read_plane, tag, unpack_plane
from overlay_core.planes.writing import checked_bytes
from tests import builders as b
from tests.deid_support import found_words, kept_share, text_plane


def _left(bits: np.ndarray, words: tuple[tuple[str, ...], ...]) -> dict[int, set[str]]:
    """Per frame, the words OCR still reads in ``bits``."""
    out = {}
    for f in range(bits.shape[0]):
        left = found_words([w.text for w in ocr.words_in(bits[f])], words[f])
        if left:
            out[f] = left
    return out


def test_words_are_found_before_cleaning() -> None:
    plane = text_plane(256, 320, sizes=(8, 12, 16))
    read = found_words([w.text for w in ocr.words_in(plane.bits[0])], plane.words[0])
    assert len(read) >= len(plane.words[0]) - 2  # most words are read exactly, before any cleaning


@pytest.mark.parametrize("font_name", ["DejaVuSans.ttf", "DejaVuSansMono.ttf", "DejaVuSerif.ttf"])
def test_single_frame_standalone(font_name: str) -> None:
    plane = text_plane(512, 512, sizes=(8, 10, 12, 16), font_name=font_name)
    ds = b.image_dataset(512, 512)
    b.add_plane(ds, 0x6000, plane.bits, label="SMITH", description="Patient John Smith")
    ds.add_new(0x60004000, "LT", "burned in by the scanner for J. Smith")
    ds.OverlayDate, ds.OverlayTime = "20240311", "101500"
    report = deidentify(ds, "clean-graphics")
    _, after, _ = unpack_plane(ds, 0x6000)
    assert _left(after, plane.words) == {}
    assert kept_share(plane.graphics, after) >= 0.95
    assert kept_share(plane.text, after) <= 0.05  # the text's own pixels are gone too
    assert not (after & ~plane.bits).any()  # nothing is drawn, only erased
    for element in (0x1500, 0x0022, 0x4000):
        assert tag(0x6000, element) not in ds
    assert "OverlayDate" not in ds and "OverlayTime" not in ds
    entry = report["planes"][0]
    assert entry["action"] == "cleaned" and entry["pixels_erased"] > 0
    assert entry["attributes_removed"] == ["Overlay Label", "Overlay Description", "Overlay Comments"]
    assert all(w["removed"] and len(w["box"]) == 4 for f in entry["frames"] for w in f["words"])
    assert report["code"] == {"value": "113103", "scheme": "DCM", "meaning": "Clean Graphics Option"}
    assert "PatientIdentityRemoved" not in ds
    reread = load(checked_bytes(ds))
    assert reread.DeidentificationMethodCodeSequence[0].CodeValue == "113103"


def test_multi_frame_every_frame_is_read() -> None:
    plane = text_plane(256, 384, frames=3, sizes=(9, 12))
    ds = b.image_dataset(256, 384, frames=3)
    b.add_plane(ds, 0x6002, plane.bits, frames_attr=3, image_frame_origin=1)
    report = deidentify(ds, "clean-graphics")
    _, after, _ = unpack_plane(ds, 0x6002)
    assert after.shape == (3, 256, 384)
    assert _left(after, plane.words) == {}
    assert kept_share(plane.graphics, after) >= 0.95
    assert {f["frame"] for f in report["planes"][0]["frames"]} == {1, 2, 3}


def test_embedded_plane_is_cleaned_and_image_pixels_stay() -> None:
    plane = text_plane(256, 256, sizes=(10, 14))
    ds = b.image_dataset(256, 256, bits_allocated=16, bits_stored=12)
    b.add_embedded_plane(ds, 0x6000, plane.bits, bit_position=15)
    before = np.frombuffer(ds.PixelData, "<u2").copy()
    report = deidentify(ds, "clean-graphics")
    after_words = np.frombuffer(ds.PixelData, "<u2")
    assert np.array_equal(after_words & 0x0FFF, before & 0x0FFF)  # the image, bit for bit
    assert not (after_words >> 12).any()  # the plane left Pixel Data ...
    cleaned = read_plane(ds, 0x6000)
    assert not cleaned.embedded  # ... for (60xx,3000)
    _, bits, _ = unpack_plane(ds, 0x6000)
    assert _left(bits, plane.words) == {}
    assert kept_share(plane.graphics, bits) >= 0.95
    assert report["planes"][0]["action"] == "cleaned (moved out of Pixel Data)"
    load(checked_bytes(ds))


def test_graphics_only_plane_is_unchanged() -> None:
    plane = text_plane(256, 256, sizes=(10,))
    ds = b.image_dataset(256, 256)
    b.add_plane(ds, 0x6000, plane.graphics)
    data = bytes(ds[0x60003000].value)
    report = deidentify(ds, "clean-graphics")
    assert bytes(ds[0x60003000].value) == data
    assert report["planes"][0]["action"] == "unchanged" and report["planes"][0]["pixels_erased"] == 0


def test_reviewer_can_keep_a_word() -> None:
    plane = text_plane(200, 300, sizes=(12,))
    ds = b.image_dataset(200, 300)
    b.add_plane(ds, 0x6000, plane.bits)
    found = find_text(ds)
    assert found and all(f.group == 0x6000 and f.frame == 0 for f in found)
    kept = found[0]
    report = clean_graphics(ds, found, keep={kept.id})
    _, after, _ = unpack_plane(ds, 0x6000)
    top, left, bottom, right = kept.box
    assert np.array_equal(after[0, top:bottom, left:right], plane.bits[0, top:bottom, left:right])
    words = report["planes"][0]["frames"][0]["words"]
    assert [w["removed"] for w in words] == [w["id"] != kept.id for w in words]


def test_unreadable_group_is_removed() -> None:
    ds = b.image_dataset(16, 20)
    b.add_plane(ds, 0x6000, np.ones((16, 20), bool))
    ds.add_new(0x60020010, "US", 4)  # a group with rows only: not a plane
    report = clean_graphics(ds)
    assert overlay_groups(ds) == [0x6000]
    assert report["planes"][1]["action"] == "removed" and "unusable" in report["planes"][1]


def test_header_deidentified_only_when_said() -> None:
    ds = Dataset()
    deidentify(ds, "clean-graphics", header_deidentified=True)
    assert ds.PatientIdentityRemoved == "YES"
