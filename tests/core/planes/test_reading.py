"""Reading DICOM bytes and their overlay planes (standalone and embedded)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import RLELossless

from overlay_core.errors import InvalidOverlayError, LimitError, NotDicomError, PlaneNotFoundError
from overlay_core.model import OverlayType
from overlay_core.planes.packed import usable_groups
from overlay_core.planes.reading import (
    image_info,
    load,
    plane_bits,
    read_plane,
    read_planes,
    unpack_plane,
)
from tests import builders as b

# --------------------------------------------------------------------------- load


@pytest.fixture(params=["bytes", "file"])
def read(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[bytes], Dataset]:
    """``load`` of the bytes themselves, or of a file holding them (as the command line reads one)."""
    if request.param == "bytes":
        return load

    def from_file(data: bytes) -> Dataset:
        path = tmp_path / "in.dcm"
        path.write_bytes(data)
        with path.open("rb") as file:
            return load(file)

    return from_file


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, this is not a DICOM file at all\n" * 20, "not a DICOM file"),
        (bytes(range(256)) * 4, "not a DICOM file"),
        (bytes(128) + b"DICM" + b"\x02\x00", "no DICOM data elements"),
        (bytes(128) + b"DICM", "no DICOM data elements"),
    ],
)
def test_load_refuses_non_dicom(read: Callable[[bytes], Dataset], data: bytes, message: str) -> None:
    with pytest.raises(NotDicomError, match=message):
        read(data)


def test_load_refuses_truncated_file(read: Callable[[bytes], Dataset]) -> None:
    data, _ = b.two_plane_file()
    with pytest.raises(NotDicomError, match="truncated"):
        read(data[:-100])


def test_load_refuses_file_meta_without_a_dataset() -> None:
    full = b.to_file_bytes(b.image_dataset(2, 2))
    meta_end = 132 + 12 + int.from_bytes(full[140:144], "little")  # after (0002,0000)'s value
    with pytest.raises(NotDicomError, match="no DICOM data elements"):
        load(full[:meta_end])


def test_not_dicom_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        load(b"")


@pytest.mark.parametrize("variant", ["preamble", "no-preamble", "no-file-meta"])
def test_files_with_and_without_preamble_read_the_same(read: Callable[[bytes], Dataset],
                                                       variant: str) -> None:
    ds = b.image_dataset(12, 10)
    mask = b.random_mask((1, 12, 10), seed=11)
    b.add_plane(ds, 0x6000, mask, origin=(2, 1))
    data = b.to_file_bytes(ds, preamble=variant == "preamble", file_meta=variant != "no-file-meta")
    loaded = read(data)
    assert np.array_equal(plane_bits(loaded, 0x6000), mask)
    assert read_plane(loaded, 0x6000).origin == (2, 1)
    assert image_info(loaded).shape == (1, 12, 10)


# --------------------------------------------------------------------------- plane attributes


def test_every_plane_attribute_is_read() -> None:
    data, mask = b.roi_file()
    plane = read_plane(load(data), 0x6000)
    assert plane.group == 0x6000 and plane.group_hex == "6000"
    assert plane.shape == mask.shape
    assert plane.origin == (1, 1)
    assert plane.type is OverlayType.ROI
    assert (plane.subtype, plane.label, plane.description) == ("ROI", "LESION", "measured region")
    assert (plane.roi_area, plane.roi_mean, plane.roi_standard_deviation) == (24, 812.5, 13.25)
    assert (plane.bits_allocated, plane.bit_position) == (1, 0)
    assert plane.embedded is False and plane.vr == "OW"
    assert plane.data_length == 16  # 120 bits -> 15 bytes -> 16 with the pad byte
    assert plane.set_bits == int(mask.sum()) == 24
    assert plane.frame_specific is False and plane.image_frame_origin == 1


def test_multi_frame_plane_attributes() -> None:
    data, mask = b.multiframe_file(image_frames=4, plane_frames=3, image_frame_origin=2, origin=(-1, 5))
    plane, bits, findings = unpack_plane(load(data), 0x6000)
    assert plane.shape == (3, 5, 7) and plane.frame_specific
    assert (plane.image_frame_origin, plane.origin) == (2, (-1, 5))
    assert np.array_equal(bits, mask) and findings == []


def test_two_planes_in_group_order_with_their_bits() -> None:
    data, masks = b.two_plane_file()
    ds = load(data)
    planes = read_planes(ds)
    assert [p.group for p in planes] == [0x6000, 0x6002]
    assert [p.label for p in planes] == ["FIRST", "SECOND"]
    assert planes[1].origin == (3, 4)
    for group, mask in masks.items():
        assert np.array_equal(plane_bits(ds, group), mask)


def test_all_sixteen_groups() -> None:
    data, masks = b.all_groups_file()
    ds = load(data)
    assert [p.group for p in read_planes(ds)] == list(range(0x6000, 0x6020, 2))
    for group, mask in masks.items():
        assert np.array_equal(plane_bits(ds, group), mask)


def test_implicit_vr_plane() -> None:
    data, mask = b.implicit_vr_file()
    ds = load(data)
    plane, bits, _ = unpack_plane(ds, 0x6000)
    assert image_info(ds).transfer_syntax == "1.2.840.10008.1.2"
    assert plane.vr == "OW" and plane.origin == (2, 3)
    assert np.array_equal(bits, mask)


def test_plane_beside_rle_pixel_data() -> None:
    data, mask = b.rle_file()
    ds = load(data)
    assert image_info(ds).compressed
    assert np.array_equal(plane_bits(ds, 0x6000), mask)


# --------------------------------------------------------------------------- embedded


@pytest.mark.parametrize(("bits_allocated", "positions"), [(16, (15, 13)), (8, (7, 6))])
@pytest.mark.parametrize("frames", [1, 3])
def test_embedded_planes(bits_allocated: int, positions: tuple[int, int], frames: int) -> None:
    data, masks = b.embedded_file(bits_allocated, frames=frames)
    ds = load(data)
    for (group, mask), position in zip(masks.items(), positions, strict=True):
        plane, bits, findings = unpack_plane(ds, group)
        assert plane.embedded and plane.vr is None and plane.data_length is None
        assert (plane.bits_allocated, plane.bit_position) == (bits_allocated, position)
        assert plane.shape == (frames, 9, 11)
        assert np.array_equal(bits, mask) and findings == []
        assert plane.set_bits == int(mask.sum())


def test_embedded_bits_come_from_raw_words_not_pixel_array() -> None:
    data, masks = b.embedded_file(16)
    ds = load(data)
    # pydicom's pixel_array masks everything above High Bit away: the bits are not there.
    assert not (ds.pixel_array >> 12).any()
    assert plane_bits(ds, 0x6000).any() and np.array_equal(plane_bits(ds, 0x6000), masks[0x6000])


def test_embedded_in_compressed_pixel_data_is_refused() -> None:
    ds = b.image_dataset(8, 8)
    ds.compress(RLELossless)
    for element, vr, value in ((0x10, "US", 8), (0x11, "US", 8), (0x100, "US", 16), (0x102, "US", 15)):
        ds.add_new(0x60000000 | element, vr, value)
    with pytest.raises(InvalidOverlayError, match="embedded in compressed Pixel Data"):
        unpack_plane(load(b.to_file_bytes(ds)), 0x6000)


def test_embedded_with_wrong_bits_allocated_is_refused() -> None:
    data, _ = b.embedded_file(16)
    ds = load(data)
    ds[0x60000100].value = 8
    with pytest.raises(InvalidOverlayError, match=r"Overlay Bits Allocated 8.*Bits Allocated 16"):
        unpack_plane(ds, 0x6000)


def test_embedded_without_pixel_data_is_refused() -> None:
    ds = Dataset()
    for element, value in ((0x10, 4), (0x11, 4), (0x100, 16), (0x102, 15)):
        ds.add_new(0x60000000 | element, "US", value)
    with pytest.raises(InvalidOverlayError, match="no Pixel Data"):
        unpack_plane(ds, 0x6000)


# --------------------------------------------------------------------------- faults


def _one_plane(data: bytes | None, rows: int = 3, cols: int = 7) -> Dataset:
    ds = b.image_dataset(rows, cols)
    b.add_plane(ds, 0x6000, None, rows=rows, cols=cols, data=data)
    return ds


def test_short_data_is_zero_filled_with_a_warning() -> None:
    ds = _one_plane(b"\xff\xff")  # 21 bits need 3 bytes
    plane, bits, findings = unpack_plane(ds, 0x6000)
    assert [f.code for f in findings] == ["data-short"]
    assert plane.set_bits == 16 and not bits.ravel()[16:].any()


def test_far_short_data_is_refused_and_left_out_of_read_planes() -> None:
    ds = _one_plane(bytes(20), rows=100, cols=100)
    with pytest.raises(InvalidOverlayError, match=r"20 bytes of data .* needs 1250 bytes"):
        unpack_plane(ds, 0x6000)
    assert read_planes(ds) == []


def test_missing_group_is_not_found() -> None:
    with pytest.raises(PlaneNotFoundError, match="no overlay plane in group 6004"):
        unpack_plane(b.image_dataset(2, 2), 0x6004)


def test_plane_not_found_is_a_lookup_error_with_a_plain_message() -> None:
    with pytest.raises(LookupError) as info:
        read_plane(b.image_dataset(2, 2), 0x6000)
    assert str(info.value) == "The file has no overlay plane in group 6000."


def test_group_without_data_is_refused() -> None:
    ds = b.image_dataset(4, 4)
    b.add_plane(ds, 0x6000, None, rows=4, cols=4)
    with pytest.raises(InvalidOverlayError, match="no Overlay Data and is not embedded"):
        unpack_plane(ds, 0x6000)


def test_group_without_size_is_refused() -> None:
    ds = b.image_dataset(4, 4)
    ds.add_new(0x60001001, "CS", "LAYER1")
    with pytest.raises(InvalidOverlayError, match="no usable Overlay Rows and Overlay Columns"):
        unpack_plane(ds, 0x6000)


def test_presentation_state_without_pixel_data_lists_its_planes() -> None:
    data, mask = b.presentation_state_file()
    ds = load(data)
    assert image_info(ds).shape == (0, 0, 0) and not image_info(ds).has_pixel_data
    assert [p.group for p in read_planes(ds)] == [0x6002]
    assert np.array_equal(plane_bits(ds, 0x6002), mask)


def test_big_claim_with_tiny_data_fails_fast_with_little_memory() -> None:
    data = b.big_claim_file()
    tracemalloc.start()
    try:
        ds = load(data)
        with pytest.raises(InvalidOverlayError, match="20 bytes of data but its size of 1000 frame"):
            unpack_plane(ds, 0x6000)
        assert read_planes(ds) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_image_claiming_too_many_pixels_is_refused() -> None:
    ds = Dataset()
    ds.Rows, ds.Columns, ds.NumberOfFrames = 65535, 65535, 1000
    with pytest.raises(LimitError, match="65535 x 65535 pixels per frame, more than"):
        image_info(ds)


def _peak(call: object) -> int:
    tracemalloc.start()
    try:
        assert callable(call)
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_listing_planes_reads_attributes_only() -> None:
    ds = b.image_dataset(8, 8)
    mask = b.random_mask((40, 512, 512), seed=3)  # 10 MB unpacked, 1.3 MB packed
    b.add_plane(ds, 0x6000, mask, frames_attr=40)
    ds = load(b.to_file_bytes(ds))
    planes: list = []
    peak = _peak(lambda: planes.extend(read_planes(ds)))
    assert planes[0].set_bits == int(mask.sum()) == unpack_plane(ds, 0x6000)[0].set_bits
    assert peak < 1_000_000, peak  # unpacking would allocate at least 10 MB


def test_one_frame_is_unpacked_alone() -> None:
    from overlay_core.planes.reading import frame_bits

    ds = b.image_dataset(8, 8)
    mask = b.random_mask((40, 512, 512), seed=4)
    b.add_plane(ds, 0x6000, mask, frames_attr=40)
    ds = load(b.to_file_bytes(ds))
    assert np.array_equal(frame_bits(ds, 0x6000, 17)[1], mask[17])
    peak = _peak(lambda: frame_bits(ds, 0x6000, 39))
    assert peak < 2_000_000, peak  # one frame is 0.26 MB; all of them 10 MB


def _listing_cases() -> list[Dataset]:
    """Files whose planes are usable, unusable or both, as builders make them."""
    cases = [load(data) for data in (
        b.two_plane_file()[0], b.roi_file()[0], b.all_groups_file()[0], b.implicit_vr_file()[0],
        b.rle_file()[0], b.embedded_file()[0], b.embedded_file(8, frames=2)[0], b.larger_plane_file()[0],
        b.multiframe_file()[0], b.big_claim_file(), b.presentation_state_file()[0])]
    cases.append(_one_plane(bytes(20), rows=100, cols=100))  # far too short: left out
    no_data = b.image_dataset(4, 4)
    b.add_plane(no_data, 0x6000, None, rows=4, cols=4)
    b.add_plane(no_data, 0x6002, np.eye(4, dtype=bool))
    cases.append(no_data)
    return cases


@pytest.mark.parametrize("index", range(13))
def test_usable_groups_lists_the_groups_of_read_planes(index: int) -> None:
    ds = _listing_cases()[index]
    assert usable_groups(ds) == [p.group for p in read_planes(ds)]
