"""Overlay planes to DICOM SEG and back, through bytes, read by highdicom as well as by us."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import highdicom as hd
import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from overlay_core.errors import InvalidArgumentError, WrongReferenceError
from overlay_core.interop.seg import algorithm_type, export_seg, import_seg, read_segments, seg_bytes
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load, read_planes
from overlay_core.planes.writing import Attributes, delete_plane, set_attributes, to_bytes
from tests import builders as b


def single_plane_on_multi_frame() -> tuple[bytes, np.ndarray]:
    """A 3-frame image whose one-frame plane (no frame attributes) applies to every frame."""
    ds = b.image_dataset(9, 10, frames=3)
    mask = b.random_mask((1, 6, 8), seed=21)
    b.add_plane(ds, 0x6000, mask, origin=(5, 4), label="EVERY FRAME")  # partly outside
    return b.to_file_bytes(ds), mask


SYNTHETIC: dict[str, Callable[[], tuple[bytes, object]]] = {
    "two planes": b.two_plane_file,
    "plane partly outside": b.larger_plane_file,
    "multi-frame plane": b.multiframe_file,
    "multi-frame plane past the last frame": lambda: b.multiframe_file(4, 3, 3, (-1, 6)),
    "one plane on every frame": single_plane_on_multi_frame,
    "embedded planes": b.embedded_file,
    "all 16 groups": b.all_groups_file,
}
CORPUS_FILES = ["weasis_overlay.dcm", "OutOfBoundsOverlay.dcm", "MR-SIEMENS-DICOM-WithOverlays.dcm",
                "derived/mr_brucker_with_unaligned_multiframe_overlay__repaired.dcm"]


def without_planes(data: bytes) -> Dataset:
    ds = load(data)
    for plane in read_planes(ds):
        delete_plane(ds, plane.group)
    return ds


def round_trip(data: bytes, crop: bool) -> None:
    source = load(data)
    planes = read_planes(source)
    on_image = [p for p in planes if image_mask(source, p.group).any()]
    seg = load(seg_bytes(source, [p.group for p in on_image]))
    target = without_planes(data)
    imported = import_seg(target, seg, crop=crop)
    assert len(imported) == len(on_image) > 0
    for old, new in zip(on_image, imported, strict=True):
        assert np.array_equal(image_mask(target, new.group), image_mask(source, old.group)), old.group_hex
    reread = load(to_bytes(target))  # and through bytes once more
    for old, new in zip(on_image, imported, strict=True):
        assert np.array_equal(image_mask(reread, new.group), image_mask(source, old.group))


@pytest.mark.parametrize("crop", [False, True])
@pytest.mark.parametrize("name", list(SYNTHETIC))
def test_overlay_seg_overlay_is_bit_identical_on_the_image(name: str, crop: bool) -> None:
    round_trip(SYNTHETIC[name]()[0], crop)


@pytest.mark.corpus
@pytest.mark.parametrize("rel", CORPUS_FILES)
def test_corpus_round_trip(corpus: Path, rel: str) -> None:
    round_trip((corpus / rel).read_bytes(), crop=True)


def test_crop_trims_rows_columns_and_frames() -> None:
    data, mask = b.multiframe_file(image_frames=5, plane_frames=2, image_frame_origin=3, origin=(2, 3))
    target = without_planes(data)
    (plane,) = import_seg(target, load(seg_bytes(load(data))), crop=True)
    used = mask.any(axis=0)
    rows, cols = np.flatnonzero(used.any(axis=1)), np.flatnonzero(used.any(axis=0))
    assert plane.frames == 2 and plane.image_frame_origin == 3
    assert plane.origin == (2 + rows[0], 3 + cols[0])
    assert (plane.rows, plane.columns) == (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)


def test_uncropped_planes_are_image_sized_at_1_1() -> None:
    data, _ = b.two_plane_file()
    target = without_planes(data)
    planes = import_seg(target, load(seg_bytes(load(data))))
    assert [(p.group, p.shape, p.origin) for p in planes] == [
        (0x6000, (1, 16, 20), (1, 1)), (0x6002, (1, 16, 20), (1, 1))]


# --------------------------------------------------------------------------- what the SEG holds


def test_highdicom_reads_our_seg_of_a_multi_frame_image() -> None:
    data, _ = b.multiframe_file(image_frames=4, plane_frames=2, image_frame_origin=2)
    source = load(data)
    raw = seg_bytes(source)
    seg = hd.seg.segread(io.BytesIO(raw))
    assert seg.segmentation_type == hd.seg.SegmentationTypeValues.BINARY
    assert seg.segment_numbers == [1]
    expected = image_mask(source, 0x6000)
    got = seg.get_pixels_by_source_frame(str(source.SOPInstanceUID), [1, 2, 3, 4], combine_segments=False,
                                         ignore_spatial_locations=True, assert_missing_frames_are_empty=True)
    assert np.array_equal(got[..., 0].astype(bool), expected)
    # Every SEG frame names its image frame (Type 1C for a multi-frame source).
    referenced = []
    for item in seg.PerFrameFunctionalGroupsSequence:
        source_item = item.DerivationImageSequence[0].SourceImageSequence[0]
        assert source_item.ReferencedSOPInstanceUID == source.SOPInstanceUID
        assert source_item.ReferencedSOPClassUID == source.SOPClassUID
        referenced.append(int(source_item.ReferencedFrameNumber))
    assert referenced == [f + 1 for f in range(4) if expected[f].any()] == [2, 3]


def test_seg_attributes_uids_and_segments() -> None:
    data, _ = b.two_plane_file()
    source = load(data)
    set_attributes(source, 0x6000, Attributes(subtype="USER"))
    set_attributes(source, 0x6002, Attributes(subtype="AUTOMATED", label="", description="the lesion"))
    seg = hd.seg.segread(io.BytesIO(seg_bytes(source, [0x6002, 0x6000], labels={0x6000: "Edited label"})))
    assert (seg.StudyInstanceUID, seg.PatientID) == (source.StudyInstanceUID, source.PatientID)
    assert seg.SeriesInstanceUID != source.SeriesInstanceUID
    assert seg.SOPInstanceUID != source.SOPInstanceUID
    assert seg.Manufacturer == "Overlay Studio"
    first, second = (seg.get_segment_description(n) for n in (1, 2))
    assert (first.segment_label, first.SegmentDescription, first.algorithm_type.value) == (
        "the lesion", "the lesion", "AUTOMATIC")
    assert (second.segment_label, second.algorithm_type.value) == ("Edited label", "MANUAL")
    assert first.segmented_property_category == codes.SCT.SpatialAndRelationalConcept
    assert second.segmented_property_type == codes.DCM.ImageRegion


def test_algorithm_type_follows_the_subtype() -> None:
    data, _ = b.two_plane_file()
    ds = load(data)
    for subtype, expected in (("USER", "MANUAL"), ("AUTOMATED", "AUTOMATIC"), ("", "SEMIAUTOMATIC"),
                              ("ACTIVE IMAGE AREA", "SEMIAUTOMATIC")):
        plane = set_attributes(ds, 0x6000, Attributes(subtype=subtype))
        assert algorithm_type(plane) == expected


def test_import_takes_label_description_and_subtype_from_segments() -> None:
    data, _ = b.two_plane_file()
    source = load(data)
    set_attributes(source, 0x6000, Attributes(subtype="USER", description="drawn"))
    target = without_planes(data)
    planes = import_seg(target, load(seg_bytes(source)))
    assert [(p.label, p.description, p.subtype) for p in planes] == [
        ("FIRST", "drawn", "USER"), ("SECOND", "", "")]


def test_missing_type_2_attributes_are_supplied_on_a_copy() -> None:
    ds = b.image_dataset(8, 8)
    b.add_plane(ds, 0x6000, np.eye(8, dtype=bool))
    for keyword in ("PatientName", "PatientID"):
        delattr(ds, keyword)
    source = load(b.to_file_bytes(ds))
    seg = load(seg_bytes(source))
    assert seg.PatientBirthDate == "" and seg.PatientName == ""
    assert "PatientBirthDate" not in source and "PatientName" not in source


def test_imports_into_the_first_free_groups() -> None:
    data, _ = b.two_plane_file()
    source = load(data)
    target = load(data)
    delete_plane(target, 0x6000)  # 6000 free, 6002 taken
    planes = import_seg(target, load(seg_bytes(source)), segments=[2, 1])
    assert [p.group for p in planes] == [0x6000, 0x6004]
    assert np.array_equal(image_mask(target, 0x6000), image_mask(source, 0x6002))
    assert np.array_equal(image_mask(target, 0x6004), image_mask(source, 0x6000))


# --------------------------------------------------------------------------- bad input: nothing changes


def highdicom_seg(source: Dataset, masks: np.ndarray) -> Dataset:
    """A BINARY SEG written by highdicom itself (``masks``: (1, rows, cols, segments))."""
    header = load(to_bytes(source))
    for keyword in ("PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "ReferringPhysicianName",
                    "StudyID", "AccessionNumber"):
        setattr(header, keyword, "")
    descriptions = [hd.seg.SegmentDescription(
        segment_number=i + 1, segment_label=f"S{i + 1}", segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Tissue, algorithm_type="MANUAL") for i in range(masks.shape[-1])]
    seg = hd.seg.Segmentation(
        source_images=[header], pixel_array=masks.astype(np.uint8), segmentation_type="BINARY",
        segment_descriptions=descriptions, series_instance_uid=generate_uid(), series_number=1,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer="test",
        manufacturer_model_name="test", software_versions="1", device_serial_number="1")
    return load(to_bytes(seg))


def assert_unchanged(ds: Dataset, before: bytes) -> None:
    assert to_bytes(ds) == before


def test_seg_of_another_image_is_refused() -> None:
    data, _ = b.two_plane_file()
    seg = load(seg_bytes(load(data)))
    other = load(b.two_plane_file()[0])  # same pixels and planes, another SOP Instance UID
    before = to_bytes(other)
    with pytest.raises(WrongReferenceError, match="does not reference this image"):
        import_seg(other, seg)
    assert_unchanged(other, before)


def test_empty_segments_are_refused_both_ways() -> None:
    ds = b.image_dataset(8, 9)
    b.add_plane(ds, 0x6000, np.zeros((8, 9), bool))
    b.add_plane(ds, 0x6002, np.ones((2, 2), bool), origin=(20, 20))  # wholly outside the image
    b.add_plane(ds, 0x6004, np.eye(8, 9, dtype=bool))
    source = load(b.to_file_bytes(ds))
    for group in (0x6000, 0x6002):
        with pytest.raises(InvalidArgumentError, match=f"{group:04X} has no pixel on the image"):
            seg_bytes(source, [group, 0x6004])
    masks = np.zeros((1, 8, 9, 2), bool)
    masks[0, 1:3, 1:4, 0] = True  # segment 2 stays empty
    seg = highdicom_seg(source, masks)
    before = to_bytes(source)
    with pytest.raises(InvalidArgumentError, match=r'Segment 2 \("S2"\) is empty'):
        import_seg(source, seg)
    assert_unchanged(source, before)
    (plane,) = import_seg(source, seg, segments=[1])
    assert plane.group == 0x6006 and plane.set_bits == 6


def test_seventeen_segments_are_more_than_the_free_groups() -> None:
    ds = b.image_dataset(6, 6)
    source = load(b.to_file_bytes(ds))
    masks = np.zeros((1, 6, 6, 17), bool)
    for i in range(17):
        masks[0, i // 6, i % 6, i] = True
    seg = highdicom_seg(source, masks)
    before = to_bytes(source)
    with pytest.raises(InvalidArgumentError, match=r"17 segment.* only 16 free"):
        import_seg(source, seg)
    assert_unchanged(source, before)
    assert len(import_seg(source, seg, segments=range(1, 17))) == 16


def test_two_segments_for_one_free_group() -> None:
    data, _ = b.all_groups_file()
    source = load(data)
    seg = load(seg_bytes(source, [0x6000, 0x6002]))
    delete_plane(source, 0x601E)
    before = to_bytes(source)
    with pytest.raises(InvalidArgumentError, match=r"2 segment.* only 1 free"):
        import_seg(source, seg)
    assert_unchanged(source, before)


@pytest.mark.parametrize(("make", "message"), [
    (lambda seg: seg.__setattr__("SOPClassUID", "1.2.840.10008.5.1.4.1.1.7"), "not a DICOM Segmentation"),
    (lambda seg: seg.__setattr__("Rows", 99), "99 x 20 pixels but the image is 16 x 20"),
])
def test_other_bad_segs(make: Callable[[Dataset], None], message: str) -> None:
    data, _ = b.two_plane_file()
    source = load(data)
    seg = load(seg_bytes(source))
    make(seg)
    before = to_bytes(source)
    with pytest.raises(InvalidArgumentError, match=message):
        import_seg(source, seg)
    assert_unchanged(source, before)


def test_unknown_segment_number() -> None:
    data, _ = b.two_plane_file()
    source = load(data)
    with pytest.raises(InvalidArgumentError, match="no segment 3; its segments are 1, 2"):
        import_seg(source, load(seg_bytes(source)), segments=[3])


def test_export_needs_planes_and_an_image() -> None:
    with pytest.raises(InvalidArgumentError, match="no overlay plane to export"):
        export_seg(load(b.to_file_bytes(b.image_dataset(4, 4))))
    with pytest.raises(InvalidArgumentError, match="no image"):
        export_seg(load(b.presentation_state_file()[0]))
    with pytest.raises(InvalidArgumentError, match="group 6004"):
        export_seg(load(b.two_plane_file()[0]), [0x6004])


def test_segments_are_listed() -> None:
    data, _ = b.two_plane_file()
    segments = read_segments(load(seg_bytes(load(data))))
    assert [(s.number, s.label, s.description) for s in segments] == [
        (1, "FIRST", "image-sized"), (2, "SECOND", "")]



def test_a_fractional_segment_is_set_from_one_half() -> None:
    source = load(b.to_file_bytes(b.image_dataset(6, 7)))
    header = load(to_bytes(source))
    for keyword in ("PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "ReferringPhysicianName",
                    "StudyID", "AccessionNumber"):
        setattr(header, keyword, "")
    values = np.linspace(0, 1, 42, dtype=np.float32).reshape(1, 6, 7)
    description = hd.seg.SegmentDescription(
        segment_number=1, segment_label="P", segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Tissue, algorithm_type="MANUAL")
    seg = hd.seg.Segmentation(
        source_images=[header], pixel_array=values, segmentation_type="FRACTIONAL",
        segment_descriptions=[description], series_instance_uid=generate_uid(), series_number=1,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer="test",
        manufacturer_model_name="test", software_versions="1", device_serial_number="1",
        max_fractional_value=200)
    (plane,) = import_seg(source, load(to_bytes(seg)))
    stored = np.round(values * 200) / 200  # what the SEG holds
    assert np.array_equal(image_mask(source, plane.group), stored >= 0.5)


def test_a_bad_segment_label_is_refused() -> None:
    source = load(b.two_plane_file()[0])
    with pytest.raises(InvalidArgumentError, match="segment label of plane 6002 must be at most 64"):
        seg_bytes(source, labels={0x6002: "a\\b"})
    with pytest.raises(InvalidArgumentError, match="at most 64 characters"):
        seg_bytes(source, labels={0x6000: "x" * 65})


def test_a_multi_frame_reference_without_frame_numbers_is_refused() -> None:
    data, _ = b.multiframe_file()
    source = load(data)
    seg = load(seg_bytes(source))
    for item in seg.PerFrameFunctionalGroupsSequence:
        del item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedFrameNumber
    target = without_planes(data)
    before = to_bytes(target)
    with pytest.raises(InvalidArgumentError, match="without saying which frame"):
        import_seg(target, seg)
    assert_unchanged(target, before)
