"""Writing planes and serialising: round trips through pydicom.dcmread, nothing else touched."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pydicom.dataset import Dataset
from pydicom.uid import RLELossless

from overlay_core.errors import InvalidArgumentError, OverlayError, PlaneNotFoundError, UnsupportedError
from overlay_core.planes.reading import load, overlay_groups, plane_bits, read_plane, unpack_plane
from overlay_core.planes.writing import (
    Attributes,
    delete_plane,
    first_free_group,
    migrate_embedded,
    new_plane,
    set_attributes,
    set_plane,
    to_bytes,
)
from tests import builders as b


def reread(ds: Dataset) -> Dataset:
    """Serialise with our writer and read back with plain pydicom (not our loader)."""
    return pydicom.dcmread(io.BytesIO(to_bytes(ds)))


def non_overlay(ds: Dataset) -> dict[int, tuple[str, object]]:
    return {int(e.tag): (e.VR, e.value) for e in ds if not 0x6000 <= e.tag.group <= 0x60FF}


shapes = st.tuples(st.integers(1, 3), st.integers(1, 19), st.integers(1, 19))


@settings(max_examples=60, deadline=None)
@given(
    shapes.flatmap(lambda s: arrays(np.bool_, s)),
    st.tuples(st.integers(-30, 30), st.integers(-30, 30)),
    st.sampled_from(["G", "R"]),
    st.text(st.characters(min_codepoint=65, max_codepoint=90), max_size=10),
    st.sampled_from(list(range(0x6000, 0x6020, 2))),
)
def test_write_round_trip(
    mask: np.ndarray, origin: tuple[int, int], kind: str, label: str, group: int
) -> None:
    ds = b.image_dataset(5, 6, frames=2)
    written = set_plane(ds, group, mask, Attributes(origin=origin, type=kind, label=label))
    back = reread(ds)
    plane, bits, findings = unpack_plane(back, group)
    assert np.array_equal(bits, mask) and findings == []
    assert plane == written
    assert (plane.origin, plane.type.value, plane.label) == (origin, kind, label)
    elem = back[(group << 16) | 0x3000]
    assert elem.VR == "OW" and len(elem.value) % 2 == 0
    assert elem.value == b.encode_mask(mask)  # the standard's packing, independently coded
    assert (back[(group << 16) | 0x0100].value, back[(group << 16) | 0x0102].value) == (1, 0)


@pytest.mark.parametrize("builder", [b.two_plane_file, b.implicit_vr_file, b.rle_file, b.roi_file])
def test_writing_keeps_transfer_syntax_and_every_other_element(builder) -> None:  # type: ignore[no-untyped-def]
    data, _ = builder()
    ds = load(data)
    before = non_overlay(ds)
    ts = ds.file_meta.TransferSyntaxUID
    set_plane(ds, 0x6010, b.random_mask((1, 3, 4), seed=20), Attributes(label="NEW"))
    back = reread(ds)
    assert back.file_meta.TransferSyntaxUID == ts
    assert non_overlay(back) == before
    assert np.array_equal(plane_bits(back, 0x6010), b.random_mask((1, 3, 4), seed=20))


def test_rle_pixel_data_is_untouched_byte_for_byte() -> None:
    data, _ = b.rle_file()
    ds = load(data)
    original = bytes(ds.PixelData)
    set_plane(ds, 0x6000, np.ones((16, 16), bool))
    new_plane(ds, np.ones((2, 3), bool))
    delete_plane(ds, 0x6000)
    assert bytes(reread(ds).PixelData) == original


@pytest.mark.corpus
def test_jpeg_pixel_data_of_corpus_file_is_untouched(corpus: Path) -> None:
    raw = (corpus / "OutOfBoundsOverlay.dcm").read_bytes()
    ds = load(raw)
    original = bytes(ds.PixelData)
    set_plane(ds, 0x6000, ~plane_bits(ds, 0x6000))
    back = reread(ds)
    assert bytes(back.PixelData) == original
    assert back.file_meta.TransferSyntaxUID == pydicom.dcmread(io.BytesIO(raw)).file_meta.TransferSyntaxUID
    assert np.array_equal(plane_bits(back, 0x6002), plane_bits(load(raw), 0x6002))


def test_new_plane_defaults_and_first_free_group() -> None:
    data, _ = b.two_plane_file()
    ds = load(data)
    assert first_free_group(ds) == 0x6004
    plane = new_plane(ds)
    assert plane.group == 0x6004 and plane.shape == (1, 16, 20) and plane.set_bits == 0
    assert (plane.origin, plane.type.value, plane.subtype) == ((1, 1), "G", "USER")


def test_sixteen_group_limit() -> None:
    data, _ = b.all_groups_file()
    ds = load(data)
    before = to_bytes(ds)
    with pytest.raises(InvalidArgumentError, match="already has 16 overlay planes"):
        new_plane(ds, np.ones((2, 2), bool))
    assert to_bytes(ds) == before


def test_replace_may_change_size_and_keeps_attributes() -> None:
    data, _ = b.roi_file()
    ds = load(data)
    plane = set_plane(ds, 0x6000, np.ones((3, 4), bool))
    assert plane.shape == (1, 3, 4)
    assert (plane.type.value, plane.label, plane.roi_area) == ("R", "LESION", 24)


def test_set_attributes_and_clear_statistics() -> None:
    data, _ = b.roi_file()
    ds = load(data)
    plane = set_attributes(ds, 0x6000, Attributes(origin=(-2, 5), label="X", clear_roi_statistics=True))
    back = read_plane(reread(ds), 0x6000)
    assert back == plane and back.origin == (-2, 5) and back.roi_area is None and back.label == "X"


@pytest.mark.parametrize("bits_allocated", [16, 8])
def test_migrate_embedded_plane(bits_allocated: int) -> None:
    data, masks = b.embedded_file(bits_allocated, frames=2)
    ds = load(data)
    before = np.frombuffer(ds.PixelData, f"<u{bits_allocated // 8}").copy()
    top = bits_allocated - 1
    plane = migrate_embedded(ds, 0x6000)
    back = reread(ds)
    assert not plane.embedded and plane.shape == (2, 9, 11)
    assert np.array_equal(plane_bits(back, 0x6000), masks[0x6000])
    assert np.array_equal(plane_bits(back, 0x6002), masks[0x6002])  # the other plane is kept
    after = np.frombuffer(back.PixelData, f"<u{bits_allocated // 8}")
    assert not (after >> top & 1).any()                                # its bit is cleared...
    assert np.array_equal(after, before & ~np.array(1 << top, before.dtype))  # ...and nothing else


def test_migrate_refuses_standalone_and_compressed() -> None:
    data, _ = b.two_plane_file()
    with pytest.raises(InvalidArgumentError, match="not embedded in Pixel Data"):
        migrate_embedded(load(data), 0x6000)
    ds = b.image_dataset(8, 8, bits_stored=12)
    ds.compress(RLELossless)
    for element, value in ((0x10, 8), (0x11, 8), (0x100, 16), (0x102, 15)):
        ds.add_new(0x60000000 | element, "US", value)
    ds = load(b.to_file_bytes(ds))
    before = to_bytes(ds)
    for call in (delete_plane, migrate_embedded, lambda ds, g: set_plane(ds, g, np.ones((8, 8)))):
        with pytest.raises(UnsupportedError, match=r"embedded in compressed Pixel Data \(RLE Lossless\)"):
            call(ds, 0x6000)
        assert to_bytes(ds) == before


def test_delete_removes_every_element() -> None:
    data, _ = b.roi_file()
    ds = load(data)
    delete_plane(ds, 0x6000)
    back = reread(ds)
    assert overlay_groups(back) == [] and not any(int(t) >> 16 == 0x6000 for t in back.keys())
    with pytest.raises(PlaneNotFoundError, match="no overlay plane in group 6000"):
        delete_plane(ds, 0x6000)


def test_delete_embedded_clears_its_bit() -> None:
    data, masks = b.embedded_file(16)
    ds = load(data)
    delete_plane(ds, 0x6000)
    back = load(to_bytes(ds))
    assert overlay_groups(back) == [0x6002]
    assert not (np.frombuffer(back.PixelData, "<u2") >> 15).any()
    assert np.array_equal(plane_bits(back, 0x6002), masks[0x6002])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda ds: set_plane(ds, 0x6001, np.ones((2, 2))), InvalidArgumentError, "not an overlay group"),
        (lambda ds: set_plane(ds, 0x6000, np.ones((1, 1, 2, 2))), InvalidArgumentError, "2 or 3 dimensions"),
        (lambda ds: set_plane(ds, 0x6000, np.ones((2, 2)), Attributes(label="a\\b")), InvalidArgumentError,
         "backslashes"),
        (lambda ds: set_plane(ds, 0x6002, np.ones((2, 2)), Attributes(origin=(40000, 1))),
         InvalidArgumentError, "between -32768 and 32767"),
        (lambda ds: set_attributes(ds, 0x6000, Attributes(type="X")), InvalidArgumentError, "must be"),
        (lambda ds: set_attributes(ds, 0x6000, Attributes(roi_mean=float("nan"))), InvalidArgumentError,
         "finite"),
        (lambda ds: set_attributes(ds, 0x6008, Attributes(label="x")), PlaneNotFoundError, "group 6008"),
        (lambda ds: migrate_embedded(ds, 0x6000), InvalidArgumentError, "not embedded"),
    ],
)
def test_failed_calls_leave_the_dataset_unchanged(call, error: type, message: str) -> None:  # type: ignore[no-untyped-def]
    data, _ = b.two_plane_file()
    ds = load(data)
    snapshot = copy.deepcopy(ds)
    before = to_bytes(ds)
    with pytest.raises(error, match=message):
        call(ds)
    assert to_bytes(ds) == before
    assert ds == snapshot


def test_new_sop_instance_uid() -> None:
    data, _ = b.two_plane_file()
    ds = load(data)
    uid = ds.SOPInstanceUID
    back = pydicom.dcmread(io.BytesIO(to_bytes(ds, new_sop_instance_uid=True)))
    assert back.SOPInstanceUID != uid
    assert back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID
    assert ds.SOPInstanceUID == uid  # the dataset itself is unchanged
    assert pydicom.dcmread(io.BytesIO(to_bytes(ds))).SOPInstanceUID == uid


def test_a_file_without_sop_instance_uid_needs_a_new_one() -> None:
    # dwv_leadtools-8BitsJpegLossyGrayScale.dcm: empty (0008,0018), no (0002,0003).
    ds = load(b.to_file_bytes(b.image_dataset(4, 4)))
    del ds.file_meta.MediaStorageSOPInstanceUID
    ds.SOPInstanceUID = ""
    with pytest.raises(OverlayError, match=r"no SOP Instance UID.*give it a new SOP Instance UID"):
        to_bytes(ds)
    assert ds.SOPInstanceUID == ""
    back = pydicom.dcmread(io.BytesIO(to_bytes(ds, new_sop_instance_uid=True)))
    assert back.SOPInstanceUID and back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID


def test_headerless_input_gets_file_meta_in_the_same_transfer_syntax() -> None:
    source = b.image_dataset(4, 4, transfer_syntax=pydicom.uid.ImplicitVRLittleEndian)
    ds = load(b.to_file_bytes(source, file_meta=False))
    set_plane(ds, 0x6000, np.eye(4, dtype=bool))
    back = reread(ds)
    assert back.file_meta.TransferSyntaxUID == pydicom.uid.ImplicitVRLittleEndian
    assert np.array_equal(plane_bits(back, 0x6000)[0], np.eye(4, dtype=bool))


def test_to_bytes_with_a_new_uid_leaves_the_callers_dataset_as_it_was() -> None:
    from overlay_core.planes.reading import load as _load
    from overlay_core.planes.writing import to_bytes as _to_bytes
    from tests import builders as _b

    ds = _load(_b.two_plane_file()[0])
    before_meta = ds.file_meta.MediaStorageSOPInstanceUID
    before_uid = ds.SOPInstanceUID
    written = _load(_to_bytes(ds, new_sop_instance_uid=True))
    assert written.SOPInstanceUID != before_uid
    assert written.file_meta.MediaStorageSOPInstanceUID == written.SOPInstanceUID
    assert ds.SOPInstanceUID == before_uid
    assert ds.file_meta.MediaStorageSOPInstanceUID == before_meta
