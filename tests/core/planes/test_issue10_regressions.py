"""Regression tests for the crashes of issue 10: wrong VR/VM, deep sequences, odd-length
export, size claims, and errors other than OverlayError."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset

from overlay_core.audit.diagnostics import diagnose
from overlay_core.dataset.copies import copy_dataset
from overlay_core.edit import operations
from overlay_core.edit.history import History
from overlay_core.errors import LimitError, NotDicomError, OverlayError, WriteCheckError
from overlay_core.planes.compare import check_readback, differences
from overlay_core.planes.reading import load, plane_bits, read_planes
from overlay_core.planes.writing import delete_plane, set_plane, to_bytes
from studio import state
from studio.export import checked_bytes
from tests import builders as b


def _plane_file(element: int, vr: str, value: object) -> Dataset:
    ds = b.image_dataset(8, 8)
    b.add_plane(ds, 0x6000, np.eye(8, dtype=bool), origin=(2, 3))
    ds.add_new(0x60000000 | element, vr, value)
    return load(b.to_file_bytes(ds))


@pytest.mark.parametrize(("vr", "value"), [("DS", "3"), ("FL", 3.0), ("IS", "1\\2\\3")])
def test_origin_with_one_or_three_values_is_read_as_1_1_with_a_finding(vr: str, value: object) -> None:
    ds = _plane_file(0x0050, vr, value)
    assert [p.origin for p in read_planes(ds)] == [(1, 1)]
    assert {"origin-invalid", "wrong-vr"} <= {f.code for f in diagnose(ds)}


def test_origin_as_a_ds_pair_is_read() -> None:
    ds = _plane_file(0x0050, "DS", "4\\-2")
    assert [p.origin for p in read_planes(ds)] == [(4, -2)]
    assert "origin-invalid" not in {f.code for f in diagnose(ds)}


def test_rows_as_pn_is_read_when_it_is_a_number_and_refused_when_not() -> None:
    ds = _plane_file(0x0010, "PN", "8")
    assert [p.rows for p in read_planes(ds)] == [8]
    ds = _plane_file(0x0010, "PN", "Doe^John")
    assert read_planes(ds) == []
    codes = {f.code for f in diagnose(ds)}
    assert {"value-unreadable", "size-missing", "wrong-vr"} <= codes


def test_bits_allocated_as_ow_is_read_alike_by_reader_and_history() -> None:
    """An embedded plane whose (60xx,0100) is OW: undo of a delete restores Pixel Data."""
    data, masks = b.embedded_file(16)
    ds = load(data)
    ds.add_new(0x60000100, "OW", (16).to_bytes(2, "little"))
    before = to_bytes(ds)
    assert np.array_equal(plane_bits(ds, 0x6000), masks[0x6000])
    history = History()
    with history.change(ds, "Delete"):
        delete_plane(ds, 0x6000)
    assert to_bytes(ds) != before
    history.undo(ds)
    assert to_bytes(ds) == before
    assert np.array_equal(plane_bits(ds, 0x6000), masks[0x6000])


def test_deep_sequences_copy_and_open_without_recursion_error() -> None:
    data = b.deep_sequence_file(120)
    ds = load(data)
    twin = copy_dataset(ds)
    assert to_bytes(twin) == to_bytes(ds)
    session: dict[str, object] = {}
    entry = state.add_file(session, "deep.dcm", data)
    assert entry.ok and entry.error is None
    history = History()
    with history.change(entry.dataset, "Clear"):
        operations.clear(entry.dataset, 0x6000)
    history.undo(entry.dataset)
    assert checked_bytes(entry)


def test_sequences_too_deep_to_read_are_refused_in_one_sentence() -> None:
    with pytest.raises(NotDicomError, match="nested too deeply"):
        load(b.deep_sequence_file(2000))


def test_odd_length_overlay_data_exports_unchanged() -> None:
    ds = b.image_dataset(4, 4)
    b.add_plane(ds, 0x6000, None, rows=1, cols=8, data=b"\xa5")  # 1 byte: the pad is missing
    data = b.to_file_bytes(ds)
    entry = state.add_file({}, "odd.dcm", data)
    assert entry.ok
    written = checked_bytes(entry)
    assert np.array_equal(plane_bits(load(written), 0x6000), plane_bits(entry.dataset, 0x6000))


def test_readback_says_what_differs() -> None:
    ds = load(b.two_plane_file()[0])
    other = copy_dataset(ds)
    bits = plane_bits(other, 0x6002)
    bits[0, 0, :3] = ~bits[0, 0, :3]
    set_plane(other, 0x6002, bits)
    assert differences(ds, other) == ["Group 6002 differs in 3 of its 35 pixels (frame 1 first)."]
    with pytest.raises(WriteCheckError, match=r"group 6002 differs in 3 of its 35 pixels"):
        check_readback(ds, to_bytes(other))
    check_readback(ds, to_bytes(ds))


def test_huge_claims_never_escape_diagnose_or_read_planes() -> None:
    data, _ = b.embedded_file(16)
    ds = load(data)
    ds.Rows, ds.Columns, ds.NumberOfFrames = 65535, 65535, 1000
    assert read_planes(ds) == []
    findings = diagnose(ds)
    assert findings[0].code == "image-unusable" and "pixels per frame" in findings[0].message


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.50", None])
def test_size_claims_are_checked_for_every_syntax_before_decoding(syntax: str | None) -> None:
    """A small compressed (or pixel-less) file claiming 46340 x 46340 is refused at once."""
    ds = b.image_dataset(4, 4)
    ds.Rows = ds.Columns = 46340
    if syntax is None:
        del ds.PixelData
    else:
        ds.file_meta.TransferSyntaxUID = syntax
        ds.PixelData = b"\xfe\xff\x00\xe0\x00\x00\x00\x00" + b"\xfe\xff\x00\xe0\x04\x00\x00\x00abcd"
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        ds.set_original_encoding(False, True)
    data = b.to_file_bytes(ds)
    with pytest.raises(LimitError, match="46340 x 46340 pixels per frame"):
        load(data)


def test_limits_are_set_by_the_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    data, _ = b.two_plane_file()
    monkeypatch.setenv("OVERLAY_STUDIO_MAX_FRAME_PIXELS", "100")
    with pytest.raises(LimitError, match="16 x 20 pixels per frame, more than the 100"):
        load(data)
    monkeypatch.setenv("OVERLAY_STUDIO_MAX_FRAME_PIXELS", "320")
    assert [p.group for p in read_planes(load(data))] == [0x6000, 0x6002]
    monkeypatch.setenv("OVERLAY_STUDIO_SESSION_BYTES", "100")
    with pytest.raises(OverlayError, match="OVERLAY_STUDIO_SESSION_BYTES"):
        load(data)


def test_pixel_data_stored_as_text_is_refused_at_load() -> None:
    """Found by make fuzz: a VR change made Pixel Data a str, and unpacking raised TypeError."""
    data, _ = b.embedded_file(16)
    ds = load(data)
    ds.add_new(0x7FE00010, "LT", "not pixels")
    with pytest.raises(NotDicomError, match="Pixel Data is stored as LT, not as binary data"):
        load(b.to_file_bytes(ds))


@pytest.mark.parametrize("kind", ["sc", "gsps", "seg"])
def test_derived_objects_of_a_deeply_nested_file(kind: str) -> None:
    """SEG, GSPS and Secondary Capture copy the source header without recursion limits."""
    from overlay_core.interop.gsps import gsps_bytes
    from overlay_core.interop.secondary_capture import sc_bytes
    from overlay_core.interop.seg import seg_bytes

    ds = load(b.deep_sequence_file(120))
    ds.PatientBirthDate = ""  # highdicom wants the Type 2 attributes present
    make = {"sc": sc_bytes, "gsps": gsps_bytes, "seg": seg_bytes}[kind]
    assert load(make(ds))  # copy.deepcopy raised RecursionError here
